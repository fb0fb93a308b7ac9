"""Benchmark section "batches": listing imports from HTTP request to searchable, and through the S3 path.

    from shared.bench import batches
    figures = batches.run(argparse.Namespace(services=3000, upload_services=10000))

Runs against the embedded AWS (moto's server on loopback, as `referral211 up`), provisioned from
infra/template.yaml, with the local stack's search refresh consumer and upload watcher (`--all-workers`: every
worker, as `referral211 up`); the Chalice app runs in process (its AWS calls go over HTTP to moto). Measures:
- request: POST /admin/batches with N synthetic Montréal services (HSDS JSON) -> 202 applied, then the search
  refresh consumer applies what the batch recorded for search to the region's index, from the event the bus
  routed -> "applied and searchable", and the DynamoDB requests that took (none: no read-back of the region);
- writes per created, changed and unchanged listing: DynamoDB write requests and item actions on the directory
  table, counted on the client (re-import of the same export under another Idempotency-Key; then 10% changed),
  and read requests per listing;
- S3 path: POST /admin/batches/uploads, PUT to the presigned URL, the upload function on the S3 event in a Python
  process of its own, as Lambda runs it; its time and peak memory, and those of the search refresh of the whole
  uploaded region (also in a process of its own), extrapolated linearly to 50,000 services against Lambda's
  limits (900 s, 10,240 MB).
Targets (issue 4): 3,000 applied and searchable under 30 s locally; zero writes for an unchanged re-import.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
import urllib.request
from collections import Counter
from typing import Any

TARGET_SEARCHABLE_S = 30.0
LETTERS = "ABCEGHJKLMNPRSTVWXYZ"
LAMBDA_TIMEOUT_S = 900.0
LAMBDA_MEMORY_MB = 10_240.0
REFRESH_TIMEOUT_S = 120.0
STREETS = (
    "rue Ontario Est",
    "boulevard Saint-Laurent",
    "rue Sainte-Catherine Est",
    "avenue du Mont-Royal Est",
    "rue Jean-Talon Ouest",
    "boulevard Pie-IX",
    "rue Wellington",
    "rue Notre-Dame Ouest",
)
WORDS = ("Entraide", "Carrefour", "Maison", "Centre", "Comptoir", "Projet", "Ressource", "Réseau")
KINDS = (
    "dépannage alimentaire",
    "aide aux devoirs",
    "halte-garderie",
    "cuisine collective",
    "clinique d'impôts",
    "accompagnement",
    "friperie",
    "soutien aux proches aidants",
    "écoute téléphonique",
    "francisation",
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--services", type=int, default=3000, help="services in the HTTP batch (default 3000)"
    )
    parser.add_argument(
        "--upload-services", type=int, default=10000, help="services through S3 (default 10000)"
    )
    parser.add_argument(
        "--all-workers",
        action="store_true",
        help="run every local-stack worker (analytics, phone events too), not only the batch ones",
    )


def synthetic(n: int, region: str = "06", seed: int = 211, start: int = 0) -> list[dict[str, Any]]:
    """N realistic-shaped HSDS services of Montréal, organisations of ~3 services each (deterministic)."""
    from shared.directory import taxonomy

    rng = random.Random(seed)
    terms = [t.code for t in taxonomy.all_terms() if t.parent_id]
    services = []
    for i in range(start, start + n):
        org = i // 3
        lat, lon = 45.45 + rng.random() * 0.2, -73.75 + rng.random() * 0.25
        fsa = f"H{rng.randint(1, 9)}{rng.choice(LETTERS)}"
        services.append(
            {
                "id": f"bench-svc-{i}",
                "name": f"{rng.choice(KINDS).capitalize()} {i}",
                "description": f"Service communautaire numéro {i} offert aux résidents du quartier.",
                "region": region,
                "status": "active",
                "organization": {
                    "id": f"bench-org-{org}",
                    "name": f"{WORDS[org % len(WORDS)]} communautaire {org}",
                    "description": "Organisme communautaire de quartier.",
                    "region": region,
                },
                "phones": [{"number": f"514 555-{i % 10000:04d}"}],
                "schedules": [
                    {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "16:30"}
                ],
                "attributes": [{"taxonomy_term_id": rng.choice(terms)}],
                "service_at_locations": [
                    {
                        "location": {
                            "name": "Point de service",
                            "latitude": round(lat, 5),
                            "longitude": round(lon, 5),
                            "addresses": [
                                {
                                    "address_1": f"{rng.randint(10, 9999)}, {rng.choice(STREETS)}",
                                    "city": "Montréal",
                                    "postal_code": f"{fsa} {rng.randint(1, 9)}{rng.choice(LETTERS)}"
                                    + str(rng.randint(1, 9)),
                                }
                            ],
                        }
                    }
                ],
            }
        )
    return services


class DirectoryWrites:
    """Counts write requests and item actions, and read requests, per DynamoDB table (botocore hook on the
    client)."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.items: Counter[str] = Counter()
        self.reads: Counter[str] = Counter()

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        name = model.name
        if name in ("GetItem", "Query", "Scan"):
            self.reads[params["TableName"]] += 1
        elif name == "BatchGetItem":
            for table in params["RequestItems"]:
                self.reads[table] += 1
        elif name in ("PutItem", "DeleteItem", "UpdateItem"):
            self.requests[params["TableName"]] += 1
            self.items[params["TableName"]] += 1
        elif name == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                self.requests[table] += 1
                self.items[table] += len(requests)
        elif name == "TransactWriteItems":
            tables = Counter(next(iter(a.values()))["TableName"] for a in params["TransactItems"])
            for table, count in tables.items():
                self.requests[table] += 1
                self.items[table] += count

    def reset(self) -> None:
        self.requests.clear()
        self.items.clear()
        self.reads.clear()


