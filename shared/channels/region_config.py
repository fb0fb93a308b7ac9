"""Each region's phone and chat lines: live since when, open when, answered by whom.

A region joins 211 progressively: web first, then phone and chat from a date (Laval phone and web in October 2016,
Montréal web in December 2016 and phone later, some regions still web only). Its lines have weekly hours (default
7 days, 8 h to 18 h, America/Montreal) and holidays, and are answered either by the region's own team of
intervenants (Saguenay–Lac-Saint-Jean) or by the common call centre. The common centre has a configuration of its
own (code `common`): its hours serve callers whose territory is unknown or outside Québec.

`default_configs()` is the believable configuration the local stack seeds and that stands in for any region whose
configuration was never written. Dates are illustrative, not an official chronology.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.channels.hours import HolidayHours, LineSchedule
from shared.directory.models import REGION_CODES, Lang, LocalizedText

COMMON = "common"
CONFIG_CODES: tuple[str, ...] = (*REGION_CODES, COMMON)
Day = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
ALL_DAYS: tuple[Day, ...] = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAYS: tuple[Day, ...] = ("MO", "TU", "WE", "TH", "FR")
LineChannel = Literal["phone", "chat"]
LINE_CHANNELS: tuple[LineChannel, ...] = ("phone", "chat")
AnsweredBy = Literal["regional_team", "common_centre"]
_CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
_QUEUE_ARN = re.compile(
    r"^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance/[A-Za-z0-9-]+/queue/[A-Za-z0-9-]+$"
)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class WeeklyHours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    days: list[Day] = Field(min_length=1, description="MO..SU")
    opens: str = Field(description="HH:MM, local time (America/Montreal)", examples=["08:00"])
    closes: str = Field(description="HH:MM, after opens; 24:00 for midnight", examples=["18:00"])

    @field_validator("opens", "closes")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError("expected HH:MM between 00:00 and 24:00")
        return value

    @field_validator("days")
    @classmethod
    def _unique_days(cls, value: list[Day]) -> list[Day]:
        if len(set(value)) != len(value):
            raise ValueError("a day is listed twice")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> WeeklyHours:
        if self.opens == "24:00" or _minutes(self.closes) <= _minutes(self.opens):
            raise ValueError("closes must be after opens on the same day")
        return self


DEFAULT_HOURS: tuple[WeeklyHours, ...] = (WeeklyHours(days=list(ALL_DAYS), opens="08:00", closes="18:00"),)


class Holiday(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: date
    name: LocalizedText
    opens: str | None = Field(default=None, description="Reduced hours that day; none: closed all day")
    closes: str | None = None

    @model_validator(mode="after")
    def _hours(self) -> Holiday:
        if (self.opens is None) != (self.closes is None):
            raise ValueError("opens and closes go together")
        if self.opens is not None and self.closes is not None:
            WeeklyHours(days=["MO"], opens=self.opens, closes=self.closes)
        return self


class WebChannel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    live_since: date | None = Field(default=None, description="The web directory covers the region since")


class LineConfig(BaseModel):
    """A phone or chat line of a region (or of the common centre)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    live_since: date | None = Field(default=None, description="Answered since; none: not offered")
    hours: list[WeeklyHours] = Field(default_factory=lambda: list(DEFAULT_HOURS))
    team_hours: list[WeeklyHours] | None = Field(
        default=None, description="When the regional team answers (default: all the line's hours)"
    )
    queue_arn: str | None = Field(
        default=None, description="Amazon Connect queue of whoever answers this line"
    )

    @field_validator("queue_arn")
    @classmethod
    def _arn(cls, value: str | None) -> str | None:
        if value is not None and not _QUEUE_ARN.match(value):
            raise ValueError(
                "expected an Amazon Connect queue ARN (arn:aws:connect:<region>:<account>:instance/"
                "<id>/queue/<id>)"
            )
        return value

    def is_live(self, day: date) -> bool:
        return self.live_since is not None and day >= self.live_since


