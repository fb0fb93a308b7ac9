"""Search terms kept for "lookups without results": scrubbed of anything that could identify a person.

`scrub_search_term(text)` is what the directory and search routes call before putting a term on a
`LookupPerformed` event. The rules (docs/ANALYTICS.md):

- Unicode NFKC, lower case, accents folded ("Épicerie" and "epicerie" count together);
- every token holding a digit is dropped: phone numbers, postal codes ("H2X 1Y4"), street numbers, dates,
ages;
- e-mail addresses, URLs and @handles are dropped;
- punctuation becomes a space (hyphens and apostrophes inside words stay: "saint-jérôme", "l'aide");
- at most 6 words and 60 characters, cut at a word boundary; an empty result is None (nothing is kept).

Names cannot be recognised reliably: a rare term (a name typed in the search box) is never published because
small
cells are suppressed and rare search terms are merged into one "other terms" row before publication.
"""

from __future__ import annotations

import re
import unicodedata

MAX_WORDS = 6
MAX_LENGTH = 60
_EMAIL = re.compile(r"\S+@\S+")
_URL = re.compile(r"(?:https?://|www\.)\S+")
_HANDLE = re.compile(r"@\w+")
_NOT_WORD = re.compile(r"[^\w'\-]+")
_EDGE_PUNCTUATION = re.compile(r"^['\-_]+|['\-_]+$")


def fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def scrub_search_term(text: str | None) -> str | None:
    """The term as analytics may keep it, or None when nothing safe is left."""
    if not text:
        return None
    value = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    for pattern in (_URL, _EMAIL, _HANDLE):
        value = pattern.sub(" ", value)
    words: list[str] = []
    for raw in _NOT_WORD.sub(" ", fold_accents(value)).split():
        word = _EDGE_PUNCTUATION.sub("", raw)
        if not word or any(c.isdigit() for c in word) or "_" in word:
            continue
        words.append(word)
        if len(words) == MAX_WORDS:
            break
    term = ""
    for word in words:
        candidate = f"{term} {word}" if term else word
        if len(candidate) > MAX_LENGTH:
            break
        term = candidate
    return term or None
