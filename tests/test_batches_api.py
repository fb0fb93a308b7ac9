"""Listing batches through the Chalice test client on moto: formats, scope, validation, idempotency, diff,
replace guard, history and restore, duplicates, uploads, events, and that a rejected batch changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.config import get_settings
from shared.directory.repository import DirectoryRepository
from tests import factories as f
from tests.batches_helpers import (
    bus_events,
    directory_snapshot,
    fixture,
    get_json,
    hsds_package,
    post_batch,
    post_json,
)

CSV = "text/csv; charset=utf-8"


@pytest.fixture
def admin02(token: Any) -> str:
    return token("region-admin", regions=("02",), username="admin-saguenay")


@pytest.fixture
def admin06(token: Any) -> str:
    return token("region-admin", regions=("06",), username="admin-montreal")


def test_csv_template_batch_is_applied_and_listings_are_readable(api: Any, admin02: str) -> None:
    # GIVEN the one-sheet template with French headers, ";" separators and decimal commas
    # WHEN a region-admin of 02 posts it
    status, batch = post_batch(api, admin02, fixture("saguenay.csv"), CSV)
    # THEN the batch is applied in the answer, with its counts
    assert status == 202, batch
    assert batch["status"] == "applied"
    assert batch["counts"]["created"] == 3 and batch["counts"]["rejected"] == 0
    assert batch["links"]["self"] == f"/admin/batches/{batch['id']}"
    # AND the listings are served by the public API, normalised
    _, page = get_json(api, "/services?region=02&per_page=50")
    names = {s["name"] for s in page["contents"]}
    assert {"Popote roulante", "Comptoir vestimentaire", "Banque alimentaire régionale"} <= names
    popote = next(s for s in page["contents"] if s["name"] == "Popote roulante")
    _, full = get_json(api, f"/services/{popote['id']}")
    assert full["phones"][0]["number"] == "418 668-3018" and full["phones"][0]["extension"] == 2
    assert full["schedules"][0]["byday"] == "MO,TU,WE,TH,FR" and full["schedules"][0]["opens_at"] == "08:30"
    location = full["service_at_locations"][0]["location"]
    assert location["latitude"] == pytest.approx(48.5502)
    assert location["addresses"][0]["postal_code"] == "G8B 1L9"
    # AND GET /admin/batches/{id} tells the same
    status, again = get_json(api, f"/admin/batches/{batch['id']}", admin02)
    assert status == 200 and again["status"] == "applied" and again["counts"]["created"] == 3


def test_same_file_twice_gives_the_same_batch_and_no_second_change(api: Any, admin02: str) -> None:
    # GIVEN an applied batch
    _, first = post_batch(api, admin02, fixture("saguenay.csv"), CSV)
    before = directory_snapshot()
    # WHEN the same file is sent again
    status, second = post_batch(api, admin02, fixture("saguenay.csv"), CSV)
    # THEN it is the same batch, and the directory did not move
    assert status == 202 and second["id"] == first["id"]
    assert directory_snapshot() == before


def test_unchanged_reimport_under_another_key_costs_zero_directory_writes(
    api: Any, admin02: str, aws_calls: Any
) -> None:
    # GIVEN an applied batch
    post_batch(api, admin02, fixture("saguenay.csv"), CSV)
    before = directory_snapshot()
    aws_calls.reset()
    # WHEN the same export comes back as a new batch (another Idempotency-Key)
    status, batch = post_batch(
        api, admin02, fixture("saguenay.csv"), CSV, headers={"Idempotency-Key": "weekly-2"}
    )
    # THEN everything is unchanged: the only write is the batch record itself, the directory is identical
    dynamodb = aws_calls.of("dynamodb")
    assert status == 202 and batch["counts"]["unchanged"] == 3 and batch["counts"]["created"] == 0
    assert directory_snapshot() == before
    assert dynamodb.get("Scan", 0) == 0
    assert dynamodb.get("BatchWriteItem", 0) == 0
    assert dynamodb.get("TransactWriteItems", 0) == 1  # the batch record's claim (batches table)


def test_idempotency_key_replays_and_refuses_another_file(api: Any, admin02: str) -> None:
    status, first = post_batch(api, admin02, fixture("saguenay.csv"), CSV, headers={"Idempotency-Key": "k-1"})
    assert status == 202
    status, replay = post_batch(
        api, admin02, fixture("saguenay.csv"), CSV, headers={"Idempotency-Key": "k-1"}
    )
    assert status == 202 and replay["id"] == first["id"]
    status, error = post_batch(
        api, admin02, fixture("saguenay_bom.csv"), CSV, headers={"Idempotency-Key": "k-1"}
    )
    assert status == 409 and error["error"]["code"] == "idempotency_key_reused"


def test_windows_1252_and_bom_exports_store_the_same_accents(api: Any, admin02: str) -> None:
    # WHEN the Excel (Windows-1252) export is imported
    status, batch = post_batch(api, admin02, fixture("saguenay_cp1252.csv"), "text/csv")
    assert status == 202, batch
    # THEN the accents are right (no mojibake) and a UTF-8-with-BOM copy of it changes nothing
    _, page = get_json(api, "/services?region=02&per_page=50")
    assert "Comptoir vestimentaire" in {s["name"] for s in page["contents"]}
    descriptions = " ".join(s.get("description", "") for s in page["contents"])
    assert "à domicile aux aînés" in descriptions and "Ã" not in descriptions
    status, again = post_batch(api, admin02, fixture("saguenay_bom.csv"), CSV)
    assert status == 202 and again["counts"]["unchanged"] == 3


def test_invalid_rows_reject_the_whole_batch_with_every_error(api: Any, admin02: str) -> None:
    before = directory_snapshot()
    # WHEN a batch with broken rows is posted
    status, answer = post_batch(api, admin02, fixture("saguenay_errors.csv"), CSV)
    # THEN 422 lists every error with its row, column and bilingual messages, and nothing was written
    assert status == 422
    details = answer["error"]["details"]
    codes = {(e["row"], e["code"]) for e in details["errors"]}
    assert {
        ("3", "invalid_phone"),
        ("3", "unknown_category"),
        ("3", "postal_code_outside_quebec"),
        ("4", "coordinates_outside_quebec"),
        ("4", "invalid_hours"),
        ("5", "duplicate_id"),
        ("5", "coordinates_outside_quebec"),
    } <= codes
    assert all(e["message"] and e["message_en"] and "field" in e for e in details["errors"])
    assert details["counts"]["rejected"] == 3
    assert directory_snapshot() == before
    # AND the batch resource says rejected, with the same errors
    _, batch = get_json(api, f"/admin/batches/{details['batch_id']}", admin02)
    assert batch["status"] == "rejected" and batch["errors_page"]["total"] == len(details["errors"])


BROKEN_FILES = [
    (b'[{"id": "x", "name": "tronqu', "application/json", "malformed_file"),
    (bytes(range(256)) * 100, "text/csv", "encoding_undetected"),
    (b"organisme;service\n\x01\x02;\x03\n", "text/csv", "malformed_file"),
    ("organisme;service\nCafé;Ã©picerie\n".encode(), "text/csv", "mojibake_detected"),
    (b"<Source><Agency><Key>1</Key>", "application/xml", "malformed_file"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Source/>', "application/xml", "malformed_file"),
    (b"PK\x03\x04 not really a zip", "application/zip", "malformed_file"),
    (b'{"unexpected": true}', "application/json", "malformed_file"),
    (b"[]", "application/json", "empty_batch"),
]


def test_broken_files_are_rejected_clearly_and_change_nothing(api: Any, admin02: str) -> None:
    # GIVEN an applied batch
    post_batch(api, admin02, fixture("saguenay.csv"), CSV)
    before = directory_snapshot()
    for body, content_type, code in BROKEN_FILES:
        # WHEN a broken file of each kind is posted
        status, answer = post_batch(api, admin02, body, content_type)
        # THEN 422 with a clear code, and the directory is byte for byte what it was
        assert status == 422, (code, answer)
        assert answer["error"]["details"]["errors"][0]["code"] == code
        assert answer["error"]["details"]["errors"][0]["message_en"]
        assert directory_snapshot() == before


def test_ten_megabytes_of_junk_is_refused_without_a_500(api: Any, admin02: str) -> None:
    import os

    status, answer = post_batch(api, admin02, os.urandom(10 * 1024 * 1024 + 1), "text/csv")
    assert status == 413 and answer["error"]["code"] == "payload_too_large"
    status, answer = post_batch(api, admin02, os.urandom(2 * 1024 * 1024), "text/csv")
    assert status == 422 and answer["error"]["details"]["errors"][0]["code"] == "encoding_undetected"


def test_unsupported_content_type_is_415(api: Any, admin02: str) -> None:
    status, answer = post_batch(api, admin02, b"hello", "text/plain")
    assert status == 415 and answer["error"]["code"] == "unsupported_media_type"


def test_forbidden_roles_and_regions(api: Any, admin02: str, admin06: str, token: Any) -> None:
    before = directory_snapshot()
    # no token
    response = api.http.post(
        "/admin/batches?region=02", headers={"Content-Type": CSV}, body=fixture("saguenay.csv")
    )
    assert response.status_code == 401
    # an agent cannot import
    status, _ = post_batch(api, token("agent", regions=("02",)), fixture("saguenay.csv"), CSV)
    assert status == 403
    # an admin of 06 cannot import into 02
    status, answer = post_batch(api, admin06, fixture("saguenay.csv"), CSV)
    assert status == 403 and answer["error"]["code"] == "forbidden"
    # one row outside the scope rejects the whole batch with 403
    text = fixture("saguenay.csv").decode().replace("statut\n", "statut;région\n", 1)
    lines = text.splitlines()
    lines = [lines[0]] + [line + (";06" if n == 2 else ";02") for n, line in enumerate(lines[1:], start=1)]
    status, answer = post_batch(api, admin02, "\n".join(lines).encode(), CSV)
    assert status == 403 and answer["error"]["code"] == "region_outside_scope"
    assert [e["row"] for e in answer["error"]["details"]["errors"]] == ["3"]
    assert directory_snapshot() == before
    # a platform admin reaches every region
    status, _ = post_batch(api, token("platform-admin"), fixture("saguenay.csv"), CSV)
    assert status == 202


def test_listing_owned_by_another_region_cannot_be_taken_over(api: Any, admin02: str, token: Any) -> None:
    # GIVEN a listing of region 06 whose id an admin of 02 reuses
    montreal = f.organization("Carrefour alimentaire Centre-Sud", "06")
    listing = f.service("Épicerie solidaire", montreal, city="Montréal", postal_code="H2L 1K5")
    list(DirectoryRepository(get_settings().directory_table).bulk_load([montreal], [listing]))
    text = fixture("saguenay.csv").decode().replace("CAB-ALMA-02", listing.id)
    status, answer = post_batch(api, admin02, text.encode(), CSV)
    assert status == 403 and answer["error"]["details"]["errors"][0]["code"] == "region_outside_scope"


def test_changed_listing_gets_a_new_version_with_history_and_restore(
    api: Any, admin02: str, admin06: str
) -> None:
    _, first = post_batch(api, admin02, fixture("saguenay.csv"), CSV)
    changed = fixture("saguenay.csv").decode().replace("5 $ par repas", "6 $ par repas")
    status, second = post_batch(api, admin02, changed.encode(), CSV)
    assert status == 202 and second["counts"]["updated"] == 1 and second["counts"]["unchanged"] == 2
    _, page = get_json(api, "/services?region=02&per_page=50")
    popote = next(s for s in page["contents"] if s["name"] == "Popote roulante")
    # history: the current version and the earlier one, who and which batch
    status, history = get_json(api, f"/admin/listings/{popote['id']}/history", admin02)
    assert status == 200 and history["current_version"] == 2
    assert [v["version"] for v in history["versions"]] == [2, 1]
    assert (
        history["versions"][0]["batch_id"] == second["id"]
        and history["versions"][1]["batch_id"] == first["id"]
    )
    assert history["versions"][1]["changed_by"] == "admin-saguenay"
    assert history["versions"][1]["listing"]["fees_description"] == {"fr": "5 $ par repas"}
    # another region's admin sees nothing of it
    status, _ = get_json(api, f"/admin/listings/{popote['id']}/history", admin06)
    assert status == 403
    # restore version 1: a new version 3 with version 1's content
    status, restored = post_json(api, f"/admin/listings/{popote['id']}/restore", admin02, {"version": 1})
    assert status == 200 and restored["version"] == 3 and restored["restored_from"] == 1
    _, full = get_json(api, f"/services/{popote['id']}")
    assert full["fees_description"] == "5 $ par repas"
    changes = [e["detail"]["change"] for e in bus_events("ListingChanged")]
    assert changes.count("created") == 3 and changes.count("updated") == 1 and changes.count("restored") == 1
    status, answer = post_json(api, f"/admin/listings/{popote['id']}/restore", admin02, {"version": 9})
    assert status == 404


def test_events_published_per_changed_listing_and_per_batch(api: Any, admin02: str) -> None:
    bus_events()
    _, batch = post_batch(api, admin02, fixture("saguenay.csv"), CSV)
    events = bus_events()
    applied = [e for e in events if e["detail-type"] == "ListingsBatchApplied"]
    changed = [e for e in events if e["detail-type"] == "ListingChanged"]
    assert (
        len(applied) == 1
        and applied[0]["detail"]["batch_id"] == batch["id"]
        and applied[0]["detail"]["created"] == 3
    )
    assert len(changed) == 3 and {e["detail"]["region"] for e in changed} == {"02"}
    assert all("admin" not in str(e["detail"]) for e in events)  # no person in events


def test_a_batch_becomes_searchable_without_its_region_being_read_back(
    api: Any, admin02: str, aws_calls: Any
) -> None:
    from functions.admin_batches import handle_search_refresh
    from shared.aws.s3 import Bucket
    from shared.search.engine import SearchEngine
    from shared.search.params import SearchParams
    from shared.search.store import IndexStore, StoreIndexProvider

    store = IndexStore(Bucket(get_settings().search_bucket))

    def refresh() -> dict[str, Any]:
        # what SearchRefreshQueue delivers: the batch's ListingsBatchApplied (its listing events are not routed)
        announced = bus_events("ListingsBatchApplied")
        records = [{"messageId": str(n), "body": json.dumps(e)} for n, e in enumerate(announced)]
        aws_calls.reset()
        return handle_search_refresh({"Records": records})

    def found(text: str) -> list[str]:
        engine = SearchEngine(StoreIndexProvider(store))
        result = engine.search(SearchParams.from_query({"search": text, "region": "02"}), "service", 1, 10)
        return [h.id for h in result.hits]

    # GIVEN a first batch into an empty region (and later the same export with one listing renamed)
    bus_events()
    post_batch(api, admin02, fixture("saguenay.csv"), CSV)
    # WHEN its announcement reaches the search refresh consumer
    assert refresh() == {"batchItemFailures": []}
    # THEN the region's index holds the batch, built from the batch's own records: not one DynamoDB request
    assert aws_calls.of("dynamodb") == {}
    popote = found("popote roulante")
    assert popote and store.pointer("02").documents > 0
    renamed = fixture("saguenay.csv").decode().replace("Popote roulante", "Popote roulante du Lac")
    _, second = post_batch(api, admin02, renamed.encode(), CSV)
    assert second["counts"]["updated"] == 1
    assert refresh() == {"batchItemFailures": []}
    assert aws_calls.of("dynamodb") == {}
    assert found("popote roulante du lac")[:1] == popote[:1]


@pytest.fixture
def region_of_ten(aws: dict[str, str]) -> list[Any]:
    org = f.organization("Centre communautaire de Dolbeau", "02")
    services = [f.service(f"Service numéro {n}", org, terms=[f.sub_terms()[0]]) for n in range(10)]
    list(DirectoryRepository(get_settings().directory_table).bulk_load([org], services))
    return services


def _hsds_array(services: list[Any]) -> bytes:
    import orjson

    return orjson.dumps([s.model_dump(mode="json", exclude_none=True) for s in services])


def test_replace_refuses_to_deactivate_more_than_20_percent_without_confirmation(
    api: Any, admin02: str, region_of_ten: list[Any]
) -> None:
    before = directory_snapshot()
    # WHEN a replace batch would deactivate 3 of 10 listings
    status, answer = post_batch(
        api, admin02, _hsds_array(region_of_ten[:7]), "application/json", "region=02&mode=replace"
    )
    # THEN it is refused, telling the exact number to confirm, and nothing changed
    assert status == 409 and answer["error"]["code"] == "confirmation_required"
    assert answer["error"]["details"]["would_deactivate"] == 3
    assert directory_snapshot() == before
    status, _ = post_batch(
        api,
        admin02,
        _hsds_array(region_of_ten[:7]),
        "application/json",
        "region=02&mode=replace&confirm_deactivate=2",
    )
    assert status == 409
    # WHEN the request repeats the exact number
    status, batch = post_batch(
        api,
        admin02,
        _hsds_array(region_of_ten[:7]),
        "application/json",
        "region=02&mode=replace&confirm_deactivate=3",
    )
    # THEN the 3 are inactive (never deleted) and kept in history
    assert status == 202 and batch["counts"]["deactivated"] == 3 and batch["counts"]["unchanged"] == 7
    repository = DirectoryRepository(get_settings().directory_table)
    gone = repository.get_stored_service(region_of_ten[9].id)
    assert gone is not None and gone.service.status == "inactive" and gone.stamp.version == 1
    assert repository.service_history(region_of_ten[9].id)[0].service.status == "active"


def test_replace_within_20_percent_needs_no_confirmation(
    api: Any, admin02: str, region_of_ten: list[Any]
) -> None:
    status, batch = post_batch(
        api, admin02, _hsds_array(region_of_ten[:8]), "application/json", "region=02&mode=replace"
    )
    assert status == 202 and batch["counts"]["deactivated"] == 2


def test_dry_run_reports_the_diff_and_writes_nothing(
    api: Any, admin02: str, region_of_ten: list[Any]
) -> None:
    before = directory_snapshot()
    status, batch = post_batch(api, admin02, fixture("saguenay.csv"), CSV, "region=02&dry_run=true")
    assert status == 200 and batch["status"] == "validated" and batch["dry_run"] is True
    assert batch["counts"]["created"] == 3
    _, full = get_json(api, f"/admin/batches/{batch['id']}", admin02)
    assert {c["action"] for c in full["changes"]} == {"create"}
    assert directory_snapshot() == before


def test_airs_xml_export_imports_with_sites_hours_and_categories(api: Any, admin02: str) -> None:
    status, batch = post_batch(api, admin02, fixture("icarol_export.xml"), "application/xml")
    assert status == 202, batch
    assert batch["counts"]["created"] == 3 and batch["counts"]["organizations_created"] == 2
    assert {w["code"] for w in batch["warnings"]} >= {"unmapped_taxonomy_code"}
    _, page = get_json(api, "/services?region=02&per_page=50")
    depannage = next(s for s in page["contents"] if s["name"] == "Dépannage alimentaire")
    _, full = get_json(api, f"/services/{depannage['id']}")
    assert len(full["service_at_locations"]) == 2
    assert full["schedules"][0]["opens_at"] == "09:00" and full["schedules"][0]["byday"] == "MO,WE"
    # the shelter's confidential address is not published
    shelter = next(s for s in page["contents"] if s["name"].startswith("Hébergement"))
    _, full = get_json(api, f"/services/{shelter['id']}")
    assert all(not sal["location"].get("addresses") for sal in full["service_at_locations"])
    # re-import: same ids, nothing changes
    status, again = post_batch(
        api, admin02, fixture("icarol_export.xml"), "text/xml", headers={"Idempotency-Key": "again"}
    )
    assert again["counts"]["unchanged"] == 3


def test_hsds_tabular_package_imports(api: Any, admin02: str) -> None:
    status, batch = post_batch(api, admin02, hsds_package(), "application/zip")
    assert status == 202, batch
    assert batch["counts"]["created"] == 2
    _, page = get_json(api, "/services?region=02&per_page=50&lang=en")
    assert "Community kitchen" in {s["name"] for s in page["contents"]}


def test_hsds_json_with_organizations_and_foreign_ids(api: Any, admin02: str) -> None:
    status, batch = post_batch(api, admin02, fixture("hsds_services.json"), "application/json")
    assert status == 202, batch
    assert batch["counts"]["created"] == 2
    assert "ignored_field" in {w["code"] for w in batch["warnings"]}
    status, again = post_batch(
        api, admin02, fixture("hsds_services.json"), "application/json", headers={"Idempotency-Key": "twice"}
    )
    assert again["counts"]["unchanged"] == 2


def test_duplicate_from_another_source_is_held_then_merged(api: Any, admin02: str) -> None:
    # GIVEN the directory already lists Moisson's food bank (another source), with its phone
    moisson = f.organization("Moisson Saguenay–Lac-Saint-Jean", "02")
    existing = f.service("Banque alimentaire régionale", moisson)
    list(DirectoryRepository(get_settings().directory_table).bulk_load([moisson], [existing]))
    csv = fixture("saguenay.csv").decode().replace("1-418-547-6484", "418 555-0142")
    # WHEN a batch brings the same listing under its own id
    status, batch = post_batch(api, admin02, csv.encode(), CSV)
    # THEN it is reported with the candidate and not created
    assert status == 202 and batch["counts"]["possible_duplicates"] == 1 and batch["counts"]["created"] == 2
    duplicate = batch["possible_duplicates"][0]
    assert duplicate["candidate_id"] == existing.id and "phone" in duplicate["reasons"]
    # WHEN the admin merges it
    status, resolved = post_json(
        api,
        f"/admin/batches/{batch['id']}/duplicates",
        admin02,
        {"decisions": [{"service_id": duplicate["service_id"], "action": "merge"}]},
    )
    assert status == 200 and resolved["counts"]["possible_duplicates"] == 0
    merged = DirectoryRepository(get_settings().directory_table).get_stored_service(existing.id)
    assert merged is not None and merged.stamp.version == 1
    assert merged.service.description and "denrées" in (merged.service.description.fr or "")
    # AND the next import of that source updates the existing listing instead of duplicating it
    status, later = post_batch(api, admin02, csv.encode(), CSV, headers={"Idempotency-Key": "next-week"})
    assert later["counts"]["possible_duplicates"] == 0 and later["counts"]["created"] == 0


def test_upload_path_imports_through_the_s3_event(api: Any, admin02: str) -> None:
    from functions.admin_batches import handle_upload
    from shared.aws.clients import client

    status, upload = post_json(api, "/admin/batches/uploads?region=02", admin02, {"content_type": "text/csv"})
    assert status == 201 and upload["status"] == "awaiting_upload"
    assert upload["upload"]["url"].startswith("http") and upload["upload"]["method"] == "PUT"
    bucket = get_settings().batches_bucket
    client("s3").put_object(Bucket=bucket, Key=upload["upload"]["key"], Body=fixture("saguenay.csv"))
    event = {"Records": [{"s3": {"bucket": {"name": bucket}, "object": {"key": upload["upload"]["key"]}}}]}
    assert handle_upload(event)["results"][0]["status"] == "applied"
    assert handle_upload(event)["results"][0]["status"] == "applied"  # delivered twice: handled once
    _, batch = get_json(api, f"/admin/batches/{upload['id']}", admin02)
    assert batch["status"] == "applied" and batch["counts"]["created"] == 3
    # another region's admin cannot ask for an upload URL into 02
    status, _ = post_json(
        api, "/admin/batches/uploads?region=02", admin02.replace("x", "x"), {"content_type": "text/plain"}
    )
    assert status == 415


def test_request_paths_never_scan(api: Any, admin02: str, aws_calls: Any) -> None:
    post_batch(api, admin02, fixture("saguenay.csv"), CSV)
    post_batch(api, admin02, fixture("saguenay_errors.csv"), CSV)
    get_json(api, "/admin/batches?region=02", admin02)
    assert aws_calls.of("dynamodb").get("Scan", 0) == 0


def test_two_admins_importing_at_once_do_not_lose_each_others_changes(
    api: Any, admin02: str, token: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.admin_batches import importer

    # GIVEN an applied batch (every listing at version 1) and what a second admin's import read at that moment
    post_batch(api, admin02, fixture("saguenay.csv"), CSV)
    repository = importer().repository
    read_by_b = repository.get_stored_services
    ids = [s["id"] for s in get_json(api, "/services?region=02&per_page=50")[1]["contents"]]
    stale = read_by_b(ids)
    # WHEN admin A changes the fees, then admin B (whose import read before A wrote) changes the phone
    fees = fixture("saguenay.csv").decode().replace("5 $ par repas", "6 $ par repas")
    status, a = post_batch(api, admin02, fees.encode(), CSV)
    assert status == 202 and a["counts"]["updated"] == 1
    monkeypatch.setattr(
        repository, "get_stored_services", lambda wanted: {i: stale[i] for i in wanted if i in stale}
    )
    phone = fixture("saguenay.csv").decode().replace("418 668-3018 poste 2", "418 668-9999 poste 2")
    other_admin = token("region-admin", regions=("02",), username="admin-lac")
    status, b = post_batch(api, other_admin, phone.encode(), CSV)
    monkeypatch.undo()
    # THEN B's write failed its version condition, was merged into A's version, and both changes are there
    assert status == 202 and b["counts"]["updated"] == 1
    popote = next(i for i in ids if repository.get_stored_service(i).service.name.fr == "Popote roulante")  # type: ignore[union-attr]
    current = repository.get_stored_service(popote)
    assert current is not None and current.stamp.version == 3 and current.stamp.by == "admin-lac"
    assert current.service.fees_description.fr == "6 $ par repas"  # type: ignore[union-attr]
    assert current.service.phones[0].number == "418 668-9999"
    history = repository.service_history(popote)
    assert [h.stamp.version for h in history] == [1, 2] and history[1].stamp.by == "admin-saguenay"


def test_other_regions_cannot_read_batches_or_ask_for_uploads(
    api: Any, admin02: str, admin06: str, token: Any
) -> None:
    _, batch = post_batch(api, admin02, fixture("saguenay.csv"), CSV)
    status, _ = get_json(api, f"/admin/batches/{batch['id']}", admin06)
    assert status == 403
    status, _ = get_json(api, f"/admin/batches/{batch['id']}", token("agent", regions=("02",)))
    assert status == 403
    status, _ = get_json(api, "/admin/batches/00000000-0000-4000-8000-000000000000", admin02)
    assert status == 404
    status, _ = post_json(api, "/admin/batches/uploads?region=02", admin06, {"content_type": "text/csv"})
    assert status == 403
    status, listing = get_json(api, "/admin/batches?region=02", admin02)
    assert status == 200 and [b["id"] for b in listing["contents"]] == [batch["id"]]
    status, _ = get_json(api, "/admin/batches?region=02", admin06)
    assert status == 403


def test_large_batch_is_handed_to_the_upload_function(
    api: Any, admin02: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.admin_batches import handle_upload
    from shared.config import reset_settings

    # GIVEN an inline limit smaller than the batch
    monkeypatch.setenv("REFERRAL211_BATCH_INLINE_MAX_SERVICES", "2")
    reset_settings()
    status, batch = post_batch(api, admin02, fixture("saguenay.csv"), CSV)
    # THEN the answer is 202 validating, and the upload function finishes it on the S3 event
    assert status == 202 and batch["status"] == "validating"
    bucket = get_settings().batches_bucket
    key = f"uploads/02/{batch['id']}"
    assert (
        handle_upload({"Records": [{"s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]})["results"][
            0
        ]["status"]
        == "applied"
    )
    _, done = get_json(api, f"/admin/batches/{batch['id']}", admin02)
    assert done["status"] == "applied" and done["counts"]["created"] == 3
    # AND events of another bucket are ignored
    assert (
        handle_upload({"detail": {"bucket": {"name": "someone-else"}, "object": {"key": key}}})["results"][0][
            "status"
        ]
        == "ignored"
    )


def test_a_batch_taken_over_after_a_failure_is_searchable_whole(
    api: Any, admin02: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.admin_batches import handle_search_refresh, importer
    from shared.aws.s3 import Bucket
    from shared.search.indexer import rebuild_region
    from shared.search.store import IndexStore

    # GIVEN an indexed region holding one organization, and 30 of its listings to import (two transactions)
    store = IndexStore(Bucket(get_settings().search_bucket))
    org = f.organization("Centre communautaire de Dolbeau", "02")
    services = [f.service(f"Service numéro {n}", org, terms=[f.sub_terms()[0]]) for n in range(30)]
    repository = importer().repository
    list(repository.bulk_load([org], []))
    rebuild_region("02", repository, store)
    # WHEN the first attempt dies after one of its transactions went in
    write, calls = repository.write_service_versions, []

    def dies_on_the_second(actions: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the function ran out of time")
        write(actions)

    monkeypatch.setattr(repository, "write_service_versions", dies_on_the_second)
    key = {"Idempotency-Key": "dolbeau-1"}
    status, _ = post_batch(api, admin02, _hsds_array(services), "application/json", headers=key)
    assert status == 500
    monkeypatch.undo()
    # AND the same request is sent again: it takes the failed batch over and writes what is missing
    bus_events()
    status, batch = post_batch(api, admin02, _hsds_array(services), "application/json", headers=key)
    assert status == 202 and batch["status"] == "applied" and batch["counts"]["created"] < 30
    # THEN once announced, the region's index holds all 30 listings, those of the first attempt too
    announced = bus_events("ListingsBatchApplied")
    records = [{"messageId": str(n), "body": json.dumps(e)} for n, e in enumerate(announced)]
    assert handle_search_refresh({"Records": records}) == {"batchItemFailures": []}
    assert store.pointer("02").documents == 30 * 2 + 1  # each service, its one place, the organization
