"""The search engine: understand the request, ask the right indexes, rank what is right, near and open.

Pipeline of one lookup (`SearchEngine.search`):

1. **Understand the words** (`analyse`): cap the query (MAX_QUERY_CHARS/WORDS, with a notice); fold accents
and
   case; correct words the directory does not know to the nearest domain word within the typo budget (one edit
   up to eight letters, two beyond); find thesaurus phrases ("rien à manger", "food bank", "CAVAC") and place
   names ("Roberval", "plateau", "G8B"). Each phrase or remaining word becomes a *group*: what one need-word
   means, in both languages, as categories and words.
2. **Choose the partitions**: a region filter or a place in the query reads that region's index and the shared
   `QC` partition (listings serving beyond their region); otherwise every region.
3. **Ask Tantivy** for every document that matches enough groups (all of them up to two, all but one up to
   four) and the filters (status, category roll-up, age, language, free, organisation, date, radius box, area
   coverage). Scores are structured rather than raw BM25, so partitions compare: per group, the best of
   name (10), category of the listing named by the words (up to 9, by how specific the phrase is), category
   text
   (7), organisation name (6), place text (3), description (BM25), typo-tolerant and prefix matches (4, 2),
   and the
   same for the thesaurus' words in the other language at 0.6; plus a bonus when the words appear together in
   the
   name.
4. **Rank and filter in Python**: opening hours at the asked instant (America/Montreal), exact distance, a
   proximity factor (full when the listing's service area covers the place, fading with distance otherwise),
   collapse of locations into services, sort by relevance, distance or name; facets on the whole result set.
5. **Say so when nothing fits**: an empty page comes with suggestions (nearest areas that have answers,
related
   categories, the query without an unknown word), never with loosely matching listings.

`search()` is the interface for the HTTP routes; `search_taxonomy_terms()` serves `/taxonomy_terms?search=`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import tantivy

from shared.directory import taxonomy
from shared.search import geo, opening_hours
from shared.search.index import SHARED_PARTITION, LoadedIndex, schema
from shared.search.params import MAX_QUERY_CHARS, MAX_QUERY_WORDS, SearchParams, invalid
from shared.search.store import IndexProvider
from shared.search.text import (
    GLUE,
    STOPWORDS,
    WEAK_WORDS,
    max_edits,
    phrase_tokens,
    stem_en,
    stem_fr,
    tokens,
)
from shared.search.thesaurus import Thesaurus, get_thesaurus

Entity = Literal["service", "service_at_location", "organization"]
Occur = tantivy.Occur
Query = tantivy.Query

W_NAME = 10.0
W_CONCEPT = 9.0
W_CAT = 7.0
W_ORG = 6.0
W_FUZZY = 4.0
W_PLACE = 3.0
W_PREFIX = 2.0
W_DESC = 1.0
W_PHRASE = 4.0
EXPANSION = 0.6
PREFERENCE = 0.4
TIE = 0.05
CANDIDATE_LIMIT = 5000
PROXIMITY_KM = 25.0


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    distance_m: float | None = None
    service_id: str | None = None


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, Any] | None = None
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)


def notice(code: str, fr: str, en: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": fr, "message_en": en, **extra}


# ---- 1. understanding the words
# ---------------------------------------------------------------------------------


# Concepts that say who the help is for rather than what it is. Beside a need ("mon ado consomme", "refuges
# pour
# hommes") they rank listings for that person first without excluding help open to everyone; alone ("aînés")
# they
# are the need.
POPULATION_CONCEPTS = frozenset(
    {"women", "men", "youth", "seniors", "family", "indigenous", "term:YOUTH", "term:SENIORS", "term:FAMILY"}
)


@dataclass
class Group:
    words: list[str]  # folded words as typed
    forms: list[str]  # after spelling correction
    categories: frozenset[str] = frozenset()
    weights: dict[str, float] = field(default_factory=dict)  # category -> how strongly the words name it
    specificity: float = 0.0
    expansions_fr: list[list[str]] = field(default_factory=list)
    expansions_en: list[list[str]] = field(default_factory=list)
    required: bool = True
    population: bool = False
    broadened: bool = False


@dataclass
class QueryPlan:
    groups: list[Group] = field(default_factory=list)
    place: geo.Place | None = None
    place_words: list[str] = field(default_factory=list)
    corrections: list[tuple[str, str]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    no_words: bool = False

    @property
    def has_text(self) -> bool:
        return bool(self.groups)

    @property
    def categories(self) -> frozenset[str]:
        return frozenset().union(*(g.categories for g in self.groups)) if self.groups else frozenset()


@cache
def _correction_vocabulary() -> tuple[list[str], frozenset[str]]:
    """Domain words to correct typos towards: thesaurus and taxonomy words, then place names."""
    thesaurus = get_thesaurus()
    words = sorted(thesaurus.vocabulary, key=lambda w: (-thesaurus.word_weight.get(w, 0), w))
    places = sorted({w for key in geo.place_matcher().names for w in key} - set(words))
    vocabulary = [w for w in words + places if len(w) >= 4 and w not in STOPWORDS]
    return vocabulary, frozenset(vocabulary)


@cache
def _place_vocabulary() -> tuple[frozenset[str], frozenset[str]]:
    """Words of place names, and the one-word thesaurus phrases that a lone place name must not steal."""
    place_words = frozenset(w for key in geo.place_matcher().names for w in key)
    blocked = frozenset(k[0] for k in get_thesaurus().by_raw if len(k) == 1)
    return place_words, blocked


def _correct(word: str) -> str | None:
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    budget = max_edits(word)
    if budget == 0:
        return None
    vocabulary, _ = _correction_vocabulary()
    found = process.extractOne(word, vocabulary, scorer=OSA.distance, score_cutoff=budget)
    return found[0] if found else None


def _never(word: str) -> bool:
    return False


def analyse(
    text: str | None, *, is_known: Callable[[str], bool] = _never, regions: Sequence[str] = ()
) -> QueryPlan:
    """Words -> groups, place, corrections. `is_known` tells whether the searched indexes hold a word."""
    plan = QueryPlan()
    if text is None:
        return plan
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        plan.notices.append(
            notice(
                "query_truncated",
                f"La recherche a été raccourcie à {MAX_QUERY_CHARS} caractères.",
                f"The search was shortened to {MAX_QUERY_CHARS} characters.",
            )
        )
    all_tokens = tokens(text)
    if len(all_tokens) > MAX_QUERY_WORDS:
        all_tokens = all_tokens[:MAX_QUERY_WORDS]
        plan.notices.append(
            notice(
                "query_truncated",
                f"Seuls les {MAX_QUERY_WORDS} premiers mots ont été cherchés.",
                f"Only the first {MAX_QUERY_WORDS} words were searched.",
            )
        )
    words = [t for t in all_tokens if t not in GLUE]
    if not words:
        plan.no_words = True
        plan.notices.append(
            notice(
                "no_words",
                "La recherche ne contient aucun mot (seulement de la ponctuation ou des symboles).",
                "The search has no words (only punctuation or symbols).",
            )
        )
        return plan
    thesaurus = get_thesaurus()
    matcher = geo.place_matcher()
    place_words, blocked = _place_vocabulary()

    # Spelling: only words nobody knows (not the thesaurus, not a place, not the indexes) are corrected.
    corrected: list[str] = []
    for word in words:
        if (
            word in STOPWORDS
            or word in thesaurus.vocabulary
            or word in place_words
            or stem_fr(word) in thesaurus.stem_vocabulary
            or stem_en(word) in thesaurus.stem_vocabulary
            or word.isdigit()
            or is_known(word)
        ):
            corrected.append(word)
            continue
        fixed = _correct(word)
        if fixed and fixed != word:
            plan.corrections.append((word, fixed))
            corrected.append(fixed)
        else:
            corrected.append(word)
    for wrong, right in plan.corrections:
        plan.notices.append(
            notice(
                "spelling",
                f"« {wrong} » compris comme « {right} ».",
                f"'{wrong}' read as '{right}'.",
                typed=wrong,
                read=right,
            )
        )

    matches = thesaurus.match(corrected)
    covered = [False] * len(corrected)
    for m in matches:
        for i in range(m.start, m.end):
            covered[i] = True

    # Places among the words no phrase claimed; a postal code (G8B or G8B 3L2) is a place too.
    free_positions = [i for i, c in enumerate(covered) if not c]
    free_words = [corrected[i] for i in free_positions]
    mentions = matcher.find(free_words, blocked=blocked, regions=frozenset(regions) if regions else None)
    place_positions: set[int] = set()
    for mention in mentions[:1]:
        plan.place = mention.place
        for j in range(mention.start, mention.end):
            place_positions.add(free_positions[j])
            plan.place_words.append(free_words[j])
    if plan.place is None:
        for i in free_positions:
            word = corrected[i]
            if re.fullmatch(r"[ghj]\d[a-z]", word):
                found = geo.resolve_postcode(word)
                if found is not None and (not regions or found.region in regions):
                    plan.place = found
                    place_positions.add(i)
                    nxt = i + 1
                    if nxt < len(corrected) and re.fullmatch(r"\d[a-z]\d", corrected[nxt]):
                        place_positions.add(nxt)
                    break
    if plan.place is not None:
        plan.notices.append(
            notice(
                "place",
                f"Lieu reconnu : {plan.place.label}.",
                f"Place recognised: {plan.place.label}.",
                place=plan.place.label,
                region=plan.place.region,
            )
        )

    for m in matches:
        group_words = [words[i] for i in range(m.start, m.end)]
        forms = corrected[m.start : m.end]
        fr, en = thesaurus.expansions(m.concepts)
        plan.groups.append(
            Group(
                words=group_words,
                forms=forms,
                categories=m.categories,
                weights=dict(m.weights),
                specificity=m.specificity,
                expansions_fr=[e for e in fr if e != forms],
                expansions_en=[e for e in en if e != forms],
                required=not all(f in WEAK_WORDS or f in STOPWORDS for f in forms),
                population=all(c in POPULATION_CONCEPTS or c.startswith("eq:") for c in m.concepts)
                and any(c in POPULATION_CONCEPTS for c in m.concepts),
            )
        )
    for i, word in enumerate(corrected):
        if covered[i] or i in place_positions or word in STOPWORDS:
            continue
        plan.groups.append(Group(words=[words[i]], forms=[word], required=word not in WEAK_WORDS))
    if any(g.required and not g.population for g in plan.groups):
        for g in plan.groups:
            if g.population:
                g.required = False
    if plan.groups and not any(g.required for g in plan.groups):
        for g in plan.groups:
            g.required = True
    return plan


# ---- 3. the Tantivy query
# ---------------------------------------------------------------------------------------


def _term(field_name: str, value: str) -> Query:
    return Query.term_query(schema(), field_name, value)


def _any_of(field_name: str, values: Sequence[str]) -> Query:
    """One of several exact values (Tantivy's TermSetQuery costs ~0.5 ms to set up; SHOULD terms, µs)."""
    if len(values) == 1:
        return _term(field_name, values[0])
    return Query.boolean_query([(Occur.Should, _term(field_name, v)) for v in values])


def _const(query: Query, score: float) -> Query:
    return Query.const_score_query(query, score)


def _words_clause(forms: list[str], weight: float, *, expansion: bool = False) -> list[Query]:
    """Clauses for a word or phrase in the text fields, French and English stems. An expansion (the thesaurus'
    words for the concept) is looked for in names and categories only: descriptions are for the person's
    words."""
    clauses: list[Query] = []
    fr = [stem_fr(w) for w in forms]
    en = [stem_en(w) for w in forms]
    fields = [("name_fr", fr, W_NAME), ("name_en", en, W_NAME), ("cat_fr", fr, W_CAT), ("cat_en", en, W_CAT)]
    if not expansion:
        fields += [("org_fr", fr, W_ORG), ("org_en", en, W_ORG)]
    if len(forms) == 1:
        for field_name, values, w in fields:
            clauses.append(_const(_term(field_name, values[0]), w * weight))
        if not expansion:
            clauses.append(_const(_term("place", forms[0]), W_PLACE * weight))
            for field_name, value in (("desc_fr", fr[0]), ("desc_en", en[0])):
                clauses.append(Query.boost_query(_term(field_name, value), W_DESC * weight))
        return clauses
    for field_name, values, w in fields:
        clauses.append(_const(Query.phrase_query(schema(), field_name, values, slop=2), w * weight))
    if not expansion:
        for field_name, values in (("desc_fr", fr), ("desc_en", en)):
            clauses.append(
                Query.boost_query(Query.phrase_query(schema(), field_name, values, slop=3), W_DESC * weight)
            )
    return clauses


def group_query(group: Group, *, last: bool, is_known: Callable[[str], bool]) -> Query:
    if not group.required:
        return _preference_query(group)
    clauses = _words_clause(group.forms, 1.0)
    by_weight: dict[float, list[str]] = {}
    for category, weight in group.weights.items():
        by_weight.setdefault(round(weight, 3), []).append(category)
    for weight, categories in by_weight.items():
        score = W_CONCEPT * group.specificity * weight * (0.8 if group.broadened else 1.0)
        clauses.append(_const(_any_of("terms", sorted(categories)), score))
    for n, expansion in enumerate(_distinct_expansions(group)):
        clauses.extend(_words_clause(expansion, EXPANSION, expansion=True))
        if n < 2:  # the concept's main words in descriptions too (other language, other wording)
            fr = [stem_fr(w) for w in expansion]
            en = [stem_en(w) for w in expansion]
            for field_name, values in (("desc_fr", fr), ("desc_en", en)):
                inner = (
                    _term(field_name, values[0])
                    if len(values) == 1
                    else Query.phrase_query(schema(), field_name, values, slop=3)
                )
                clauses.append(Query.boost_query(inner, W_DESC * EXPANSION))
    for typed in dict.fromkeys(group.words + group.forms):
        budget = max_edits(typed)
        if budget and not is_known(typed):
            clauses.append(_const(Query.fuzzy_term_query(schema(), "raw", typed, distance=budget), W_FUZZY))
    if last and len(group.words) == 1 and len(group.words[0]) >= 3 and not is_known(group.words[0]):
        # The word being typed: "banq" finds "banque".
        clauses.append(
            _const(Query.fuzzy_term_query(schema(), "raw", group.words[0], distance=0, prefix=True), W_PREFIX)
        )
    return Query.disjunction_max_query(clauses, tie_breaker=TIE)


def _preference_query(group: Group) -> Query:
    """An optional group ("pour jeunes", "ce soir") only reorders what the need found: its category and its
    words in names and categories, nothing costlier, at PREFERENCE of a need's weight (a tie-breaker among
    answers to the need, never stronger than the need itself)."""
    fr = [stem_fr(w) for w in group.forms]
    en = [stem_en(w) for w in group.forms]
    clauses: list[Query] = []
    if group.weights:
        clauses.append(
            _const(
                _any_of("terms", sorted(group.weights)), PREFERENCE * W_CONCEPT * max(group.specificity, 0.5)
            )
        )
    for field_name, values, weight in (
        ("name_fr", fr, W_NAME),
        ("name_en", en, W_NAME),
        ("cat_fr", fr, W_CAT),
        ("cat_en", en, W_CAT),
    ):
        inner = (
            _term(field_name, values[0])
            if len(values) == 1
            else Query.phrase_query(schema(), field_name, values, slop=2)
        )
        clauses.append(_const(inner, PREFERENCE * weight))
    return Query.disjunction_max_query(clauses, tie_breaker=TIE)


def _distinct_expansions(group: Group, limit: int = 2) -> list[list[str]]:
    """Expansions that add something: not the person's own words, not a plural of another expansion."""
    seen = {tuple(stem_fr(w) for w in group.forms), tuple(stem_en(w) for w in group.forms)}
    found: list[list[str]] = []
    for expansion in group.expansions_fr + group.expansions_en:
        keys = {tuple(stem_fr(w) for w in expansion), tuple(stem_en(w) for w in expansion)}
        if keys & seen:
            continue
        seen |= keys
        found.append(expansion)
        if len(found) == limit:
            break
    return found


def text_query(plan: QueryPlan, is_known: Callable[[str], bool]) -> Query | None:
    if not plan.groups:
        return None
    required = [g for g in plan.groups if g.required]
    optional = [g for g in plan.groups if not g.required]
    n = len(required)
    needed = n if n <= 2 else (n - 1 if n <= 4 else math.ceil(0.6 * n))
    last_index = len(plan.groups) - 1
    group_queries = {
        id(g): group_query(g, last=i == last_index, is_known=is_known) for i, g in enumerate(plan.groups)
    }
    core = Query.boolean_query([(Occur.Should, group_queries[id(g)]) for g in required], needed)
    subqueries: list[tuple[Occur, Query]] = [(Occur.Must, core)]
    subqueries += [(Occur.Should, group_queries[id(g)]) for g in optional]
    content = [f for g in plan.groups for f in g.forms if f not in STOPWORDS]
    if len(content) >= 2:
        for field_name, stem in (("name_fr", stem_fr), ("name_en", stem_en)):
            subqueries.append(
                (
                    Occur.Should,
                    _const(
                        Query.phrase_query(schema(), field_name, [stem(w) for w in content], slop=3), W_PHRASE
                    ),
                )
            )
    return Query.boolean_query(subqueries)


@dataclass
class Geography:
    """Where the request is: a reference point, region limits, and coverage or radius constraints."""

    point: geo.Place | None = None
    regions: list[str] | None = None
    coverage: tuple[str, ...] = ()
    radius_m: float | None = None
    from_text: bool = False


def filter_queries(params: SearchParams, entity: Entity, geography: Geography) -> list[Query]:
    filters: list[Query] = []
    kinds = {"service": ["svc"], "service_at_location": ["sal"], "organization": ["org"]}[entity]
    statuses = list(params.statuses) if entity != "organization" else ["active"]
    filters.append(_any_of("shown", [f"{kind}:{status}" for kind in kinds for status in statuses]))
    if params.taxonomy_term_id:
        filters.append(_term("terms", params.taxonomy_term_id))
    if params.organization_id:
        filters.append(_term("org_id", params.organization_id))
    if params.modified_after is not None:
        filters.append(
            Query.range_query(
                schema(),
                "modified",
                tantivy.FieldType.Integer,
                int(params.modified_after.timestamp()),
                None,
                include_lower=False,
            )
        )
    if params.age is not None:
        filters.append(Query.range_query(schema(), "min_age", tantivy.FieldType.Integer, None, params.age))
        filters.append(Query.range_query(schema(), "max_age", tantivy.FieldType.Integer, params.age, None))
    if params.language:
        filters.append(_term("langs", params.language))
    if params.free:
        filters.append(_term("free", "1"))
    if geography.coverage:
        filters.append(_any_of("areas", list(geography.coverage)))
    instant = params.instant()
    if instant is not None:  # listings that may be open in that hour; the exact test runs on the candidates
        filters.append(_term("slots", opening_hours.slot_of(instant)))
    if geography.radius_m is not None and geography.point is not None and geography.point.has_point:
        assert geography.point.latitude is not None and geography.point.longitude is not None
        min_lat, max_lat, min_lng, max_lng = geo.bounding_box(
            geography.point.latitude, geography.point.longitude, geography.radius_m
        )
        filters.append(Query.range_query(schema(), "lat", tantivy.FieldType.Float, min_lat, max_lat))
        filters.append(Query.range_query(schema(), "lng", tantivy.FieldType.Float, min_lng, max_lng))
    return [_const(f, 0.0) for f in filters]


# ---- 2 and 4. partitions, candidates, ranking
# -------------------------------------------------------------------


class Candidate:
    """One matching document of one partition, with its score (text x factors) and distance."""

    __slots__ = ("index", "ord", "score", "distance_m")

    def __init__(self, index: LoadedIndex, ord: int, score: float, distance_m: float | None = None) -> None:
        self.index = index
        self.ord = ord
        self.score = score
        self.distance_m = distance_m

    @property
    def meta_id(self) -> str:
        return self.index.meta.ids[self.ord]


_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="search")
    return _POOL


