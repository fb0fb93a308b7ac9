"""When a line (a region's phone or chat, or the common centre's) is open: weekly hours and holidays.

The arithmetic is the directory's: a line's hours are written as HSDS-style schedule rows and evaluated by
`shared.search.opening_hours` (America/Montreal wall-clock time through zoneinfo, so daylight saving time is never
computed by hand; the narrowest validity window of a day wins, so a one-day holiday row beats the weekly rows).
This module only adds what a line needs beyond "open now": the date a line went live, and the next opening.

    schedule = LineSchedule.build(weekly=[("MO,TU,WE,TH,FR", "08:00", "18:00")], holidays=[...], live_since=...)
    schedule.is_open(instant)       -> bool
    schedule.next_opening(instant)  -> datetime | None (aware, America/Montreal), within a year
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared.search.opening_hours import MONTREAL, CompiledRow, compile_schedules, intervals_on, local_time

HORIZON_DAYS = 400


@dataclass(frozen=True)
class HolidayHours:
    """A day with other hours than usual; no `opens` means closed all day."""

    day: date
    opens: str | None = None
    closes: str | None = None


@dataclass(frozen=True)
class LineSchedule:
    rows: tuple[CompiledRow, ...]
    live_since: date | None

    @classmethod
    def build(
        cls,
        *,
        weekly: Iterable[tuple[str, str, str]],
        holidays: Iterable[HolidayHours] = (),
        live_since: date | None = None,
    ) -> LineSchedule:
        """`weekly` rows are (byday "MO,TU", opens "08:00", closes "18:00")."""
        rows: list[dict[str, object]] = [
            {"freq": "WEEKLY", "byday": byday, "opens_at": opens, "closes_at": closes}
            for byday, opens, closes in weekly
        ]
        for holiday in holidays:
            rows.append(
                {
                    "valid_from": holiday.day,
                    "valid_to": holiday.day,
                    "opens_at": holiday.opens,
                    "closes_at": holiday.closes if holiday.opens else None,
                }
            )
        return cls(rows=compile_schedules(rows), live_since=live_since)

    def is_live(self, day: date) -> bool:
        return self.live_since is not None and day >= self.live_since

    def is_open(self, instant: datetime) -> bool:
        local = local_time(instant)
        if not self.is_live(local.date()):
            return False
        minute = local.hour * 60 + local.minute
        for start, end in self._intervals(local.date()):
            if start <= minute < end:
                return True
        yesterday = local.date() - timedelta(days=1)
        if self.is_live(yesterday):
            for _start, end in self._intervals(yesterday):
                if end > 24 * 60 and minute < end - 24 * 60:
                    return True
        return False

    def next_opening(self, instant: datetime, horizon_days: int = HORIZON_DAYS) -> datetime | None:
        """The first instant at or after `instant` when the line opens; None when it never does within the horizon.

        When the line is open at `instant`, that is `instant` itself.
        """
        if self.is_open(instant):
            return local_time(instant)
        local = local_time(instant)
        minute = local.hour * 60 + local.minute
        day = local.date()
        if self.live_since is not None and day < self.live_since:
            day = self.live_since
            minute = -1
        elif self.live_since is None:
            return None
        for offset in range(horizon_days):
            current = day + timedelta(days=offset)
            starts = sorted(start for start, _ in self._intervals(current) if offset > 0 or start > minute)
            if starts:
                return _at(current, starts[0])
        return None

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's opening intervals as aware datetimes (for display); empty when closed or not live."""
        if not self.is_live(day):
            return []
        return [(_at(day, start), _at(day, end)) for start, end in self._intervals(day)]

    def _intervals(self, day: date) -> Sequence[tuple[int, int]]:
        return intervals_on(self.rows, day) or []


def _at(day: date, minutes: int) -> datetime:
    """Montréal wall-clock `minutes` after local midnight of `day` (may pass into the next day)."""
    extra_days, minute_of_day = divmod(minutes, 24 * 60)
    hours, mins = divmod(minute_of_day, 60)
    naive = datetime.combine(day + timedelta(days=extra_days), time(hours, mins))
    # fold=0 and zoneinfo: a wall-clock time in the spring-forward gap maps past the gap, as clocks do.
    return naive.replace(tzinfo=MONTREAL)
