"""Bad input never becomes a 500: malformed values are 400, unknown or meaningless ones 422, odd but harmless
queries (very long, punctuation only, unknown postal code area) an honest empty answer with the reason."""

from __future__ import annotations

import pytest

from shared.errors import BadRequest, ValidationFailed
from shared.search.params import MAX_QUERY_CHARS, SearchParams
from shared.search.relevance import dataset_engine


@pytest.fixture(scope="module")
def engine():
    return dataset_engine()


def parameters_of(error: BadRequest | ValidationFailed) -> list[str]:
    return [d["parameter"] for d in error.details]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"lat": "abc", "lng": "-71"}, "lat"),
        ({"radius_km": "-3", "lat": "48", "lng": "-71"}, "radius_km"),
        ({"age": "2000"}, "age"),
        ({"open_at": "tomorrow"}, "open_at"),
        ({"free": "maybe"}, "free"),
        ({"sort": "price"}, "sort"),
        ({"taxonomy_term_id": "not-a-uuid"}, "taxonomy_term_id"),
        ({"lat": "nan", "lng": "-71"}, "lat"),
    ],
)
def test_malformed_values_are_400_naming_the_parameter(query: dict, parameter: str) -> None:
    with pytest.raises(BadRequest) as caught:
        SearchParams.from_query(query)
    assert parameter in parameters_of(caught.value)
    assert caught.value.message and caught.value.message_en


def test_control_characters_are_refused() -> None:
    with pytest.raises(BadRequest) as caught:
        SearchParams.from_query({"search": "banque\x00alimentaire"})
    assert parameters_of(caught.value) == ["search"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"region": "42"}, "region"),
        ({"status": "closed-forever"}, "status"),
        ({"language": "klingon"}, "language"),
        ({"municipality": "Gotham"}, "municipality"),
        ({"radius_km": "5"}, "radius_km"),
        ({"lat": "48.5"}, "lng"),
        ({"proximity": "1000"}, "proximity"),
        ({"postcode": "M5V 2T6"}, "postcode"),  # Toronto
        ({"postcode": "12345"}, "postcode"),
        ({"open_now": "true", "open_at": "2026-11-04T10:00:00"}, "open_at"),
        ({"taxonomy_term_id": "00000000-0000-4000-8000-000000000000"}, "taxonomy_term_id"),
    ],
)
def test_unknown_or_meaningless_values_are_422_with_bilingual_reasons(query: dict, parameter: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        SearchParams.from_query(query)
    assert parameters_of(caught.value) == [parameter]
    detail = caught.value.details[0]  # type: ignore[index]
    assert detail["reason"] and detail["reason_en"]


def test_an_unknown_municipality_comes_with_close_names() -> None:
    with pytest.raises(ValidationFailed) as caught:
        SearchParams.from_query({"municipality": "Robervale"})
    assert "Roberval" in caught.value.details[0]["suggestions"]  # type: ignore[index]


def test_values_are_normalised() -> None:
    params = SearchParams.from_query(
        {"region": "2,Montréal", "language": "Espagnol", "postcode": "g8b3l2", "status": "all", "sort": ""}
    )
    assert params.region == ["02", "06"]
    assert params.language == "es"
    assert params.postcode == "G8B 3L2"
    assert set(params.statuses) == {"active", "inactive", "defunct", "temporarily closed"}
    assert params.sort == "relevance"


def test_what_goes_through_search_and_what_is_a_plain_listing() -> None:
    assert not SearchParams.from_query({"region": "02"}).is_search_request()
    assert not SearchParams.from_query({"taxonomy_term_id": None, "status": "active"}).is_search_request()
    for query in (
        {"search": "food"},
        {"open_now": "true"},
        {"postcode": "G8B"},
        {"facets": "true"},
        {"lat": "48", "lng": "-71", "radius_km": "5"},
        {"age": "15"},
        {"free": "true"},
    ):
        assert SearchParams.from_query(query).is_search_request(), query


def test_a_very_long_query_is_cut_and_says_so(engine) -> None:
    result = engine.search(SearchParams.from_query({"search": "banque alimentaire " * 500}), "service", 1, 10)
    assert any(n["code"] == "query_truncated" for n in result.notices)
    assert result.total > 0
    assert MAX_QUERY_CHARS <= 200


@pytest.mark.parametrize("text", ["???", "!!! ... ---", "😀😀🙏", "«»"])
def test_punctuation_or_emoji_only_is_an_empty_answer_with_the_reason(engine, text: str) -> None:
    result = engine.search(SearchParams.from_query({"search": text}), "service_at_location", 1, 10)
    assert (result.total, result.hits) == (0, [])
    assert [n["code"] for n in result.notices] == ["no_words"]


def test_a_quebec_postal_code_outside_the_place_list_is_an_empty_answer_with_the_reason(engine) -> None:
    from shared.search.geo import resolve_postcode

    assert resolve_postcode("J0E") is None  # a real rural FSA our place list does not hold
    result = engine.search(
        SearchParams.from_query({"search": "banque", "postcode": "J0E 1A0"}), "service", 1, 10
    )
    assert (result.total, result.hits) == (0, [])
    assert any(n["code"] == "postcode_unknown" for n in result.notices)


def test_sorting_by_distance_needs_a_place(engine) -> None:
    with pytest.raises(ValidationFailed) as caught:
        engine.search(
            SearchParams.from_query({"search": "banque alimentaire", "sort": "distance"}), "service", 1, 10
        )
    assert parameters_of(caught.value) == ["sort"]
    # a place named in the words is enough
    found = engine.search(
        SearchParams.from_query({"search": "banque alimentaire alma", "sort": "distance"}), "service", 1, 10
    )
    distances = [h.distance_m for h in found.hits if h.distance_m is not None]
    assert distances == sorted(distances) and distances
