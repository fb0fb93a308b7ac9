"""The shipped category taxonomy: "Catégories 211 Québec", open and bilingual, two levels deep.

The AIRS/211 taxonomy is licensed, so the platform ships its own category list as data
(`data/taxonomy_qc211.json`) and carries AIRS codes only as references (`airs_codes`). Ids are stable:
`uuid5(TAXONOMY_NAMESPACE, "term:" + code)`, so a code always maps to the same id across releases and imports.

The file is read once, on first use (nothing happens at import time), and the lookups below are served from
in-memory indexes. Returned models are shared: treat them as read-only.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shared.directory.models import Taxonomy, TaxonomyTerm

DATA_FILE = Path(__file__).parent / "data" / "taxonomy_qc211.json"
TAXONOMY_NAMESPACE = uuid.UUID("5b0d3f1e-2a11-5c0e-9b21-1d2f0a211c0d")


def term_id_for_code(code: str) -> str:
    """The stable id of a term code (the rule the data file was built with)."""
    return str(uuid.uuid5(TAXONOMY_NAMESPACE, f"term:{code}"))


@dataclass(frozen=True)
class _Index:
    taxonomy: Taxonomy
    terms: tuple[TaxonomyTerm, ...]
    by_id: dict[str, TaxonomyTerm]
    by_code: dict[str, TaxonomyTerm]
    children: dict[str | None, tuple[TaxonomyTerm, ...]]


@cache
def _index() -> _Index:
    document = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    taxonomy = Taxonomy.model_validate(document["taxonomy"])
    terms = tuple(TaxonomyTerm.model_validate(raw) for raw in document["terms"])
    children: dict[str | None, list[TaxonomyTerm]] = {}
    for item in terms:
        children.setdefault(item.parent_id, []).append(item)
    return _Index(
        taxonomy=taxonomy,
        terms=terms,
        by_id={item.id: item for item in terms},
        by_code={item.code: item for item in terms if item.code},
        children={parent: tuple(kids) for parent, kids in children.items()},
    )


def get_taxonomy() -> Taxonomy:
    return _index().taxonomy


def all_terms() -> list[TaxonomyTerm]:
    """Every term, top categories first in file order, each followed by its sub-categories."""
    return list(_index().terms)


def term(term_id: str) -> TaxonomyTerm | None:
    return _index().by_id.get(term_id)


def term_by_code(code: str) -> TaxonomyTerm | None:
    """Lookup by code, case-insensitive ("food-bank" finds "FOOD-BANK")."""
    return _index().by_code.get(code.strip().upper())


def top_terms() -> list[TaxonomyTerm]:
    return list(_index().children.get(None, ()))


def children(parent_id: str) -> list[TaxonomyTerm]:
    return list(_index().children.get(parent_id, ()))


def descendants_and_self(term_id: str) -> set[str]:
    """The ids a category filter on `term_id` must match (roll-up); empty when the id is unknown."""
    index = _index()
    if term_id not in index.by_id:
        return set()
    found: set[str] = set()
    pending = [term_id]
    while pending:
        current = pending.pop()
        if current in found:
            continue
        found.add(current)
        pending.extend(kid.id for kid in index.children.get(current, ()))
    return found


def is_top(term_id: str) -> bool:
    item = term(term_id)
    return item is not None and item.parent_id is None