@dataclass
class Window:
    """The candidates read from the partitions; `bound` is the best text score any unread match could have."""

    candidates: list[Candidate] = field(default_factory=list)
    complete: bool = True
    bound: float = 0.0
    count: int = 0  # every match in the partitions read, collected or not


def _proximity(candidate: Candidate, geography: Geography) -> float:
    place = geography.point
    if place is None:
        return 1.0
    covers = candidate.index.meta.covers[candidate.ord]
    local = {c for c in place.coverage if c[0] in "MF"}
    if local and local.intersection(covers):
        return 1.0
    factor = 0.0
    if candidate.distance_m is not None:
        scale = PROXIMITY_KM * (3 if place.coarse else 1)
        factor = 1.0 / math.sqrt(1.0 + candidate.distance_m / 1000.0 / scale)
    if any(c.startswith("C:") and c in covers for c in place.coverage):
        factor = max(factor, 0.9)
    if place.region and f"R:{place.region}" in covers:
        factor = max(factor, 0.75)
    if "P:QC" in covers:
        factor = max(factor, 0.6)
    if candidate.distance_m is None and factor == 0.0:
        factor = 0.5
    return factor


class SearchEngine:
    def __init__(self, provider: IndexProvider, *, thesaurus: Thesaurus | None = None) -> None:
        self.provider = provider
        self.thesaurus = thesaurus or get_thesaurus()
        self._vocabularies: dict[tuple[tuple[str, str], ...], frozenset[str]] = {}

    # geography
    # -----------------------------------------------------------------------------------------------------

    def _geography(self, params: SearchParams, plan: QueryPlan) -> Geography:
        geography = Geography(regions=list(params.region) if params.region else None)
        if params.lat is not None and params.lng is not None:
            geography.point = geo.resolve_point(params.lat, params.lng)
            if params.radius_km is not None:
                geography.radius_m = params.radius_km * 1000.0
        elif params.postcode:
            found = geo.resolve_postcode(params.postcode)
            if found is None:
                raise LookupError("postcode")
            geography.point = found
            if params.proximity is not None:
                geography.radius_m = params.proximity
            else:
                geography.coverage = found.coverage
        elif params.municipality:
            found = geo.resolve_municipality(params.municipality)
            if found is None:  # validated in params; kept for direct callers
                raise invalid("municipality", "municipalité inconnue", "unknown municipality")
            geography.point = found
            if params.proximity is not None:
                geography.radius_m = params.proximity
            else:
                geography.coverage = found.coverage
        elif plan.place is not None:
            geography.point = plan.place
            geography.from_text = True
            if plan.place.region and not geography.regions:
                geography.regions = [plan.place.region]
        if geography.point is not None and geography.point.region and geography.regions is None:
            if geography.radius_m is not None and geography.radius_m > 150_000:
                pass  # a wide radius may cross regions: read them all
            elif geography.coverage or geography.radius_m is not None:
                geography.regions = [geography.point.region]
        return geography

    def _partitions(self, geography: Geography) -> list[tuple[str, bool]]:
        """(partition, shared?) pairs to read; the shared partition only adds listings owned elsewhere."""
        available = self.provider.partitions()
        if geography.regions:
            chosen = [(r, False) for r in geography.regions if r in available]
            if SHARED_PARTITION in available:
                chosen.append((SHARED_PARTITION, True))
            return chosen
        return [(p, False) for p in available if p != SHARED_PARTITION]

    # the search
    # ----------------------------------------------------------------------------------------------------

    def _vocabulary(self, partitions: Sequence[str]) -> frozenset[str]:
        """Words the given partitions hold (names, categories, places), cached per set of loaded versions."""
        loaded = [(p, self.provider.get(p)) for p in partitions]
        key = tuple((p, i.version) for p, i in loaded if i is not None)
        found = self._vocabularies.get(key)
        if found is None:
            found = frozenset().union(*(i.meta.vocabulary for _, i in loaded if i is not None))
            if len(self._vocabularies) > 8:
                self._vocabularies.clear()
            self._vocabularies[key] = found
        return found

    def _is_known(self, partitions: Sequence[str]) -> Callable[[str], bool]:
        thesaurus = self.thesaurus
        vocabulary: frozenset[str] | None = None

        def is_known(word: str) -> bool:
            nonlocal vocabulary
            if word in thesaurus.vocabulary or stem_fr(word) in thesaurus.stem_vocabulary:
                return True
            if vocabulary is None:
                vocabulary = self._vocabulary(partitions)
            return word in vocabulary

        return is_known

    def search(
        self,
        params: SearchParams,
        entity: Entity = "service_at_location",
        page: int = 1,
        per_page: int = 25,
        lang: str = "fr",
    ) -> SearchResult:
        scope = self._partitions(Geography(regions=list(params.region) if params.region else None))
        is_known = self._is_known([p for p, _ in scope])
        plan = analyse(params.search, is_known=is_known, regions=params.region or ())
        notices = list(plan.notices)
        empty_facets = _empty_facets() if params.facets else None
        if plan.no_words:
            return SearchResult(hits=[], total=0, facets=empty_facets, notices=notices)
        try:
            geography = self._geography(params, plan)
        except LookupError:
            return SearchResult(
                hits=[],
                total=0,
                facets=empty_facets,
                notices=notices
                + [
                    notice(
                        "postcode_unknown",
                        f"Le code postal {params.postcode} n'est pas dans notre répertoire des lieux; "
                        "essayez une "
                        "municipalité.",
                        f"Postal code {params.postcode} is not in our place list; try a municipality.",
                    )
                ],
            )
        if params.sort == "distance" and (geography.point is None or not geography.point.has_point):
            raise invalid(
                "sort",
                "le tri par distance demande un lieu (lat et lng, postcode, municipality ou un lieu dans la "
                "recherche)",
                "sorting by distance needs a place (lat and lng, postcode, municipality, or a place in the "
                "search)",
            )
        partitions = self._partitions(geography)
        is_known = self._is_known([p for p, _ in partitions])
        if not (geography.regions or geography.coverage or geography.radius_m):
            notices += self._broaden(plan, partitions, lang)
        query = self._query(plan, params, entity, geography, is_known)
        instant = params.instant()
        sort = params.sort
        if sort == "relevance" and not plan.has_text:
            sort = "distance" if geography.point is not None and geography.point.has_point else "name"
        wanted = page * per_page
        # Rank a window of the best candidates; widen it until nothing outside could still make the page.
        needs_all = sort == "distance" or geography.radius_m is not None
        limit = CANDIDATE_LIMIT if needs_all else wanted + 10
        while True:
            window = self._collect(query, partitions, geography, limit, by_name=sort == "name")
            candidates = window.candidates
            hours_unknown = 0
            if instant is not None:
                kept = []
                for c in candidates:
                    state = opening_hours.is_open(c.index.meta.schedules[c.ord], instant)
                    if state:
                        kept.append(c)
                    elif state is None:
                        hours_unknown += 1
                candidates = kept
            ranked = self._rank(candidates, sort, plan, geography, entity)
            if window.complete or limit >= CANDIDATE_LIMIT or sort == "name":
                break
            if len(ranked) >= wanted and ranked[wanted - 1].score >= window.bound:
                break
            limit = min(CANDIDATE_LIMIT, limit * 4)
        if window.complete:
            total = len(ranked)
        elif instant is not None:
            share = len(candidates) / max(1, len(window.candidates))
            total = round(window.count * share)
            notices.append(
                notice(
                    "total_estimated",
                    "Le nombre total de résultats ouverts est estimé.",
                    "The total number of open results is an estimate.",
                )
            )
        else:
            total = window.count
        if instant is not None and total == 0:
            unknown_query = self._query(
                plan,
                params.model_copy(update={"open_now": False, "open_at": None}),
                entity,
                geography,
                is_known,
            )
            hours_unknown = self._count(
                Query.boolean_query(
                    [(Occur.Must, unknown_query), (Occur.Must, _const(_term("slots", "none"), 0.0))]
                ),
                partitions,
                geography,
                entity,
            )
        if hours_unknown:
            notices.append(
                notice(
                    "hours_unknown",
                    f"{hours_unknown} résultat(s) sans horaire connu ont été écartés.",
                    f"{hours_unknown} result(s) without known hours were left out.",
                    count=hours_unknown,
                )
            )
        if not window.complete and limit >= CANDIDATE_LIMIT and len(ranked) < min(total, wanted):
            notices.append(
                notice(
                    "results_capped",
                    f"Seuls les {CANDIDATE_LIMIT} meilleurs résultats par région ont été classés; "
                    "précisez la recherche.",
                    f"Only the best {CANDIDATE_LIMIT} results per region were ranked; narrow the search.",
                )
            )
        facets = None
        if params.facets:
            facets = (
                self._facets(ranked, lang)
                if window.complete or instant is not None
                else self._facets_of_index(query, partitions, geography, entity, lang)
            )
        start = (page - 1) * per_page
        hits = [
            Hit(
                id=c.meta_id if entity != "service" else (c.index.meta.service_ids[c.ord] or c.meta_id),
                score=round(c.score, 4),
                distance_m=round(c.distance_m, 1) if c.distance_m is not None else None,
                service_id=c.index.meta.service_ids[c.ord] if entity == "service_at_location" else None,
            )
            for c in ranked[start : start + per_page]
        ]
        suggestions: list[dict[str, Any]] = []
        if total == 0 and (plan.has_text or geography.point is not None):
            suggestions = self._suggestions(plan, params, entity, geography, is_known, lang)
        return SearchResult(hits=hits, total=total, facets=facets, suggestions=suggestions, notices=notices)

    def _broaden(
        self, plan: QueryPlan, partitions: list[tuple[str, bool]], lang: str
    ) -> list[dict[str, Any]]:
        """A category the directory has no listing for widens to its parent ("jeunes mères" -> Famille), with
        a
        notice. Only for searches of the whole province: in an asked area, an absent category is an honest
        empty
        page with suggestions (nearest areas, related categories) instead."""
        notices = []
        searchers = [loaded.searcher for p, _ in partitions if (loaded := self.provider.get(p)) is not None]
        for group in plan.groups:
            if not group.categories:
                continue
            if any(s.doc_freq("terms", c) for s in searchers for c in group.categories):
                continue
            parents = {}
            for category in group.categories:
                found = taxonomy.term(category)
                if found is not None and found.parent_id:
                    parents[found.parent_id] = 1.0  # which parent fits best is unknown: let the words decide
            if not parents:
                continue
            group.weights = parents
            group.categories = frozenset(parents)
            group.broadened = True
            names = ", ".join(_term_name(c, lang) for c in sorted(parents))
            notices.append(
                notice(
                    "broadened",
                    f"Recherche élargie à : {names}.",
                    f"Search widened to: {names}.",
                    taxonomy_term_ids=sorted(parents),
                )
            )
        return notices

    def _query(
        self,
        plan: QueryPlan,
        params: SearchParams,
        entity: Entity,
        geography: Geography,
        is_known: Callable[[str], bool],
    ) -> Query:
        text = text_query(plan, is_known)
        base: list[tuple[Occur, Query]] = [(Occur.Must, f) for f in filter_queries(params, entity, geography)]
        base.append((Occur.Must, text if text is not None else _const(Query.all_query(), 0.0)))
        return Query.boolean_query(base)

    def _partition_query(self, query: Query, shared: bool, geography: Geography) -> Query:
        """In the shared partition, only listings serving the asked regions and owned by another region."""
        if not shared or not geography.regions:
            return query
        served = _any_of("areas", [f"R:{r}" for r in geography.regions] + ["P:QC"])
        clauses = [(Occur.Must, query), (Occur.Must, _const(served, 0.0))]
        clauses += [(Occur.MustNot, _term("region", r)) for r in geography.regions]
        return Query.boolean_query(clauses)

    def _collect(
        self,
        query: Query,
        partitions: list[tuple[str, bool]],
        geography: Geography,
        limit: int,
        *,
        by_name: bool = False,
    ) -> Window:
        window = Window()
        point = geography.point if geography.point is not None and geography.point.has_point else None
        plat = point.latitude if point is not None else None
        plng = point.longitude if point is not None else None
        radius = geography.radius_m
        # Indexes are resolved here (loading is not thread-safe work); only the searches run in parallel.
        targets = [
            (loaded, shared) for p, shared in partitions if (loaded := self.provider.get(p)) is not None
        ]

        def read(loaded: LoadedIndex, shared: bool) -> tuple[LoadedIndex, Any]:
            partition_query = self._partition_query(query, shared, geography)
            if by_name:
                result = loaded.searcher.search(
                    partition_query, limit=limit, order_by_field="sortkey", order=tantivy.Order.Asc
                )
            else:
                result = loaded.searcher.search(partition_query, limit=limit)
            return loaded, result

        # Tantivy releases the GIL while it searches: several partitions are read at once.
        if len(targets) > 2:
            answers = list(_pool().map(lambda item: read(*item), targets))
        else:
            answers = [read(loaded, shared) for loaded, shared in targets]
        for loaded, result in answers:
            searcher = loaded.searcher
            hits = result.hits
            window.count += result.count
            if result.count > len(hits):
                window.complete = False
                if hits and not by_name:
                    window.bound = max(window.bound, float(hits[-1][0]))
            if not hits:
                continue
            ords = searcher.fast_field_values("ord", [address for _, address in hits])
            meta = loaded.meta
            lats = meta.lat
            lngs = meta.lng
            points = meta.points
            for (score, _), ord_value in zip(hits, ords, strict=True):
                doc = int(ord_value)  # type: ignore[arg-type]
                distance = None
                if plat is not None:
                    if points[doc]:  # a service: its nearest location
                        distance = min(geo.haversine_m(plat, plng, a, b) for a, b in points[doc])  # type: ignore[arg-type]
                    else:
                        lat = lats[doc]
                        if lat == lat:  # not NaN
                            distance = geo.haversine_m(plat, plng, lat, lngs[doc])  # type: ignore[arg-type]
                if radius is not None and (distance is None or distance > radius):
                    continue
                window.candidates.append(Candidate(loaded, doc, 0.0 if by_name else float(score), distance))
        return window

    def _count(
        self, query: Query, partitions: list[tuple[str, bool]], geography: Geography, entity: Entity
    ) -> int:
        """Matches without collecting them (one document per answer of the entity)."""
        total = 0
        for partition, shared in partitions:
            loaded = self.provider.get(partition)
            if loaded is not None:
                total += loaded.searcher.search(
                    self._partition_query(query, shared, geography), limit=1
                ).count
        return total

    def _rank(
        self,
        candidates: list[Candidate],
        sort: str,
        plan: QueryPlan,
        geography: Geography,
        entity: Entity,
    ) -> list[Candidate]:
        ranked = candidates  # each window is fresh: factors apply in place
        if plan.has_text:
            for c in ranked:
                c.score *= _proximity(c, geography)
        for c in ranked:
            if c.index.meta.statuses[c.ord] == "temporarily closed":
                c.score *= 0.7
        if sort == "distance":
            ranked.sort(
                key=lambda c: (
                    c.distance_m if c.distance_m is not None else math.inf,
                    -c.score,
                    c.index.meta.sort[c.ord],
                    c.meta_id,
                )
            )
        elif sort == "name":
            ranked.sort(key=lambda c: (c.index.meta.sort[c.ord], c.meta_id))
        else:
            ranked.sort(
                key=lambda c: (
                    -c.score,
                    c.distance_m if c.distance_m is not None else math.inf,
                    c.index.meta.sort[c.ord],
                    c.meta_id,
                )
            )
        return ranked

    # facets and suggestions
    # ----------------------------------------------------------------------------------------

    def _facets(self, ranked: list[Candidate], lang: str) -> dict[str, Any]:
        categories: Counter[str] = Counter()
        regions: Counter[str] = Counter()
        for c in ranked:
            for top in c.index.meta.tops[c.ord]:
                categories[top] += 1
            regions[c.index.meta.owners[c.ord]] += 1
        return _facet_lists(categories, regions, lang)

    def _facets_of_index(
        self,
        query: Query,
        partitions: list[tuple[str, bool]],
        geography: Geography,
        entity: Entity,
        lang: str,
    ) -> dict[str, Any]:
        """Facet counts computed by Tantivy over every match (no candidate window)."""
        categories: Counter[str] = Counter()
        regions: Counter[str] = Counter()
        for partition, shared in partitions:
            loaded = self.provider.get(partition)
            if loaded is None:
                continue
            spec: dict[str, Any] = {
                "tops": {"terms": {"field": "tops", "size": 100}},
                "regions": {"terms": {"field": "region", "size": 20}},
            }
            answer = loaded.searcher.aggregate(self._partition_query(query, shared, geography), spec)
            for name, counter in (("tops", categories), ("regions", regions)):
                for bucket in answer.get(name, {}).get("buckets", []):
                    counter[bucket["key"]] += int(bucket["doc_count"])
        return _facet_lists(categories, regions, lang)

    def _suggestions(
        self,
        plan: QueryPlan,
        params: SearchParams,
        entity: Entity,
        geography: Geography,
        is_known: Callable[[str], bool],
        lang: str,
    ) -> list[dict[str, Any]]:
        suggestions: list[dict[str, Any]] = []
        limited = bool(geography.regions or geography.coverage or geography.radius_m)
        if limited and plan.has_text:
            wide = Geography(point=geography.point)
            everywhere = [(p, False) for p in self.provider.partitions() if p != SHARED_PARTITION]
            query = self._query(plan, params, entity, wide, self._is_known([p for p, _ in everywhere]))
            nearest = []
            for partition, _ in everywhere:
                window = self._collect(query, [(partition, False)], wide, 30)
                if not window.candidates:
                    continue
                count = (
                    len(window.candidates)
                    if window.complete
                    else self._count(query, [(partition, False)], wide, entity)
                )
                distances = [c.distance_m for c in window.candidates if c.distance_m is not None]
                nearest.append((min(distances) if distances else math.inf, partition, count))
            for distance, code, count in sorted(nearest)[:3]:
                item: dict[str, Any] = {
                    "type": "area",
                    "region": code,
                    "name": geo.region_name(code, lang),
                    "count": count,
                }
                if distance != math.inf:
                    item["distance_m"] = round(distance, 0)
                suggestions.append(item)
        if plan.categories:
            area = Geography(
                point=geography.point,
                regions=geography.regions,
                coverage=geography.coverage,
                radius_m=geography.radius_m,
            )
            related = _related_categories(plan.categories)
            if related:
                counts = self._category_counts(related, params, entity, area)
                for term_id, count in counts[:3]:
                    suggestions.append(
                        {
                            "type": "category",
                            "taxonomy_term_id": term_id,
                            "name": _term_name(term_id, lang),
                            "count": count,
                        }
                    )
        unknown = [g for g in plan.groups if not g.categories and not any(is_known(f) for f in g.forms)]
        if unknown and len(unknown) < len(plan.groups):
            kept = [f for g in plan.groups if g not in unknown for f in g.words]
            reduced = analyse(
                " ".join(kept + plan.place_words), is_known=is_known, regions=params.region or ()
            )
            query = self._query(reduced, params, entity, geography, is_known)
            count = self._count(query, self._partitions(geography), geography, entity)
            if count:
                suggestions.append(
                    {
                        "type": "query",
                        "search": " ".join(kept + plan.place_words),
                        "count": count,
                        "dropped": [w for g in unknown for w in g.words],
                    }
                )
        return suggestions

    def _category_counts(
        self, term_ids: list[str], params: SearchParams, entity: Entity, geography: Geography
    ) -> list[tuple[str, int]]:
        """Listings per category in the asked area: one aggregation per partition, whatever the categories."""
        wanted = set(term_ids)
        counts: Counter[str] = Counter()
        query = Query.boolean_query([(Occur.Must, f) for f in filter_queries(params, entity, geography)])
        for partition, shared in self._partitions(geography):
            loaded = self.provider.get(partition)
            if loaded is None:
                continue
            spec = {"terms": {"terms": {"field": "terms", "size": 500}}}
            answer = loaded.searcher.aggregate(self._partition_query(query, shared, geography), spec)
            for bucket in answer.get("terms", {}).get("buckets", []):
                if bucket["key"] in wanted:
                    counts[bucket["key"]] += int(bucket["doc_count"])
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _empty_facets() -> dict[str, Any]:
    return {"categories": [], "regions": []}


