"""The event catalogue in events/ is generated from the models and must not drift."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from shared import event_catalogue
from shared.event_contracts import CATALOGUE, LookupPerformed


def test_events_directory_matches_the_models() -> None:
    assert event_catalogue.drift() == [], "run `make events` and commit events/"


@pytest.mark.parametrize("detail_type", list(CATALOGUE))
def test_each_sample_validates_against_its_schema_and_model(detail_type) -> None:
    schema = json.loads((event_catalogue.EVENTS_DIR / f"{detail_type}.schema.json").read_text())
    sample = json.loads((event_catalogue.EVENTS_DIR / f"{detail_type}.sample.json").read_text())
    Draft202012Validator(schema).validate(sample["detail"])
    CATALOGUE[detail_type].model_validate(sample["detail"])
    assert sample["detail-type"] == str(detail_type)


def test_a_lookup_event_refuses_personal_or_fine_geography() -> None:
    # GIVEN fields that would identify a person or place them too precisely
    with pytest.raises(ValidationError):
        LookupPerformed(channel="web", route="services", language="fr", result_count=1, phone="418 555-0101")
    with pytest.raises(ValidationError):
        LookupPerformed(channel="web", route="services", language="fr", result_count=1, fsa="G8B 3L2")