class Channels(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    web: WebChannel = Field(default_factory=WebChannel)
    phone: LineConfig = Field(default_factory=LineConfig)
    chat: LineConfig = Field(default_factory=LineConfig)

    def line(self, channel: LineChannel) -> LineConfig:
        return self.phone if channel == "phone" else self.chat


class RegionSettings(BaseModel):
    """What a platform admin writes (`PUT /admin/regions/{code}`): the whole configuration of one region."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: LocalizedText
    answered_by: AnsweredBy = "common_centre"
    team_name: LocalizedText | None = Field(default=None, description="The regional team, when it answers")
    channels: Channels = Field(default_factory=Channels)
    holidays: list[Holiday] = Field(default_factory=list, max_length=200)
    note: LocalizedText | None = None
    version: int | None = Field(
        default=None, ge=0, description="The version you read; a concurrent change answers 409 (optional)"
    )

    @model_validator(mode="after")
    def _team(self) -> RegionSettings:
        if self.answered_by == "regional_team" and self.team_name is None:
            raise ValueError("a region answered by its regional team needs team_name")
        days = [h.date for h in self.holidays]
        if len(set(days)) != len(days):
            raise ValueError("a holiday date is listed twice")
        return self


class RegionConfig(RegionSettings):
    code: str
    version: int | None = 0
    updated_at: datetime | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if value not in CONFIG_CODES:
            raise ValueError("unknown region code")
        return value

    @property
    def is_common_centre(self) -> bool:
        return self.code == COMMON

    def line(self, channel: LineChannel) -> LineConfig:
        return self.channels.line(channel)

    def holiday_on(self, day: date) -> Holiday | None:
        for holiday in self.holidays:
            if holiday.date == day:
                return holiday
        return None

    def schedule(self, channel: LineChannel) -> LineSchedule:
        return _schedule(self, channel, team=False)

    def team_schedule(self, channel: LineChannel) -> LineSchedule:
        return _schedule(self, channel, team=True)


@lru_cache(maxsize=512)
def _cached_schedule(payload: str) -> LineSchedule:
    line, holidays, live_since = _decode(payload)
    return LineSchedule.build(weekly=line, holidays=holidays, live_since=live_since)


def _decode(payload: str) -> tuple[list[tuple[str, str, str]], list[HolidayHours], date | None]:
    import json

    raw = json.loads(payload)
    return (
        [tuple(row) for row in raw["weekly"]],  # type: ignore[misc]
        [HolidayHours(date.fromisoformat(h[0]), h[1], h[2]) for h in raw["holidays"]],
        date.fromisoformat(raw["live_since"]) if raw["live_since"] else None,
    )


def _schedule(config: RegionConfig, channel: LineChannel, *, team: bool) -> LineSchedule:
    """Compiled once per distinct configuration (configs are immutable and cached by the loader)."""
    import json

    line = config.line(channel)
    weekly = line.team_hours if team and line.team_hours is not None else line.hours
    payload = json.dumps(
        {
            "weekly": [(",".join(h.days), h.opens, h.closes) for h in weekly],
            "holidays": [(h.date.isoformat(), h.opens, h.closes) for h in config.holidays],
            "live_since": line.live_since.isoformat() if line.live_since else None,
        },
        sort_keys=True,
    )
    return _cached_schedule(payload)


# ---- Québec holidays ----------------------------------------------------------------------------------------------


def quebec_holidays(years: range) -> list[Holiday]:
    """Statutory holidays in Québec (Loi sur les normes du travail, Fête nationale act), plus the reduced hours
    211 lines keep on December 24 and 31."""
    from dateutil.easter import easter

    found: list[Holiday] = []
    for year in years:
        paques = easter(year)
        may_24 = date(year, 5, 24)
        patriotes = may_24 - timedelta(days=may_24.weekday())  # the Monday before May 25
        september_1 = date(year, 9, 1)
        labour = september_1 + timedelta(days=(7 - september_1.weekday()) % 7)
        october_1 = date(year, 10, 1)
        thanksgiving = october_1 + timedelta(days=(7 - october_1.weekday()) % 7 + 7)
        days: list[tuple[date, str, str, str | None, str | None]] = [
            (date(year, 1, 1), "Jour de l'An", "New Year's Day", None, None),
            (paques - timedelta(days=2), "Vendredi saint", "Good Friday", None, None),
            (paques + timedelta(days=1), "Lundi de Pâques", "Easter Monday", None, None),
            (patriotes, "Journée nationale des patriotes", "National Patriots' Day", None, None),
            (date(year, 6, 24), "Fête nationale du Québec", "Québec's National Holiday", None, None),
            (date(year, 7, 1), "Fête du Canada", "Canada Day", None, None),
            (labour, "Fête du Travail", "Labour Day", None, None),
            (thanksgiving, "Action de grâce", "Thanksgiving", None, None),
            (date(year, 12, 24), "Veille de Noël", "Christmas Eve", "08:00", "12:00"),
            (date(year, 12, 25), "Noël", "Christmas Day", None, None),
            (date(year, 12, 31), "Veille du Jour de l'An", "New Year's Eve", "08:00", "12:00"),
        ]
        found += [
            Holiday(date=day, name=LocalizedText(fr=fr, en=en), opens=opens, closes=closes)
            for day, fr, en, opens, closes in days
        ]
    return found


# ---- the seeded configuration ---------------------------------------------------------------------------------

_NAMES: dict[str, tuple[str, str]] = {
    "01": ("Bas-Saint-Laurent", "Bas-Saint-Laurent"),
    "02": ("Saguenay–Lac-Saint-Jean", "Saguenay–Lac-Saint-Jean"),
    "03": ("Capitale-Nationale", "Capitale-Nationale"),
    "04": ("Mauricie", "Mauricie"),
    "05": ("Estrie", "Eastern Townships (Estrie)"),
    "06": ("Montréal", "Montréal"),
    "07": ("Outaouais", "Outaouais"),
    "08": ("Abitibi-Témiscamingue", "Abitibi-Témiscamingue"),
    "09": ("Côte-Nord", "Côte-Nord"),
    "10": ("Nord-du-Québec", "Nord-du-Québec"),
    "11": ("Gaspésie–Îles-de-la-Madeleine", "Gaspésie–Îles-de-la-Madeleine"),
    "12": ("Chaudière-Appalaches", "Chaudière-Appalaches"),
    "13": ("Laval", "Laval"),
    "14": ("Lanaudière", "Lanaudière"),
    "15": ("Laurentides", "Laurentides"),
    "16": ("Montérégie", "Montérégie"),
    "17": ("Centre-du-Québec", "Centre-du-Québec"),
}
# code -> (web since, phone since, chat since); None: not offered. Illustrative dates in the order regions joined.
_JOINED: dict[str, tuple[str | None, str | None, str | None]] = {
    "01": ("2021-04-06", None, None),
    "02": ("2019-09-16", "2020-03-02", "2021-09-13"),
    "03": ("2008-06-02", "2008-06-02", "2020-05-04"),
    "04": ("2020-11-02", "2021-01-11", None),
    "05": ("2020-10-05", "2021-04-12", "2022-02-07"),
    "06": ("2016-12-01", "2018-01-15", "2020-04-01"),
    "07": ("2021-02-01", "2022-01-10", None),
    "08": ("2022-05-02", None, None),
    "09": ("2022-09-06", None, None),
    "10": ("2023-03-06", None, None),
    "11": ("2022-09-06", None, None),
    "12": ("2008-06-02", "2008-06-02", "2020-05-04"),
    "13": ("2016-10-03", "2016-10-03", "2020-04-01"),
    "14": ("2017-04-03", "2017-04-03", "2020-04-01"),
    "15": ("2017-10-02", "2018-04-03", "2020-04-01"),
    "16": ("2018-05-01", "2019-01-14", "2021-03-01"),
    "17": ("2020-11-02", "2021-01-11", None),
}
SEED_HOLIDAY_YEARS = range(2025, 2029)
LOCAL_CONNECT_INSTANCE = (
    "arn:aws:connect:ca-central-1:123456789012:instance/00000000-0000-4000-8000-000000000211"
)


def local_queue_arn(name: str) -> str:
    """A well-formed queue ARN for the local stack (replaced by the instance's real queues in AWS)."""
    import uuid

    return f"{LOCAL_CONNECT_INSTANCE}/queue/{uuid.uuid5(uuid.NAMESPACE_URL, 'referral211:queue:' + name)}"


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@cache
def default_configs() -> dict[str, RegionConfig]:
    """The seeded configuration of the 17 regions and the common centre."""
    holidays = quebec_holidays(SEED_HOLIDAY_YEARS)
    configs: dict[str, RegionConfig] = {
        COMMON: RegionConfig(
            code=COMMON,
            name=LocalizedText(fr="Centre d'appels commun 211", en="211 common call centre"),
            answered_by="common_centre",
            channels=Channels(
                web=WebChannel(live_since=date(2008, 6, 2)),
                phone=LineConfig(live_since=date(2008, 6, 2), queue_arn=local_queue_arn("common-phone")),
                chat=LineConfig(live_since=date(2020, 4, 1), queue_arn=local_queue_arn("common-chat")),
            ),
            holidays=holidays,
        )
    }
    weekday_team = [WeeklyHours(days=list(WEEKDAYS), opens="08:00", closes="18:00")]
    for code in REGION_CODES:
        web, phone, chat = (_day(v) for v in _JOINED[code])
        fr, en = _NAMES[code]
        regional = code == "02"
        configs[code] = RegionConfig(
            code=code,
            name=LocalizedText(fr=fr, en=en),
            answered_by="regional_team" if regional else "common_centre",
            team_name=LocalizedText(
                fr="Intervenantes et intervenants 211 du Saguenay–Lac-Saint-Jean",
                en="211 Saguenay–Lac-Saint-Jean regional team",
            )
            if regional
            else None,
            channels=Channels(
                web=WebChannel(live_since=web),
                phone=LineConfig(
                    live_since=phone,
                    team_hours=weekday_team if regional else None,
                    queue_arn=local_queue_arn(f"{code}-phone") if regional else None,
                ),
                chat=LineConfig(
                    live_since=chat,
                    team_hours=weekday_team if regional else None,
                    queue_arn=local_queue_arn(f"{code}-chat") if regional else None,
                ),
            ),
            holidays=holidays,
            note=LocalizedText(
                fr="Le répertoire régional MaCommunauté SLSJ a été intégré au 211; les appels et clavardages de "
                "semaine sont répondus par des intervenants de la région, la fin de semaine par le centre commun.",
                en="The regional MaCommunauté SLSJ directory merged into 211; weekday calls and chats are answered "
                "by the region's own intervenants, weekends by the common centre.",
            )
            if regional
            else None,
        )
    return configs


# ---- public view ----------------------------------------------------------------------------------------------


def render_region(config: RegionConfig, at: datetime, lang: Lang, *, admin: bool = False) -> dict[str, Any]:
    """What a web page shows: which channels are live, whether phone and chat are open now, the next opening."""
    from shared.search.opening_hours import local_time

    local = local_time(at)
    today = local.date()
    body: dict[str, Any] = {
        "code": config.code,
        "name": config.name.pick(lang),
        "answered_by": config.answered_by,
        "team_name": config.team_name.pick(lang) if config.team_name else None,
        "channels": {
            "web": {
                "live": bool(config.channels.web.live_since and today >= config.channels.web.live_since),
                "live_since": _iso(config.channels.web.live_since),
            }
        },
        "holidays": [
            {"date": h.date.isoformat(), "name": h.name.pick(lang), "opens": h.opens, "closes": h.closes}
            for h in sorted(config.holidays, key=lambda h: h.date)
            if today <= h.date <= today + timedelta(days=366)
        ],
        "note": config.note.pick(lang) if config.note else None,
        "version": config.version,
        "updated_at": config.updated_at.isoformat() if config.updated_at else None,
        "checked_at": local.isoformat(),
    }
    for channel in LINE_CHANNELS:
        line = config.line(channel)
        schedule = config.schedule(channel)
        open_now = schedule.is_open(at)
        answered_now_by: str | None = None
        if open_now:
            team_open = config.answered_by == "regional_team" and config.team_schedule(channel).is_open(at)
            answered_now_by = "regional_team" if team_open else "common_centre"
        next_opening = None if open_now else schedule.next_opening(at)
        body["channels"][channel] = {
            "live": line.is_live(today),
            "live_since": _iso(line.live_since),
            "open_now": open_now,
            "answered_now_by": answered_now_by,
            "next_opening": next_opening.isoformat() if next_opening else None,
            "today": [
                {"opens": start.strftime("%H:%M"), "closes": _clock(end)}
                for start, end in schedule.intervals(today)
            ],
            "hours": [h.model_dump() for h in line.hours],
            "team_hours": [h.model_dump() for h in line.team_hours] if line.team_hours is not None else None,
        }
        if admin:
            body["channels"][channel]["queue_arn"] = line.queue_arn
    return body


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _clock(end: datetime) -> str:
    return "24:00" if (end.hour, end.minute) == (0, 0) else end.strftime("%H:%M")


def stamp(settings: RegionSettings, code: str, version: int, now: datetime | None = None) -> RegionConfig:
    """The stored configuration made from what an admin wrote."""
    values = settings.model_dump(exclude={"version"})
    return RegionConfig.model_validate(
        {**values, "code": code, "version": version, "updated_at": now or datetime.now(UTC)}
    )