def _post(api: Any, token: str, body: bytes, query: str, key: str) -> tuple[int, dict[str, Any]]:
    response = api.http.post(
        f"/admin/batches?{query}",
        body=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    return response.status_code, json.loads(response.body)


def _wait(condition: Any, timeout: float = 600.0, interval: float = 0.1) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("benchmark: condition not reached")
        time.sleep(interval)
    return time.perf_counter() - started


def _workers(outputs: dict[str, str], *, every: bool) -> Any:
    """The local stack's workers: every one (as `referral211 up`), or only those a batch needs to become
    searchable (the search refresh consumer and the upload watcher)."""
    from shared.local_stack import workers

    if every:
        return workers.start_workers(outputs)
    from functions.admin_batches import handle_search_refresh, handle_upload

    threads = [
        workers.QueueWorker("search_refresh", outputs["SearchRefreshQueueUrl"], handle_search_refresh),
        workers.UploadWatcher("batch_upload", outputs["BatchesBucketName"], "uploads/", handle_upload),
    ]
    for thread in threads:
        thread.start()
    return workers.Workers(threads)  # type: ignore[arg-type]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _high_water_mb() -> float:
    """This process's peak resident memory since it started its program (Linux VmHWM: unlike ru_maxrss, not
    inherited from the parent that forked it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _peak_mb()


def refresh_cost(region: str) -> dict[str, float]:
    """What the search refresh function spends rebuilding `region`'s index from its published documents (the
    work it does for a batch that changed the whole region): seconds and this process's peak memory."""
    from shared.aws.s3 import Bucket
    from shared.config import get_settings
    from shared.search.index import build_index
    from shared.search.indexer import RegionDocuments
    from shared.search.store import IndexStore

    store = IndexStore(Bucket(get_settings().search_bucket))
    pointer = store.pointer(region)
    data = store.read_documents(pointer) if pointer else None
    assert data is not None, "the region has no published documents"
    base = _high_water_mb()
    started = time.perf_counter()
    held = RegionDocuments.from_bytes(data)
    services, organizations = held.listings()
    built = build_index(region, services, organizations)
    held.to_bytes()
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "base_rss_mb": round(base, 1),
        "peak_rss_mb": round(_high_water_mb(), 1),
        "services": len(services),
        "index_mb": round(len(built.data) / 1e6, 1),
    }


def upload_cost(bucket: str, key: str) -> dict[str, Any]:
    """The upload function on one uploaded file's S3 event (what the bucket's notification invokes): seconds and
    this process's memory before and at its peak."""
    from functions.admin_batches import handle_upload
    from shared.aws.clients import client
    from shared.local_stack.workers import s3_event

    s3 = client("s3")
    head = s3.head_object(Bucket=bucket, Key=key)
    event = s3_event(bucket, {"Key": key, "Size": head["ContentLength"], "ETag": head["ETag"]}, s3.meta.region_name)
    base = _high_water_mb()
    started = time.perf_counter()
    answer = handle_upload(event)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "base_rss_mb": round(base, 1),
        "peak_rss_mb": round(_high_water_mb(), 1),
        "status": answer["results"][0]["status"] if answer["results"] else "ignored",
    }


