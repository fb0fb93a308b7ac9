"""Ranking shortcuts must not change answers: the engine reads a few best candidates per partition and stops
as soon as the page is decided (text score bounds the final score; reads near the place; rings for nearest
first). Here its pages are compared with a reference that ranks every match, on a generated directory large
enough for windows to be cut; and the related family that follows few exact answers."""

from __future__ import annotations

from typing import Any

import pytest

from shared.bench.search import query_mix
from shared.search import engine as search_engine
from shared.search.params import SearchParams
from shared.search.relevance import LabelledQuery, dataset_engine, load_dataset, ranked_keys


@pytest.fixture(scope="module")
def engines() -> tuple[Any, Any]:
    from shared.sample_data.generator import generate_directory
    from shared.search.indexer import build_partitions

    directory = generate_directory(3000, seed=5)
    provider = build_partitions(directory.services, directory.organizations).provider()
    engine = search_engine.SearchEngine(provider)
    reference = search_engine.SearchEngine(provider)
    collect, select = reference._collect, reference._select

    # The reference reads every match of every partition and ranks them all.
    def collect_all(query: Any, partitions: Any, geography: Any, limit: int, *, by_name: bool = False) -> Any:
        return collect(query, partitions, geography, search_engine.CANDIDATE_LIMIT, by_name=by_name)

    def select_all(
        window: Any, plan: Any, geography: Any, instant: Any, sort: str, wanted: int, **_: Any
    ) -> Any:
        return select(window, plan, geography, instant, sort, wanted, everything=True)

    reference._collect = collect_all  # type: ignore[method-assign]
    reference._select = select_all  # type: ignore[method-assign]
    return engine, reference


def test_pages_are_those_of_ranking_every_match(engines: tuple[Any, Any]) -> None:
    engine, reference = engines
    for entity, query in query_mix(80, seed=17):
        if query.get("sort") == "distance" or "facets" in query:
            continue  # nearest-first rings are checked below; facets take the reference's own path
        params = SearchParams.from_query(query)
        got = engine.search(params, entity, 1, 10, "fr")
        want = reference.search(params, entity, 1, 10, "fr")
        assert [h.score for h in got.hits] == [h.score for h in want.hits], query
        place = (
            any(k in query for k in ("lat", "municipality", "postcode"))
            or got.notices
            and any(n["code"] == "place" for n in got.notices)
        )
        if place:  # equal scores are ordered by distance: the very same listings
            tied_last = want.hits[-1].score if want.hits else None
            assert [h.id for h in got.hits if h.score != tied_last] == [
                h.id for h in want.hits if h.score != tied_last
            ], query
        if not any(n["code"] == "total_estimated" for n in got.notices):
            assert got.total == want.total, query


def test_nearest_first_within_a_radius_reads_rings(engines: tuple[Any, Any]) -> None:
    engine, reference = engines
    for text in ("banque alimentaire", "aînés", "logement"):
        query = {"search": text, "lat": "45.50", "lng": "-73.57", "radius_km": "25", "sort": "distance"}
        got = engine.search(SearchParams.from_query(query), "service_at_location", 1, 10, "fr")
        # the reference takes the exhaustive path (facets) and ranks every match in the radius
        want = reference.search(
            SearchParams.from_query({**query, "facets": "true"}), "service_at_location", 1, 10, "fr"
        )
        assert [(h.id, h.distance_m) for h in got.hits] == [(h.id, h.distance_m) for h in want.hits]
        distances = [h.distance_m for h in got.hits]
        assert distances == sorted(distances)


def test_few_exact_answers_are_followed_by_their_family() -> None:
    engine = dataset_engine()
    result = engine.search(SearchParams.from_query({"search": "transport adapté"}), "service", 1, 10, "fr")
    related = next(n for n in result.notices if n["code"] == "related")
    assert related["exact"] == 3 and result.total == related["exact"] + related["related"]
    keys = [load_dataset().key_of_service[h.id] for h in result.hits]
    assert set(keys[:3]) == {"mtl-ta", "sag-ta", "alma-ta"}  # the exact answers first
    assert "alma-accomp" in keys[3:]  # then the same family (volunteer medical transport)
    # nothing relevant stays an honest empty page, never a page of related listings
    empty = engine.search(SearchParams.from_query({"search": "banque alimentaire Chibougamau"}), "service")
    assert empty.total == 0 and not any(n["code"] == "related" for n in empty.notices)
    # sorted by distance, only the exact answers, in that order
    near = ranked_keys(
        engine,
        LabelledQuery(
            "t", "t", "transport adapté", {"lat": "48.55", "lng": "-71.65", "sort": "distance"}, {}
        ),
    )
    assert set(near) == {"mtl-ta", "sag-ta", "alma-ta"}
