"""The sample directory: deterministic, valid, spread over Québec, bilingual where real directories are."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest

from shared.directory import taxonomy
from shared.directory.models import REGION_CODES
from shared.sample_data import gazetteer
from shared.sample_data.generator import de, dump_hsds_json, generate_directory, load_hsds_json


@pytest.fixture(scope="module")
def sample():
    return generate_directory(1500, seed=211)


def dumped(directory) -> str:
    buffer = io.StringIO()
    dump_hsds_json(directory, buffer)
    return buffer.getvalue()


def test_same_size_and_seed_give_the_same_bytes(sample) -> None:
    assert dumped(generate_directory(1500, seed=211)) == dumped(sample)
    assert dumped(generate_directory(1500, seed=212)) != dumped(sample)


def test_exact_size_every_region_and_population_order(sample) -> None:
    assert len(sample.services) == 1500
    per_region = Counter(s.region for s in sample.services)
    assert set(per_region) == set(REGION_CODES)
    assert per_region["06"] > per_region["02"] > per_region["10"]


def test_ids_are_unique_and_links_resolve(sample) -> None:
    ids = [s.id for s in sample.services] + [o.id for o in sample.organizations]
    ids += [sal.id for s in sample.services for sal in s.service_at_locations]
    assert len(ids) == len(set(ids))
    orgs = {o.id: o for o in sample.organizations}
    for service in sample.services:
        assert orgs[service.organization_id].region == service.region
        assert service.attributes and all(taxonomy.term(a.taxonomy_term_id) for a in service.attributes)


def test_addresses_use_the_fsas_of_their_municipality(sample) -> None:
    for service in sample.services[:300]:
        for sal in service.service_at_locations:
            address = sal.location.addresses[0]
            fsa = address.postal_code[:3]
            assert any(m.city == address.city for m in gazetteer.municipalities_of_fsa(fsa)), address


def test_english_share_is_high_in_montreal_and_low_elsewhere(sample) -> None:
    def share(region: str | None) -> float:
        chosen = [s for s in sample.services if region is None or s.region == region]
        return sum(1 for s in chosen if s.name.en) / len(chosen)

    assert 0.45 <= share("06") <= 0.75
    assert share("02") <= 0.25
    assert 0.15 <= share(None) <= 0.40


def test_statuses_and_hours_look_like_a_real_directory(sample) -> None:
    statuses = Counter(s.status for s in sample.services)
    assert statuses["active"] / len(sample.services) > 0.9 and statuses["inactive"] > 0
    always = [s for s in sample.services if any(r.opens_at == "00:00" and r.closes_at == "24:00" for r in s.schedules)]
    split = [s for s in sample.services if len([r for r in s.schedules if r.opens_at]) >= 2]
    assert always and split


def test_names_elide_like_french(sample) -> None:
    assert de("Alma") == "d'Alma" and de("Roberval") == "de Roberval" and de("Le Bic") == "du Bic"
    names = {o.name.fr for o in sample.organizations}
    assert not any(" de A" in n or " de É" in n or " de O" in n for n in names)


def test_the_file_round_trips(tmp_path, sample) -> None:
    path = tmp_path / "directory.json"
    dump_hsds_json(sample, path)
    assert json.loads(path.read_text())["services"][0]["id"] == sample.services[0].id
    assert dumped(load_hsds_json(path)) == dumped(sample)