def _in_fresh_process(function: str, *args: str) -> dict[str, Any]:
    """One of this module's measures in a new Python process, as a Lambda function runs (its own memory)."""
    import subprocess
    import sys

    code = f"import json; from shared.bench.batches import {function}; print(json.dumps({function}(*{args!r})))"
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=3600)
    return dict(json.loads(answer.stdout.strip().splitlines()[-1]))


def run(options: argparse.Namespace) -> dict[str, Any]:
    import os

    from chalice.test import Client

    from shared.aws.clients import client
    from shared.aws.s3 import Bucket
    from shared.config import get_settings
    from shared.identity import issue_dev_token
    from shared.local_stack.aws import apply_environment, provision_stack, start_embedded_aws
    from shared.search.store import IndexStore

    count = int(getattr(options, "services", 3000))
    upload_count = int(getattr(options, "upload_services", 10000))
    os.environ.setdefault("REFERRAL211_DEV_KEY_PATH", ".local/dev-jwt-key.pem")
    embedded = start_embedded_aws(0)
    workers: Any = None
    try:
        provisioned = provision_stack("local")
        apply_environment({"REFERRAL211_STAGE": "local", **provisioned.variables})
        workers = _workers(provisioned.outputs, every=bool(getattr(options, "all_workers", False)))
        settings = get_settings()
        index = IndexStore(Bucket(settings.search_bucket))
        writes = DirectoryWrites()
        client("dynamodb").meta.events.register("provide-client-params.dynamodb.*", writes)
        token = issue_dev_token(settings, roles=["region-admin"], regions=["06", "13"], username="bench")
        table = settings.directory_table
        from shared.local_stack.server import load_app

        app = load_app()  # app.py sits at the project root, outside the installed packages

        def indexed(region: str) -> int:
            pointer = index.pointer(region)
            return pointer.documents if pointer else 0

        figures: dict[str, Any] = {"services": count}
        with Client(app) as api:
            body = json.dumps(synthetic(count)).encode()
            figures["body_mb"] = round(len(body) / 1e6, 2)
            started = time.perf_counter()
            status, batch = _post(api, token, body, "region=06", "bench-1")
            figures["request_s"] = round(time.perf_counter() - started, 2)
            figures["request_timings_s"] = batch.get("timings_s")
            assert status == 202 and batch["status"] == "applied", batch
            created_requests, created_items = writes.requests[table], writes.items[table]
            created_reads = writes.reads[table]
            writes.reset()
            _wait(lambda: indexed("06") >= count)
            figures["applied_and_searchable_s"] = round(time.perf_counter() - started, 2)
            figures["indexed_documents"] = indexed("06")
            # what the search refresh consumer asked DynamoDB between the answer and searchable
            figures["refresh_dynamodb_requests"] = sum(writes.reads.values()) + sum(writes.requests.values())
            figures["created_write_requests_per_listing"] = round(created_requests / count, 2)
            figures["created_write_items_per_listing"] = round(created_items / count, 2)
            figures["created_read_requests_per_listing"] = round(created_reads / count, 3)

            writes.reset()
            started = time.perf_counter()
            status, again = _post(api, token, body, "region=06", "bench-2")
            figures["unchanged_reimport_s"] = round(time.perf_counter() - started, 2)
            figures["unchanged"] = again["counts"]["unchanged"]
            figures["unchanged_write_requests"] = writes.requests[table]
            figures["unchanged_read_requests_per_listing"] = round(writes.reads[table] / count, 3)

            changed = synthetic(count)
            for service in changed[::10]:
                service["description"] += " Horaire d'été."
            writes.reset()
            indexed_before = getattr(index.pointer("06"), "version", None)
            started = time.perf_counter()
            status, third = _post(api, token, json.dumps(changed).encode(), "region=06", "bench-3")
            figures["changed_batch_s"] = round(time.perf_counter() - started, 2)
            updated = third["counts"]["updated"]
            figures["updated"] = updated
            figures["changed_write_requests_per_listing"] = round(writes.requests[table] / max(1, updated), 2)
            figures["changed_write_items_per_listing"] = round(writes.items[table] / max(1, updated), 2)
            _wait(lambda: getattr(index.pointer("06"), "version", None) != indexed_before)
            figures["changed_searchable_s"] = round(time.perf_counter() - started, 2)

            # The S3 path, as in AWS: presigned PUT, then the upload function on the S3 event, run here in a
            # process of its own (its time and memory are the function's, not this process's, which also holds
            # moto's data and runs the search refresh consumer).
            from shared.local_stack.workers import UploadWatcher

            for thread in workers.threads:
                if isinstance(thread, UploadWatcher):
                    thread.stop()
                    thread.join()
            response = api.http.post(
                "/admin/batches/uploads?region=13",
                body=json.dumps({"content_type": "application/json"}).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            upload = json.loads(response.body)
            big = json.dumps(synthetic(upload_count, region="13", seed=13, start=100_000)).encode()
            request = urllib.request.Request(
                upload["upload"]["url"], data=big, method="PUT", headers={"Content-Type": "application/json"}
            )
            started = time.perf_counter()
            urllib.request.urlopen(request).read()  # noqa: S310 - the embedded AWS on loopback
            function = _in_fresh_process("upload_cost", settings.batches_bucket, upload["upload"]["key"])
            upload_s = time.perf_counter() - started
            from shared.batches.store import BatchStore

            final = BatchStore(settings.batches_table, settings.batches_bucket).get(upload["id"]) or {}
            assert final.get("status") == "applied", final.get("status")
            _wait(lambda: indexed("13") >= upload_count, timeout=600)
            figures["upload_services"] = upload_count
            figures["upload_body_mb"] = round(len(big) / 1e6, 2)
            figures["upload_import_s"] = round(upload_s, 2)
            figures["upload_searchable_s"] = round(time.perf_counter() - started, 2)
            figures["upload_timings_s"] = final.get("timings_s")
            figures["upload_function"] = function
            figures["process_peak_rss_mb"] = round(_peak_mb(), 1)
            # Linear in the listings of the file: parse, validate, one BatchGetItem per 100 ids, one transaction
            # per ~23 listings, one PutEvents per 10 events; memory too (body, records, models), above what the
            # function holds before its first listing (interpreter, libraries).
            figures["extrapolated_50k_s"] = round(upload_s * 50_000 / upload_count, 1)
            growth = function["peak_rss_mb"] - function["base_rss_mb"]
            figures["extrapolated_50k_memory_mb"] = round(
                function["base_rss_mb"] + growth * 50_000 / upload_count, 0
            )
            # The search refresh function's share, in a process of its own: index the whole uploaded region.
            refresh = _in_fresh_process("refresh_cost", "13")
            figures["upload_region_refresh"] = refresh
            figures["extrapolated_50k_refresh_s"] = round(refresh["seconds"] * 50_000 / upload_count, 1)
            growth = refresh["peak_rss_mb"] - refresh["base_rss_mb"]
            figures["extrapolated_50k_refresh_memory_mb"] = round(
                refresh["base_rss_mb"] + growth * 50_000 / upload_count, 0
            )
        figures["target_searchable_met"] = figures["applied_and_searchable_s"] < TARGET_SEARCHABLE_S
        figures["target_zero_unchanged_writes_met"] = figures["unchanged_write_requests"] == 0
        figures["target_50k_one_lambda_met"] = (
            figures["extrapolated_50k_s"] < LAMBDA_TIMEOUT_S
            and figures["extrapolated_50k_memory_mb"] < LAMBDA_MEMORY_MB
        )
        # and the search refresh of that region, in its own function (120 s in .chalice/config.json)
        figures["refresh_50k_within_limits"] = (
            figures["extrapolated_50k_refresh_s"] < REFRESH_TIMEOUT_S
            and figures["extrapolated_50k_refresh_memory_mb"] < LAMBDA_MEMORY_MB
        )
        return figures
    finally:
        if workers is not None:
            workers.stop()
        embedded.stop()


def main() -> None:  # pragma: no cover - `python -m shared.bench.batches`
    parser = argparse.ArgumentParser()
    configure(parser)
    print(json.dumps(run(parser.parse_args()), indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()
