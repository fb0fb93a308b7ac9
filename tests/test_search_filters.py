"""Filters, places, distances, sorting, facets and entities of the search engine, on the labelled dataset."""

from __future__ import annotations

from typing import Any

import pytest

from shared.directory import taxonomy
from shared.search.engine import SearchResult
from shared.search.params import SearchParams
from shared.search.relevance import dataset_engine, load_dataset, uid


@pytest.fixture(scope="module")
def engine():
    return dataset_engine()


def run(engine, entity: str = "service", per_page: int = 100, page: int = 1, **query: Any) -> SearchResult:
    return engine.search(SearchParams.from_query(query), entity, page, per_page, "fr")


def keys(result: SearchResult) -> list[str]:
    dataset = load_dataset()
    return [dataset.key_of_service.get(h.id) or dataset.key_of_sal.get(h.id) or h.id for h in result.hits]


def raw(key: str) -> dict[str, Any]:
    return next(s for s in load_dataset().raw["services"] if s["key"] == key)


def region_of(key: str) -> str:
    return load_dataset().raw["organizations"][raw(key)["org"]]["region"]


def test_a_region_filter_keeps_the_region_and_the_lines_that_serve_everyone(engine) -> None:
    result = run(engine, search="violence conjugale", region="03")
    found = keys(result)
    assert (
        "qcc-marierollet" in found and "qc-sosvc" in found
    )  # SOS violence conjugale: province-wide, owned by 06
    assert all(region_of(k) == "03" or "P:QC" in raw(k)["areas"] for k in found)


def test_a_municipality_keeps_what_serves_it(engine) -> None:
    found = keys(run(engine, search="popote roulante", municipality="Alma"))
    assert "alma-popote" in found  # serves the MRC of Lac-Saint-Jean-Est
    assert "stfelicien-popote" not in found  # 60 km away, serves Saint-Félicien only


def test_postcode_with_proximity_returns_distances_within_it(engine) -> None:
    result = run(engine, entity="service_at_location", search="aide", postcode="G8B 3L2", proximity="3000")
    assert result.total > 0
    assert all(h.distance_m is not None and h.distance_m <= 3000 for h in result.hits)
    assert all(h.service_id for h in result.hits)


def test_coordinates_and_radius_sorted_by_distance(engine) -> None:
    result = run(
        engine, entity="service_at_location", lat="48.4280", lng="-71.0620", radius_km="5", sort="distance"
    )
    distances = [h.distance_m for h in result.hits]
    assert distances and all(d is not None and d <= 5000 for d in distances)
    assert distances == sorted(distances)
    assert keys(result)[0] == "chic-soupe"  # at that very address


def test_sort_by_name(engine) -> None:
    dataset = load_dataset()
    names = {s.id: s.name.pick("fr") for s in dataset.services}
    result = run(engine, search="maison des jeunes", sort="name")
    from shared.directory.models import sort_key

    ordered = [sort_key(names[h.id]) for h in result.hits]
    assert ordered == sorted(ordered) and len(ordered) >= 5


def test_a_top_category_rolls_up_its_sub_categories(engine) -> None:
    food = taxonomy.term_by_code("FOOD")
    assert food is not None
    found = set(keys(run(engine, taxonomy_term_id=food.id, facets="true")))
    assert {"roberval-comptoir", "alma-popote", "alma-cuisines", "chic-soupe"} <= found
    assert "alma-clsc" not in found


def test_age_language_and_free(engine) -> None:
    teen = set(keys(run(engine, search="maison des jeunes", age="15")))
    assert "alma-mdj" in teen
    meals = keys(run(engine, search="popote roulante", age="15"))
    assert "alma-popote" not in meals  # 60 and over
    assert all((raw(k).get("age") or [0])[0] in (None, 0) or raw(k)["age"][0] <= 15 for k in meals)
    spanish = keys(run(engine, search="immigrants", language="es"))
    assert spanish and all("es" in raw(k).get("lang", []) for k in spanish)
    free = keys(run(engine, search="dépannage alimentaire", free="true"))
    assert free and all(any(w in str(raw(k)["fees"]).lower() for w in ("gratuit", "free")) for k in free)


def test_open_at_uses_the_schedules(engine) -> None:
    tuesday = keys(run(engine, search="dépannage alimentaire alma", open_at="2026-11-03T14:00:00"))
    wednesday = run(engine, search="dépannage alimentaire alma", open_at="2026-11-04T10:00:00")
    assert "alma-depannage" in tuesday  # TU,TH 13:00-16:00
    assert "alma-depannage" not in keys(wednesday)
    christmas_eve = keys(run(engine, search="dépannage alimentaire alma", open_at="2026-12-24T14:00:00"))
    assert "alma-depannage" not in christmas_eve  # holiday row, a Thursday


def test_facets_count_the_whole_result_per_top_category_and_region(engine) -> None:
    result = run(engine, per_page=5, search="banque alimentaire", facets="true")
    assert result.facets is not None
    regions = {f["region"]: f["count"] for f in result.facets["regions"]}
    assert sum(regions.values()) == result.total
    food = taxonomy.term_by_code("FOOD")
    categories = {f["taxonomy_term_id"]: f for f in result.facets["categories"]}
    assert food is not None and categories[food.id]["count"] == result.total
    assert categories[food.id]["name"] == "Alimentation"


def test_locations_collapse_into_services(engine) -> None:
    by_location = run(engine, entity="service_at_location", search="CAVAC", region="02")
    by_service = run(engine, search="CAVAC", region="02")
    assert keys(by_location).count("cavac02-aide") == 2  # Saguenay and Alma offices
    assert keys(by_service).count("cavac02-aide") == 1


def test_organizations_and_organization_filter(engine) -> None:
    orgs = run(engine, entity="organization", search="CAVAC")
    assert uid("org", "cavac02") in [h.id for h in orgs.hits]
    only = keys(run(engine, search="aide", organization_id=uid("org", "cab-lsje")))
    assert only and all(raw(k)["org"] == "cab-lsje" for k in only)
    assert run(engine, search="aide", modified_after="2030-01-01T00:00:00Z").total == 0


def test_pages_do_not_overlap_and_keep_the_total(engine) -> None:
    first = run(engine, per_page=5, page=1, search="alimentaire")
    second = run(engine, per_page=5, page=2, search="alimentaire")
    assert first.total == second.total > 10
    assert not set(h.id for h in first.hits) & set(h.id for h in second.hits)


def test_a_category_absent_from_an_asked_area_gives_an_empty_page_and_suggestions(engine) -> None:
    result = run(engine, search="garderie", region="09")
    assert result.total == 0
    assert any(s["type"] == "area" for s in result.suggestions)
