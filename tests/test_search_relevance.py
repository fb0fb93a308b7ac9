"""Relevance on the labelled set (shared/search/relevance): the engine must find the right help.

These tests can fail: they run the real engine over the fixed, hand-written directory. The overall floor is
the
issue's target (nDCG@10 >= 0.85); the smoke cases name one right answer each, one per ability."""

from __future__ import annotations

import statistics

import pytest

from shared.search.params import SearchParams
from shared.search.relevance import (
    LabelledQuery,
    dataset_engine,
    load_dataset,
    load_queries,
    mrr_at_k,
    ndcg_at_k,
    ranked_keys,
    recall_at_k,
)


@pytest.fixture(scope="module")
def engine():
    return dataset_engine()


def top(engine, text: str, n: int = 3, **params: str) -> list[str]:
    return ranked_keys(engine, LabelledQuery("t", "t", text, params, {}))[:n]


def test_the_labelled_set_is_large_and_varied() -> None:
    queries = load_queries()
    assert len(queries) >= 80
    kinds = {q.kind for q in queries}
    assert {
        "plain_fr",
        "no_accents",
        "typo",
        "inflection",
        "colloquial",
        "english",
        "place",
        "acronym",
        "region_filter",
        "no_answer",
    } <= kinds
    keys = {s["key"] for s in load_dataset().raw["services"]}
    assert all(k in keys for q in queries for k in q.relevant)


def test_overall_relevance_meets_the_target(engine) -> None:
    # GIVEN every labelled query, WHEN the engine answers, THEN nDCG@10 >= 0.85 overall and no kind collapses
    scores = {q.id: (q.kind, ranked_keys(engine, q), q.relevant) for q in load_queries()}
    ndcg = statistics.mean(ndcg_at_k(r, rel) for _, r, rel in scores.values())
    mrr = statistics.mean(mrr_at_k(r, rel) for _, r, rel in scores.values())
    recall = statistics.mean(recall_at_k(r, rel) for _, r, rel in scores.values())
    assert ndcg >= 0.85, (ndcg, mrr, recall)
    for kind in {k for k, _, _ in scores.values()}:
        per_kind = [ndcg_at_k(r, rel) for k, r, rel in scores.values() if k == kind]
        assert statistics.mean(per_kind) >= 0.7, kind


WOMEN_SHELTERS = {
    "alma-passerelle",
    "roberval-mh",
    "chic-havre",
    "qcc-marierollet",
    "gat-mh",
    "gaspe-aidelle",
    "agathe-ombreelle",
    "chambly-simonne",
    "mtl-athena",
    "qcc-ywca",
    "mtl-chainon",
}
FOOD_BANKS = {
    "roberval-comptoir",
    "labaie-ba",
    "rim-moisson",
    "laval-moisson",
    "beauce-moisson",
    "sher-moisson",
    "drum-comptoir",
    "pontiac-fb",
    "mtl-wiaf",
}
TENANTS = {
    "alma-locataires",
    "sag-locataires",
    "mtl-cl-plateau",
    "mtl-popir",
    "mtl-entraide-logement",
    "qcc-bail",
    "rim-logement",
    "sher-locataires",
    "gat-logement",
    "laval-logement",
    "stj-logement",
}
SUICIDE = {"alma-cps", "chic-cps", "mtl-sam", "qcc-cps", "rim-cps"}
SHELTERS = {
    "chic-refuge",
    "mtl-obm-hommes",
    "mtl-obm-femmes",
    "mtl-maisonpere",
    "qcc-lauberiviere",
    "tr-havre",
    "sher-partage",
    "gat-giteami",
    "rn-bernardhamel",
    "si-transit",
    "terrebonne-hu",
    "mtl-doris",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hébergement d'urgence", SHELTERS),  # plain French
        ("depannage alimentaire alma", {"alma-depannage"}),  # no accents, place
        ("hebergment femmes", WOMEN_SHELTERS),  # typo
        ("banqe alimentair", FOOD_BANKS),  # two typos
        ("cuisines collectives", {"alma-cuisines", "jonq-cuisines", "rdl-cuisines", "mtl-ndg"}),  # plural
        ("food bank Roberval", {"roberval-comptoir"}),  # English on a French record, place
        ("suicide prevention", SUICIDE),  # English -> French category
        ("CALACS", {"chic-calacs", "mtl-calacs", "qcc-violsecours", "tr-calacs", "mont-calacs"}),  # acronym
        ("mon proprio veut me mettre dehors", TENANTS),  # colloquial Québec French
        ("j'ai des idées noires", SUICIDE),  # colloquial
        ("CLSC Dolbeau", {"dolbeau-clsc"}),  # acronym + short place name
    ],
)
def test_one_right_answer_per_ability(engine, text: str, expected: set[str]) -> None:
    got = top(engine, text, n=3)
    assert got and got[0] in expected, got


def test_english_finds_french_only_records_and_french_finds_english_only(engine) -> None:
    assert "roberval-comptoir" in top(engine, "food bank", n=10)
    assert "pontiac-fb" in top(engine, "banque alimentaire", n=3, region="07")


def test_inactive_and_defunct_listings_are_left_out_unless_asked(engine) -> None:
    assert "mtl-soupe-fermee" not in top(engine, "soupe populaire", n=50)
    asked = top(engine, "soupe populaire", n=50, status="active,defunct")
    assert "mtl-soupe-fermee" in asked


def test_a_query_with_no_good_answer_says_so(engine) -> None:
    # GIVEN a need nobody offers, or a place where nothing fits, THEN an empty page with the reason
    result = engine.search(SearchParams.from_query({"search": "réparation de motoneige"}), "service", 1, 10)
    assert result.total == 0 and result.hits == []
    nearby = engine.search(
        SearchParams.from_query({"search": "banque alimentaire Chibougamau"}), "service", 1, 10
    )
    assert nearby.total == 0
    kinds = [s["type"] for s in nearby.suggestions]
    assert "area" in kinds  # the nearest regions that have food banks
    assert any(n["code"] == "place" for n in nearby.notices)


def test_an_unknown_word_is_never_silently_dropped(engine) -> None:
    result = engine.search(SearchParams.from_query({"search": "banque alimentaire xqzwv"}), "service", 1, 10)
    assert result.total == 0
    assert any(s["type"] == "query" and s["dropped"] == ["xqzwv"] for s in result.suggestions)


def test_taxonomy_terms_are_found_by_everyday_words() -> None:
    from shared.directory import taxonomy
    from shared.search.engine import search_taxonomy_terms

    def codes(q: str) -> list[str]:
        return [taxonomy.term(t).code for t in search_taxonomy_terms(q)]  # type: ignore[union-attr]

    assert codes("banque alimentaire")[0] == "FOOD-BANK"
    assert codes("mon chum")[0] == "VIOLENCE-DOMESTIC"
    assert codes("HLM")[0] == "HOUSING-SOCIAL"
    assert codes("cours de francais")[0] == "IMMIGRATION-FRENCH"
