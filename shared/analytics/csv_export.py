"""CSV that opens correctly in Excel in French: UTF-8 with a byte-order mark, `;` (or `,`) separators, CRLF
line
ends, headers in the answer's language, decimals with a comma when the separator is `;`, suppressed cells as
"x"
(Statistics Canada's convention). Formula-like text is quoted with a leading apostrophe (CSV injection)."""

from __future__ import annotations

import csv
import io
from typing import Any

from shared.analytics.queries import StatsAnswer
from shared.analytics.tables import SUPPRESSED

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any, decimal_comma: bool) -> str:
    if value is None:
        return SUPPRESSED
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        text = f"{value:.1f}"
        return text.replace(".", ",") if decimal_comma else text
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(answer: StatsAnswer, sep: str = ";") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([c.label for c in answer.columns])
    for row in answer.rows:
        writer.writerow([_cell(row.get(c.name), sep == ";") for c in answer.columns])
    return (BOM + buffer.getvalue()).encode("utf-8")
