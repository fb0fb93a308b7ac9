"""Opening hours from HSDS schedules, evaluated in America/Montreal: DST, split hours, holidays, overnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from shared.search.opening_hours import MONTREAL, compile_schedules, intervals_on, is_open


def rows(*items: dict) -> tuple:
    return compile_schedules(items)


WEEKDAYS = {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR"}
SPLIT = rows(
    WEEKDAYS | {"opens_at": "09:00", "closes_at": "12:00"},
    WEEKDAYS | {"opens_at": "13:00", "closes_at": "16:30"},
)


def mtl(y: int, m: int, d: int, h: int, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=MONTREAL)


def test_split_hours_close_at_lunch() -> None:
    wednesday = date(2026, 11, 4)
    assert intervals_on(SPLIT, wednesday) == [(540, 720), (780, 990)]
    assert is_open(SPLIT, mtl(2026, 11, 4, 10)) is True
    assert is_open(SPLIT, mtl(2026, 11, 4, 12, 30)) is False
    assert is_open(SPLIT, mtl(2026, 11, 4, 16, 29)) is True
    assert is_open(SPLIT, mtl(2026, 11, 4, 16, 30)) is False
    assert is_open(SPLIT, mtl(2026, 11, 7, 10)) is False  # Saturday


def test_instants_are_read_in_montreal_time_across_daylight_saving() -> None:
    # GIVEN 09:00-12:00 on weekdays; WHEN asked in UTC on both sides of the DST change
    # Summer (EDT, UTC-4): 13:30 UTC is 09:30 in Montréal -> open
    assert is_open(SPLIT, datetime(2026, 7, 8, 13, 30, tzinfo=UTC)) is True
    # Winter (EST, UTC-5): 13:30 UTC is 08:30 in Montréal -> closed
    assert is_open(SPLIT, datetime(2026, 1, 7, 13, 30, tzinfo=UTC)) is False
    # The Monday after the spring change (2026-03-08): 13:30 UTC is 09:30 EDT -> open
    assert is_open(SPLIT, datetime(2026, 3, 9, 13, 30, tzinfo=UTC)) is True
    # The Monday after the autumn change (2026-11-01): 13:30 UTC is 08:30 EST -> closed
    assert is_open(SPLIT, datetime(2026, 11, 2, 13, 30, tzinfo=UTC)) is False
    # A naive open_at is Montréal wall-clock time; another offset is converted
    assert is_open(SPLIT, datetime(2026, 11, 2, 9, 30)) is True
    assert is_open(SPLIT, datetime(2026, 11, 2, 9, 30, tzinfo=timezone(timedelta(hours=-8)))) is False


def test_the_night_of_the_spring_change_keeps_overnight_hours() -> None:
    # GIVEN a night shelter 20:00-08:00 every day; the clocks jump from 02:00 to 03:00 on 2026-03-08
    shelter = rows(
        {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR,SA,SU", "opens_at": "20:00", "closes_at": "08:00"}
    )
    assert is_open(shelter, datetime(2026, 3, 8, 7, 30, tzinfo=UTC)) is True  # 03:30 EDT, from Saturday night
    assert is_open(shelter, mtl(2026, 3, 8, 7, 59)) is True
    assert is_open(shelter, mtl(2026, 3, 8, 8, 0)) is False
    assert is_open(shelter, mtl(2026, 3, 8, 21, 0)) is True


def test_a_holiday_row_closes_the_day_and_a_holiday_with_hours_replaces_them() -> None:
    holiday = rows(
        WEEKDAYS | {"opens_at": "09:00", "closes_at": "16:00"},
        {"valid_from": "2026-06-24", "valid_to": "2026-06-24", "description": {"fr": "Fête nationale"}},
        {"valid_from": "2026-12-24", "valid_to": "2026-12-24", "opens_at": "09:00", "closes_at": "12:00"},
    )
    assert is_open(holiday, mtl(2026, 6, 24, 10)) is False  # Fête nationale, a Wednesday
    assert is_open(holiday, mtl(2026, 6, 25, 10)) is True
    assert is_open(holiday, mtl(2026, 12, 24, 11)) is True  # short day
    assert is_open(holiday, mtl(2026, 12, 24, 14)) is False


def test_seasonal_hours_win_inside_their_window_only() -> None:
    summer = rows(
        WEEKDAYS | {"opens_at": "09:00", "closes_at": "17:00"},
        {
            "freq": "WEEKLY",
            "byday": "MO,TU,WE,TH",
            "opens_at": "08:00",
            "closes_at": "15:00",
            "valid_from": "2026-06-22",
            "valid_to": "2026-08-28",
        },
    )
    assert is_open(summer, mtl(2026, 7, 8, 16)) is False  # summer Wednesday closes at 15:00
    assert is_open(summer, mtl(2026, 7, 10, 10)) is False  # summer Friday: closed
    assert is_open(summer, mtl(2026, 9, 4, 16)) is True  # back to regular Friday hours


def test_monthly_rules_and_unknown_hours() -> None:
    first_monday = rows(
        {
            "freq": "MONTHLY",
            "byday": "1MO",
            "opens_at": "13:00",
            "closes_at": "16:00",
            "dtstart": "2026-01-01",
        }
    )
    assert is_open(first_monday, mtl(2026, 11, 2, 14)) is True
    assert is_open(first_monday, mtl(2026, 11, 9, 14)) is False
    assert is_open((), mtl(2026, 11, 2, 14)) is None  # no schedule: unknown, never "open"
    around_the_clock = rows(
        {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR,SA,SU", "opens_at": "00:00", "closes_at": "24:00"}
    )
    assert is_open(around_the_clock, mtl(2026, 12, 25, 3)) is True
