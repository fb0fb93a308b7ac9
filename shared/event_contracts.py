"""Events are typed contracts: one pydantic model per detail-type, catalogued in `events/`.

`referral211 events generate` writes a JSON Schema and a sample per detail-type into `events/`; a test fails
when code and catalogue drift. No event carries personal data: no phone number, name, free text, contact id,
or territory finer than an FSA.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SOURCE_PREFIX = "referral211"
Channel = Literal["web", "phone", "chat"]
CHANNELS: tuple[str, ...] = ("web", "phone", "chat")
EXAMPLE_TIME = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)


class DetailType(StrEnum):
    LOOKUP_PERFORMED = "LookupPerformed"
    CONTACT_STARTED = "ContactStarted"
    NEED_RECORDED = "NeedRecorded"
    REFERRAL_GIVEN = "ReferralGiven"
    UNMET_NEED_RECORDED = "UnmetNeedRecorded"
    CONTACT_CLOSED = "ContactClosed"
    CONTACT_QUEUED = "ContactQueued"
    CONTACT_ANSWERED = "ContactAnswered"
    CONTACT_DISCONNECTED = "ContactDisconnected"
    LISTINGS_BATCH_APPLIED = "ListingsBatchApplied"
    LISTING_CHANGED = "ListingChanged"


class EventDetail(BaseModel):
    """Fields every event carries. `event_id` is the idempotency key consumers dedupe on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()), description="Unique per event; dedupe key")
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    schema_version: Literal[1] = 1

    detail_type: DetailType
    source: str

    @classmethod
    def example(cls) -> EventDetail:
        """A realistic sample with fixed values (written to events/ as <DetailType>.sample.json)."""
        raise NotImplementedError(cls.__name__)


class LookupPerformed(EventDetail):
    """A directory read that answered a person (a list with filters, or one service)."""

    detail_type: Literal[DetailType.LOOKUP_PERFORMED] = DetailType.LOOKUP_PERFORMED
    source: Literal["referral211.directory"] = "referral211.directory"
    channel: Channel = Field(description="web, phone or chat")
    route: Literal["services", "service", "service_at_locations", "service_at_location", "organizations"]
    region: str | None = Field(default=None, pattern=r"^(0[1-9]|1[0-7])$", description="Region asked for")
    fsa: str | None = Field(default=None, pattern=r"^[A-Z]\d[A-Z]$", description="Finest geography allowed")
    taxonomy_term_id: str | None = Field(default=None, description="Category asked for, if any")
    language: Literal["fr", "en"]
    result_count: int = Field(ge=0)
    searched: bool = Field(default=False, description="Whether a free-text search was part of the lookup")
    search_term: str | None = Field(
        default=None,
        max_length=60,
        pattern=r"^[^\d@]*$",
        description="The search text scrubbed by shared.analytics.scrub.scrub_search_term (lower case, accents "
        "folded, no digits, e-mail addresses, phone numbers or postal codes, 6 words at most); None if nothing "
        "safe was left",
    )

    @classmethod
    def example(cls) -> LookupPerformed:
        return cls(
            event_id="6f1c1a52-0c1e-4a6f-9d55-3f0f5a2b9c11",
            occurred_at=EXAMPLE_TIME,
            channel="web",
            route="services",
            region="02",
            language="fr",
            result_count=12,
        )


# ---- phone and chat (shared/channels) ---------------------------------------------------------------------------
# A contact is one call, chat or e-mail. `origin` says who reported the step: an intervenant through the contacts
# API ("agent"), or Amazon Connect's own contact events ("connect"). No contact id, caller number, name or free
# text; territory at most an FSA.

ContactChannel = Literal["phone", "chat", "email"]
ContactOrigin = Literal["agent", "connect"]
UnmetReason = Literal["none_exists", "full", "not_eligible", "too_far", "closed", "cost"]
ContactOutcome = Literal[
    "referred", "information_given", "unmet", "transferred", "dropped", "other", "completed", "abandoned"
]
EXAMPLE_TERM = "9ac90e23-f2bc-509e-85a3-7068d05adb71"  # Banques alimentaires


class ContactEvent(EventDetail):
    source: Literal["referral211.channels"] = "referral211.channels"
    origin: ContactOrigin = Field(description="agent: recorded by an intervenant; connect: Amazon Connect event")
    channel: ContactChannel
    language: Literal["fr", "en"] | None = Field(default=None, description="Language of the conversation")
    region: str | None = Field(default=None, pattern=r"^(0[1-9]|1[0-7])$", description="Caller's region")
    fsa: str | None = Field(default=None, pattern=r"^[A-Z]\d[A-Z]$", description="Caller's FSA (finest allowed)")


