"""Parameter validation, language negotiation and bilingual rendering."""

from __future__ import annotations

import pytest

from shared.directory.models import LocalizedText, Organization, render
from shared.directory.params import ListParams, negotiate_language, parse_params
from shared.errors import BadRequest


@pytest.mark.parametrize(
    ("lang", "accept", "expected"),
    [
        (None, None, "fr"),
        ("en", "fr-CA", "en"),
        (None, "en-CA,en;q=0.9,fr;q=0.8", "en"),
        (None, "es,fr;q=0.5,en;q=0.4", "fr"),
        (None, "de", "fr"),
        (None, "en;q=bad, fr;q=0.2", "fr"),
    ],
)
def test_language_negotiation(lang, accept, expected) -> None:
    assert negotiate_language(lang, accept) == expected


def test_a_field_without_translation_falls_back_to_the_other_language() -> None:
    text = LocalizedText(fr="Banque alimentaire")
    assert text.pick("en") == "Banque alimentaire"
    assert LocalizedText(en="Food bank").pick("fr") == "Food bank"


def test_render_picks_one_language_and_drops_empty_fields() -> None:
    org = Organization.model_validate(
        {
            "id": "0b7f1c9e-5a43-4d8e-a4a5-3c2f0d9e6b11",
            "name": {"fr": "Moisson Saguenay", "en": "Saguenay Food Harvest"},
            "description": {"fr": "Banque alimentaire régionale."},
            "region": "02",
        }
    )
    assert render(org, "en")["name"] == "Saguenay Food Harvest"
    assert render(org, "en")["description"] == "Banque alimentaire régionale."
    assert "email" not in render(org, "fr")


def test_unknown_parameters_are_named_in_a_400() -> None:
    with pytest.raises(BadRequest) as raised:
        parse_params(ListParams, {"serach": "food"})
    assert raised.value.details[0]["parameter"] == "serach"
    assert raised.value.code == "invalid_parameter"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"per_page": "500"}, "per_page"),
        ({"page": "0"}, "page"),
        ({"page": "deux"}, "page"),
        ({"region": "02,99"}, "region"),
        ({"organization_id": "not-a-uuid"}, "organization_id"),
        ({"modified_after": "hier"}, "modified_after"),
        ({"format": "xml"}, "format"),
        ({"full": "peut-être"}, "full"),
        ({"lang": "de"}, "lang"),
    ],
)
def test_bad_values_are_400_with_the_parameter_named(query, parameter) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_params(ListParams, query)
    assert [d["parameter"] for d in raised.value.details] == [parameter]


def test_regions_and_statuses_accept_comma_separated_lists() -> None:
    params = parse_params(ListParams, {"region": "02,03", "status": "active,inactive"})
    assert params.region == ["02", "03"]
    assert params.status == ["active", "inactive"]
