"""Projections: what each detail-type counts. One registered projection per event type.

A projection turns one validated event detail into counter increments (`Increment`: table, region, local day,
stored dimension values, measure, amount). Adding an event type to the statistics is one decorated function
here; the aggregator, the rebuild and the benchmark pick it up from `PROJECTIONS`.

Each projection validates against its contract in shared/event_contracts.py (the catalogue in events/).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from shared import event_contracts
from shared.analytics.scrub import scrub_search_term
from shared.analytics.tables import NONE_VALUE, UNKNOWN_REGION

LOCAL_TIME = ZoneInfo("America/Montreal")  # analysts count days as people in Québec live them
_SEPARATOR = "|"


@dataclass(frozen=True)
class Increment:
    table: str
    region: str
    day: date
    cell: tuple[str, ...]
    measure: str
    amount: int = 1


@dataclass(frozen=True)
class Projection:
    detail_type: str
    model: type[BaseModel]
    project: Callable[[Any, date], list[Increment]]


PROJECTIONS: dict[str, Projection] = {}


def projection(
    detail_type: str, model: type[BaseModel]
) -> Callable[[Callable[[Any, date], list[Increment]]], Any]:
    def register(function: Callable[[Any, date], list[Increment]]) -> Callable[[Any, date], list[Increment]]:
        PROJECTIONS[detail_type] = Projection(detail_type, model, function)
        return function

    return register


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TIME).date()


def clean_value(value: object) -> str:
    """A dimension value as a counter cell stores it (never empty, never the cell separator)."""
    text = str(value).strip() if value is not None else ""
    return text.replace(_SEPARATOR, "/").replace("~", "-")[:120] or NONE_VALUE


def _region(detail: Any) -> str:
    region = getattr(detail, "region", None)
    return region if isinstance(region, str) and region else UNKNOWN_REGION


def _terms(detail: Any) -> list[str]:
    """The categories an event carries (`taxonomy_term_ids` or one `taxonomy_term_id`)."""
    many = getattr(detail, "taxonomy_term_ids", None)
    if many:
        return [str(t) for t in many]
    one = getattr(detail, "taxonomy_term_id", None)
    return [str(one)] if one else [NONE_VALUE]


# ---- lookups
# ----------------------------------------------------------------------------------------------------


@projection("LookupPerformed", event_contracts.LookupPerformed)
def project_lookup(detail: Any, day: date) -> list[Increment]:
    region = _region(detail)
    channel = clean_value(detail.channel)
    term = clean_value(detail.taxonomy_term_id)
    found_nothing = detail.result_count == 0
    increments = [
        Increment("requests", region, day, (channel,), "lookups"),
        Increment("lookups_by_category", region, day, (term, channel), "lookups"),
    ]
    if found_nothing:
        search_term = scrub_search_term(getattr(detail, "search_term", None))
        increments += [
            Increment("lookups_by_category", region, day, (term, channel), "without_results"),
            Increment("lookups_without_results", region, day, (clean_value(search_term), term), "lookups"),
        ]
    return increments


# ---- contacts (issue 5, shared/event_contracts.py: ContactEvent and its subclasses)
# ------------------------------
# A contact can be reported twice: by the intervenant who records it (origin "agent") and by Amazon Connect's
# own
# contact events (origin "connect"). Events carry no contact id, so the two are never matched: they are
# counted
# apart (`contacts` vs `connect_contacts`, and `origin` in the contacts table) and never added together.


@projection("ContactStarted", event_contracts.ContactStarted)
def project_contact_started(detail: Any, day: date) -> list[Increment]:
    measure = "connect_contacts" if detail.origin == "connect" else "contacts"
    return [Increment("requests", _region(detail), day, (clean_value(detail.channel),), measure)]


@projection("ContactDisconnected", event_contracts.ContactDisconnected)
def project_contact_disconnected(detail: Any, day: date) -> list[Increment]:
    if not detail.abandoned:
        return []
    return [Increment("requests", _region(detail), day, (clean_value(detail.channel),), "abandoned")]


@projection("NeedRecorded", event_contracts.NeedRecorded)
def project_need(detail: Any, day: date) -> list[Increment]:
    region, territory = _region(detail), clean_value(detail.fsa)
    return [Increment("needs", region, day, (clean_value(t), territory), "needs") for t in _terms(detail)]


@projection("UnmetNeedRecorded", event_contracts.UnmetNeedRecorded)
def project_unmet_need(detail: Any, day: date) -> list[Increment]:
    reason = clean_value(detail.reason)
    return [
        Increment("unmet_needs", _region(detail), day, (clean_value(t), reason), "unmet_needs")
        for t in _terms(detail)
    ]


@projection("ReferralGiven", event_contracts.ReferralGiven)
def project_referral(detail: Any, day: date) -> list[Increment]:
    # The event names the service and the organisation it belonged to when referred: the table counts that
    # organisation, whatever the directory says later. An event without it (published before the field existed)
    # stores "-", and its organisation is resolved from the service when the table is read (queries.py). No
    # directory read here, so a rebuild gives the same cells.
    service, organization = clean_value(detail.service_id), clean_value(detail.organization_id)
    return [
        Increment("referrals", _region(detail), day, (clean_value(t), service, organization), "referrals")
        for t in _terms(detail)
    ]


@projection("ContactClosed", event_contracts.ContactClosed)
def project_contact_closed(detail: Any, day: date) -> list[Increment]:
    region = _region(detail)
    cell = (clean_value(detail.channel), clean_value(detail.outcome), clean_value(detail.origin))
    increments = [Increment("contacts", region, day, cell, "contacts")]
    if detail.duration_seconds is not None:
        increments += [
            Increment("contacts", region, day, cell, "timed_contacts"),
            Increment("contacts", region, day, cell, "duration_seconds", int(detail.duration_seconds)),
        ]
    return increments


def project(detail_type: str, detail: Any, occurred_at: datetime) -> list[Increment]:
    found = PROJECTIONS.get(detail_type)
    return found.project(detail, local_day(occurred_at)) if found else []


@cache
def projected_detail_types() -> tuple[str, ...]:
    return tuple(sorted(PROJECTIONS))


def cell_name(measure: str, cell: Iterable[str]) -> str:
    """The attribute a counter item stores one cell in: `measure|value|value...`."""
    return _SEPARATOR.join((measure, *cell))


def split_cell_name(name: str) -> tuple[str, tuple[str, ...]]:
    measure, *values = name.split(_SEPARATOR)
    return measure, tuple(values)
