"""The bilingual thesaurus: everyday words → categories and the other language's words.

Two sources, one structure:
- every taxonomy term is a concept: its French and English names and its `keywords` point to that term;
- `data/thesaurus.json` adds general domain vocabulary the taxonomy lacks: Québec colloquialisms ("bouffe",
  "mon chum", "proprio", "idées noires"), acronyms (CAVAC, CALACS, ACEF, HLM, CLSC, CJE), cross-language pairs
  ("food bank" ↔ "banque alimentaire", "shelter" ↔ "hébergement"), and plain equivalents ("femmes" ↔ "women").

Phrases are matched on word forms that survive typing habits: folded (no accents), glue words dropped ("rien à
manger" = "rien manger"), and in three forms (as typed, French stem, English stem) so "banques alimentaires",
"banque alimentaire" and "food banks" all find their concept. A phrase's **specificity** is how narrow its
categories are: "banque alimentaire" points at one sub-category, "aide" at half the taxonomy; specific phrases
weigh more in ranking (see engine.py).

Built once per process from shipped data (no I/O after the first call).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from shared.search.text import GLUE, STOPWORDS, phrase_tokens, stem_en, stem_fr

DATA_FILE = Path(__file__).parent / "data" / "thesaurus.json"
MAX_PHRASE_TOKENS = 6
MAX_EXPANSIONS = 6

__all__ = ["GLUE", "Concept", "PhraseMatch", "Thesaurus", "get_thesaurus", "phrase_tokens"]


@dataclass
class Concept:
    id: str
    categories: frozenset[str]
    main: str | None = None  # the category the concept is chiefly about (listed first in the data)
    # Expansion phrases as token lists, per language: what a matched concept adds to the text search.
    expansions_fr: list[list[str]] = field(default_factory=list)
    expansions_en: list[list[str]] = field(default_factory=list)
    # Equivalence groups mix both languages ("femmes", "women"): their phrases are looked for in both.
    expansions_any: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class PhraseMatch:
    start: int
    end: int  # exclusive, in glue-free token positions
    concepts: tuple[str, ...]
    categories: frozenset[str]
    specificity: float
    # How strongly the phrase names each category: 1.0 for the categories most of its concepts agree on.
    weights: tuple[tuple[str, float], ...] = ()


@dataclass
class Thesaurus:
    concepts: dict[str, Concept]
    # key forms -> concept ids; three dicts share the same keys space (tuples of forms)
    by_raw: dict[tuple[str, ...], set[str]]
    by_fr: dict[tuple[str, ...], set[str]]
    by_en: dict[tuple[str, ...], set[str]]
    vocabulary: frozenset[str]
    stem_vocabulary: frozenset[str]
    word_weight: dict[str, int]

    def concepts_of(self, key_raw: tuple[str, ...]) -> set[str]:
        """Concepts of a word sequence: as typed first; stems only when the exact words name nothing (so
        "consomme" is drug use, not "consommateur")."""
        found = self.by_raw.get(key_raw)
        if found:
            return set(found)
        stemmed = set(self.by_fr.get(tuple(stem_fr(t) for t in key_raw), set()))
        stemmed |= self.by_en.get(tuple(stem_en(t) for t in key_raw), set())
        return stemmed

    def match(self, words: Sequence[str]) -> list[PhraseMatch]:
        """Greedy longest phrase matches over glue-free folded words, left to right."""
        matches: list[PhraseMatch] = []
        i = 0
        n = len(words)
        while i < n:
            step = 1
            for length in range(min(MAX_PHRASE_TOKENS, n - i), 0, -1):
                window = tuple(words[i : i + length])
                if length == 1 and window[0] in STOPWORDS:
                    continue
                found = self.concepts_of(window)
                if found:
                    votes: dict[str, float] = {}
                    for concept_id in found:
                        concept = self.concepts[concept_id]
                        for category in concept.categories:
                            vote = 1.0 if concept.main in (None, category) else 0.7
                            votes[category] = votes.get(category, 0.0) + vote
                    # A word that names a whole top category (a word of its name or keywords) and some of its
                    # sub-categories points to the sub-categories ("emploi": employment help, not the whole of
                    # "Revenu et emploi" as that category; its other listings still match the word in their
                    # category names, at category-text weight).
                    narrower = {_top_of(c) for c in votes if _parent_of(c) is not None}
                    for broad in [c for c in votes if _parent_of(c) is None and c in narrower]:
                        del votes[broad]
                    categories = frozenset(votes)
                    top = max(votes.values(), default=1)
                    weights = tuple(sorted((c, 0.5 + 0.5 * v / top) for c, v in votes.items()))
                    specificity = self.specificity(categories, length)
                    matches.append(
                        PhraseMatch(i, i + length, tuple(sorted(found)), categories, specificity, weights)
                    )
                    step = length
                    break
            i += step
        return matches

    @staticmethod
    def specificity(categories: frozenset[str], length: int) -> float:
        """1.0 for a phrase naming one area; lower as it spreads over more top categories."""
        if not categories:
            return 0.0
        tops = {_top_of(c) for c in categories}
        base = 1.0 / math.sqrt(len(tops))
        return min(1.0, base * (1.15 if length > 1 else 1.0))

    def expansions(
        self, concept_ids: Iterable[str]
    ) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
        """The concepts' phrases: French, English, and of either language (equivalence groups)."""
        fr: list[list[str]] = []
        en: list[list[str]] = []
        either: list[list[str]] = []
        for cid in concept_ids:
            concept = self.concepts[cid]
            for source, target in (
                (concept.expansions_fr, fr),
                (concept.expansions_en, en),
                (concept.expansions_any, either),
            ):
                for phrase in source:
                    if phrase not in target:
                        target.append(phrase)
        return fr[:MAX_EXPANSIONS], en[:MAX_EXPANSIONS], either[:MAX_EXPANSIONS]


