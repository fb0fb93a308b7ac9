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
3. **Ask Tantivy** for the best documents by text that match enough groups (all of them up to two, all but
   one up to four) and the filters (kind and status, category roll-up, age, language, free, organisation,
   date, radius box, area coverage). Scores are structured rather than raw BM25, so partitions compare: per
   group, the best of name (10), category of the listing named by the words (up to 9, by how specific the
   phrase is), category text (7), organisation name (6), place text (3), description (BM25), typo-tolerant and
   prefix matches (4, 2; similar words looked up once in the partitions' vocabulary), and the thesaurus' words
   for the concept at 0.6; plus a bonus when all the words are in one name.
4. **Rank and filter in Python, reading no more than the page needs**: opening hours at the asked instant
   (America/Montreal), exact distance, a proximity factor (full when the listing's service area covers the
   place, fading with distance otherwise), temporarily closed. Every factor is at most 1, so a text score
   bounds the final one: candidates are looked at best first and reading stops once the page is decided
   (`_select`); near a place, the place's own listings and a ring around it are read too (`_near`), equal
   scores are ordered by distance (`_nearest_ties`), nearest first reads growing rings (`_nearest`). The page
   is the one a full ranking of every match gives. Sort by relevance, distance or name; facets on the whole
   result set. Few exact answers (1 to 9) are followed by their family of categories (`_related`).
5. **Say so when nothing fits**: an empty page comes with suggestions (nearest areas that have answers,
   related categories, the query without an unknown word), never with loosely matching listings.

`search()` is the interface for the HTTP routes; `search_taxonomy_terms()` serves `/taxonomy_terms?search=`.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
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
SAMPLE = 150  # entries of a window tested to estimate a total (open now, inside a radius)
RELATED_BELOW = 10  # fewer exact answers than this: the same family of services follows them
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
# pour hommes") they rank listings for that person first without excluding help open to everyone; alone
# ("aînés") they are the need.
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
    expansions_any: list[list[str]] = field(default_factory=list)  # either language (equivalence groups)
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
        fr, en, either = thesaurus.expansions(m.concepts)
        plan.groups.append(
            Group(
                words=group_words,
                forms=forms,
                categories=m.categories,
                weights=dict(m.weights),
                specificity=m.specificity,
                expansions_fr=[e for e in fr if e != forms],
                expansions_en=[e for e in en if e != forms],
                expansions_any=[e for e in either if e != forms],
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


def _all_words(field_name: str, values: Sequence[str]) -> Query:
    """Every word in one short field (a name, category names, an organisation's name), in any order. In a field
    of a few words that is what a phrase means, and Tantivy intersects postings without reading positions (about
    three times cheaper than a phrase query over thousands of listings)."""
    if len(values) == 1:
        return _term(field_name, values[0])
    return Query.boolean_query([(Occur.Must, _term(field_name, v)) for v in dict.fromkeys(values)])


def _words_clause(
    forms: list[str],
    weight: float,
    *,
    expansion: bool = False,
    lang: str | None = None,
    categories: bool = True,
) -> list[Query]:
    """Clauses for a word or phrase in the text fields. The person's words are looked for with French and
    English stems in both languages' fields (a typed word's language is unknown); an expansion (the thesaurus'
    words for the concept, `lang` given) only in its own language's names and categories: descriptions are for
    the person's words."""
    clauses: list[Query] = []
    fr = [stem_fr(w) for w in forms]
    en = [stem_en(w) for w in forms]
    fields: list[tuple[str, list[str], float]] = []
    if lang != "en":
        fields.append(("name_fr", fr, W_NAME))
        if categories:
            fields.append(("cat_fr", fr, W_CAT))
    if lang != "fr":
        fields.append(("name_en", en, W_NAME))
        if categories:
            fields.append(("cat_en", en, W_CAT))
    if not expansion:
        fields += [("org_fr", fr, W_ORG), ("org_en", en, W_ORG)]
    for field_name, values, w in fields:
        clauses.append(_const(_all_words(field_name, values), w * weight))
    if expansion:
        return clauses
    if len(forms) == 1:
        clauses.append(_const(_term("place", forms[0]), W_PLACE * weight))
        for field_name, value in (("desc_fr", fr[0]), ("desc_en", en[0])):
            clauses.append(Query.boost_query(_term(field_name, value), W_DESC * weight))
        return clauses
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
    for n, (expansion, lang) in enumerate(_distinct_expansions(group)):
        # A group that names categories matches them by id; its expansions' words in category texts would
        # find the same listings again (at most a tie-breaker): names only.
        clauses.extend(
            _words_clause(expansion, EXPANSION, expansion=True, lang=lang, categories=not group.weights)
        )
        if n < 2:  # the concept's main words in descriptions too (other language, other wording)
            for field_name, stem in (("desc_fr", stem_fr), ("desc_en", stem_en)):
                if lang is not None and not field_name.endswith(lang):
                    continue
                values = [stem(w) for w in expansion]
                inner = (
                    _term(field_name, values[0])
                    if len(values) == 1
                    else Query.phrase_query(schema(), field_name, values, slop=3)
                )
                clauses.append(Query.boost_query(inner, W_DESC * EXPANSION))
    corrected = group.forms != group.words
    near = getattr(is_known, "near", None)
    starting = getattr(is_known, "starting", None)
    for typed in dict.fromkeys(group.words + group.forms):
        budget = max_edits(typed)
        if corrected and typed in group.words:
            # Already read as the nearest domain word (spelling notice): a fuzzy pass over every name would
            # find that word again, at the price of a Levenshtein automaton per partition.
            continue
        if budget and not is_known(typed):
            if near is not None:  # the names' words within the typo budget, found once for all partitions
                similar = near(typed, budget)
                if similar:
                    clauses.append(_const(_any_of("raw", similar), W_FUZZY))
            else:
                clauses.append(
                    _const(Query.fuzzy_term_query(schema(), "raw", typed, distance=budget), W_FUZZY)
                )
    if last and len(group.words) == 1 and len(group.words[0]) >= 3 and not is_known(group.words[0]):
        # The word being typed: "banq" finds "banque".
        if starting is not None:
            completions = starting(group.words[0])
            if completions:
                clauses.append(_const(_any_of("raw", completions), W_PREFIX))
        else:
            clauses.append(
                _const(
                    Query.fuzzy_term_query(schema(), "raw", group.words[0], distance=0, prefix=True), W_PREFIX
                )
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
        clauses.append(_const(_all_words(field_name, values), PREFERENCE * weight))
    return Query.disjunction_max_query(clauses, tie_breaker=TIE)


def _distinct_expansions(group: Group, limit: int = 2) -> list[tuple[list[str], str | None]]:
    """Expansions that add something (not the person's own words, not a plural of another expansion), with
    their language: "fr", "en", or None for an equivalence group's word."""
    seen = {tuple(stem_fr(w) for w in group.forms), tuple(stem_en(w) for w in group.forms)}
    found: list[tuple[list[str], str | None]] = []
    candidates: list[tuple[list[str], str | None]] = [(e, "fr") for e in group.expansions_fr]
    candidates += [(e, "en") for e in group.expansions_en]
    candidates += [(e, None) for e in group.expansions_any]
    for expansion, lang in candidates:
        keys = {tuple(stem_fr(w) for w in expansion), tuple(stem_en(w) for w in expansion)}
        if keys & seen:
            continue
        seen |= keys
        found.append((expansion, lang))
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
    if len(content) >= 2:  # every word in one name (a name is a few words: together)
        for field_name, stem in (("name_fr", stem_fr), ("name_en", stem_en)):
            names = _all_words(field_name, [stem(w) for w in content])
            subqueries.append((Occur.Should, _const(names, W_PHRASE)))
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
    """One ranked document of one partition, with its score (text x factors) and distance. Only the page (and
    what facets need) becomes a Candidate: the window itself stays as plain (score, partition, ord) tuples."""

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
# Partitions are read in parallel threads (Tantivy releases the GIL) only when there is enough to read: below
# this many documents a thread handoff costs more than it saves. One chunk of partitions per thread, balanced
# by size, the first chunk in the calling thread. REFERRAL211_SEARCH_THREADS=1 reads sequentially (a Lambda
# under 1,769 MB has less than one vCPU: threads cannot help there).
PARALLEL_MIN_DOCS = 60_000


def _threads() -> int:
    configured = os.environ.get("REFERRAL211_SEARCH_THREADS")
    if configured and configured.isdigit():
        return max(1, int(configured))
    return _cpus()


@cache
def _cpus() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(1, _threads() - 1), thread_name_prefix="search")
    return _POOL


def _on_partitions(
    targets: list[tuple[LoadedIndex, bool]], work: Callable[[LoadedIndex, bool], Any]
) -> list[Any]:
    """`work(index, shared)` for every target, in order; in parallel chunks when worth it (see above)."""
    threads = _threads()
    if threads < 2 or len(targets) < 3 or sum(t.searcher.num_docs for t, _ in targets) < PARALLEL_MIN_DOCS:
        return [work(loaded, shared) for loaded, shared in targets]
    chunks: list[list[int]] = [[] for _ in range(threads)]
    loads = [0] * threads
    for n in sorted(range(len(targets)), key=lambda n: -targets[n][0].searcher.num_docs):
        lightest = loads.index(min(loads))
        chunks[lightest].append(n)
        loads[lightest] += targets[n][0].searcher.num_docs

    def run(chunk: list[int]) -> list[tuple[int, Any]]:
        return [(n, work(*targets[n])) for n in chunk]

    others = [_pool().submit(run, chunk) for chunk in chunks[1:] if chunk]
    answers = run(chunks[0])
    for future in others:
        answers.extend(future.result())
    answers.sort(key=_first)
    return [answer for _, answer in answers]


@dataclass
class Window:
    """What the partitions answered: `entries` are (text score, partition number, ord) tuples, best first
    (read order for a name sort); `bound` is the best text score any match left unread could have."""

    targets: list[LoadedIndex] = field(default_factory=list)
    entries: list[tuple[float, int, int]] = field(default_factory=list)
    complete: bool = True
    bound: float = 0.0
    count: int = 0  # every match in the partitions read, collected or not
    local_ties: bool = True  # unread entries scoring `bound` would be the place's own listings (full factor)


@dataclass
class Selection:
    """The window's entries that passed the exact tests (radius, opening hours), with their final scores, as
    (final score, distance, partition number, ord); `processed` entries were looked at, best first."""

    kept: list[tuple[float, float | None, int, int]]
    processed: int
    exhausted: bool  # every entry of the window was looked at
    hours_unknown: int = 0
    kth: float = -math.inf  # the wanted-th best final score, when there are that many
    total: int | None = None  # when worked out apart from the window (nearest first within a radius)
    estimated: bool = False
    wanted: int = 0  # the page's last place (page x per_page)
    tested: int = 0  # entries put to the exact tests (at least those processed)
    passed: int = 0

    def estimated_total(self, count: int) -> int:
        """Matches that would pass the exact tests, from the share of the tested entries that did (a sample
        of the matches chosen by text score, which has nothing to do with where they are or their hours)."""
        return round(count * self.passed / max(1, self.tested))


class Proximity:
    """The proximity factor of a listing to the asked place: 1 when its service area covers the municipality
    or FSA, 0.9 its MRC, 0.75 its region, 0.6 the province, otherwise 1/sqrt(1 + km/25) (scale tripled for
    a rural FSA centroid); 0.5 with neither distance nor coverage. Factors never exceed 1, so a text score is
    an upper bound of the final score (what lets the engine stop reading early). The coverage part is worked
    out once per distinct coverage tuple (the sidecar shares them between documents)."""

    __slots__ = ("local", "mrcs", "region", "scale_m", "_coverage")

    def __init__(self, place: geo.Place) -> None:
        self.local = frozenset(c for c in place.coverage if c[0] in "MF")
        self.mrcs = frozenset(c for c in place.coverage if c.startswith("C:"))
        self.region = f"R:{place.region}" if place.region else None
        self.scale_m = PROXIMITY_KM * 1000.0 * (3 if place.coarse else 1)
        self._coverage: dict[int, float] = {}

    def coverage(self, covers: tuple[str, ...]) -> float:
        """1.0 for a local listing, else the best coverage floor (0.9, 0.75, 0.6 or 0)."""
        key = id(covers)
        found = self._coverage.get(key)
        if found is None:
            if self.local and not self.local.isdisjoint(covers):
                found = 1.0
            elif self.mrcs and not self.mrcs.isdisjoint(covers):
                found = 0.9
            elif self.region is not None and self.region in covers:
                found = 0.75
            elif "P:QC" in covers:
                found = 0.6
            else:
                found = 0.0
            self._coverage[key] = found
        return found

    def factor(self, covers: tuple[str, ...], distance_m: float | None) -> float:
        floor = self.coverage(covers)
        if floor == 1.0:
            return 1.0
        if distance_m is None:
            return floor or 0.5
        return max(floor, 1.0 / math.sqrt(1.0 + distance_m / self.scale_m))


def _within(query: Query, place: geo.Place, radius_m: float) -> Query:
    """The query's matches in the box around the place that holds the circle of `radius_m` (the exact circle is
    tested in Python)."""
    assert place.latitude is not None and place.longitude is not None
    min_lat, max_lat, min_lng, max_lng = geo.bounding_box(place.latitude, place.longitude, radius_m)
    box = [
        Query.range_query(schema(), "lat", tantivy.FieldType.Float, min_lat, max_lat),
        Query.range_query(schema(), "lng", tantivy.FieldType.Float, min_lng, max_lng),
    ]
    return Query.boolean_query([(Occur.Must, query)] + [(Occur.Must, _const(b, 0.0)) for b in box])


def _distances_from(lat: float, lng: float) -> Callable[[float, float], float]:
    """geo.haversine_m from a fixed point, its constant parts computed once (same formula, same result)."""
    radians, sin, cos, asin, sqrt = math.radians, math.sin, math.cos, math.asin, math.sqrt
    p1 = radians(lat)
    cos1 = cos(p1)
    diameter = 2 * geo.EARTH_RADIUS_M

    def distance_to(lat2: float, lng2: float) -> float:
        p2 = radians(lat2)
        a = sin((p2 - p1) / 2) ** 2 + cos1 * cos(p2) * sin(radians(lng2 - lng) / 2) ** 2
        return diameter * asin(min(1.0, sqrt(a)))

    return distance_to


def _distance(meta: Any, ord: int, lat: float, lng: float) -> float | None:
    """Metres from a point to a document: a service's nearest location, or the location; None without one."""
    points = meta.points[ord]
    if points:
        return min(geo.haversine_m(lat, lng, a, b) for a, b in points)
    doc_lat = meta.lat[ord]
    if doc_lat != doc_lat:  # NaN: no coordinates
        return None
    return geo.haversine_m(lat, lng, doc_lat, meta.lng[ord])


_UNSET = object()
READ_ALL_BELOW = 600  # a window to widen over fewer matches than this is read whole at once


def _wider(limit: int, window: Window) -> int:
    """The next window size per partition: four times wider, or everything when the matches are few (a read
    costs about the same whatever its size; reading twice more costs a pass)."""
    wider = limit * 4
    if window.count <= READ_ALL_BELOW:
        wider = max(wider, window.count)
    return min(CANDIDATE_LIMIT, wider)


_first = itemgetter(0)


class Vocabulary:
    """The words of the searched partitions' names, categories and places, with what typo tolerance needs: a
    sorted copy for completions and a list for rapidfuzz. Typo-tolerant matching looks the similar words up
    here once per lookup (rapidfuzz, C++), then asks every partition for those exact terms: Tantivy's fuzzy
    query would build a Levenshtein automaton and walk the term dictionary in each of up to 18 partitions."""

    __slots__ = ("words", "_sorted", "_by_length")

    def __init__(self, words: frozenset[str]) -> None:
        self.words = words
        self._sorted: list[str] | None = None
        self._by_length: dict[int, list[str]] | None = None

    def __contains__(self, word: object) -> bool:
        return word in self.words

    @property
    def ordered(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.words)
        return self._sorted

    def near(self, word: str, budget: int, limit: int = 32) -> list[str]:
        """Words of letters within `budget` edits (OSA: a transposition is one edit), closest first."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        if self._by_length is None:
            by_length: dict[int, list[str]] = {}
            for w in self.ordered:
                if w.isalpha():  # numbers (street numbers, codes) are no typo of a word
                    by_length.setdefault(len(w), []).append(w)
            self._by_length = by_length
        # Only words whose length is within the budget can be within it.
        candidates = [
            w for n in range(len(word) - budget, len(word) + budget + 1) for w in self._by_length.get(n, ())
        ]
        found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=budget, limit=limit)
        return [w for w, _, _ in found]

    def starting(self, prefix: str, limit: int = 32) -> list[str]:
        """Words that start with `prefix` (the word being typed), in order."""
        ordered = self.ordered
        start = bisect.bisect_left(ordered, prefix)
        found: list[str] = []
        for word in ordered[start : start + limit]:
            if not word.startswith(prefix):
                break
            found.append(word)
        return found


class Lexicon:
    """Whether a word is known (thesaurus, stems, the searched partitions' words), and its neighbours in those
    partitions (`near`, `starting`). Callable as `is_known(word)`; the vocabulary is read on first need."""

    __slots__ = ("_thesaurus", "_load", "_vocabulary")

    def __init__(self, thesaurus: Thesaurus, load: Callable[[], Vocabulary]) -> None:
        self._thesaurus = thesaurus
        self._load = load
        self._vocabulary: Vocabulary | None = None

    @property
    def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            self._vocabulary = self._load()
        return self._vocabulary

    def __call__(self, word: str) -> bool:
        thesaurus = self._thesaurus
        if word in thesaurus.vocabulary or stem_fr(word) in thesaurus.stem_vocabulary:
            return True
        return word in self.vocabulary

    def near(self, word: str, budget: int) -> list[str]:
        return self.vocabulary.near(word, budget)

    def starting(self, prefix: str) -> list[str]:
        return self.vocabulary.starting(prefix)


class SearchEngine:
    def __init__(self, provider: IndexProvider, *, thesaurus: Thesaurus | None = None) -> None:
        self.provider = provider
        self.thesaurus = thesaurus or get_thesaurus()
        self._vocabularies: dict[tuple[tuple[str, str], ...], Vocabulary] = {}

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

    def _vocabulary(self, partitions: Sequence[str]) -> Vocabulary:
        """Words the given partitions hold (names, categories, places), cached per set of loaded versions."""
        loaded = [(p, self.provider.get(p)) for p in partitions]
        key = tuple((p, i.version) for p, i in loaded if i is not None)
        found = self._vocabularies.get(key)
        if found is None:
            found = Vocabulary(frozenset().union(*(i.meta.vocabulary for _, i in loaded if i is not None)))
            if len(self._vocabularies) > 8:
                self._vocabularies.clear()
            self._vocabularies[key] = found
        return found

    def _is_known(self, partitions: Sequence[str]) -> Lexicon:
        return Lexicon(self.thesaurus, lambda: self._vocabulary(partitions))

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
        radius = geography.radius_m
        has_point = geography.point is not None and geography.point.has_point
        exact_tests = instant is not None or radius is not None  # decided in Python, per document
        if sort == "distance" and radius is not None and has_point and not params.facets:
            window, selection, limit = self._nearest(
                plan, params, entity, geography, partitions, is_known, instant, wanted
            )
        else:
            window, selection, limit = self._rank_window(
                query, plan, params, geography, partitions, instant, sort, wanted
            )
        hours_unknown = selection.hours_unknown
        estimated = False
        if selection.total is not None:
            total, estimated = selection.total, selection.estimated
        elif window.complete:
            # Without exact tests every entry is an answer, looked at or not.
            total = len(selection.kept) if selection.exhausted else len(window.entries)
        elif exact_tests:
            total, estimated = selection.estimated_total(window.count), True
        else:
            total = window.count
        if estimated:
            notices.append(
                notice(
                    "total_estimated",
                    "Le nombre total de résultats ouverts est estimé."
                    if radius is None
                    else "Le nombre total de résultats est estimé.",
                    "The total number of open results is an estimate."
                    if radius is None
                    else "The total number of results is an estimate.",
                )
            )
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
        if not window.complete and limit >= CANDIDATE_LIMIT and len(selection.kept) < min(total, wanted):
            notices.append(
                notice(
                    "results_capped",
                    f"Seuls les {CANDIDATE_LIMIT} meilleurs résultats par région ont été classés; "
                    "précisez la recherche.",
                    f"Only the best {CANDIDATE_LIMIT} results per region were ranked; narrow the search.",
                )
            )
        counts: tuple[Counter[str], Counter[str]] | None = None
        if params.facets:
            counts = (
                self._facets(window, selection)
                if window.complete or instant is not None
                else self._facets_of_index(query, partitions, geography, entity)
            )
        start = (page - 1) * per_page
        end = start + per_page
        if (
            sort == "relevance"
            and plan.has_text
            and 0 < total < RELATED_BELOW
            and window.complete
            and not params.taxonomy_term_id
        ):
            # Few exact answers: the same family of services follows them (after every exact answer, and
            # never instead of none: an empty result stays empty, with suggestions). Sorted by distance or
            # name, the page is the exact answers only, in that order.
            exact = self._page(window, selection, sort, 0, len(selection.kept))
            related = self._related(
                plan, params, entity, geography, partitions, is_known, instant, sort, max(0, end - len(exact))
            )
            if related is not None:
                related_total, related_page, related_counts, related_notices = related
                ranked = exact + related_page
                notices += related_notices
                notices.append(
                    notice(
                        "related",
                        f"{total} réponse(s) exacte(s), suivie(s) de {related_total} service(s) de la même "
                        "famille de catégories.",
                        f"{total} exact answer(s), followed by {related_total} service(s) of the same family "
                        "of categories.",
                        exact=total,
                        related=related_total,
                    )
                )
                total += related_total
                if counts is not None and related_counts is not None:
                    counts[0].update(related_counts[0])
                    counts[1].update(related_counts[1])
            else:
                ranked = exact
            page_candidates = ranked[start:end]
        else:
            page_candidates = self._page(window, selection, sort, start, end)
        facets = _facet_lists(counts[0], counts[1], lang) if counts is not None else None
        hits = [
            Hit(
                id=c.meta_id if entity != "service" else (c.index.meta.service_ids[c.ord] or c.meta_id),
                score=round(c.score, 4),
                distance_m=round(c.distance_m, 1) if c.distance_m is not None else None,
                service_id=c.index.meta.service_ids[c.ord] if entity == "service_at_location" else None,
            )
            for c in page_candidates
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
            # Which parent fits best: the one the phrase's own words name ("jeunes mères": "mères" names
            # Famille, not Santé); all alike when the words name none of them.
            named = self._named_by_words(group.forms) if len(group.forms) > 1 else set()
            parents: dict[str, float] = {}
            for category in group.categories:
                found = taxonomy.term(category)
                if found is not None and found.parent_id:
                    parents[found.parent_id] = 1.0
            if not parents:
                continue
            if named & set(parents):
                parents = {p: 1.0 if p in named else 0.6 for p in parents}
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

    def _named_by_words(self, forms: Sequence[str]) -> set[str]:
        """Categories (with their ancestors) that the words of a phrase name one by one."""
        named: set[str] = set()
        for form in forms:
            for concept_id in self.thesaurus.concepts_of((form,)):
                for category in self.thesaurus.concepts[concept_id].categories:
                    current = taxonomy.term(category)
                    while current is not None:
                        named.add(current.id)
                        current = taxonomy.term(current.parent_id) if current.parent_id else None
        return named

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
        # Indexes are resolved here (loading is not thread-safe work); only the searches run in parallel.
        targets = [
            (loaded, shared) for p, shared in partitions if (loaded := self.provider.get(p)) is not None
        ]

        def read(loaded: LoadedIndex, shared: bool) -> Any:
            partition_query = self._partition_query(query, shared, geography)
            if by_name:
                return loaded.searcher.search(
                    partition_query, limit=limit, order_by_field="sortkey", order=tantivy.Order.Asc
                )
            return loaded.searcher.search(partition_query, limit=limit)

        answers = _on_partitions(targets, read)
        entries = window.entries
        for (loaded, _), result in zip(targets, answers, strict=True):
            hits = result.hits
            window.count += result.count
            if result.count > len(hits):
                window.complete = False
                if hits and not by_name:
                    window.bound = max(window.bound, float(hits[-1][0]))
            if not hits:
                continue
            number = len(window.targets)
            window.targets.append(loaded)
            ords = loaded.searcher.fast_field_values("ord", [address for _, address in hits])
            if by_name:
                entries.extend([(0.0, number, o) for o in ords])  # type: ignore[misc]
            else:
                entries.extend([(score, number, o) for (score, _), o in zip(hits, ords, strict=True)])  # type: ignore[misc]
        if len(window.targets) > 1 and not by_name:
            entries.sort(key=_first, reverse=True)  # stable: equal scores keep partition and Tantivy order
        return window

    def _select(
        self,
        window: Window,
        plan: QueryPlan,
        geography: Geography,
        instant: Any,
        sort: str,
        wanted: int,
        *,
        everything: bool,
    ) -> Selection:
        """Apply the exact tests (radius, opening hours) and factors (proximity, temporarily closed) to the
        window's entries. Sorted by relevance, entries are looked at best first and the reading stops as soon
        as `wanted` final scores beat the next entry's text score (its best possible final score); ties with
        the page's last score are still read, so equal scores are ordered by distance and name."""
        entries = window.entries
        metas = [loaded.meta for loaded in window.targets]
        point = geography.point if geography.point is not None and geography.point.has_point else None
        plat = point.latitude if point is not None else None
        plng = point.longitude if point is not None else None
        radius = geography.radius_m
        proximity = Proximity(point) if point is not None and plan.has_text else None
        lazy = sort == "relevance" and not everything
        # Ties with the page's last score are read on when they can be ordered rightly: all of them are in a
        # complete window (by name), or a place orders them by distance (`_nearest_ties` reads past the
        # window). Otherwise the equal scores past the window are an arbitrary cut anyway: stop at the first.
        strict = window.complete or point is not None
        heap: list[float] = []
        full = False  # the heap holds `wanted` scores
        kept: list[tuple[float, float | None, int, int]] = []
        append = kept.append
        opened: dict[int, bool | None] = {}
        hours_unknown = 0
        processed = 0
        distance_to = _distances_from(plat, plng) if plat is not None else None
        factor = proximity.factor if proximity is not None else None
        for score, number, o in entries:
            if full and (heap[0] > score or (not strict and heap[0] >= score)):
                break
            processed += 1
            meta = metas[number]
            distance = None
            if distance_to is not None:
                points = meta.points[o]
                if points:
                    distance = min(distance_to(a, b) for a, b in points)
                else:
                    lat = meta.lat[o]
                    if lat == lat:  # not NaN: the document has coordinates
                        distance = distance_to(lat, meta.lng[o])
            if radius is not None and (distance is None or distance > radius):
                continue
            if instant is not None:
                rows = meta.schedules[o]
                state = opened.get(id(rows), _UNSET)
                if state is _UNSET:
                    state = opened[id(rows)] = opening_hours.is_open(rows, instant)
                if not state:
                    if state is None:
                        hours_unknown += 1
                    continue
            final = score
            if factor is not None:
                final *= factor(meta.covers[o], distance)
            if meta.statuses[o] == "temporarily closed":
                final *= 0.7
            append((final, distance, number, o))
            if lazy:
                if not full:
                    heapq.heappush(heap, final)
                    full = len(heap) >= wanted
                elif final > heap[0]:
                    heapq.heapreplace(heap, final)
        selection = Selection(
            kept=kept, processed=processed, exhausted=processed == len(entries), hours_unknown=hours_unknown
        )
        selection.wanted = wanted
        selection.tested, selection.passed = processed, len(kept)
        if lazy and not selection.exhausted and not window.complete and (radius is not None or instant):
            # The page is decided, but the total will be estimated from the share of the window that passes
            # the exact tests: test the rest of the window too (no scores, no factors).
            for _, number, o in entries[processed : max(processed, SAMPLE)]:
                selection.tested += 1
                meta = metas[number]
                if radius is not None:
                    distance = _distance(meta, o, plat, plng)  # type: ignore[arg-type]
                    if distance is None or distance > radius:
                        continue
                if instant is not None:
                    rows = meta.schedules[o]
                    state = opened.get(id(rows), _UNSET)
                    if state is _UNSET:
                        state = opened[id(rows)] = opening_hours.is_open(rows, instant)
                    if not state:
                        continue
                selection.passed += 1
        if lazy:
            selection.kth = heap[0] if len(heap) >= wanted else -math.inf
        elif len(kept) >= wanted:
            selection.kth = heapq.nlargest(wanted, (k[0] for k in kept))[-1]
        return selection

    def _page(self, window: Window, selection: Selection, sort: str, start: int, end: int) -> list[Candidate]:
        """The ranked candidates start..end: ordered on the primary key in C, full keys only near the cut."""
        kept = selection.kept
        targets = window.targets
        inf = math.inf

        def full_key(item: tuple[float, float | None, int, int]) -> tuple[Any, ...]:
            final, distance, number, o = item
            meta = targets[number].meta
            far = distance if distance is not None else inf
            if sort == "distance":
                return (far, -final, meta.sort[o], meta.ids[o])
            if sort == "name":
                return (meta.sort[o], meta.ids[o])
            return (-final, far, meta.sort[o], meta.ids[o])

        if sort == "relevance" and len(kept) > end:
            # Only the entries that reach the page's last final score need the full key.
            ordered = sorted(kept, key=_first, reverse=True)
            cut = ordered[end - 1][0] if end > 0 else inf
            head = [k for k in ordered if k[0] >= cut]
            ranked = sorted(head, key=full_key)
        else:
            ranked = sorted(kept, key=full_key)
        return [Candidate(targets[n], o, final, d) for final, d, n, o in ranked[start:end]]

    def _nearest(
        self,
        plan: QueryPlan,
        params: SearchParams,
        entity: Entity,
        geography: Geography,
        partitions: list[tuple[str, bool]],
        is_known: Callable[[str], bool],
        instant: Any,
        wanted: int,
    ) -> tuple[Window, Selection, int]:
        """Nearest first within a radius. A first read of the whole radius (best texts) counts its matches:
        when they are few, they are all read and sorted. Otherwise growing rings are read (a sixteenth of the
        radius, then four times wider) until one holds the page: everything inside a ring's circle is read and
        anything outside it is farther, so the page is exact; the total is then the radius' matches (Tantivy's
        count) times the share of that first read (the best by text, unrelated to where they are) that passes
        the exact tests (inside the circle, open)."""
        radius = geography.radius_m
        assert radius is not None
        query = self._query(plan, params, entity, geography, is_known)
        sample = self._collect(query, partitions, geography, max(wanted + 10, 100))
        if sample.complete or sample.count <= READ_ALL_BELOW:
            window = (
                sample if sample.complete else self._collect(query, partitions, geography, CANDIDATE_LIMIT)
            )
            selection = self._select(window, plan, geography, instant, "distance", wanted, everything=True)
            return window, selection, CANDIDATE_LIMIT
        tested = self._select(sample, plan, geography, instant, "relevance", wanted, everything=True)
        ring = max(radius / 16.0, 1000.0)
        while True:
            ring = min(ring, radius)
            scoped = dataclasses.replace(geography, radius_m=ring)
            window = self._collect(_within(query, geography.point, ring), partitions, scoped, CANDIDATE_LIMIT)  # type: ignore[arg-type]
            selection = self._select(window, plan, scoped, instant, "distance", wanted, everything=True)
            if ring >= radius or not window.complete or len(selection.kept) >= wanted:
                break
            ring *= 4.0
        if ring < radius and window.complete:  # the page is decided; the total is estimated
            selection.hours_unknown = tested.hours_unknown
            selection.total = tested.estimated_total(sample.count)
            selection.estimated = True
        return window, selection, CANDIDATE_LIMIT

    def _each(
        self, partitions: list[tuple[str, bool]], work: Callable[[LoadedIndex, bool], Any]
    ) -> list[Any]:
        """`work(index, shared)` on every loaded partition (in parallel chunks when worth it). Indexes are
        resolved first: loading is not thread-safe work."""
        targets = [
            (loaded, shared) for p, shared in partitions if (loaded := self.provider.get(p)) is not None
        ]
        return _on_partitions(targets, work)

    def _rank_window(
        self,
        query: Query,
        plan: QueryPlan,
        params: SearchParams,
        geography: Geography,
        partitions: list[tuple[str, bool]],
        instant: Any,
        sort: str,
        wanted: int,
    ) -> tuple[Window, Selection, int]:
        """Rank a window of the best candidates; widen it until nothing outside could still make the page.
        Every factor applied in Python is at most 1, so a text score bounds the final score: entries are looked
        at best first and the reading stops once the page is decided. Returns (window, selection, last size
        read per partition)."""
        radius = geography.radius_m
        has_point = geography.point is not None and geography.point.has_point
        exact_tests = instant is not None or radius is not None  # decided in Python, per document
        needs_all = sort == "distance" or (radius is not None and bool(params.facets))
        limit = CANDIDATE_LIMIT if needs_all else wanted + 10
        near = sort == "relevance" and has_point and bool(geography.regions) and plan.has_text
        while True:
            window = self._collect(query, partitions, geography, limit, by_name=sort == "name")
            everything = (window.complete and exact_tests) or (bool(params.facets) and instant is not None)
            selection = self._select(window, plan, geography, instant, sort, wanted, everything=everything)
            if window.complete or limit >= CANDIDATE_LIMIT or sort == "name":
                break
            if len(selection.kept) >= wanted and selection.kth >= window.bound:
                break
            if near and not needs_all:
                # Near a place the text order is a poor guide (the proximity factor decides among equal
                # texts): read the place's own listings and its surroundings as well.
                window, selection = self._near(window, query, plan, geography, partitions, instant, wanted)
                break
            limit = _wider(limit, window)
        if (
            near
            and not window.complete
            and window.local_ties
            and len(selection.kept) >= wanted
            and selection.kth == window.bound
        ):
            self._nearest_ties(window, selection, query, plan, geography, partitions, instant)
        if radius is not None and not window.complete and window.count <= READ_ALL_BELOW:
            # Few matches in the radius' box: count those inside the circle exactly rather than estimate.
            every = self._collect(query, partitions, geography, CANDIDATE_LIMIT)
            if every.complete:
                inside = self._select(every, plan, geography, instant, sort, wanted, everything=True)
                selection.total = len(inside.kept)
        return window, selection, limit

    def _related(
        self,
        plan: QueryPlan,
        params: SearchParams,
        entity: Entity,
        geography: Geography,
        partitions: list[tuple[str, bool]],
        is_known: Callable[[str], bool],
        instant: Any,
        sort: str,
        wanted: int,
    ) -> tuple[int, list[Candidate], tuple[Counter[str], Counter[str]] | None, list[dict[str, Any]]] | None:
        """Listings of the same family of categories as the need (the parents of the categories its words
        name: "transport adapté" -> every Transport listing) that are not exact answers, ranked near the place
        first. Same filters as the search. Returns (total, ranked candidates up to `wanted`, facet counts,
        notices), or None when the words name no category."""
        families: list[str] = []
        for group in plan.groups:
            if not group.required or not group.weights:
                continue
            for category in sorted(group.weights, key=lambda c: (-group.weights[c], c)):
                found = taxonomy.term(category)
                if found is None:
                    continue
                family = found.parent_id or found.id
                if family not in families:
                    families.append(family)
        text = text_query(plan, is_known)
        if not families or text is None:
            return None
        clauses: list[tuple[Occur, Query]] = [
            (Occur.Must, f) for f in filter_queries(params, entity, geography)
        ]
        clauses.append((Occur.Must, _const(_any_of("terms", families), 1.0)))
        clauses.append((Occur.MustNot, text))
        # Among them, those with some of the person's words in their name come first ("clinique dentaire":
        # a health clinic before a day centre).
        words = list(
            dict.fromkeys(w for g in plan.groups if g.required for w in g.forms if w not in STOPWORDS)
        )
        partial = [
            _const(_term(field_name, stem(w)), 0.5)
            for w in words
            for field_name, stem in (("name_fr", stem_fr), ("name_en", stem_en))
        ]
        if partial:
            clauses.append((Occur.Should, Query.disjunction_max_query(partial, tie_breaker=0.1)))
        query = Query.boolean_query(clauses)
        family_plan = QueryPlan(groups=[Group(words=[], forms=[], categories=frozenset(families))])
        exact_tests = instant is not None or geography.radius_m is not None
        window, selection, _ = self._rank_window(
            query, family_plan, params, geography, partitions, instant, sort, max(wanted, 1)
        )
        notices: list[dict[str, Any]] = []
        if window.complete:
            total = len(selection.kept) if selection.exhausted else len(window.entries)
        elif exact_tests:
            total = selection.estimated_total(window.count)
            notices.append(
                notice(
                    "total_estimated",
                    "Le nombre total de résultats est estimé.",
                    "The total number of results is an estimate.",
                )
            )
        else:
            total = window.count
        if total == 0:
            return None
        counts = None
        if params.facets:
            counts = (
                self._facets(window, selection)
                if window.complete or instant is not None
                else self._facets_of_index(query, partitions, geography, entity)
            )
        return total, self._page(window, selection, sort, 0, wanted), counts, notices

    def _near(
        self,
        first: Window,
        query: Query,
        plan: QueryPlan,
        geography: Geography,
        partitions: list[tuple[str, bool]],
        instant: Any,
        wanted: int,
    ) -> tuple[Window, Selection]:
        """Relevance near a place when the text order did not settle the page: the final score is text x
        proximity, and the best of them hide among many equal texts. Three reads, each best text first: every
        match (W), the place's own listings (L: service area covering the municipality or FSA, full factor),
        and the matches within a small ring around the place (R). A listing none of them has read scores at
        most L's or R's next text score, or W's next one times the best factor left outside the ring and the
        place (u). Reads widen until the page's last score beats that bound; the result is the same page as
        ranking every match.

        Returns the merged window (W's count and completeness; its bound: the best score left unread) and the
        selection over it."""
        assert geography.point is not None and geography.point.has_point
        place = geography.point
        scale = PROXIMITY_KM * 1000.0 * (3 if place.coarse else 1)
        ring = min(2000.0 * (3 if place.coarse else 1), geography.radius_m or math.inf)
        floor = 0.9 if any(c.startswith("C:") for c in place.coverage) else (0.75 if place.region else 0.6)
        outside = max(floor, 1.0 / math.sqrt(1.0 + ring / scale))
        codes = sorted(c for c in place.coverage if c[0] in "MF")
        widest = geography.radius_m or scale * (1.0 / floor**2 - 1.0)  # past it the floor is the bound

        def ring_read(radius_m: float) -> tuple[Query, Geography]:
            return _within(query, place, radius_m), geography

        reads: dict[str, tuple[Query, Geography]] = {"R": ring_read(ring)}
        if codes:
            local = Query.boolean_query(
                [(Occur.Must, query), (Occur.Must, _const(_any_of("areas", codes), 0.0))]
            )
            reads["L"] = (local, geography)
        limits = {"W": wanted + 10, "L": 4 * (wanted + 10), "R": 4 * (wanted + 10)}
        windows: dict[str, Window] = {"W": first}
        pending = list(reads)
        while True:
            for name in pending:
                read_query, read_geography = reads[name] if name != "W" else (query, geography)
                windows[name] = self._collect(read_query, partitions, read_geography, limits[name])
            merged = Window(count=windows["W"].count, complete=windows["W"].complete)
            numbers: dict[int, int] = {}
            seen: set[tuple[int, int]] = set()
            for window in windows.values():
                for score, n, o in window.entries:
                    loaded = window.targets[n]
                    key = (id(loaded), o)
                    if key in seen:
                        continue
                    seen.add(key)
                    if id(loaded) not in numbers:
                        numbers[id(loaded)] = len(merged.targets)
                        merged.targets.append(loaded)
                    merged.entries.append((score, numbers[id(loaded)], o))
            merged.entries.sort(key=_first, reverse=True)
            selection = self._select(merged, plan, geography, instant, "relevance", wanted, everything=True)
            bounds = {
                name: (window.bound * (outside if name == "W" else 1.0) if not window.complete else 0.0)
                for name, window in windows.items()
            }
            unread = max(bounds.values())
            kth = selection.kth
            pending = [  # equal to the page's last score: a tie, not a better listing
                name
                for name, b in bounds.items()
                if not windows[name].complete and b > kth * (1 + 1e-9) and limits[name] < CANDIDATE_LIMIT
            ]
            if not pending:
                break
            if "W" in pending and kth > 0 and ring < widest:
                # Rather than reading further down every match, widen the ring until what lies outside it
                # cannot beat the page (needs u <= kth / W's next text), when the floors allow it.
                needed = kth / windows["W"].bound
                if needed >= floor * (1 - 1e-9):
                    ring = min(widest, max(ring * 2.0, scale * (1.0 / needed**2 - 1.0) * 1.05))
                    outside = max(floor, 1.0 / math.sqrt(1.0 + ring / scale))
                    reads["R"] = ring_read(ring)
                    limits["R"] = 4 * (wanted + 10)
                    pending = [name for name in pending if name != "W"]
                    if "R" not in pending:
                        pending.append("R")
                    continue
            for name in pending:
                limits[name] = _wider(limits[name], windows[name])
        w = windows["W"]
        merged.bound = unread
        # Equal scores past the reads are the place's own listings (full factor) only when L's bound binds.
        merged.local_ties = "L" in bounds and bounds["L"] == unread
        if not w.complete and (instant is not None or geography.radius_m is not None):
            # A total to estimate: from the whole-directory read only (the others are all near or local).
            sample = self._select(w, plan, geography, instant, "relevance", wanted, everything=True)
            selection.tested, selection.passed = sample.tested, sample.passed
        return merged, selection

    def _nearest_ties(
        self,
        window: Window,
        selection: Selection,
        base: Query,
        plan: QueryPlan,
        geography: Geography,
        partitions: list[tuple[str, bool]],
        instant: Any,
    ) -> None:
        """The page ends among equal scores that go on past the window (a broad need near a place: hundreds of
        listings with the same score). Equal scores are ordered by distance, so the page's last places go to
        the nearest of them: read growing rings around the place (everything inside a ring's circle) until one
        holds enough of them; anything outside is farther. Replaces the window's tied entries in place."""
        tie = selection.kth
        better = [k for k in selection.kept if k[0] > tie]
        slots = selection.wanted - len(better)  # places of the page that go to equal scores
        if slots <= 0:
            return
        numbers = {id(loaded): n for n, loaded in enumerate(window.targets)}
        ties = {(id(window.targets[n]), o): (f, d, n, o) for f, d, n, o in selection.kept if f == tie}
        assert geography.point is not None
        codes = sorted(c for c in geography.point.coverage if c[0] in "MF")
        local = _any_of("areas", codes) if codes else None
        ring = 2000.0
        limit = geography.radius_m or 150_000.0
        while True:
            ring = min(ring, limit)
            scoped = dataclasses.replace(geography, radius_m=ring)
            query = _within(base, geography.point, ring)
            if local:  # an equal final score means a full proximity factor: the place's own listings
                query = Query.boolean_query([(Occur.Must, query), (Occur.Must, _const(local, 0.0))])
            # Every entry scoring above the tie is already on the page: read just past them, more only when
            # the equal scores go on past what was read.
            size = len(better) + 4 * slots + 10
            found = self._collect(query, partitions, scoped, size)
            while (
                not found.complete
                and found.entries
                and found.entries[-1][0] >= tie
                and size < CANDIDATE_LIMIT
            ):
                size = min(CANDIDATE_LIMIT, size * 4)
                found = self._collect(query, partitions, scoped, size)
            read_all = found.complete or not found.entries or found.entries[-1][0] < tie
            found.entries = [e for e in found.entries if e[0] == tie]
            tested = self._select(found, plan, scoped, instant, "relevance", slots, everything=True)
            near = 0
            for f, d, n, o in tested.kept:
                if f != tie:
                    continue
                loaded = found.targets[n]
                if id(loaded) not in numbers:
                    numbers[id(loaded)] = len(window.targets)
                    window.targets.append(loaded)
                ties[(id(loaded), o)] = (f, d, numbers[id(loaded)], o)
                near += 1
            if near >= slots or ring >= limit or not read_all:
                break
            # Equal scores grow with the ring's area: aim at the ring that should hold the places left.
            ring *= min(4.0, max(2.0, 1.2 * math.sqrt(slots / max(1, near))))
        selection.kept = better + list(ties.values())

    def _count(
        self, query: Query, partitions: list[tuple[str, bool]], geography: Geography, entity: Entity
    ) -> int:
        """Matches without collecting them (one document per answer of the entity)."""
        return sum(
            self._each(
                partitions,
                lambda loaded, shared: (
                    loaded.searcher.search(self._partition_query(query, shared, geography), limit=1).count
                ),
            )
        )

    # facets and suggestions
    # ----------------------------------------------------------------------------------------

    def _facets(self, window: Window, selection: Selection) -> tuple[Counter[str], Counter[str]]:
        """Counts over every answer: the kept entries, or every entry when no exact test was applied."""
        categories: Counter[str] = Counter()
        regions: Counter[str] = Counter()
        items = (
            [(n, o) for _, _, n, o in selection.kept]
            if selection.exhausted
            else [(n, o) for _, n, o in window.entries]
        )
        for number, o in items:
            meta = window.targets[number].meta
            categories.update(meta.tops[o])
            regions[meta.owners[o]] += 1
        return categories, regions

    def _facets_of_index(
        self,
        query: Query,
        partitions: list[tuple[str, bool]],
        geography: Geography,
        entity: Entity,
    ) -> tuple[Counter[str], Counter[str]]:
        """Facet counts computed by Tantivy over every match (no candidate window). A regional partition only
        holds its region's listings: its region count is its match count."""
        categories: Counter[str] = Counter()
        regions: Counter[str] = Counter()

        def count(loaded: LoadedIndex, shared: bool) -> tuple[LoadedIndex, dict[str, Any]]:
            spec: dict[str, Any] = {"tops": {"terms": {"field": "tops", "size": 100}}}
            if loaded.region == SHARED_PARTITION:
                spec["regions"] = {"terms": {"field": "region", "size": 20}}
            else:
                spec["n"] = {"value_count": {"field": "ord"}}
            return loaded, loaded.searcher.aggregate(self._partition_query(query, shared, geography), spec)

        for loaded, answer in self._each(partitions, count):
            for bucket in answer.get("tops", {}).get("buckets", []):
                categories[bucket["key"]] += int(bucket["doc_count"])
            for bucket in answer.get("regions", {}).get("buckets", []):
                regions[bucket["key"]] += int(bucket["doc_count"])
            if "n" in answer:
                regions[loaded.region] += int(answer["n"].get("value") or 0)
        return categories, regions

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
                if not window.entries:
                    continue
                point = wide.point if wide.point is not None and wide.point.has_point else None
                distances = (
                    [
                        d
                        for _, n, o in window.entries
                        if (d := _distance(window.targets[n].meta, o, point.latitude, point.longitude))  # type: ignore[arg-type]
                        is not None
                    ]
                    if point is not None
                    else []
                )
                nearest.append((min(distances) if distances else math.inf, partition, window.count))
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
