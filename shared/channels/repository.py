"""DynamoDB repository of the channels table: the key design lives here and only here.

Table `referral211-<stage>-channels`, PK/SK strings, TTL attribute `expires_at` (epoch seconds), no GSI: every
access pattern is a key lookup, so every request is GetItem, BatchGetItem, Query on one partition or a
transaction; never a Scan.

| item                         | PK                 | SK                      | TTL | serves                                      |
|------------------------------|--------------------|-------------------------|-----|---------------------------------------------|
| region configuration         | REGION#{code}      | CONFIG                  | -   | GET /regions (one BatchGetItem of 18 keys), |
|                              |                    |                         |     | GET /regions/{code}, routing, PUT           |
| contact                      | CONTACT#{id}       | CONTACT                 | yes | the header: status, territory, counters     |
| contact step                 | CONTACT#{id}       | STEP#{at}#{step id}     | yes | needs, referrals, unmet needs, in order     |
|                              |                    |                         |     | (GET /contacts/{id}: one Query)             |
| repeat-caller marker         | CALLER#{hmac}      | {at}#{random}           | yes | how many contacts a number made (one Query) |
| Amazon Connect route         | CONNECT#{contact}  | ROUTE                   | yes | territory and language the flow found       |
| Amazon Connect event seen    | CONNECT#{contact}  | SEEN#{event type}       | yes | consumer dedupe (one Query per event)       |

The repeat-caller marker carries neither the contact id nor the number: only a keyed HMAC links calls from one
number, and the contact records only how many earlier contacts there were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from shared.aws.dynamodb import Table
from shared.channels.region_config import CONFIG_CODES, RegionConfig
from shared.errors import Conflict


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int | float) -> dict[str, str]:
    return {"N": str(value)}


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def epoch(value: datetime) -> int:
    return int(value.timestamp())


# ---- records --------------------------------------------------------------------------------------------------


@dataclass
class ContactRecord:
    id: str
    status: str
    channel: str
    language: str
    region: str | None
    fsa: str | None
    origin: str
    started_at: datetime
    expires_at: int
    opened_by: str
    repeat_count: int | None = None
    closed_at: datetime | None = None
    outcome: str | None = None
    follow_up: bool = False
    needs: int = 0
    referrals: int = 0
    unmet: int = 0
    version: int = 1

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at <= epoch(now)


@dataclass
class StepRecord:
    id: str
    kind: str  # need, referral, unmet_need
    at: datetime
    by: str
    categories: list[str] = field(default_factory=list)
    service_id: str | None = None
    service_at_location_id: str | None = None
    reason: str | None = None

    @property
    def sort_key(self) -> str:
        return f"STEP#{_iso(self.at)}#{self.id}"


@dataclass(frozen=True)
class ConnectRoute:
    region: str | None
    fsa: str | None
    language: str
    channel: str
    route: str


class ChannelsRepository:
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.table = Table(table_name, client)

    # ---- region configurations -------------------------------------------------------------------------------

    @staticmethod
    def region_key(code: str) -> tuple[str, str]:
        return (f"REGION#{code}", "CONFIG")

    def region_configs(self) -> dict[str, RegionConfig]:
        """Every stored configuration (one BatchGetItem); codes never written are absent."""
        found = self.table.batch_get([self.region_key(code) for code in CONFIG_CODES])
        return {key[0][7:]: RegionConfig.model_validate_json(item["doc"]["S"]) for key, item in found.items()}

    def region_config(self, code: str) -> RegionConfig | None:
        item = self.table.get(*self.region_key(code))
        return RegionConfig.model_validate_json(item["doc"]["S"]) if item else None

    def put_region_config(self, config: RegionConfig, *, expected_version: int | None) -> None:
        """Write a configuration; `expected_version` None means the item must not exist yet."""
        pk, sk = self.region_key(config.code)
        item = {
            "PK": _s(pk),
            "SK": _s(sk),
            "version": _n(config.version or 0),
            "doc": _s(config.model_dump_json()),
        }
        put: dict[str, Any] = {"TableName": self.table.name, "Item": item}
        if expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            put["ConditionExpression"] = "version = :expected"
            put["ExpressionAttributeValues"] = {":expected": _n(expected_version)}
        try:
            self.table.transact([{"Put": put}])
        except Conflict as error:
            raise region_changed() from error

    def seed_region_configs(self, configs: list[RegionConfig]) -> int:
        """Write configurations that are not stored yet (existing ones are kept); returns how many were written."""
        stored = self.region_configs()
        fresh = [c for c in configs if c.code not in stored]
        items = [
            {
                "PK": _s(self.region_key(c.code)[0]),
                "SK": _s("CONFIG"),
                "version": _n(c.version or 0),
                "doc": _s(c.model_dump_json()),
            }
            for c in fresh
        ]
        for _ in self.table.batch_put(items):
            pass
        return len(fresh)

    # ---- contacts ---------------------------------------------------------------------------------------------

    @staticmethod
    def contact_pk(contact_id: str) -> str:
        return f"CONTACT#{contact_id}"

    def contact_item(self, contact: ContactRecord) -> dict[str, Any]:
        item: dict[str, Any] = {
            "PK": _s(self.contact_pk(contact.id)),
            "SK": _s("CONTACT"),
            "id": _s(contact.id),
            "status": _s(contact.status),
            "channel": _s(contact.channel),
            "language": _s(contact.language),
            "origin": _s(contact.origin),
            "started_at": _s(_iso(contact.started_at)),
            "expires_at": _n(contact.expires_at),
            "opened_by": _s(contact.opened_by),
            "follow_up": {"BOOL": contact.follow_up},
            "needs": _n(contact.needs),
            "referrals": _n(contact.referrals),
            "unmet": _n(contact.unmet),
            "version": _n(contact.version),
        }
        if contact.region:
            item["region"] = _s(contact.region)
        if contact.fsa:
            item["fsa"] = _s(contact.fsa)
        if contact.repeat_count is not None:
            item["repeat_count"] = _n(contact.repeat_count)
        return item

    @staticmethod
    def contact_from_item(item: dict[str, Any]) -> ContactRecord:
        def text(name: str) -> str | None:
            value = item.get(name)
            return value["S"] if value else None

        def number(name: str) -> int | None:
            value = item.get(name)
            return int(value["N"]) if value else None

        closed_at = text("closed_at")
        return ContactRecord(
            id=item["id"]["S"],
            status=item["status"]["S"],
            channel=item["channel"]["S"],
            language=item["language"]["S"],
            region=text("region"),
            fsa=text("fsa"),
            origin=item["origin"]["S"],
            started_at=_dt(item["started_at"]["S"]),
            expires_at=int(item["expires_at"]["N"]),
            opened_by=item["opened_by"]["S"],
            repeat_count=number("repeat_count"),
            closed_at=_dt(closed_at) if closed_at else None,
            outcome=text("outcome"),
            follow_up=bool(item.get("follow_up", {}).get("BOOL", False)),
            needs=number("needs") or 0,
            referrals=number("referrals") or 0,
            unmet=number("unmet") or 0,
            version=number("version") or 1,
        )

    def step_item(self, contact: ContactRecord, step: StepRecord) -> dict[str, Any]:
        doc = {
            "id": step.id,
            "kind": step.kind,
            "at": _iso(step.at),
            "by": step.by,
            "categories": step.categories,
            "service_id": step.service_id,
            "service_at_location_id": step.service_at_location_id,
            "reason": step.reason,
        }
        return {
            "PK": _s(self.contact_pk(contact.id)),
            "SK": _s(step.sort_key),
            "doc": _s(orjson.dumps(doc).decode()),
            "expires_at": _n(contact.expires_at),
        }

    @staticmethod
    def step_from_item(item: dict[str, Any]) -> StepRecord:
        doc = orjson.loads(item["doc"]["S"])
        return StepRecord(
            id=doc["id"],
            kind=doc["kind"],
            at=_dt(doc["at"]),
            by=doc["by"],
            categories=list(doc.get("categories") or []),
            service_id=doc.get("service_id"),
            service_at_location_id=doc.get("service_at_location_id"),
            reason=doc.get("reason"),
        )

    def create_contact(self, contact: ContactRecord, caller_marker: tuple[str, str] | None) -> None:
        """The contact (must be new) and, for a known caller, the repeat-caller marker: all or nothing."""
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": self.contact_item(contact),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        ]
        if caller_marker is not None:
            pk, sk = caller_marker
            actions.append(
                {
                    "Put": {
                        "TableName": self.table.name,
                        "Item": {"PK": _s(pk), "SK": _s(sk), "expires_at": _n(contact.expires_at)},
                    }
                }
            )
        self.table.transact(actions)

    def get_contact(self, contact_id: str) -> ContactRecord | None:
        item = self.table.get(self.contact_pk(contact_id), "CONTACT")
        return self.contact_from_item(item) if item else None

    def get_contact_with_steps(self, contact_id: str) -> tuple[ContactRecord | None, list[StepRecord]]:
        """The header and its steps in one Query (steps sort by time)."""
        items = self.table.query_partition(self.contact_pk(contact_id))
        header = next((i for i in items if i["SK"]["S"] == "CONTACT"), None)
        steps = [self.step_from_item(i) for i in items if i["SK"]["S"].startswith("STEP#")]
        return (self.contact_from_item(header) if header else None), steps

    def add_step(self, contact: ContactRecord, step: StepRecord, counter: str) -> None:
        """The step and the header's counter in one transaction, only while the contact is open."""
        self.table.transact(
            [
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": {"PK": _s(self.contact_pk(contact.id)), "SK": _s("CONTACT")},
                        "UpdateExpression": "SET version = version + :one ADD #counter :one",
                        "ConditionExpression": "#status = :open",
                        "ExpressionAttributeNames": {"#counter": counter, "#status": "status"},
                        "ExpressionAttributeValues": {":one": _n(1), ":open": _s("open")},
                    }
                },
                {
                    "Put": {
                        "TableName": self.table.name,
                        "Item": self.step_item(contact, step),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        )

    def close_contact(
        self, contact: ContactRecord, *, closed_at: datetime, outcome: str, follow_up: bool
    ) -> None:
        self.table.transact(
            [
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": {"PK": _s(self.contact_pk(contact.id)), "SK": _s("CONTACT")},
                        "UpdateExpression": "SET #status = :closed, closed_at = :at, outcome = :outcome, "
                        "follow_up = :follow, version = version + :one",
                        "ConditionExpression": "#status = :open",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {
                            ":closed": _s("closed"),
                            ":open": _s("open"),
                            ":at": _s(_iso(closed_at)),
                            ":outcome": _s(outcome),
                            ":follow": {"BOOL": follow_up},
                            ":one": _n(1),
                        },
                    }
                }
            ]
        )

    def count_caller_markers(self, caller_pk: str, now: datetime) -> int:
        """Earlier contacts from the same number still within retention (TTL deletion lags; expired ones skipped)."""
        cutoff = epoch(now)
        return sum(
            1 for item in self.table.query_partition(caller_pk) if int(item["expires_at"]["N"]) > cutoff
        )

    # ---- Amazon Connect -----------------------------------------------------------------------------------------

    @staticmethod
    def connect_pk(contact_id: str) -> str:
        return f"CONNECT#{contact_id}"

    def put_connect_route(self, contact_id: str, route: ConnectRoute, expires_at: int) -> None:
        item: dict[str, Any] = {
            "PK": _s(self.connect_pk(contact_id)),
            "SK": _s("ROUTE"),
            "language": _s(route.language),
            "channel": _s(route.channel),
            "route": _s(route.route),
            "expires_at": _n(expires_at),
        }
        if route.region:
            item["region"] = _s(route.region)
        if route.fsa:
            item["fsa"] = _s(route.fsa)
        self.table.put_items([item])

    def connect_state(self, contact_id: str) -> tuple[ConnectRoute | None, set[str]]:
        """The route the flow recorded and the event types already turned into platform events (one Query)."""
        route: ConnectRoute | None = None
        seen: set[str] = set()
        for item in self.table.query_partition(self.connect_pk(contact_id)):
            sk = item["SK"]["S"]
            if sk == "ROUTE":
                route = ConnectRoute(
                    region=item.get("region", {}).get("S"),
                    fsa=item.get("fsa", {}).get("S"),
                    language=item.get("language", {}).get("S", "fr"),
                    channel=item.get("channel", {}).get("S", ""),
                    route=item.get("route", {}).get("S", ""),
                )
            elif sk.startswith("SEEN#"):
                seen.add(sk[5:])
        return route, seen

    def mark_connect_seen(self, contact_id: str, event_type: str, expires_at: int) -> bool:
        """Record that an event type was handled; False when another delivery already did."""
        try:
            self.table.transact(
                [
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": {
                                "PK": _s(self.connect_pk(contact_id)),
                                "SK": _s(f"SEEN#{event_type}"),
                                "expires_at": _n(expires_at),
                            },
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    }
                ]
            )
        except Conflict:
            return False
        return True


def region_changed() -> Conflict:
    return Conflict(
        "La configuration de la région a été modifiée entre-temps; relisez-la et réessayez.",
        message_en="The region's configuration changed meanwhile; read it again and retry.",
        code="version_conflict",
    )
