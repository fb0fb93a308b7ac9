"""Is a service open at a given instant? HSDS schedules evaluated in America/Montreal.

HSDS schedules are iCal-style rows. The rules applied here, in order:

1. The instant is converted to Montréal wall-clock time (zoneinfo), so daylight saving time is handled by the
   conversion and never by arithmetic on offsets. A naive `open_at` is read as Montréal time.
2. Rows are grouped by validity window (`valid_from`..`valid_to`). On a given day, the **narrowest window that
   contains the day wins**: a one-day holiday row beats a summer schedule, which beats the regular rows (rows
   without a closed window all belong to the regular group). This is how holidays and seasonal hours are
   written
   in practice, and it needs no flag.
3. In the winning group, the rows that occur on that day (WEEKLY `byday`, MONTHLY `byday` such as `1MO`/`-1FR`
   or `bymonthday`, `interval`/`dtstart`/`until`/`count` through dateutil.rrule) give the opening intervals. A
   row
   without `opens_at` means closed (a holiday); split hours are several rows.
4. `closes_at` earlier than `opens_at` runs past midnight (a night shelter 20:00-08:00) and is checked on the
next
   morning too; `closes_at` 24:00 is the end of the day; 00:00-00:00 or 00:00-24:00 is open all day.

Schedules are compiled once per listing when the index is built (`compile_schedules`) into plain tuples, so
the
per-query test is a few comparisons; only unusual rules (MONTHLY, intervals, counts) call dateutil at query
time,
memoised per (rule, day).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule

MONTREAL = ZoneInfo("America/Montreal")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_RRULE_DAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)
_OPEN_ENDED = 10**9

# A compiled row: (valid_from ordinal, valid_to ordinal, weekday bitmask, rule key or None, opens min, closes
# min)
# opens == -1 means "closed that day". The rule key is a hashable tuple of rrule parameters for unusual rules.
CompiledRow = tuple[int, int, int, tuple[Any, ...] | None, int, int]


def _minutes(value: str | None) -> int | None:
    if not value:
        return None
    hours, minutes = value.split(":")[:2]
    return int(hours) * 60 + int(minutes)


def _get(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, dict) else getattr(row, name, None)


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def compile_schedules(rows: Iterable[Any]) -> tuple[CompiledRow, ...]:
    """Compile HSDS schedule rows (models or dicts) into compact tuples; unreadable rows are skipped."""
    compiled: list[CompiledRow] = []
    for row in rows:
        try:
            compiled.append(_compile_row(row))
        except (ValueError, TypeError):
            continue
    return tuple(compiled)


def _compile_row(row: Any) -> CompiledRow:
    valid_from = _as_date(_get(row, "valid_from"))
    valid_to = _as_date(_get(row, "valid_to"))
    start = valid_from.toordinal() if valid_from else -_OPEN_ENDED
    end = valid_to.toordinal() if valid_to else _OPEN_ENDED
    opens = _minutes(_get(row, "opens_at"))
    closes = _minutes(_get(row, "closes_at"))
    freq = (_get(row, "freq") or "").upper() or None
    byday = [d.strip().upper() for d in (_get(row, "byday") or "").split(",") if d.strip()]
    bymonthday = _get(row, "bymonthday")
    interval = _get(row, "interval") or 1
    count = _get(row, "count")
    until = _as_date(_get(row, "until"))
    dtstart = _as_date(_get(row, "dtstart")) or valid_from
    plain_days = all(d in DAYS for d in byday)
    mask = 0
    rule: tuple[Any, ...] | None = None
    if freq in (None, "WEEKLY") and plain_days and interval == 1 and not count and not bymonthday:
        for day in byday:
            mask |= 1 << DAYS.index(day)
        if not byday:
            mask = 0b1111111  # no byday: every day of the validity window (holiday rows, daily hours)
        if until is not None:
            end = min(end, until.toordinal())
    else:
        rule = (
            freq or "WEEKLY",
            tuple(byday),
            str(bymonthday or ""),
            int(interval),
            int(count) if count else None,
            until.toordinal() if until else None,
            (dtstart or date(2000, 1, 3)).toordinal(),
        )
    if opens is None:
        return (start, end, mask, rule, -1, -1)
    if closes is None:
        closes = 24 * 60
    if closes == opens or (opens == 0 and closes == 0):
        closes = opens + 24 * 60  # open around the clock
    return (start, end, mask, rule, opens, closes)


@lru_cache(maxsize=4096)
def _rule_occurs(rule: tuple[Any, ...], day_ordinal: int) -> bool:
    freq, byday, bymonthday, interval, count, until, dtstart = rule
    weekdays = []
    for token in byday:
        name = token[-2:]
        if name not in DAYS:
            continue
        n = token[:-2]
        weekday = _RRULE_DAYS[DAYS.index(name)]
        weekdays.append(weekday(int(n)) if n not in ("", "+") else weekday)
    monthdays = [int(v) for v in bymonthday.split(",") if v.strip()] if bymonthday else None
    start = datetime.fromordinal(dtstart)
    kwargs: dict[str, Any] = {"dtstart": start, "interval": interval}
    if weekdays:
        kwargs["byweekday"] = weekdays
    if monthdays:
        kwargs["bymonthday"] = monthdays
    if count:
        kwargs["count"] = count
    if until:
        kwargs["until"] = datetime.fromordinal(until) + timedelta(days=1, seconds=-1)
    if not weekdays and not monthdays and freq == "WEEKLY":
        kwargs["byweekday"] = [_RRULE_DAYS[start.weekday()]]
    recurrence = rrule.rrule(rrule.MONTHLY if freq == "MONTHLY" else rrule.WEEKLY, **kwargs)
    day_start = datetime.fromordinal(day_ordinal)
    found = recurrence.after(day_start - timedelta(seconds=1))
    return found is not None and found.toordinal() == day_ordinal


def _occurs(row: CompiledRow, day_ordinal: int, weekday: int) -> bool:
    if row[3] is not None:
        return _rule_occurs(row[3], day_ordinal)
    return bool(row[2] & (1 << weekday))


def intervals_on(rows: Sequence[CompiledRow], day: date) -> list[tuple[int, int]] | None:
    """Opening intervals (minutes from local midnight, end may pass 1440) on a local day; None if unknown."""
    if not rows:
        return None
    ordinal = day.toordinal()
    applicable = [r for r in rows if r[0] <= ordinal <= r[1]]
    if not applicable:
        return []

    def width(row: CompiledRow) -> int:
        return row[1] - row[0] if -_OPEN_ENDED < row[0] and row[1] < _OPEN_ENDED else _OPEN_ENDED

    narrowest = min(width(r) for r in applicable)
    group = [r for r in applicable if width(r) == narrowest]
    if narrowest < _OPEN_ENDED:
        window = min((r[0], r[1]) for r in group)
        group = [r for r in group if (r[0], r[1]) == window]
    weekday = day.weekday()
    found: list[tuple[int, int]] = []
    for row in group:
        if row[4] < 0 or not _occurs(row, ordinal, weekday):
            continue
        opens, closes = row[4], row[5]
        if closes <= opens:
            closes += 24 * 60  # past midnight
        found.append((opens, closes))
    return found


def local_time(instant: datetime) -> datetime:
    """The Montréal wall-clock time of an instant; a naive datetime is taken as Montréal time already."""
    if instant.tzinfo is None:
        return instant.replace(tzinfo=MONTREAL)
    return instant.astimezone(MONTREAL)


def is_open(rows: Sequence[CompiledRow], instant: datetime) -> bool | None:
    """True/False when the schedules say; None when the listing has no schedule (unknown, never "open")."""
    if not rows:
        return None
    local = local_time(instant)
    minute = local.hour * 60 + local.minute
    today = local.date()
    for start, end in intervals_on(rows, today) or []:
        if start <= minute < end:
            return True
    for _, end in intervals_on(rows, today - timedelta(days=1)) or []:
        if end > 24 * 60 and minute < end - 24 * 60:
            return True
    return False


def week_slots(rows: Sequence[CompiledRow]) -> set[str]:
    """Hours of the week ("WE10") in which a listing may be open under any of its rows, ignoring validity
    windows:
    a superset, so the index can discard listings that cannot be open before `is_open` decides exactly."""
    slots: set[str] = set()
    for _, _, mask, rule, opens, closes in rows:
        if opens < 0:
            continue
        if rule is not None:
            days = {DAYS.index(t[-2:]) for t in rule[1] if t[-2:] in DAYS} or set(range(7))
        else:
            days = {d for d in range(7) if mask & (1 << d)}
        end = closes if closes > opens else closes + 24 * 60
        for day in days:
            for minute in range(opens - opens % 60, end, 60):
                hour = minute // 60
                slots.add(f"{DAYS[(day + hour // 24) % 7]}{hour % 24:02d}")
    return slots


def slot_of(instant: datetime) -> str:
    local = local_time(instant)
    return f"{DAYS[local.weekday()]}{local.hour:02d}"