def _parent_of(term_id: str) -> str | None:
    from shared.directory import taxonomy

    found = taxonomy.term(term_id)
    return found.parent_id if found is not None else None


def _top_of(term_id: str) -> str:
    from shared.directory import taxonomy

    current = taxonomy.term(term_id)
    while current is not None and current.parent_id:
        parent = taxonomy.term(current.parent_id)
        if parent is None:
            break
        current = parent
    return current.id if current else term_id


def _register(
    thesaurus_maps: tuple[dict[tuple[str, ...], set[str]], ...], phrase: str, concept_id: str
) -> list[str] | None:
    words = phrase_tokens(phrase)
    if not words or len(words) > MAX_PHRASE_TOKENS:
        return None
    if len(words) == 1 and (words[0] in STOPWORDS or len(words[0]) < 2):
        return None
    by_raw, by_fr, by_en = thesaurus_maps
    by_raw.setdefault(tuple(words), set()).add(concept_id)
    by_fr.setdefault(tuple(stem_fr(w) for w in words), set()).add(concept_id)
    by_en.setdefault(tuple(stem_en(w) for w in words), set()).add(concept_id)
    return words


def _distinct(phrases: list[str], stem: Callable[[str], str], limit: int = 2) -> list[list[str]]:
    """The first phrases whose stems differ ("hébergement" and "héberger" are one expansion, not two)."""
    found: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for phrase in phrases:
        words = phrase_tokens(phrase)
        key = tuple(stem(w) for w in words)
        if words and key not in seen:
            seen.add(key)
            found.append(words)
        if len(found) == limit:
            break
    return found


@cache
def get_thesaurus() -> Thesaurus:
    from shared.directory import taxonomy

    document = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    maps: tuple[dict[tuple[str, ...], set[str]], ...] = ({}, {}, {})
    concepts: dict[str, Concept] = {}
    vocabulary: dict[str, int] = {}

    def add_phrases(concept: Concept, phrases: Iterable[str]) -> None:
        for phrase in phrases:
            words = _register(maps, phrase, concept.id)
            for word in words or ():
                vocabulary[word] = vocabulary.get(word, 0) + 1

    for item in taxonomy.all_terms():
        concept = Concept(id=f"term:{item.code or item.id}", categories=frozenset({item.id}))
        concept.expansions_fr = [w for w in [phrase_tokens(item.name.fr or "")] if w]
        concept.expansions_en = [w for w in [phrase_tokens(item.name.en or "")] if w]
        concepts[concept.id] = concept
        add_phrases(concept, [item.name.fr or "", item.name.en or ""])
        add_phrases(concept, item.keywords.get("fr", []))
        add_phrases(concept, item.keywords.get("en", []))

    for raw in document["concepts"]:
        categories = set()
        for code in raw.get("categories", []):
            found = taxonomy.term_by_code(code)
            if found is None:
                raise ValueError(f"thesaurus concept {raw['id']} names unknown category {code}")
            categories.add(found.id)
        main = taxonomy.term_by_code(raw["categories"][0]) if raw.get("categories") else None
        concept = Concept(id=raw["id"], categories=frozenset(categories), main=main.id if main else None)
        concept.expansions_fr = _distinct(raw["fr"], stem_fr)
        concept.expansions_en = _distinct(raw["en"], stem_en)
        concepts[concept.id] = concept
        add_phrases(concept, raw["fr"])
        add_phrases(concept, raw["en"])

    for n, group in enumerate(document.get("equivalents", [])):
        concept = Concept(id=f"eq:{n}", categories=frozenset())
        split = [phrase_tokens(p) for p in group]
        concept.expansions_any = [w for w in split if w][:MAX_EXPANSIONS]
        concepts[concept.id] = concept
        add_phrases(concept, group)

    stems = frozenset(stem_fr(w) for w in vocabulary) | frozenset(stem_en(w) for w in vocabulary)
    return Thesaurus(
        concepts=concepts,
        by_raw=maps[0],
        by_fr=maps[1],
        by_en=maps[2],
        vocabulary=frozenset(vocabulary),
        stem_vocabulary=stems,
        word_weight=vocabulary,
    )
