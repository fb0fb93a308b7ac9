"""A listing batch from request to applied directory: idempotency, parsing, validation, scope, diff, the
replace
guard, duplicates, versioned writes and events. Nothing here knows HTTP or Chalice
(functions/admin_batches.py).

All or nothing where it matters: every check (encoding, syntax, each row, scope, organizations, the replace
guard)
runs before the first write, so a rejected batch changes nothing in the directory. Writes are per listing,
conditional on its version (two admins importing at once reconcile field by field, see diff.three_way); a
batch
interrupted by an infrastructure failure is `failed` and converges when sent again (unchanged listings cost
nothing, so the retry only writes what is missing).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.aws.event_bus import EventPublisher, PublishOutcome
from shared.batches import airs_xml, csv_template, diff, duplicates, hsds_json, hsds_tabular
from shared.batches.problems import BatchRejected, Problem, rejection
from shared.batches.records import BATCH_NAMESPACE, ParsedBatch
from shared.batches.store import INLINE_ERRORS, TERMINAL, BatchStore, lease_expired, now_iso
from shared.batches.validation import ValidatedBatch, validate
from shared.directory.models import REGION_CODES, Lang, Organization, RegionCode, Service
from shared.directory.repository import (
    DirectoryRepository,
    IndexEntry,
    StoredOrganization,
    StoredService,
    VersionStamp,
)
from shared.errors import Conflict, DomainError, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType
from shared.event_contracts import EventDetail, ListingChanged, ListingsBatchApplied
from shared.identity import Principal, require_regions, require_role
from shared.observability import logger

if TYPE_CHECKING:
    from shared.search.store import IndexStore

ADMIN_ROLES = ("region-admin", "platform-admin")
REPLACE_GUARD_SHARE = 0.20
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's limit; larger files go through POST /admin/batches/uploads
HTTP_ERRORS_SHOWN = 1000
WRITE_WORKERS = 16
CONFLICT_RETRIES = 4
TRANSACTION_ACTIONS = 100

FORMATS: dict[str, str] = {
    "application/json": hsds_json.FORMAT,
    "application/vnd.hsds+json": hsds_json.FORMAT,
    "application/zip": hsds_tabular.FORMAT,
    "application/x-zip-compressed": hsds_tabular.FORMAT,
    "text/csv": csv_template.FORMAT,
    "application/csv": csv_template.FORMAT,
    "application/vnd.ms-excel": csv_template.FORMAT,
    "application/xml": airs_xml.FORMAT,
    "text/xml": airs_xml.FORMAT,
}
CONTENT_TYPES = sorted(FORMATS)


class BatchParams(BaseModel):
    """Query parameters of POST /admin/batches and POST /admin/batches/uploads."""

    model_config = ConfigDict(extra="forbid")

    region: RegionCode
    mode: Literal["upsert", "replace"] = "upsert"
    dry_run: bool = False
    confirm_deactivate: int | None = Field(default=None, ge=0)
    language: Lang = Field(default="fr", description="Language of plain-text fields in the file")
    source: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9._-]{0,39}$",
        description="Name of the exporting system; scopes ids derived from its own ids",
    )
    lang: Lang | None = Field(default=None, description="Language of the answer")


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: str = Field(description="One of the batch content types (text/csv, application/zip...)")
    filename: str | None = Field(default=None, max_length=200)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_id: str
    action: Literal["link", "merge", "keep_both"]


class Decisions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decisions: list[Decision] = Field(min_length=1, max_length=5000)


class RestoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0)


def detect_format(content_type: str | None) -> tuple[str, str | None]:
    media, _, parameters = (content_type or "").partition(";")
    found = FORMATS.get(media.strip().lower())
    if found is None:
        raise UnsupportedMediaType(
            "Type de contenu non pris en charge pour un lot.",
            message_en="Unsupported content type for a batch.",
            details={"content_type": content_type or "", "accepted": CONTENT_TYPES},
        )
    charset = None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"')
    return found, charset


def parse_file(fmt: str, body: bytes, charset: str | None, lang: Lang) -> ParsedBatch:
    if fmt == hsds_json.FORMAT:
        return hsds_json.parse(body)
    if fmt == hsds_tabular.FORMAT:
        return hsds_tabular.parse(body, lang)
    if fmt == csv_template.FORMAT:
        return csv_template.parse(body, charset)
    return airs_xml.parse(body)


@dataclass
class Outcome:
    batch: dict[str, Any]
    status: int


class Importer:
    def __init__(
        self,
        repository: DirectoryRepository,
        store: BatchStore,
        publisher: EventPublisher,
        *,
        search_index: IndexStore | None = None,
        inline_max_services: int = 5000,
        write_workers: int = WRITE_WORKERS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.repository = repository
        self.store = store
        self.publisher = publisher
        self.search_index = search_index
        self.inline_max_services = inline_max_services
        self.write_workers = max(1, write_workers)
        self.clock = clock

    # ---- entry points
    # -----------------------------------------------------------------------------------------

    def submit(
        self,
        params: BatchParams,
        body: bytes,
        content_type: str | None,
        principal: Principal,
        idempotency_key: str | None = None,
    ) -> Outcome:
        require_role(principal, *ADMIN_ROLES)
        require_regions(principal, [params.region])
        fmt, charset = detect_format(content_type)
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(
                "Fichier trop volumineux pour une requête : utilisez POST /admin/batches/uploads.",
                message_en="File too large for one request: use POST /admin/batches/uploads.",
                details={"max_bytes": MAX_BODY_BYTES},
            )
        sha = hashlib.sha256(body).hexdigest()
        batch = self._new_batch(params, fmt, charset, principal, sha, idempotency_key)
        if params.dry_run:
            return self._run(batch, body, principal)
        existing = self.store.claim(batch)
        if existing is not None:
            return self._replay(existing, batch, body, principal)
        return self._run(batch, body, principal)

    def create_upload(
        self,
        params: BatchParams,
        upload: UploadRequest,
        principal: Principal,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """A batch waiting for its file, and a presigned URL to PUT it to; the S3 event starts the import."""
        require_role(principal, *ADMIN_ROLES)
        require_regions(principal, [params.region])
        fmt, charset = detect_format(upload.content_type)
        batch = self._new_batch(params, fmt, charset, principal, "", idempotency_key, upload=True)
        batch["status"] = "awaiting_upload"
        batch["content_type"] = upload.content_type
        batch["filename"] = upload.filename
        batch["upload_key"] = self.store.upload_key(params.region, batch["id"])
        existing = self.store.claim(batch)
        current = existing or batch
        url = self.store.bucket.presign_put(current["upload_key"], current["content_type"])
        return {
            **public(current),
            "upload": {
                "method": "PUT",
                "url": url,
                "key": current["upload_key"],
                "headers": {"Content-Type": current["content_type"]},
                "expires_in": 900,
            },
        }

    def handle_uploaded(self, bucket: str, key: str) -> dict[str, Any] | None:
        """The S3 event of an upload (at least once): import the file of the batch waiting for it."""
        if bucket != self.store.bucket_name or not key.startswith("uploads/"):
            logger.info("upload ignored", reason="not the batches bucket")
            return None
        batch_id = key.rsplit("/", 1)[-1]
        batch = self.store.get(batch_id)
        if batch is None:
            logger.warning("upload without a batch", key=key)
            return None
        waiting = batch["status"] == "awaiting_upload" or (
            batch["status"] == "validating" and batch.get("deferred")
        )
        if not waiting and not (
            batch["status"] == "failed" or (batch["status"] == "validating" and lease_expired(batch))
        ):
            logger.info("upload already handled", batch_id=batch_id, status=batch["status"])
            return batch
        stored = self.store.bucket.get(key)
        if stored is None:
            return None
        previous_status, previous_updated = batch["status"], batch.get("updated_at") or batch["created_at"]
        batch.update(
            status="validating",
            deferred=False,
            from_upload=True,
            bytes=len(stored.body),
            content_sha256=hashlib.sha256(stored.body).hexdigest(),
        )
        batch["updated_at"] = now_iso()
        if not self.store.take_over(batch, previous_status, previous_updated):
            logger.info("upload taken by another invocation", batch_id=batch_id)
            return self.store.get(batch_id)
        principal = Principal(
            subject=batch["principal"]["subject"],
            username=batch["submitted_by"],
            roles=frozenset(batch["principal"]["roles"]),
            regions=frozenset(batch["principal"]["regions"]),
        )
        try:
            return self._run(batch, stored.body, principal).batch
        except DomainError:
            return self.store.get(batch_id)

    def get(
        self,
        batch_id: str,
        principal: Principal,
        errors_page: int = 1,
        errors_per_page: int = HTTP_ERRORS_SHOWN,
    ) -> dict[str, Any]:
        require_role(principal, *ADMIN_ROLES)
        batch = self.store.get(batch_id)
        if batch is None:
            raise NotFound("Lot introuvable.", message_en="Batch not found.", details={"batch_id": batch_id})
        require_regions(principal, [batch["region"]])
        answer = public(batch)
        report = self.store.report(batch)
        if report:
            start = (errors_page - 1) * errors_per_page
            answer["errors"] = report.get("errors", [])[start : start + errors_per_page]
            answer["errors_page"] = {
                "page": errors_page,
                "per_page": errors_per_page,
                "total": len(report.get("errors", [])),
            }
            answer["warnings"] = report.get("warnings", [])[:HTTP_ERRORS_SHOWN]
            answer["changes"] = report.get("changes", [])[:HTTP_ERRORS_SHOWN]
            answer["possible_duplicates"] = [
                {k: v for k, v in d.items() if k not in ("incoming", "organization")}
                for d in report.get("possible_duplicates", [])
            ]
            answer["conflicts_merged"] = report.get("conflicts_merged", [])
        return answer

    def list_region(self, region: str, principal: Principal) -> list[dict[str, Any]]:
        require_role(principal, *ADMIN_ROLES)
        require_regions(principal, [region])
        return [public(b) for b in self.store.list_region(region)]

    # ---- one batch
    # ----------------------------------------------------------------------------------------------

    def _new_batch(
        self,
        params: BatchParams,
        fmt: str,
        charset: str | None,
        principal: Principal,
        sha: str,
        idempotency_key: str | None,
        *,
        upload: bool = False,
    ) -> dict[str, Any]:
        source = params.source or f"{fmt}:{params.region}"
        if params.dry_run:
            batch_id = str(uuid.uuid4())
        elif idempotency_key:
            batch_id = str(
                uuid.uuid5(BATCH_NAMESPACE, f"key|{principal.subject}|{params.region}|{idempotency_key}")
            )
        elif upload:
            batch_id = str(uuid.uuid4())
        else:
            batch_id = str(
                uuid.uuid5(
                    BATCH_NAMESPACE,
                    "|".join(
                        [
                            "content",
                            params.region,
                            params.mode,
                            str(params.confirm_deactivate),
                            fmt,
                            params.language,
                            source,
                            sha,
                        ]
                    ),
                )
            )
        created = now_iso()
        return {
            "id": batch_id,
            "region": params.region,
            "mode": params.mode,
            "dry_run": params.dry_run,
            "confirm_deactivate": params.confirm_deactivate,
            "format": fmt,
            "charset": charset,
            "language": params.language,
            "source": source,
            "status": "validating",
            "created_at": created,
            "updated_at": created,
            "submitted_by": principal.username,
            "content_sha256": sha,
            "idempotency_key_sha256": hashlib.sha256(idempotency_key.encode()).hexdigest()
            if idempotency_key
            else None,
            "principal": {
                "subject": principal.subject,
                "roles": sorted(principal.roles),
                "regions": sorted(principal.regions),
            },
            "counts": {},
            "error_count": 0,
            "errors": [],
            "warning_count": 0,
            "warnings": [],
        }

    def _replay(
        self, existing: dict[str, Any], batch: dict[str, Any], body: bytes, principal: Principal
    ) -> Outcome:
        if existing.get("content_sha256") and existing["content_sha256"] != batch["content_sha256"]:
            raise Conflict(
                "Cette clé d'idempotence a déjà servi pour un autre fichier.",
                message_en="This Idempotency-Key was already used for another file.",
                code="idempotency_key_reused",
                details={"batch_id": existing["id"]},
            )
        status = existing["status"]
        if status in TERMINAL:
            logger.info("batch replayed", batch_id=existing["id"], status=status)
            return self._outcome_of(existing)
        if status == "validating" and not lease_expired(existing):
            return Outcome(existing, 202)
        previous_updated = existing.get("updated_at") or existing["created_at"]
        if not self.store.take_over({**batch, "status": "validating"}, status, previous_updated):
            return Outcome(self.store.get(existing["id"]) or existing, 202)
        return self._run(batch, body, principal)

    def _outcome_of(self, batch: dict[str, Any]) -> Outcome:
        if batch["status"] == "rejected":
            errors = self.store.report(batch).get("errors", batch.get("errors", []))
            raise self._rejection_error(batch, errors)
        return Outcome(batch, 200 if batch.get("dry_run") else 202)

    def _rejection_error(self, batch: dict[str, Any], errors: list[dict[str, Any]]) -> DomainError:
        shown = errors[:HTTP_ERRORS_SHOWN]
        if batch.get("rejected_for") == "scope":
            return Forbidden(
                "Des fiches du lot sont hors de votre périmètre : rien n'a été modifié.",
                message_en="Listings of the batch are outside your scope: nothing was changed.",
                code="region_outside_scope",
                details={"batch_id": batch["id"], "status": "rejected", "errors": shown},
            )
        if batch.get("rejected_for") == "guard":
            return Conflict(
                batch["guard"]["message"],
                message_en=batch["guard"]["message_en"],
                code="confirmation_required",
                details={"batch_id": batch["id"], "status": "rejected", **batch["guard"]["details"]},
            )
        error = rejection(batch, shown)
        return error

    def _run(self, batch: dict[str, Any], body: bytes, principal: Principal) -> Outcome:
        try:
            return self._process(batch, body, principal)
        except DomainError:
            raise
        except Exception:
            logger.exception("batch failed", batch_id=batch["id"])
            batch["status"] = "failed"
            self.store.save(batch)
            raise

    def _reject(
        self,
        batch: dict[str, Any],
        errors: list[Problem],
        warnings: list[Problem],
        counts: dict[str, int],
        reason: str = "validation",
        guard: dict[str, Any] | None = None,
    ) -> DomainError:
        as_json = [e.to_json() for e in errors]
        batch.update(
            status="rejected",
            rejected_for=reason,
            counts=counts,
            error_count=len(as_json),
            errors=as_json[:INLINE_ERRORS],
            warning_count=len(warnings),
            warnings=[w.to_json() for w in warnings[:INLINE_ERRORS]],
        )
        if guard:
            batch["guard"] = guard
        self.store.save(batch, {"errors": as_json, "warnings": [w.to_json() for w in warnings]})
        logger.info("batch rejected", batch_id=batch["id"], reason=reason, errors=len(as_json))
        return self._rejection_error(batch, as_json)

    def _process(self, batch: dict[str, Any], body: bytes, principal: Principal) -> Outcome:
        region, lang = batch["region"], batch["language"]
        now = self.clock()
        timer = _Timer()
        try:
            parsed = parse_file(batch["format"], body, batch.get("charset"), lang)
        except BatchRejected as rejected:
            raise self._reject(batch, [rejected.problem], [], {"received": 0, "rejected": 0}) from None
        received = len(parsed.records)
        if received > self.inline_max_services and not batch.get("from_upload"):
            return self._defer(batch, body)
        timer.lap("parse")
        validated = validate(parsed, region=region, lang=lang, source=batch["source"])
        timer.lap("validate")
        counts: dict[str, int] = {"received": received, "rejected": validated.rejected_rows}

        services = [(record, service) for record, service in validated.services]
        stored = self.repository.get_stored_services([s.id for _, s in services]) if services else {}
        # Aliases: incoming ids an admin linked or merged into existing listings. Such an id never became a
        # listing (its duplicate was held back), so only ids that are not listings are looked up: a re-import
        # of known listings reads no alias.
        unknown = [s.id for _, s in services if s.id not in stored]
        aliases = self.repository.get_aliases(unknown) if unknown else {}
        if aliases:
            services = [(r, s.model_copy(update={"id": aliases.get(s.id, s.id)})) for r, s in services]
            targets = sorted(set(aliases.values()) - set(stored))
            stored.update(self.repository.get_stored_services(targets) if targets else {})
        org_ids = set(validated.organizations) | {s.organization_id for _, s in services}
        stored_orgs = self.repository.get_stored_organizations(sorted(org_ids)) if org_ids else {}

        outside = self._outside_scope(parsed, validated, services, stored, stored_orgs, principal, region)
        if outside:
            raise self._reject(batch, outside, validated.warnings, counts, reason="scope")
        for record, service in services:
            if (
                service.organization_id not in validated.organizations
                and service.organization_id not in stored_orgs
            ):
                validated.errors.append(
                    Problem(
                        ref=record.ref,
                        field=record.source_field("organization_id"),
                        code="missing_organization",
                        value=service.organization_id,
                        ref_kind=record.ref_kind,
                    )
                )
                counts["rejected"] += 1
        if validated.errors:
            raise self._reject(batch, validated.errors, validated.warnings, counts)

        timer.lap("read")
        changes = [
            diff.plan_service(service, stored.get(service.id), record.ref, now)
            for record, service in services
        ]
        org_changes = [
            diff.plan_organization(org, stored_orgs.get(org_id), now)
            for org_id, (_, _, org) in validated.organizations.items()
        ]
        org_names = {o.id: o.name.pick("fr") for o in (c.organization for c in org_changes)}
        org_names.update({k: v.organization.name.pick("fr") for k, v in stored_orgs.items()})
        creates = [c for c in changes if c.action == "create"]
        region_was_empty = False
        found: list[duplicates.PossibleDuplicate] = []
        service_entries: list[IndexEntry] | None = None
        if creates:
            service_entries = self.repository.list_entries("SVC", regions=[region])
            org_entries = self.repository.list_entries("ORG", regions=[region])
            # Read before any write: an empty region's index is then built from this batch alone.
            region_was_empty = not service_entries and not org_entries
            found = duplicates.find(
                [(c.service, org_names.get(c.service.organization_id, ""), c.ref) for c in creates],
                [e for e in service_entries if e.id not in stored],
                {e.id: e.sort for e in org_entries},
                self.repository.get_services,
            )
        held = {d.incoming_id for d in found}
        timer.lap("diff_and_duplicates")
        if batch["mode"] == "replace":
            kept = {s.id for _, s in services} | {d.candidate_id for d in found}
            guard = self._deactivations(batch, kept, region, now, changes, service_entries)
            if guard is not None:
                raise self._reject(batch, [], validated.warnings, counts, reason="guard", guard=guard)
        incoming_by_id = {c.service.id: c for c in creates}
        org_by_id = {c.organization.id: c.organization for c in org_changes}
        counts.update(
            created=sum(1 for c in changes if c.action == "create" and c.service.id not in held),
            updated=sum(1 for c in changes if c.action == "update"),
            unchanged=sum(1 for c in changes if c.action == "unchanged"),
            deactivated=sum(1 for c in changes if c.action == "deactivate"),
            possible_duplicates=len(held),
            organizations_created=sum(1 for c in org_changes if c.action == "create"),
            organizations_updated=sum(1 for c in org_changes if c.action == "update"),
        )
        report: dict[str, Any] = {
            "errors": [],
            "warnings": [w.to_json() for w in validated.warnings],
            "changes": [c.summary() for c in changes if c.action != "unchanged" and c.service.id not in held],
            "possible_duplicates": [
                {
                    **d.to_json(),
                    "status": "pending",
                    "incoming": incoming_by_id[d.incoming_id].service.model_dump(
                        mode="json", exclude_none=True
                    ),
                    "organization": org_by_id[
                        incoming_by_id[d.incoming_id].service.organization_id
                    ].model_dump(mode="json", exclude_none=True)
                    if incoming_by_id[d.incoming_id].service.organization_id in org_by_id
                    else None,
                }
                for d in found
            ],
        }
        batch.update(
            counts=counts,
            warning_count=len(validated.warnings),
            warnings=report["warnings"][:INLINE_ERRORS],
            possible_duplicates=[d.to_json() for d in found][:INLINE_ERRORS],
        )
        if batch["dry_run"]:
            batch["status"] = "validated"
            self.store.save(batch, report)
            logger.info("batch previewed", batch_id=batch["id"], counts=counts)
            return Outcome(batch, 200)

        stamp = self._stamper(batch, principal, now)
        organizations_written = self._write_organizations(
            [c for c in org_changes if c.action != "unchanged"], stamp
        )
        to_write = [c for c in changes if c.action != "unchanged" and c.service.id not in held]
        merged_conflicts: list[dict[str, Any]] = []
        published: list[PublishOutcome] = []

        def write(group: list[tuple[diff.ServiceChange, list[dict[str, Any]]]]) -> list[Any]:
            written = [r for r in self._write_group(group, stamp, merged_conflicts) if r is not None]
            # Each listing's event leaves once its write is in: writes and events overlap, and a batch that
            # fails later has still announced every listing it changed.
            published.append(self.publisher.publish(self._listing_events(batch, written)))
            return written

        groups = self._groups(to_write, stamp)
        if self.write_workers == 1:
            applied = [r for g in groups for r in write(g)]
        else:
            with ThreadPoolExecutor(max_workers=self.write_workers) as pool:
                applied = [r for rs in pool.map(write, groups) for r in rs]
        del groups  # every listing's DynamoDB items: hundreds of MB for a 50,000-listing upload
        late_unchanged = len(to_write) - len(applied)
        if late_unchanged:
            counts["unchanged"] += late_unchanged
            counts["updated"] -= late_unchanged
        counts["conflicts_merged"] = len(merged_conflicts)
        report["conflicts_merged"] = merged_conflicts
        timer.lap("write")
        # An earlier attempt of this batch (failed, then taken over) wrote listings this one finds unchanged:
        # its records for search would miss them, so the search refresh consumer rebuilds the region instead.
        resumed = any(s.stamp.batch_id == batch["id"] for s in stored.values()) or any(
            o.stamp.batch_id == batch["id"] for o in stored_orgs.values()
        )
        self._announce(
            batch, applied, organizations_written, counts, published, region_was_empty, record=not resumed
        )
        timer.lap("announce")
        batch["timings_s"] = timer.laps
        batch["status"] = "applied"
        self.store.save(batch, report)
        logger.info("batch applied", batch_id=batch["id"], counts=counts)
        return Outcome(batch, 202)

    def _defer(self, batch: dict[str, Any], body: bytes) -> Outcome:
        key = self.store.upload_key(batch["region"], batch["id"])
        batch.update(status="validating", deferred=True, upload_key=key)
        self.store.save(batch)
        self.store.bucket.put(key, body, content_type="application/octet-stream")
        logger.info("batch deferred to the upload function", batch_id=batch["id"])
        return Outcome(batch, 202)

    def _outside_scope(
        self,
        parsed: ParsedBatch,
        validated: ValidatedBatch,
        services: list[Any],
        stored: dict[str, StoredService],
        stored_orgs: dict[str, StoredOrganization],
        principal: Principal,
        region: str,
    ) -> list[Problem]:
        found: list[Problem] = []
        for record in parsed.records:
            wanted = str(record.service.get("region") or region).zfill(2)
            if wanted in REGION_CODES and not principal.can_reach_region(wanted):
                found.append(
                    Problem(
                        ref=record.ref,
                        field=record.source_field("region"),
                        code="region_outside_scope",
                        value=wanted,
                        ref_kind=record.ref_kind,
                    )
                )
        for record, service in services:
            owner = stored.get(service.id)
            if owner is not None and not principal.can_reach_region(owner.service.region):
                found.append(
                    Problem(
                        ref=record.ref,
                        field=record.source_field("id"),
                        code="region_outside_scope",
                        value=owner.service.region,
                        ref_kind=record.ref_kind,
                    )
                )
        for org_id, (ref, ref_kind, org) in validated.organizations.items():
            owner_org = stored_orgs.get(org_id)
            for wanted in {org.region, owner_org.organization.region if owner_org else org.region}:
                if not principal.can_reach_region(wanted) and not (
                    owner_org and diff.content(owner_org.organization) == diff.content(org)
                ):
                    found.append(
                        Problem(
                            ref=ref,
                            field="organization.region",
                            code="region_outside_scope",
                            value=wanted,
                            ref_kind=ref_kind,
                        )
                    )
        return found

    def _deactivations(
        self,
        batch: dict[str, Any],
        incoming: set[str],
        region: str,
        now: datetime,
        changes: list[diff.ServiceChange],
        entries: list[IndexEntry] | None = None,
    ) -> dict[str, Any] | None:
        """`entries`: the region's service entries when the batch already read them (duplicates)."""
        if entries is None:
            entries = self.repository.list_entries("SVC", regions=[region])
        active = [e for e in entries if e.status in ("active", "temporarily closed")]
        missing = [e.id for e in active if e.id not in incoming]
        if not missing:
            return None
        allowed = int(len(active) * REPLACE_GUARD_SHARE)
        if len(missing) > allowed and batch.get("confirm_deactivate") != len(missing):
            share = round(100 * len(missing) / max(1, len(active)))
            n, total = len(missing), len(active)
            return {
                "message": f"Ce remplacement désactiverait {n} fiches sur {total} ({share} %), plus que 20 % "
                f"de la région. Pour confirmer, renvoyez la requête avec confirm_deactivate={n}.",
                "message_en": f"This replace would deactivate {n} of {total} listings ({share}%), more than "
                f"20% of the region. To confirm, send the request again with confirm_deactivate={n}.",
                "details": {
                    "would_deactivate": len(missing),
                    "region_active": len(active),
                    "threshold_share": REPLACE_GUARD_SHARE,
                    "confirm_with": len(missing),
                    "confirm_given": batch.get("confirm_deactivate"),
                },
            }
        stored = self.repository.get_stored_services(missing)
        changes.extend(diff.deactivation(stored[i], now) for i in missing if i in stored)
        return None

    # ---- writes
    # -------------------------------------------------------------------------------------------------

    @staticmethod
    def _stamper(
        batch: dict[str, Any] | None, principal: Principal, now: datetime, note: str | None = None
    ) -> Callable[[int], VersionStamp]:
        at = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return lambda version: VersionStamp(
            version=version, by=principal.username, at=at, batch_id=batch["id"] if batch else None, note=note
        )

    def _write_organizations(
        self, changes: list[diff.OrganizationChange], stamp: Callable[[int], VersionStamp]
    ) -> list[tuple[diff.OrganizationChange, int]]:
        """Organizations in transactions of up to 100 actions; a group that meets a concurrent change is written
        one organization at a time. Returns each change with the version written."""
        groups: list[list[tuple[diff.OrganizationChange, list[dict[str, Any]]]]] = [[]]
        size = 0
        for change in changes:
            version = (change.previous.stamp.version if change.previous else 0) + 1
            actions = self.repository.organization_write_actions(
                change.organization, stamp(version), change.previous
            )
            if size + len(actions) > TRANSACTION_ACTIONS and groups[-1]:
                groups.append([])
                size = 0
            groups[-1].append((change, actions))
            size += len(actions)
        written: list[tuple[diff.OrganizationChange, int]] = []
        for group in (g for g in groups if g):
            try:
                self.repository.write_organization_versions([actions for _, actions in group])
                written += [(c, (c.previous.stamp.version if c.previous else 0) + 1) for c, _ in group]
            except Conflict:
                written += [(change, self._write_organization(change, stamp)) for change, _ in group]
        return written

    def _write_organization(
        self, change: diff.OrganizationChange, stamp: Callable[[int], VersionStamp]
    ) -> int:
        previous = change.previous
        for _ in range(CONFLICT_RETRIES):
            version = (previous.stamp.version if previous else 0) + 1
            try:
                self.repository.write_organization_version(change.organization, stamp(version), previous)
                return version
            except Conflict:
                previous = self.repository.get_stored_organizations([change.organization.id]).get(
                    change.organization.id
                )
        raise Conflict(
            "Organisme modifié sans cesse pendant l'import.", message_en="Organization kept changing."
        )

    def _groups(
        self, changes: list[diff.ServiceChange], stamp: Callable[[int], VersionStamp]
    ) -> list[list[tuple[diff.ServiceChange, list[dict[str, Any]]]]]:
        """Listings packed into transactions of at most 100 actions (each listing stays conditional)."""
        groups: list[list[tuple[diff.ServiceChange, list[dict[str, Any]]]]] = [[]]
        size = 0
        for change in changes:
            version = (change.previous.stamp.version if change.previous else 0) + 1
            actions = self.repository.service_write_actions(change.service, stamp(version), change.previous)
            if size + len(actions) > TRANSACTION_ACTIONS and groups[-1]:
                groups.append([])
                size = 0
            groups[-1].append((change, actions))
            size += len(actions)
        return [g for g in groups if g]

    def _write_group(
        self,
        group: list[tuple[diff.ServiceChange, list[dict[str, Any]]]],
        stamp: Callable[[int], VersionStamp],
        merged_conflicts: list[dict[str, Any]],
    ) -> list[tuple[diff.ServiceChange, int] | None]:
        """One transaction for the group; if a listing moved meanwhile, each is written on its own."""
        try:
            self.repository.write_service_versions([actions for _, actions in group])
        except Conflict:
            return [self._write_service(change, stamp, merged_conflicts) for change, _ in group]
        return [
            (change, (change.previous.stamp.version if change.previous else 0) + 1) for change, _ in group
        ]

    def _write_service(
        self,
        change: diff.ServiceChange,
        stamp: Callable[[int], VersionStamp],
        merged_conflicts: list[dict[str, Any]],
    ) -> tuple[diff.ServiceChange, int] | None:
        """Write one listing; on a concurrent change merge ours into theirs and retry (None: nothing left)."""
        desired, previous = change.service, change.previous
        base = diff.content(previous.service) if previous else {}
        for _ in range(CONFLICT_RETRIES):
            version = (previous.stamp.version if previous else 0) + 1
            try:
                self.repository.write_service_version(desired, stamp(version), previous)
                return change if desired is change.service else diff.ServiceChange(
                    change.action, desired, previous, change.ref, change.fields
                ), version
            except Conflict:
                current = self.repository.get_stored_service(desired.id)
                if current is None:
                    continue
                theirs = diff.content(current.service)
                merged, conflicts = diff.three_way(base, diff.content(desired), theirs)
                if merged == theirs:
                    return None
                merged["last_modified"] = desired.last_modified.isoformat() if desired.last_modified else None
                desired = Service.model_validate({k: v for k, v in merged.items() if v is not None})
                if conflicts:
                    merged_conflicts.append(
                        {
                            "service_id": desired.id,
                            "fields": conflicts,
                            "other_version": current.stamp.version,
                            "other_batch_id": current.stamp.batch_id,
                        }
                    )
                previous, base = current, theirs
        raise Conflict(
            "Fiche modifiée sans cesse pendant l'import.",
            message_en="Listing kept changing.",
            details={"service_id": change.service.id},
        )

    @staticmethod
    def _listing_events(
        batch: dict[str, Any], written: list[tuple[diff.ServiceChange, int]]
    ) -> list[EventDetail]:
        kinds = {"create": "created", "update": "updated", "deactivate": "deactivated"}
        return [
            ListingChanged(
                service_id=c.service.id,
                organization_id=c.service.organization_id,
                region=c.service.region,
                version=version,
                change=kinds[c.action],  # type: ignore[arg-type]
                status=c.service.status,
                batch_id=batch["id"],
            )
            for c, version in written
        ]

    def _announce(
        self,
        batch: dict[str, Any],
        applied: list[tuple[diff.ServiceChange, int]],
        organizations: list[tuple[diff.OrganizationChange, int]],
        counts: dict[str, int],
        published: list[PublishOutcome],
        region_was_empty: bool,
        *,
        record: bool = True,
    ) -> None:
        """Record for search what the batch changed in each region, then publish `ListingsBatchApplied`, whose
        arrival at the search refresh consumer applies those records to the regions' indexes."""
        services = [(c.service, c.previous.service.region if c.previous else None, v) for c, v in applied]
        orgs = [
            (c.organization, c.previous.organization.region if c.previous else None, v) for c, v in organizations
        ]
        announcement = ListingsBatchApplied(
            batch_id=batch["id"],
            region=batch["region"],
            mode=batch["mode"],
            format=batch["format"],
            regions_changed=_regions_of(services, orgs),
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            deactivated=counts["deactivated"],
            organizations_changed=counts["organizations_created"] + counts["organizations_updated"],
        )
        if record:
            empty = [batch["region"]] if region_was_empty else []
            self._record_for_search(announcement.event_id, services, orgs, empty)
        outcomes = [*published, self.publisher.publish([announcement])]
        batch["events_published"] = sum(o.published for o in outcomes)
        batch["events_not_published"] = sum(o.failed for o in outcomes)

    def _record_for_search(
        self,
        event_id: str,
        services: list[tuple[Service, str | None, int]],
        organizations: list[tuple[Organization, str | None, int]],
        empty_regions: Collection[str] = (),
    ) -> None:
        """Before `event_id` is published: what its writes changed in each region (listing or organization, at
        the version written, also in the region it left), which the search refresh consumer applies to the
        region's index instead of reading the region back (shared/search/indexer.py). A region that had nothing
        before these writes is recorded whole. A record that cannot be written only costs the consumer a
        rebuild of the region from the directory."""
        from shared.search.indexer import RegionDocuments

        if self.search_index is None:
            return
        for region in _regions_of(services, organizations):
            changes = RegionDocuments(region, complete=region in empty_regions)
            changes.merge(
                ((v, s) for s, before, v in services if region in (s.region, before)),
                ((v, o) for o, before, v in organizations if region in (o.region, before)),
            )
            try:
                self.search_index.put_changes(region, event_id, changes.to_bytes())
            except Exception:
                logger.exception("changes not recorded for search: the region will be rebuilt", region=region)

    # ---- after the batch: duplicates, history, restore
    # ----------------------------------------------------------

    def resolve_duplicates(self, batch_id: str, decisions: Decisions, principal: Principal) -> dict[str, Any]:
        require_role(principal, *ADMIN_ROLES)
        batch = self.store.get(batch_id)
        if batch is None:
            raise NotFound("Lot introuvable.", message_en="Batch not found.", details={"batch_id": batch_id})
        require_regions(principal, [batch["region"]])
        if batch["status"] != "applied":
            raise Conflict(
                "Seul un lot appliqué a des doublons à trancher.",
                message_en="Only an applied batch has duplicates to decide.",
                details={"status": batch["status"]},
            )
        report = self.store.report(batch)
        pending = {
            d["service_id"]: d for d in report.get("possible_duplicates", []) if d["status"] == "pending"
        }
        unknown = [d.service_id for d in decisions.decisions if d.service_id not in pending]
        if unknown:
            raise NotFound(
                "Aucun doublon en attente pour ces fiches.",
                message_en="No pending duplicate for these listings.",
                details={"service_ids": unknown},
            )
        now = self.clock()
        applied: list[tuple[diff.ServiceChange, int]] = []
        events: list[EventDetail] = []
        written: list[tuple[Service, str | None, int]] = []
        organizations_written: list[tuple[Organization, str | None, int]] = []
        for decision in decisions.decisions:
            entry = pending[decision.service_id]
            incoming = Service.model_validate(entry["incoming"])
            require_regions(principal, [incoming.region])
            stamp = self._stamper(batch, principal, now, note=f"duplicate {decision.action}")
            if decision.action == "keep_both":
                if entry.get("organization"):
                    org = Organization.model_validate(entry["organization"])
                    if not self.repository.get_stored_organizations([org.id]):
                        self.repository.write_organization_version(org, stamp(1), None)
                        organizations_written.append((org, None, 1))
                self.repository.write_service_version(incoming, stamp(1), None)
                applied.append((diff.ServiceChange("create", incoming, None), 1))
                written.append((incoming, None, 1))
            elif decision.action == "link":
                self.repository.put_alias(incoming.id, entry["candidate_id"], stamp(0))
            else:
                current = self.repository.get_stored_service(entry["candidate_id"])
                if current is None:
                    raise NotFound(
                        "La fiche candidate n'existe plus.", message_en="The candidate no longer exists."
                    )
                require_regions(principal, [current.service.region])
                merged = merge_into(current.service, incoming, now)
                version = current.stamp.version + 1
                self.repository.write_service_version(
                    merged,
                    stamp(version),
                    current,
                    extra_puts=[self.repository.alias_item(incoming.id, current.service.id, stamp(version))],
                )
                written.append((merged, current.service.region, version))
                events.append(
                    ListingChanged(
                        service_id=merged.id,
                        organization_id=merged.organization_id,
                        region=merged.region,
                        version=version,
                        change="merged",
                        status=merged.status,
                        batch_id=batch_id,
                    )
                )
            entry["status"] = decision.action
        for change, version in applied:
            events.append(
                ListingChanged(
                    service_id=change.service.id,
                    organization_id=change.service.organization_id,
                    region=change.service.region,
                    version=version,
                    change="created",
                    status=change.service.status,
                    batch_id=batch_id,
                )
            )
        batch["counts"]["possible_duplicates"] = sum(
            1 for d in report["possible_duplicates"] if d["status"] == "pending"
        )
        batch["counts"]["created"] = batch["counts"].get("created", 0) + len(applied)
        batch["possible_duplicates"] = [
            {k: v for k, v in d.items() if k not in ("incoming", "organization")}
            for d in report["possible_duplicates"]
        ][:INLINE_ERRORS]
        self.store.save(batch, report)
        merged_count = sum(1 for e in events if isinstance(e, ListingChanged) and e.change == "merged")
        if events:
            # Tells search the batch changed its region again (its listing events alone do not concern it).
            announcement = ListingsBatchApplied(
                batch_id=batch_id,
                region=batch["region"],
                mode=batch["mode"],
                format=batch["format"],
                regions_changed=_regions_of(written, organizations_written),
                created=len(applied),
                updated=merged_count,
                unchanged=0,
                deactivated=0,
            )
            self._record_for_search(announcement.event_id, written, organizations_written)
            self.publisher.publish([*events, announcement])
        return self.get(batch_id, principal)

    def history(self, service_id: str, principal: Principal) -> dict[str, Any]:
        require_role(principal, *ADMIN_ROLES)
        current = self._current(service_id, principal)
        versions = [current, *reversed(self.repository.service_history(service_id))]
        return {
            "service_id": service_id,
            "current_version": current.stamp.version,
            "versions": [
                {
                    "version": v.stamp.version,
                    "changed_at": v.stamp.at or None,
                    "changed_by": v.stamp.by or None,
                    "batch_id": v.stamp.batch_id,
                    "note": v.stamp.note,
                    "status": v.service.status,
                    "current": v is current,
                    "listing": v.service.model_dump(mode="json", exclude_none=True),
                }
                for v in versions
            ],
        }

    def restore(self, service_id: str, request: RestoreRequest, principal: Principal) -> dict[str, Any]:
        require_role(principal, *ADMIN_ROLES)
        current = self._current(service_id, principal)
        if request.version == current.stamp.version:
            raise Conflict(
                "C'est déjà la version courante.",
                message_en="That is already the current version.",
                code="already_current",
                details={"version": request.version},
            )
        target = self.repository.service_version(service_id, request.version)
        if target is None:
            raise NotFound(
                "Version introuvable.",
                message_en="Version not found.",
                details={"service_id": service_id, "version": request.version},
            )
        require_regions(principal, [target.service.region])
        now = self.clock()
        restored = target.service.model_copy(update={"last_modified": now})
        version = current.stamp.version + 1
        stamp = self._stamper(None, principal, now, note=f"restore of version {request.version}")
        self.repository.write_service_version(restored, stamp(version), current)
        event = ListingChanged(
            service_id=service_id,
            organization_id=restored.organization_id,
            region=restored.region,
            version=version,
            change="restored",
            status=restored.status,
        )
        self._record_for_search(event.event_id, [(restored, current.service.region, version)], [])
        self.publisher.publish([event])
        logger.info("listing restored", service_id=service_id, version=version, restored_from=request.version)
        return {
            "service_id": service_id,
            "version": version,
            "restored_from": request.version,
            "listing": restored.model_dump(mode="json", exclude_none=True),
        }

    def _current(self, service_id: str, principal: Principal) -> StoredService:
        current = self.repository.get_stored_service(service_id)
        if current is None:
            raise NotFound(
                "Fiche introuvable.", message_en="Listing not found.", details={"service_id": service_id}
            )
        require_regions(principal, [current.service.region])
        return current