class ContactStarted(ContactEvent):
    """A call, chat or e-mail began (recorded by an intervenant, or initiated in Amazon Connect)."""

    detail_type: Literal[DetailType.CONTACT_STARTED] = DetailType.CONTACT_STARTED
    repeat_caller: bool | None = Field(default=None, description="The number called before within retention")
    initiation: str | None = Field(default=None, max_length=32, description="Amazon Connect initiation method")

    @classmethod
    def example(cls) -> ContactStarted:
        return cls(event_id="0b6f3a5e-6b53-4f7e-9d1c-2a211c0a0001", occurred_at=EXAMPLE_TIME, origin="agent",
                   channel="phone", language="fr", region="02", fsa="G8B", repeat_caller=False)


class NeedRecorded(ContactEvent):
    """An intervenant coded the person's needs to categories."""

    detail_type: Literal[DetailType.NEED_RECORDED] = DetailType.NEED_RECORDED
    taxonomy_term_ids: list[str] = Field(min_length=1, description="Categories of the needs")
    top_taxonomy_term_ids: list[str] = Field(default_factory=list, description="Their top-level categories")

    @classmethod
    def example(cls) -> NeedRecorded:
        return cls(event_id="0b6f3a5e-6b53-4f7e-9d1c-2a211c0a0002", occurred_at=EXAMPLE_TIME, origin="agent",
                   channel="phone", language="fr", region="02", fsa="G8B", taxonomy_term_ids=[EXAMPLE_TERM],
                   top_taxonomy_term_ids=["0d05521e-0263-5540-bedb-09a4192a8bda"])


class ReferralGiven(ContactEvent):
    """An intervenant referred the person to a service (at a location)."""

    detail_type: Literal[DetailType.REFERRAL_GIVEN] = DetailType.REFERRAL_GIVEN
    service_id: str
    service_at_location_id: str | None = None
    organization_id: str | None = Field(
        default=None,
        description="The service's organisation when referred (the referrals table counts by it; events "
        "without it are attributed through the directory when read)",
    )
    service_region: str | None = Field(default=None, pattern=r"^(0[1-9]|1[0-7])$")
    taxonomy_term_ids: list[str] = Field(default_factory=list, description="The service's categories")

    @classmethod
    def example(cls) -> ReferralGiven:
        return cls(event_id="0b6f3a5e-6b53-4f7e-9d1c-2a211c0a0003", occurred_at=EXAMPLE_TIME, origin="agent",
                   channel="phone", language="fr", region="02", fsa="G8B",
                   service_id="5f0c8a8e-3c2b-5d7e-8f3a-1b2c3d4e5f60",
                   organization_id="9d1e2f3a-4b5c-5d6e-8f70-8192a3b4c5d6", service_region="02",
                   taxonomy_term_ids=[EXAMPLE_TERM])


class UnmetNeedRecorded(ContactEvent):
    """A need nothing could meet, and why: the "missing resources" of the social analysis."""

    detail_type: Literal[DetailType.UNMET_NEED_RECORDED] = DetailType.UNMET_NEED_RECORDED
    taxonomy_term_id: str
    top_taxonomy_term_id: str | None = None
    reason: UnmetReason

    @classmethod
    def example(cls) -> UnmetNeedRecorded:
        return cls(event_id="0b6f3a5e-6b53-4f7e-9d1c-2a211c0a0004", occurred_at=EXAMPLE_TIME, origin="agent",
                   channel="chat", language="fr", region="02", fsa="G8B", taxonomy_term_id=EXAMPLE_TERM,
                   top_taxonomy_term_id="0d05521e-0263-5540-bedb-09a4192a8bda", reason="too_far")


class ContactClosed(ContactEvent):
    """A contact ended: the intervenant's outcome, or Amazon Connect's COMPLETED (completed or abandoned)."""

    detail_type: Literal[DetailType.CONTACT_CLOSED] = DetailType.CONTACT_CLOSED
    outcome: ContactOutcome
    follow_up: bool = False
    needs: int = Field(default=0, ge=0)
    referrals: int = Field(default=0, ge=0)
    unmet_needs: int = Field(default=0, ge=0)
    duration_seconds: int | None = Field(default=None, ge=0)

    @classmethod
    def example(cls) -> ContactClosed:
        return cls(event_id="0b6f3a5e-6b53-4f7e-9d1c-2a211c0a0005", occurred_at=EXAMPLE_TIME, origin="agent",
                   channel="phone", language="fr", region="02", fsa="G8B", outcome="referred", needs=2,
                   referrals=1, unmet_needs=1, duration_seconds=540)


class ContactQueued(ContactEvent):
    """Amazon Connect put the contact in a queue (the regional team's or the common centre's)."""

    detail_type: Literal[DetailType.CONTACT_QUEUED] = DetailType.CONTACT_QUEUED
    origin: Literal["connect"] = "connect"
    route: Literal["regional_team", "common_centre", "unknown"] = "unknown"

    @classmethod
    def example(cls) -> ContactQueued:
        return cls(event_id="0b6f3a5e-6b53-4f7e-9d1c-2a211c0a0006", occurred_at=EXAMPLE_TIME, channel="phone",
                   language="fr", region="02", fsa="G8B", route="regional_team")


