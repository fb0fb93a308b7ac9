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


# Every detail-type and its model: the catalogue generator and consumers read this.
CATALOGUE: dict[DetailType, type[EventDetail]] = {
    DetailType.LOOKUP_PERFORMED: LookupPerformed,
}