def _regions_of(
    services: list[tuple[Service, str | None, int]], organizations: list[tuple[Organization, str | None, int]]
) -> list[str]:
    """Regions whose listings some writes changed: each record's region, and the one it left."""
    found = {s.region for s, _, _ in services} | {o.region for o, _, _ in organizations}
    found |= {before for _, before, _ in [*services, *organizations] if before}
    return sorted(found)


class _Timer:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def merge_into(existing: Service, incoming: Service, now: datetime) -> Service:
    """The existing listing completed and updated by the incoming one (ids, organization and region kept)."""
    merged = existing.model_dump(mode="json", exclude_none=True)
    for key, value in incoming.model_dump(mode="json", exclude_none=True).items():
        if key in ("id", "organization_id", "region") or value in ([], {}, ""):
            continue
        merged[key] = value
    merged["last_modified"] = now.isoformat()
    try:
        return Service.model_validate(merged)
    except ValidationError as error:  # cannot happen with two valid listings; said plainly if it does
        raise Conflict(
            "Fusion impossible.", message_en="Merge impossible.", details={"reason": str(error)}
        ) from error


def public(batch: dict[str, Any]) -> dict[str, Any]:
    """The batch resource as the API shows it (the requester's scope stays internal)."""
    hidden = {"principal", "guard", "rejected_for", "idempotency_key_sha256", "deferred", "from_upload"}
    answer = {k: v for k, v in batch.items() if k not in hidden}
    answer["links"] = {"self": f"/admin/batches/{batch['id']}"}
    return answer
