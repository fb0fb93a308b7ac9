"""Lines' hours and routing, as pure functions: hours, holidays, daylight saving time, regions that joined late or
offer only the web, unknown places."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from shared.channels.hours import HolidayHours, LineSchedule
from shared.channels.region_config import (
    Holiday,
    LineConfig,
    RegionConfig,
    RegionSettings,
    WeeklyHours,
    default_configs,
    quebec_holidays,
)
from shared.channels.routing import decide
from shared.channels.territory import UNKNOWN, from_coordinates, from_postal_code, from_region, resolve

MTL = ZoneInfo("America/Montreal")


def at(*args: int) -> datetime:
    """Montréal wall-clock time."""
    return datetime(*args, tzinfo=MTL)


# ---- hours ------------------------------------------------------------------------------------------------------


def weekdays_8_to_18(**kwargs: object) -> LineSchedule:
    return LineSchedule.build(
        weekly=[("MO,TU,WE,TH,FR", "08:00", "18:00")], live_since=date(2020, 1, 1), **kwargs
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 11, 4, 7, 59), False),  # Wednesday, a minute early
        (at(2026, 11, 4, 8, 0), True),
        (at(2026, 11, 4, 17, 59), True),
        (at(2026, 11, 4, 18, 0), False),
        (at(2026, 11, 7, 10, 0), False),  # Saturday
    ],
)
def test_weekly_hours_are_read_in_montreal_time(moment: datetime, expected: bool) -> None:
    assert weekdays_8_to_18().is_open(moment) is expected


def test_hours_follow_daylight_saving_time() -> None:
    # GIVEN a line open 8h-18h; 12:30 UTC is 8:30 in summer (EDT, UTC-4) but 7:30 in winter (EST, UTC-5)
    schedule = LineSchedule.build(
        weekly=[("MO,TU,WE,TH,FR,SA,SU", "08:00", "18:00")], live_since=date(2020, 1, 1)
    )
    summer = datetime(2026, 7, 15, 12, 30, tzinfo=ZoneInfo("UTC"))
    winter = datetime(2026, 1, 15, 12, 30, tzinfo=ZoneInfo("UTC"))
    assert schedule.is_open(summer) is True
    assert schedule.is_open(winter) is False
    # AND the Sunday clocks spring forward, the line still opens at 8:00 local (12:00 UTC)
    opening = schedule.next_opening(datetime(2026, 3, 8, 6, 0, tzinfo=ZoneInfo("UTC")))
    assert opening is not None and opening.hour == 8 and opening.utcoffset().total_seconds() == -4 * 3600


def test_a_holiday_closes_the_line_and_the_next_opening_skips_it() -> None:
    schedule = weekdays_8_to_18(holidays=[HolidayHours(date(2026, 12, 25))])
    friday_christmas = at(2026, 12, 25, 10, 0)
    assert schedule.is_open(friday_christmas) is False
    assert schedule.next_opening(friday_christmas) == at(2026, 12, 28, 8, 0)  # the Monday


def test_reduced_hours_on_a_holiday_eve() -> None:
    schedule = weekdays_8_to_18(holidays=[HolidayHours(date(2026, 12, 24), "08:00", "12:00")])
    assert schedule.is_open(at(2026, 12, 24, 11, 59)) is True
    assert schedule.is_open(at(2026, 12, 24, 12, 0)) is False


def test_a_line_not_live_yet_opens_on_its_first_day() -> None:
    schedule = LineSchedule.build(weekly=[("MO,TU,WE,TH,FR", "08:00", "18:00")], live_since=date(2027, 1, 4))
    assert schedule.is_open(at(2026, 12, 30, 10, 0)) is False
    assert schedule.next_opening(at(2026, 12, 30, 10, 0)) == at(2027, 1, 4, 8, 0)


def test_a_line_never_offered_never_opens() -> None:
    schedule = LineSchedule.build(weekly=[("MO", "08:00", "18:00")], live_since=None)
    assert schedule.next_opening(at(2026, 12, 30, 10, 0)) is None


def test_quebec_holidays_follow_the_calendar() -> None:
    days = {h.date: h.name.pick("fr") for h in quebec_holidays(range(2026, 2027))}
    assert days[date(2026, 4, 3)] == "Vendredi saint"  # Easter 2026 is April 5
    assert days[date(2026, 5, 18)] == "Journée nationale des patriotes"  # Monday before May 25
    assert days[date(2026, 9, 7)] == "Fête du Travail"
    assert days[date(2026, 10, 12)] == "Action de grâce"
    assert days[date(2026, 6, 24)] == "Fête nationale du Québec"


def test_configuration_refuses_hours_that_close_before_they_open() -> None:
    with pytest.raises(ValueError):
        WeeklyHours(days=["MO"], opens="18:00", closes="08:00")
    with pytest.raises(ValueError):
        WeeklyHours(days=["MO"], opens="8h", closes="18:00")
    with pytest.raises(ValueError):
        RegionSettings(name={"fr": "X"}, answered_by="regional_team")  # a team needs a name
    with pytest.raises(ValueError):
        LineConfig(queue_arn="not-an-arn")
    with pytest.raises(ValueError):
        Holiday(date=date(2026, 1, 1), name={"fr": "X"}, opens="08:00")


# ---- the seeded configuration -------------------------------------------------------------------------------


def test_every_region_and_the_common_centre_are_configured() -> None:
    configs = default_configs()
    assert sorted(configs) == [f"{n:02d}" for n in range(1, 18)] + ["common"]
    assert configs["02"].answered_by == "regional_team"
    assert configs["13"].line("phone").live_since == date(2016, 10, 3)  # Laval: phone and web, October 2016
    assert configs["06"].channels.web.live_since == date(2016, 12, 1)  # Montréal: web first...
    assert configs["06"].line("phone").live_since > configs["06"].channels.web.live_since  # ...then phone
    web_only = [c for c in configs.values() if c.line("phone").live_since is None]
    assert len(web_only) >= 3


# ---- territory ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postal_code", "region", "fsa", "in_quebec"),
    [
        ("G8B 3L2", "02", "G8B", True),  # Alma
        ("g7h1a1", "02", "G7H", True),  # Chicoutimi, typed sloppily
        ("H7N 5H9", "13", "H7N", True),  # Laval
        ("H2L-1K5", "06", "H2L", True),  # Montréal
        ("K1A 0A6", None, None, False),  # Ottawa: outside Québec, and no FSA kept
        ("12345", None, None, None),  # not a postal code
    ],
)
def test_a_postal_code_gives_a_region_and_never_more_than_its_fsa(
    postal_code: str, region: str | None, fsa: str | None, in_quebec: bool | None
) -> None:
    territory = from_postal_code(postal_code)
    assert (territory.region, territory.fsa, territory.in_quebec) == (region, fsa, in_quebec)


def test_coordinates_and_region_codes_give_a_region() -> None:
    assert from_coordinates(48.55, -71.65).region == "02"  # Alma
    assert from_coordinates(40.71, -74.0).in_quebec is False  # New York
    assert from_region("13").region == "13"
    assert from_region("99") == UNKNOWN
    assert resolve(postal_code="K1A 0A6", region="02").region is None  # a postal code elsewhere wins


# ---- routing --------------------------------------------------------------------------------------------------


def route(channel: str, moment: datetime, **where: object) -> dict[str, object]:
    decision = decide(channel, resolve(**where), default_configs(), moment)  # type: ignore[arg-type]
    return decision.to_json("fr")


def test_saguenay_answers_its_own_calls_on_weekdays() -> None:
    # GIVEN a caller from Alma on a Wednesday morning
    answer = route("phone", at(2026, 11, 4, 10, 0), postal_code="G8B 3L2")
    # THEN the call goes to the region's own team
    assert answer["route"] == "regional_team" and answer["open"] is True
    assert answer["queue_arn"] and answer["queue_name"] == "referral211-02-phone"
    assert "Saguenay" in str(answer["answered_by"])


def test_saguenay_weekend_calls_go_to_the_common_centre() -> None:
    answer = route("chat", at(2026, 11, 7, 10, 0), region="02")
    assert (answer["route"], answer["reason"]) == ("common_centre", "team_off_duty")
    assert answer["queue_name"] == "referral211-common-chat"


def test_laval_is_answered_by_the_common_centre() -> None:
    answer = route("phone", at(2026, 11, 4, 10, 0), postal_code="H7N 5H9")
    assert (answer["route"], answer["reason"]) == ("common_centre", "answered_by_common_centre")
    assert answer["territory"] == {"region": "13", "fsa": "H7N", "source": "postal_code", "in_quebec": True}


def test_a_line_is_closed_at_night_with_the_next_opening() -> None:
    answer = route("phone", at(2026, 11, 4, 21, 0), region="13")
    assert (answer["route"], answer["reason"], answer["open"]) == ("closed", "outside_hours", False)
    assert answer["next_opening"] == at(2026, 11, 5, 8, 0).isoformat()


def test_a_holiday_closes_the_line() -> None:
    answer = route("phone", at(2026, 12, 25, 10, 0), region="02")
    assert (answer["route"], answer["reason"]) == ("closed", "holiday")
    assert answer["next_opening"] == at(2026, 12, 26, 8, 0).isoformat()


def test_montreal_had_the_web_before_the_phone() -> None:
    # GIVEN Montréal in 2017: web directory live since December 2016, phone from January 2018
    answer = route("phone", at(2017, 6, 1, 10, 0), region="06")
    assert (answer["route"], answer["reason"]) == ("closed", "not_live_yet")
    assert answer["next_opening"] == at(2018, 1, 15, 8, 0).isoformat()


def test_a_web_only_region_has_no_phone_or_chat() -> None:
    configs = default_configs()
    web_only = next(
        c.code for c in configs.values() if c.code != "common" and c.line("phone").live_since is None
    )
    answer = route("phone", at(2026, 11, 4, 10, 0), region=web_only)
    assert (answer["route"], answer["reason"], answer["next_opening"]) == ("unavailable", "not_offered", None)


@pytest.mark.parametrize(
    "where", [{}, {"postal_code": "K1A 0A6"}, {"postal_code": "nonsense"}, {"lat": 40.71, "lng": -74.0}]
)
def test_unknown_or_outside_places_go_to_the_common_centre(where: dict[str, object]) -> None:
    answer = route("phone", at(2026, 11, 4, 10, 0), **where)
    assert (answer["route"], answer["reason"]) == ("common_centre", "unknown_place")
    night = route("phone", at(2026, 11, 4, 23, 0), **where)
    assert night["route"] == "closed" and night["next_opening"] == at(2026, 11, 5, 8, 0).isoformat()


def test_a_custom_configuration_routes_by_its_own_hours() -> None:
    configs = dict(default_configs())
    configs["14"] = RegionConfig(
        code="14",
        name={"fr": "Lanaudière"},
        answered_by="regional_team",
        team_name={"fr": "Équipe de Lanaudière", "en": "Lanaudière team"},
        channels={
            "phone": {
                "live_since": "2017-04-03",
                "hours": [{"days": ["MO", "TU", "WE", "TH", "FR"], "opens": "09:00", "closes": "17:00"}],
            }
        },
    )
    decision = decide("phone", from_region("14"), configs, at(2026, 11, 4, 8, 30))
    assert decision.route == "closed" and decision.next_opening == at(2026, 11, 4, 9, 0)
    decision = decide("phone", from_region("14"), configs, at(2026, 11, 4, 9, 30))
    assert decision.route == "regional_team" and decision.to_json("en")["answered_by"] == "Lanaudière team"