def _facet_lists(categories: Counter[str], regions: Counter[str], lang: str) -> dict[str, Any]:
    return {
        "categories": [
            {"taxonomy_term_id": term_id, "name": _term_name(term_id, lang), "count": n}
            for term_id, n in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))
            if n
        ],
        "regions": [
            {"region": code, "name": geo.region_name(code, lang), "count": n}
            for code, n in sorted(regions.items(), key=lambda kv: (-kv[1], kv[0]))
            if n
        ],
    }


def _term_name(term_id: str, lang: str) -> str:
    found = taxonomy.term(term_id)
    return found.name.pick("en" if lang == "en" else "fr") if found else term_id


def _related_categories(categories: frozenset[str]) -> list[str]:
    """Parents and siblings of the categories a query named: where a person may find help instead."""
    related: list[str] = []
    for term_id in sorted(categories):
        found = taxonomy.term(term_id)
        if found is None:
            continue
        parent = found.parent_id or found.id
        for candidate in [parent, *(t.id for t in taxonomy.children(parent))]:
            if candidate not in categories and candidate not in related:
                related.append(candidate)
    return related


# ---- the module interface
# ---------------------------------------------------------------------------------------

_DEFAULT_ENGINE: SearchEngine | None = None


def default_engine() -> SearchEngine:
    """The process-wide engine reading the configured bucket (lazy: created on first search)."""
    global _DEFAULT_ENGINE
    if _DEFAULT_ENGINE is None:
        from shared.aws.s3 import Bucket
        from shared.config import get_settings
        from shared.search.store import IndexStore, StoreIndexProvider

        settings = get_settings()
        _DEFAULT_ENGINE = SearchEngine(StoreIndexProvider(IndexStore(Bucket(settings.search_bucket))))
    return _DEFAULT_ENGINE


def set_default_engine(engine: SearchEngine | None) -> None:
    """Replace the process-wide engine (tests, the local stack)."""
    global _DEFAULT_ENGINE
    _DEFAULT_ENGINE = engine


def search(
    params: SearchParams,
    entity: Entity,
    page: int = 1,
    per_page: int = 25,
    lang: str = "fr",
) -> SearchResult:
    """Search the directory. Hits carry ids only: the caller renders them from DynamoDB (BatchGetItem)."""
    return default_engine().search(params, entity, page, per_page, lang)


def search_taxonomy_terms(q: str, lang: str = "fr") -> list[str]:
    """Ids of the categories a few words point to (names, keywords, thesaurus), best first; in memory."""
    plan = analyse(q)
    scores: Counter[str] = Counter()
    words = {stem_fr(w) for w in phrase_tokens(q)}
    for group in plan.groups:
        for term_id, weight in group.weights.items():
            scores[term_id] += weight * (1 + group.specificity)
    for item in taxonomy.all_terms():
        for name in (item.name.fr or "", item.name.en or ""):
            name_words = {stem_fr(w) for w in phrase_tokens(name)}
            if words and words <= name_words:
                scores[item.id] += 3
                break
    return [term_id for term_id, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]
