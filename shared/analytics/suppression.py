"""Small-cell suppression with complementary suppression, so that no published total or subtraction reveals a
suppressed count.

Cells are counts keyed by coordinates; a *line* is a set of cells whose sum is something an analyst can also
read
(the same coordinates but one dimension summed: another `group_by`, or a coarser period). Rules:

1. primary: a count with 0 < n < threshold is suppressed;
2. complementary: a line holding exactly one suppressed non-zero cell gets its smallest other non-zero cell
   suppressed too (then the line's total minus the visible cells is the sum of at least two hidden cells);
3. repeat until no line changes (a new suppression can break another line).

A line whose only non-zero cell is suppressed needs nothing more: its total equals that cell, so it is itself
below
the threshold and suppressed wherever it is published. Zeros are never suppressed and never used as
complements
(they reveal nothing). The lines used by the API are described in queries.py and docs/ANALYTICS.md.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping


def suppress(
    values: Mapping[Hashable, int], lines: Iterable[Iterable[Hashable]], threshold: int
) -> set[Hashable]:
    """The cells to hide among `values`, given the lines (groups of cell keys whose sums are published)."""
    hidden = {key for key, value in values.items() if 0 < value < threshold}
    if not hidden:
        return hidden  # nothing to protect: no complement is ever needed
    groups = [[key for key in line if values.get(key, 0) > 0] for line in lines]
    groups = [g for g in groups if len(g) > 1]
    changed = bool(hidden)
    while changed:
        changed = False
        for group in groups:
            inside = [key for key in group if key in hidden]
            if len(inside) != 1:
                continue
            candidates = sorted(
                (key for key in group if key not in hidden), key=lambda k: (values[k], repr(k))
            )
            if candidates:
                hidden.add(candidates[0])
                changed = True
    return hidden
