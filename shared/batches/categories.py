"""Map what sources call a category to the platform's own open taxonomy (shared/directory/taxonomy.py).

Accepted: our term ids, our codes ("FOOD-BANK"), our names in French or English ("Banques alimentaires"), and
AIRS
codes (iCarol exports), matched on the longest AIRS code a term declares in `airs_codes` that prefixes the
incoming code ("BD-1800.2000-180" rolls up to the term carrying "BD-1800.2000").
"""

from __future__ import annotations

import re
from functools import cache

from shared.directory import taxonomy
from shared.directory.models import sort_key

_AIRS_CODE = re.compile(r"^[A-Z]{1,2}(-\d{4}(\.\d{4}(-\d{3}(\.\d{2,3})?)?)?)?$")


@cache
def _by_name() -> dict[str, str]:
    names: dict[str, str] = {}
    for item in taxonomy.all_terms():
        for text in (item.name.fr, item.name.en):
            if text:
                names.setdefault(sort_key(text), item.id)
    return names


@cache
def _airs_prefixes() -> tuple[tuple[str, str], ...]:
    pairs = [(code.upper(), item.id) for item in taxonomy.all_terms() for code in item.airs_codes]
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


def is_airs_code(value: str) -> bool:
    return bool(_AIRS_CODE.match(value.strip().upper()))


def from_airs_code(code: str) -> str | None:
    wanted = code.strip().upper()
    for prefix, term_id in _airs_prefixes():
        if wanted == prefix or wanted.startswith(prefix + ".") or wanted.startswith(prefix + "-"):
            return term_id
    return None


def resolve(value: str) -> str | None:
    """The term id `value` designates, or None when it designates none of ours."""
    text = value.strip()
    if not text:
        return None
    if taxonomy.term(text.lower()) is not None:
        return text.lower()
    by_code = taxonomy.term_by_code(text)
    if by_code is not None:
        return by_code.id
    if is_airs_code(text):
        return from_airs_code(text)
    return _by_name().get(sort_key(text))


def is_known(term_id: str) -> bool:
    return taxonomy.term(term_id) is not None
