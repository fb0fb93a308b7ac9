"""What an intervenant records during a call or a chat: needs, referrals, unmet needs, the outcome.

Rules:
- only the `agent` role (and platform admins) records contacts; an agent reaches the contacts of the regions in
  the token's scope. A contact whose territory is unknown belongs to the common centre: only agents whose scope
  covers every region (the common centre's) reach it;
- a closed contact takes nothing more (409); categories and services must exist (422);
- nothing personal is kept: no name, no free text, the territory at most as an FSA; a caller number, when given,
  is reduced at once to a keyed HMAC used only to count earlier contacts from the same number, and the contact keeps
  only that count. Contacts disappear after the retention period (DynamoDB TTL);
- every step publishes one event (ContactStarted, NeedRecorded, ReferralGiven, UnmetNeedRecorded, ContactClosed)
  whose `event_id` is derived from the step, so a replay dedupes downstream.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.aws.event_bus import EventPublisher
from shared.channels.repository import ChannelsRepository, ContactRecord, StepRecord, epoch
from shared.channels.territory import Territory, resolve
from shared.directory import taxonomy
from shared.directory.models import REGION_CODES, UUID_PATTERN, Lang
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.event_contracts import (
    ContactClosed,
    ContactEvent,
    ContactStarted,
    NeedRecorded,
    ReferralGiven,
    UnmetNeedRecorded,
)
from shared.identity import Principal, require_regions, require_role
from shared.observability import logger, metrics

EVENT_NAMESPACE = uuid.UUID("7d1e0c5a-3f2b-5a61-9c0d-211c0a7ac7ed")
UNMET_REASONS = ("none_exists", "full", "not_eligible", "too_far", "closed", "cost")
AGENT_OUTCOMES = ("referred", "information_given", "unmet", "transferred", "dropped", "other")
MAX_CATEGORIES = 20
_DIGITS = re.compile(r"\D+")


# ---- requests -------------------------------------------------------------------------------------------------


class TerritoryInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    postal_code: str | None = Field(default=None, max_length=10, description="Reduced to its FSA on entry")
    region: str | None = Field(default=None, max_length=2, description="Region code 01..17")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and value not in REGION_CODES:
            raise ValueError("expected a region code 01..17")
        return value

    @model_validator(mode="after")
    def _pairs(self) -> TerritoryInput:
        if (self.lat is None) != (self.lng is None):
            raise ValueError("lat and lng go together")
        return self


class StartContact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["phone", "chat", "email"]
    language: Lang = "fr"
    territory: TerritoryInput | None = None
    caller_number: str | None = Field(
        default=None,
        max_length=32,
        description="Never stored: reduced to a keyed hash to count repeat callers",
    )


class RecordNeeds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: list[str] = Field(min_length=1, max_length=MAX_CATEGORIES, description="Term ids or codes")


class RecordReferral(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_id: str | None = Field(default=None, pattern=UUID_PATTERN)
    service_at_location_id: str | None = Field(default=None, pattern=UUID_PATTERN)

    @model_validator(mode="after")
    def _one(self) -> RecordReferral:
        if not (self.service_id or self.service_at_location_id):
            raise ValueError("give service_id or service_at_location_id")
        return self


class RecordUnmetNeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1, max_length=80, description="Term id or code")
    reason: Literal["none_exists", "full", "not_eligible", "too_far", "closed", "cost"]


class CloseContact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["referred", "information_given", "unmet", "transferred", "dropped", "other"]
    follow_up: bool = False


# ---- the service ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceFacts:
    """What a referral needs to know about a service: that it exists, its region and categories."""

    service_id: str
    service_at_location_id: str | None
    region: str | None
    taxonomy_term_ids: tuple[str, ...]
    organization_id: str | None = None


class ServiceLookup:
    """The directory, as seen by referrals (an interface the tests can replace)."""

    def __init__(self, directory_table: str) -> None:
        self.directory_table = directory_table

    def find(self, service_id: str | None, service_at_location_id: str | None) -> ServiceFacts | None:
        from shared.directory.repository import DirectoryRepository

        repository = DirectoryRepository(self.directory_table)
        if service_at_location_id:
            entry = repository.get_service_at_location_entry(service_at_location_id)
            if entry is None or (service_id and entry.service_id != service_id):
                return None
            return ServiceFacts(
                service_id=entry.service_id or "",
                service_at_location_id=entry.id,
                region=entry.region,
                taxonomy_term_ids=entry.term_ids,
                organization_id=entry.organization_id or None,
            )
        service = repository.get_service(service_id or "")
        if service is None:
            return None
        terms = tuple(a.taxonomy_term_id for a in service.attributes if getattr(a, "taxonomy_term_id", None))
        return ServiceFacts(
            service_id=service.id,
            service_at_location_id=None,
            region=service.region,
            taxonomy_term_ids=terms,
            organization_id=service.organization_id,
        )


@lru_cache(maxsize=2)
def _publisher(bus_name: str) -> EventPublisher:
    return EventPublisher(bus_name)


class ContactService:
    def __init__(
        self,
        repository: ChannelsRepository,
        *,
        bus_name: str,
        services: ServiceLookup,
        retention_days: int,
        caller_hash_key: str = "",
        publisher: EventPublisher | None = None,
    ) -> None:
        self.repository = repository
        self.services = services
        self.retention = timedelta(days=retention_days)
        self.caller_hash_key = caller_hash_key.encode()
        self.publisher = publisher or _publisher(bus_name)

    # ---- steps -------------------------------------------------------------------------------------------------

    def start(
        self, principal: Principal, request: StartContact, now: datetime | None = None
    ) -> dict[str, Any]:
        require_role(principal, "agent")
        now = now or datetime.now(UTC)
        territory = self._territory(request.territory)
        self._require_scope(principal, territory.region)
        caller_pk = self._caller_partition(request.caller_number)
        repeat_count = self.repository.count_caller_markers(caller_pk, now) if caller_pk else None
        contact = ContactRecord(
            id=str(uuid.uuid4()),
            status="open",
            channel=request.channel,
            language=request.language,
            region=territory.region,
            fsa=territory.fsa,
            origin="agent",
            started_at=now,
            expires_at=epoch(now + self.retention),
            opened_by=principal.subject,
            repeat_count=repeat_count,
        )
        marker = (caller_pk, f"{now.isoformat()}#{secrets.token_hex(4)}") if caller_pk else None
        self.repository.create_contact(contact, marker)
        self._publish(
            ContactStarted(
                event_id=self._event_id(contact.id, "started"),
                occurred_at=now,
                repeat_caller=(repeat_count > 0) if repeat_count is not None else None,
                **self._event_fields(contact),
            )
        )
        metrics.add_metric(name="ContactsStarted", unit="Count", value=1)
        logger.info("contact started", channel=contact.channel, region=contact.region or "unknown")
        return self.render(contact, [])

    def record_needs(
        self, principal: Principal, contact_id: str, request: RecordNeeds, now: datetime | None = None
    ) -> dict[str, Any]:
        contact = self._open_contact(principal, contact_id)
        terms = [self._term(value, f"categories[{n}]") for n, value in enumerate(request.categories)]
        ids = list(dict.fromkeys(t.id for t in terms))
        step = self._step("need", principal, now, categories=ids)
        self._add(contact, step, "needs")
        self._publish(
            NeedRecorded(
                event_id=self._event_id(contact.id, step.id),
                occurred_at=step.at,
                taxonomy_term_ids=ids,
                top_taxonomy_term_ids=list(dict.fromkeys(_top(t) for t in terms)),
                **self._event_fields(contact),
            )
        )
        return self._step_answer(contact, step)

    def record_referral(
        self, principal: Principal, contact_id: str, request: RecordReferral, now: datetime | None = None
    ) -> dict[str, Any]:
        contact = self._open_contact(principal, contact_id)
        facts = self.services.find(request.service_id, request.service_at_location_id)
        if facts is None:
            field = "service_at_location_id" if request.service_at_location_id else "service_id"
            raise ValidationFailed(
                "Ce service est introuvable dans le répertoire.",
                message_en="This service is not in the directory.",
                details=[{"field": field, "reason": "unknown service"}],
                code="unknown_service",
            )
        step = self._step(
            "referral",
            principal,
            now,
            categories=list(facts.taxonomy_term_ids),
            service_id=facts.service_id,
            service_at_location_id=facts.service_at_location_id,
        )
        self._add(contact, step, "referrals")
        self._publish(
            ReferralGiven(
                event_id=self._event_id(contact.id, step.id),
                occurred_at=step.at,
                service_id=facts.service_id,
                service_at_location_id=facts.service_at_location_id,
                organization_id=facts.organization_id,
                service_region=facts.region if facts.region in REGION_CODES else None,
                taxonomy_term_ids=list(facts.taxonomy_term_ids),
                **self._event_fields(contact),
            )
        )
        return self._step_answer(contact, step)

    def record_unmet_need(
        self, principal: Principal, contact_id: str, request: RecordUnmetNeed, now: datetime | None = None
    ) -> dict[str, Any]:
        contact = self._open_contact(principal, contact_id)
        term = self._term(request.category, "category")
        step = self._step("unmet_need", principal, now, categories=[term.id], reason=request.reason)
        self._add(contact, step, "unmet")
        self._publish(
            UnmetNeedRecorded(
                event_id=self._event_id(contact.id, step.id),
                occurred_at=step.at,
                taxonomy_term_id=term.id,
                top_taxonomy_term_id=_top(term),
                reason=request.reason,
                **self._event_fields(contact),
            )
        )
        return self._step_answer(contact, step)

    def close(
        self, principal: Principal, contact_id: str, request: CloseContact, now: datetime | None = None
    ) -> dict[str, Any]:
        contact = self._open_contact(principal, contact_id)
        now = now or datetime.now(UTC)
        try:
            self.repository.close_contact(
                contact, closed_at=now, outcome=request.outcome, follow_up=request.follow_up
            )
        except Conflict as error:
            raise contact_closed(contact_id) from error
        contact.status, contact.closed_at, contact.outcome = "closed", now, request.outcome
        contact.follow_up = request.follow_up
        self._publish(
            ContactClosed(
                event_id=self._event_id(contact.id, "closed"),
                occurred_at=now,
                outcome=request.outcome,
                follow_up=request.follow_up,
                needs=contact.needs,
                referrals=contact.referrals,
                unmet_needs=contact.unmet,
                duration_seconds=max(0, int((now - contact.started_at).total_seconds())),
                **self._event_fields(contact),
            )
        )
        logger.info("contact closed", channel=contact.channel, outcome=request.outcome)
        return self.render(contact, None)

    def get(self, principal: Principal, contact_id: str, now: datetime | None = None) -> dict[str, Any]:
        require_role(principal, "agent")
        contact, steps = self.repository.get_contact_with_steps(_valid_id(contact_id))
        if contact is None or contact.is_expired(now or datetime.now(UTC)):
            raise contact_not_found(contact_id)
        self._require_scope(principal, contact.region)
        return self.render(contact, steps)

    # ---- rendering ----------------------------------------------------------------------------------------------

    @staticmethod
    def render(contact: ContactRecord, steps: list[StepRecord] | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": contact.id,
            "status": contact.status,
            "channel": contact.channel,
            "language": contact.language,
            "territory": {"region": contact.region, "fsa": contact.fsa},
            "started_at": contact.started_at.isoformat(),
            "closed_at": contact.closed_at.isoformat() if contact.closed_at else None,
            "outcome": contact.outcome,
            "follow_up": contact.follow_up,
            "repeat_caller": (contact.repeat_count > 0) if contact.repeat_count is not None else None,
            "previous_contacts": contact.repeat_count,
            "counts": {"needs": contact.needs, "referrals": contact.referrals, "unmet_needs": contact.unmet},
            "expires_at": datetime.fromtimestamp(contact.expires_at, UTC).isoformat(),
        }
        if steps is not None:
            body["needs"] = [
                {"id": s.id, "at": s.at.isoformat(), "categories": s.categories}
                for s in steps
                if s.kind == "need"
            ]
            body["referrals"] = [
                {
                    "id": s.id,
                    "at": s.at.isoformat(),
                    "service_id": s.service_id,
                    "service_at_location_id": s.service_at_location_id,
                }
                for s in steps
                if s.kind == "referral"
            ]
            body["unmet_needs"] = [
                {
                    "id": s.id,
                    "at": s.at.isoformat(),
                    "category": s.categories[0] if s.categories else None,
                    "reason": s.reason,
                }
                for s in steps
                if s.kind == "unmet_need"
            ]
        return body

    @staticmethod
    def _step_answer(contact: ContactRecord, step: StepRecord) -> dict[str, Any]:
        body: dict[str, Any] = {
            "contact_id": contact.id,
            "id": step.id,
            "kind": step.kind,
            "at": step.at.isoformat(),
        }
        if step.kind == "need":
            body["categories"] = step.categories
        elif step.kind == "referral":
            body["service_id"] = step.service_id
            body["service_at_location_id"] = step.service_at_location_id
        else:
            body["category"] = step.categories[0]
            body["reason"] = step.reason
        return body

    # ---- helpers ----------------------------------------------------------------------------------------------

    def _open_contact(self, principal: Principal, contact_id: str) -> ContactRecord:
        require_role(principal, "agent")
        contact = self.repository.get_contact(_valid_id(contact_id))
        if contact is None or contact.is_expired(datetime.now(UTC)):
            raise contact_not_found(contact_id)
        self._require_scope(principal, contact.region)
        if contact.status != "open":
            raise contact_closed(contact_id)
        return contact

    def _add(self, contact: ContactRecord, step: StepRecord, counter: str) -> None:
        try:
            self.repository.add_step(contact, step, counter)
        except Conflict as error:  # closed between our read and this write
            raise contact_closed(contact.id) from error
        setattr(contact, counter, getattr(contact, counter) + 1)

    @staticmethod
    def _step(kind: str, principal: Principal, now: datetime | None, **fields: Any) -> StepRecord:
        return StepRecord(
            id=str(uuid.uuid4()), kind=kind, at=now or datetime.now(UTC), by=principal.subject, **fields
        )

    @staticmethod
    def _territory(given: TerritoryInput | None) -> Territory:
        if given is None:
            return resolve()
        return resolve(postal_code=given.postal_code, region=given.region, lat=given.lat, lng=given.lng)

    @staticmethod
    def _require_scope(principal: Principal, region: str | None) -> None:
        if region is not None:
            require_regions(principal, [region])
            return
        # The common centre's contacts (territory unknown): its agents reach every region.
        require_regions(principal, REGION_CODES)

    @staticmethod
    def _term(value: str, field: str) -> Any:
        found = taxonomy.term(value) or taxonomy.term_by_code(value)
        if found is None:
            raise ValidationFailed(
                f"Catégorie inconnue : « {value[:60]} » (voir /taxonomy_terms).",
                message_en=f"Unknown category: '{value[:60]}' (see /taxonomy_terms).",
                details=[{"field": field, "reason": "unknown category"}],
                code="unknown_category",
            )
        return found

    def _caller_partition(self, number: str | None) -> str | None:
        if not number or not self.caller_hash_key:
            return None
        digits = _DIGITS.sub("", number)
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]  # +1 418... and 418... are the same number
        if len(digits) < 7:
            return None
        digest = hmac.new(self.caller_hash_key, digits.encode(), hashlib.sha256).hexdigest()
        return f"CALLER#{digest[:40]}"

    @staticmethod
    def _event_id(contact_id: str, step: str) -> str:
        return str(uuid.uuid5(EVENT_NAMESPACE, f"{contact_id}:{step}"))

    @staticmethod
    def _event_fields(contact: ContactRecord) -> dict[str, Any]:
        return {
            "origin": "agent",
            "channel": contact.channel,
            "language": contact.language,
            "region": contact.region,
            "fsa": contact.fsa,
        }

    def _publish(self, event: ContactEvent) -> None:
        self.publisher.publish([event])


def _top(term: Any) -> str:
    return str(term.parent_id or term.id)


def _valid_id(contact_id: str) -> str:
    if not re.match(UUID_PATTERN, contact_id):
        raise contact_not_found(contact_id)
    return contact_id


def contact_not_found(contact_id: str) -> NotFound:
    return NotFound(
        "Ce contact n'existe pas (ou sa durée de conservation est écoulée).",
        message_en="This contact does not exist (or its retention period is over).",
        details={"contact_id": contact_id[:40]},
    )


def contact_closed(contact_id: str) -> Conflict:
    return Conflict(
        "Ce contact est fermé : on ne peut plus rien y ajouter.",
        message_en="This contact is closed: nothing more can be added to it.",
        details={"contact_id": contact_id[:40]},
        code="contact_closed",
    )