class ContactAnswered(ContactEvent):
    """An intervenant picked the contact up in Amazon Connect."""

    detail_type: Literal[DetailType.CONTACT_ANSWERED] = DetailType.CONTACT_ANSWERED
    origin: Literal["connect"] = "connect"
    wait_seconds: int | None = Field(default=None, ge=0, description="From queued to answered")

    @classmethod
    def example(cls) -> ContactAnswered:
        return cls(event_id="0b6f3a5e-6b53-4f7e-9d1c-2a211c0a0007", occurred_at=EXAMPLE_TIME, channel="phone",
                   language="fr", region="02", fsa="G8B", wait_seconds=42)


class ContactDisconnected(ContactEvent):
    """The person hung up or left the chat; abandoned when queued and never answered."""

    detail_type: Literal[DetailType.CONTACT_DISCONNECTED] = DetailType.CONTACT_DISCONNECTED
    origin: Literal["connect"] = "connect"
    abandoned: bool
    wait_seconds: int | None = Field(default=None, ge=0)
    duration_seconds: int | None = Field(default=None, ge=0)

    @classmethod
    def example(cls) -> ContactDisconnected:
        return cls(event_id="0b6f3a5e-6b53-4f7e-9d1c-2a211c0a0008", occurred_at=EXAMPLE_TIME, channel="phone",
                   language="fr", region="02", fsa="G8B", abandoned=True, wait_seconds=95, duration_seconds=130)


class ListingsBatchApplied(EventDetail):
    """A listing batch was applied to a region's directory (search rebuilds the region's index)."""

    detail_type: Literal[DetailType.LISTINGS_BATCH_APPLIED] = DetailType.LISTINGS_BATCH_APPLIED
    source: Literal["referral211.batches"] = "referral211.batches"
    batch_id: str = Field(description="GET /admin/batches/{batch_id}")
    region: str = Field(pattern=r"^(0[1-9]|1[0-7])$", description="The region the batch was sent for")
    regions_changed: list[str] = Field(default_factory=list, description="Every region whose listings changed")
    mode: Literal["upsert", "replace"]
    format: str = Field(description="hsds-json, hsds-tabular, csv-template or airs-xml")
    created: int = Field(ge=0)
    updated: int = Field(ge=0)
    unchanged: int = Field(ge=0)
    deactivated: int = Field(ge=0)
    organizations_changed: int = Field(default=0, ge=0)

    @classmethod
    def example(cls) -> ListingsBatchApplied:
        return cls(
            event_id="0b7f8e8e-7f4a-4b8e-9a44-6a1d2c3b4a01",
            occurred_at=EXAMPLE_TIME,
            batch_id="5d2f0c1e-8a3b-5c6d-9e0f-1a2b3c4d5e6f",
            region="02",
            regions_changed=["02"],
            mode="upsert",
            format="csv-template",
            created=12,
            updated=3,
            unchanged=480,
            deactivated=0,
        )


class ListingChanged(EventDetail):
    """One listing (service) got a new version: created, updated, deactivated, restored or merged."""

    detail_type: Literal[DetailType.LISTING_CHANGED] = DetailType.LISTING_CHANGED
    source: Literal["referral211.batches"] = "referral211.batches"
    service_id: str
    organization_id: str
    region: str = Field(pattern=r"^(0[1-9]|1[0-7])$")
    version: int = Field(ge=1, description="The listing's version after the change")
    change: Literal["created", "updated", "deactivated", "restored", "merged"]
    status: str = Field(description="The listing's status after the change (active, inactive...)")
    batch_id: str | None = Field(default=None, description="The batch that made the change, if any")

    @classmethod
    def example(cls) -> ListingChanged:
        return cls(
            event_id="3c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
            occurred_at=EXAMPLE_TIME,
            service_id="9a4e1f7c-2b3d-5e6f-8a9b-0c1d2e3f4a5b",
            organization_id="1f2e3d4c-5b6a-5978-8a6b-5c4d3e2f1a0b",
            region="02",
            version=2,
            change="updated",
            status="active",
            batch_id="5d2f0c1e-8a3b-5c6d-9e0f-1a2b3c4d5e6f",
        )


# Every detail-type and its model: the catalogue generator and consumers read this.
CATALOGUE: dict[DetailType, type[EventDetail]] = {
    DetailType.LOOKUP_PERFORMED: LookupPerformed,
    DetailType.CONTACT_STARTED: ContactStarted,
    DetailType.NEED_RECORDED: NeedRecorded,
    DetailType.REFERRAL_GIVEN: ReferralGiven,
    DetailType.UNMET_NEED_RECORDED: UnmetNeedRecorded,
    DetailType.CONTACT_CLOSED: ContactClosed,
    DetailType.CONTACT_QUEUED: ContactQueued,
    DetailType.CONTACT_ANSWERED: ContactAnswered,
    DetailType.CONTACT_DISCONNECTED: ContactDisconnected,
    DetailType.LISTINGS_BATCH_APPLIED: ListingsBatchApplied,
    DetailType.LISTING_CHANGED: ListingChanged,
}
