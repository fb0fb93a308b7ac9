"""Where a phone call or a chat goes now: the regional team's queue, the common centre, or nowhere yet.

Pure: configurations and the instant come in, a decision comes out (no I/O), so the same rules serve
`GET /routing`, the Amazon Connect flow and the tests.

1. The caller's territory is unknown or outside Québec: the common centre, on the common centre's hours.
2. The region does not offer the channel (web only): `unavailable`, with the web directory as the way in.
   It will from a date: `closed` until then, with that first opening.
3. The region's line is closed (hours, holiday): `closed`, with the next opening.
4. The line is open: the regional team's queue when the region has one and its team is on duty
   (`team_hours`), otherwise the common centre, which answers for every region during the region's hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shared.channels.region_config import COMMON, LineChannel, RegionConfig
from shared.channels.territory import Territory
from shared.directory.models import Lang
from shared.search.opening_hours import local_time

Route = Literal["regional_team", "common_centre", "closed", "unavailable"]
Reason = Literal[
    "team_on_duty",  # the regional team answers
    "answered_by_common_centre",  # the region's calls go to the common centre
    "team_off_duty",  # the region has a team, off duty now: the common centre answers
    "unknown_place",  # no territory, or outside Québec: the common centre
    "outside_hours",
    "holiday",
    "not_live_yet",  # the channel opens in the region at a later date
    "not_offered",  # web only
]


@dataclass(frozen=True)
class RoutingDecision:
    route: Route
    reason: Reason
    channel: LineChannel
    territory: Territory
    queue_arn: str | None
    queue_name: str | None
    next_opening: datetime | None
    config: RegionConfig  # the configuration that decided

    @property
    def is_open(self) -> bool:
        return self.route in ("regional_team", "common_centre")

    def to_json(self, lang: Lang) -> dict[str, Any]:
        config = self.config
        if self.route == "regional_team" and config.team_name:
            answered_by = config.team_name.pick(lang)
        elif self.is_open:
            answered_by = _CENTRE_NAME[lang]
        else:
            answered_by = None
        return {
            "route": self.route,
            "open": self.is_open,
            "reason": self.reason,
            "channel": self.channel,
            "territory": self.territory.to_json(),
            "region_name": config.name.pick(lang) if not config.is_common_centre else None,
            "answered_by": answered_by,
            "queue_arn": self.queue_arn,
            "queue_name": self.queue_name,
            "next_opening": self.next_opening.isoformat() if self.next_opening else None,
        }


_CENTRE_NAME: dict[str, str] = {"fr": "Centre d'appels commun 211", "en": "211 common call centre"}


def queue_name(code: str, channel: LineChannel) -> str:
    """The conventional queue name (`referral211-02-phone`, `referral211-common-chat`) a flow can fall back on."""
    return f"referral211-{code}-{channel}"


def decide(
    channel: LineChannel,
    territory: Territory,
    configs: Mapping[str, RegionConfig],
    at: datetime,
) -> RoutingDecision:
    centre = configs[COMMON]
    region = configs.get(territory.region) if territory.region else None
    if region is None:
        return _to_centre(channel, territory, centre, centre, at, reason="unknown_place")

    line = region.line(channel)
    schedule = region.schedule(channel)
    today = local_time(at).date()
    if not line.is_live(today):
        if line.live_since is None:
            return _decision("unavailable", "not_offered", channel, territory, region, None, None, None)
        return _decision(
            "closed", "not_live_yet", channel, territory, region, None, None, schedule.next_opening(at)
        )
    if not schedule.is_open(at):
        holiday = region.holiday_on(today)
        reason: Reason = "holiday" if holiday is not None and holiday.opens is None else "outside_hours"
        return _decision("closed", reason, channel, territory, region, None, None, schedule.next_opening(at))
    if region.answered_by == "regional_team":
        if region.team_schedule(channel).is_open(at):
            return _decision(
                "regional_team",
                "team_on_duty",
                channel,
                territory,
                region,
                line.queue_arn,
                queue_name(region.code, channel),
                None,
            )
        return _to_centre(channel, territory, region, centre, at, reason="team_off_duty")
    return _to_centre(channel, territory, region, centre, at, reason="answered_by_common_centre")


def _to_centre(
    channel: LineChannel,
    territory: Territory,
    deciding: RegionConfig,
    centre: RegionConfig,
    at: datetime,
    *,
    reason: Reason,
) -> RoutingDecision:
    """The common centre answers; for an unknown place its own hours decide whether it is open."""
    queue = centre.line(channel).queue_arn
    if reason == "unknown_place":
        schedule = centre.schedule(channel)
        if not schedule.is_open(at):
            today = local_time(at).date()
            holiday = centre.holiday_on(today)
            closed: Reason = "holiday" if holiday is not None and holiday.opens is None else "outside_hours"
            return _decision(
                "closed", closed, channel, territory, centre, None, None, schedule.next_opening(at)
            )
    return _decision(
        "common_centre", reason, channel, territory, deciding, queue, queue_name(COMMON, channel), None
    )


def _decision(
    route: Route,
    reason: Reason,
    channel: LineChannel,
    territory: Territory,
    config: RegionConfig,
    queue_arn: str | None,
    queue: str | None,
    next_opening: datetime | None,
) -> RoutingDecision:
    return RoutingDecision(
        route=route,
        reason=reason,
        channel=channel,
        territory=territory,
        queue_arn=queue_arn,
        queue_name=queue,
        next_opening=local_time(next_opening) if next_opening else None,
        config=config,
    )
