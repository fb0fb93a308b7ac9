"""The local stack: the template's local subset, provisioning on moto, workers, `referral211 up` over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.infra_template import (
    LOCAL_RESOURCE_TYPES,
    PROJECT_ROOT,
    TemplateError,
    load_template,
    local_subset,
)

LOCAL_RESOURCES = {
    "DirectoryTable",
    "EventBus",
    "EventArchive",
    "AnalyticsQueue",
    "AnalyticsDeadLetterQueue",
    "AnalyticsRule",
    "AnalyticsQueuePolicy",
    "SearchBucket",
    "BatchesBucket",
}


# ---- the local subset of the template ----------------------------------------------------------------------


def test_local_subset_keeps_data_and_event_resources_only() -> None:
    template = load_template()
    subset = local_subset(template)
    kept = {name for name, r in template["Resources"].items() if r["Type"] in LOCAL_RESOURCE_TYPES}
    assert set(subset["Resources"]) == kept and LOCAL_RESOURCES <= kept
    assert "APIHandlerLogGroup" not in kept and "DefaultRole" not in kept and "UserPool" not in kept
    assert "Globals" not in subset and "Transform" not in subset
    # Outputs about dropped resources (the user pool) go; the data outputs stay.
    assert {"DirectoryTableName", "EventBusName", "AnalyticsQueueUrl", "SearchBucketName"} <= set(
        subset["Outputs"]
    )
    assert not {"UserPoolId", "UserPoolArn", "UserPoolClientId"} & set(subset["Outputs"])
    assert "UserPool" in template["Resources"], "the full template is left untouched"


def test_every_variable_the_functions_get_from_a_resource_is_an_output() -> None:
    """GIVEN SAM Globals naming each REFERRAL211_* variable THEN the local stack exports it from an output."""
    from shared.infra_template import output_variables

    template = load_template()
    from_outputs = set(output_variables(template).values())
    globals_ = template["Globals"]["Function"]["Environment"]["Variables"]
    local = local_subset(template)["Resources"]
    for variable, value in globals_.items():
        if isinstance(value, dict) and value.get("Ref") in local:
            assert variable in from_outputs, f"{variable}: add an output with the value {value}"
    assert output_variables(template)["DirectoryTableName"] == "REFERRAL211_DIRECTORY_TABLE"
    assert output_variables(template)["EventBusName"] == "REFERRAL211_EVENT_BUS_NAME"


def test_local_subset_refuses_a_kept_resource_that_needs_a_dropped_one() -> None:
    template = {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"Tags": [{"Key": "r", "Value": {"Ref": "Role"}}]},
            },
        }
    }
    with pytest.raises(TemplateError, match="Queue refers to \\['Role'\\]"):
        local_subset(template)


# ---- provisioning on moto ----------------------------------------------------------------------------------


@pytest.fixture
def provisioned(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """GIVEN the local subset created in a fresh moto (in process) for stage `ci`."""
    from moto import mock_aws

    from shared.aws.clients import reset_clients
    from shared.config import reset_settings
    from shared.local_stack.aws import provision

    with mock_aws():
        reset_clients()
        variables = provision(stage="ci")
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        reset_settings()
        yield variables
        reset_clients()
    reset_settings()


def test_provision_creates_every_local_resource(provisioned: dict[str, str]) -> None:
    from shared.aws.clients import client

    assert provisioned["REFERRAL211_STAGE"] == "ci"
    assert provisioned["REFERRAL211_DIRECTORY_TABLE"] == "referral211-ci-directory"
    assert provisioned["REFERRAL211_EVENT_BUS_NAME"] == "referral211-ci-bus"

    table = client("dynamodb").describe_table(TableName="referral211-ci-directory")["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {"PK": "HASH", "SK": "RANGE"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    projections = {g["IndexName"]: g["Projection"] for g in table["GlobalSecondaryIndexes"]}
    expected = ["id", "region", "org", "svc", "modified", "status", "terms", "sort"]
    assert projections == {
        name: {"ProjectionType": "INCLUDE", "NonKeyAttributes": expected} for name in ("GSI1", "GSI2")
    }

    events = client("events")
    assert events.describe_event_bus(Name="referral211-ci-bus")["Name"] == "referral211-ci-bus"
    rule = events.describe_rule(Name="referral211-ci-analytics", EventBusName="referral211-ci-bus")
    assert json.loads(rule["EventPattern"]) == {"source": [{"prefix": "referral211"}]}
    (target,) = events.list_targets_by_rule(
        Rule="referral211-ci-analytics", EventBusName="referral211-ci-bus"
    )["Targets"]
    assert target["Arn"].endswith(":referral211-ci-analytics")
    assert target["DeadLetterConfig"]["Arn"].endswith(":referral211-ci-analytics-dlq")
    archive = events.describe_archive(ArchiveName="referral211-ci-archive")
    assert archive["RetentionDays"] == 365 and archive["EventSourceArn"].endswith(
        "event-bus/referral211-ci-bus"
    )

    sqs = client("sqs")
    queue = sqs.get_queue_attributes(
        QueueUrl=provisioned["REFERRAL211_ANALYTICS_QUEUE_URL"], AttributeNames=["All"]
    )["Attributes"]
    assert int(queue["VisibilityTimeout"]) == 360
    assert json.loads(queue["RedrivePolicy"])["maxReceiveCount"] == 5
    # AWS::SQS::QueuePolicy: moto's CloudFormation skips it, provisioning creates it from the template's
    # properties.
    (statement,) = json.loads(queue["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == rule["Arn"]
    dead_letters = sqs.get_queue_attributes(
        QueueUrl=provisioned["REFERRAL211_ANALYTICS_DEAD_LETTER_QUEUE_URL"], AttributeNames=["All"]
    )["Attributes"]
    assert int(dead_letters["MessageRetentionPeriod"]) == 14 * 24 * 3600
    assert "Policy" in dead_letters

    s3 = client("s3")
    for variable in ("REFERRAL211_SEARCH_BUCKET", "REFERRAL211_BATCHES_BUCKET"):
        bucket = provisioned[variable]
        assert bucket.startswith("referral211-ci-")
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    backups = client("dynamodb").describe_continuous_backups(TableName="referral211-ci-directory")
    assert backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
        "PointInTimeRecoveryStatus"
    ] == ("ENABLED")


def test_provision_twice_reads_the_existing_stack(provisioned: dict[str, str]) -> None:
    from shared.local_stack.aws import provision

    assert provision(stage="ci") == provisioned


def test_an_event_on_the_bus_lands_in_the_analytics_queue(provisioned: dict[str, str]) -> None:
    from shared.aws.clients import client

    answer = client("events").put_events(
        Entries=[
            {
                "EventBusName": provisioned["REFERRAL211_EVENT_BUS_NAME"],
                "Source": "referral211.directory",
                "DetailType": "ServiceUpdated",
                "Detail": json.dumps({"service_id": "s-1"}),
            },
            {
                "EventBusName": provisioned["REFERRAL211_EVENT_BUS_NAME"],
                "Source": "someone.else",
                "DetailType": "Ignored",
                "Detail": "{}",
            },
        ]
    )
    assert answer["FailedEntryCount"] == 0
    messages = (
        client("sqs")
        .receive_message(
            QueueUrl=provisioned["REFERRAL211_ANALYTICS_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=0
        )
        .get("Messages", [])
    )
    bodies = [json.loads(m["Body"]) for m in messages]
    assert [(b["source"], b["detail-type"], b["detail"]) for b in bodies] == [
        ("referral211.directory", "ServiceUpdated", {"service_id": "s-1"})
    ]


# ---- workers -----------------------------------------------------------------------------------------------


def test_queue_worker_deletes_only_what_the_consumer_did_not_report_as_failed(
    provisioned: dict[str, str],
) -> None:
    from shared.aws.clients import client
    from shared.local_stack.workers import QueueWorker

    sqs, url = client("sqs"), provisioned["REFERRAL211_ANALYTICS_QUEUE_URL"]
    for body in ("ok-1", "fail", "ok-2"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    received: list[dict[str, Any]] = []

    def consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
        received.extend(event["Records"])
        assert context.get_remaining_time_in_millis() > 0
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "fail"
            ]
        }

    worker = QueueWorker("test", url, consumer, wait_seconds=0)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert worker.poll_once(sqs, arn, "ca-central-1") == 2
    assert sorted(r["body"] for r in received) == ["fail", "ok-1", "ok-2"]
    assert {r["eventSource"] for r in received} == {"aws:sqs"} and received[0]["eventSourceARN"] == arn
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (
        attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    )  # the failed one returns after its timeout


def test_upload_watcher_sends_an_s3_event_once_per_new_object(provisioned: dict[str, str]) -> None:
    from shared.aws.clients import client
    from shared.local_stack.workers import UploadWatcher

    bucket, s3 = provisioned["REFERRAL211_BATCHES_BUCKET"], client("s3")
    events: list[dict[str, Any]] = []
    watcher = UploadWatcher("test", bucket, "uploads/", events.append)
    s3.put_object(Bucket=bucket, Key="uploads/lot 1.csv", Body=b"id,name\n")
    s3.put_object(Bucket=bucket, Key="reports/ignored.json", Body=b"{}")
    assert watcher.poll_once() == 1
    assert watcher.poll_once() == 0
    (record,) = events[0]["Records"]
    assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == bucket
    assert record["s3"]["object"]["key"] == "uploads/lot+1.csv"  # URL-encoded, as S3 sends it
    assert record["s3"]["object"]["size"] == len(b"id,name\n")


def test_every_registered_worker_names_an_output_of_the_local_stack() -> None:
    from shared.local_stack import workers

    outputs = set(local_subset(load_template())["Outputs"])
    assert set(workers.QUEUE_CONSUMERS) <= outputs
    assert {output for output, _prefix in workers.UPLOAD_HANDLERS} <= outputs
    with pytest.raises(ValueError, match="NoSuchQueueUrl"):
        workers.register_queue_consumer("NoSuchQueueUrl", print)
        try:
            workers.start_workers({name: "unused" for name in outputs})
        finally:
            workers.clear_registrations()


# ---- seeding ----------------------------------------------------------------------------------------------


def test_seed_file_loads_into_the_directory(provisioned: dict[str, str], tmp_path: Path) -> None:
    from shared.commands.seed import load_directory_file, seed_directory
    from shared.directory.repository import DirectoryRepository
    from tests import factories

    org = factories.organization("Maison des jeunes")
    services = [factories.service("Aide aux devoirs", org), factories.service("Local des jeunes", org)]
    document = {
        "organizations": [org.model_dump(mode="json", exclude_none=True)],
        "services": [s.model_dump(mode="json", exclude_none=True) for s in services],
    }
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    directory = load_directory_file(path)
    table = provisioned["REFERRAL211_DIRECTORY_TABLE"]
    result = seed_directory(table, directory.organizations, directory.services)

    assert (result.organizations, result.services) == (1, 2) and result.items > 3
    repository = DirectoryRepository(table)
    assert repository.get_service(services[0].id) == services[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not UTF-8 JSON"),
        ('["a list"]', "expected"),
        ('{"organizations": [{"id": "x", "name": "A"}]}', "organizations[0].id"),
        ('{"services": [{"id": "1"}]}', "services[0].name: Field required"),
    ],
)
def test_a_bad_seed_file_is_refused_with_the_field_at_fault(
    tmp_path: Path, content: str, message: str
) -> None:
    from shared.commands.seed import SeedError, load_directory_file

    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SeedError) as refused:
        load_directory_file(path)
    assert message in str(refused.value)
    with pytest.raises(SeedError, match="no such file"):
        load_directory_file(tmp_path / "missing.json")


# ---- embedded server and `referral211 up` (slow) -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_embedded_aws_serves_the_provisioned_stack_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.aws.clients import client, reset_clients
    from shared.config import reset_settings
    from shared.local_stack.aws import provision_stack, start_embedded_aws

    aws = start_embedded_aws(0, apply_env=False)
    try:
        for name, value in aws.environment.items():
            monkeypatch.setenv(name, value)
        reset_clients()
        reset_settings()
        provisioned = provision_stack("http")
        assert "AnalyticsQueuePolicy" in provisioned.created_directly
        template = load_template()
        kinds = {template["Resources"][name]["Type"] for name in provisioned.created_directly}
        assert kinds == {"AWS::SQS::QueuePolicy"}
        assert "referral211-http-directory" in client("dynamodb").list_tables()["TableNames"]
        assert client("sqs").meta.endpoint_url == aws.endpoint_url
    finally:
        aws.stop()
        reset_clients()
        reset_settings()


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


@pytest.mark.slow
def test_up_serves_the_seeded_directory_and_stops_on_sigint(tmp_path: Path) -> None:
    pytest.importorskip("shared.sample_data.generator", reason="the sample generator is not written yet")
    port, aws_port, web_port = free_port(), free_port(), free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REFERRAL211_"))}
    environment["REFERRAL211_DEV_KEY_PATH"] = str(tmp_path / "dev-jwt-key.pem")
    command = [
        sys.executable,
        "-m",
        "shared.cli",
        "up",
        "--port",
        str(port),
        "--aws-port",
        str(aws_port),
        "--web-port",
        str(web_port),
        "--seed",
        "sample",
        "--size",
        "1000",
    ]
    log = tmp_path / "up.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=environment, stdout=output, stderr=subprocess.STDOUT, text=True
        )
        try:
            deadline = time.monotonic() + 150
            while (
                "is ready" not in log.read_text() and process.poll() is None and time.monotonic() < deadline
            ):
                time.sleep(0.25)
            assert "is ready" in log.read_text(), f"`up` did not get ready:\n{log.read_text()}"
            assert "Seeding directory:" in log.read_text()

            status, about = _get(f"http://127.0.0.1:{port}/")
            assert status == 200, about
            status, page = _get(f"http://127.0.0.1:{port}/services?per_page=5&lang=en")
            if status in (404, 500, 501):
                pytest.xfail(f"GET /services answered {status}: the route is not finished yet ({page})")
            assert status == 200, page
            assert page["total_items"] > 0 and len(page["contents"]) == 5
            # The web pages are served beside the API, and told where it is.
            status, config = _get(f"http://127.0.0.1:{web_port}/config.json")
            assert status == 200 and config["apiBase"] == f"http://127.0.0.1:{port}", config
            with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/", timeout=30) as home:
                assert home.status == 200 and b'id="app"' in home.read()
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
    assert code == 0, log.read_text()
    assert "Stopping" in log.read_text()


def test_project_root_holds_the_chalice_project() -> None:
    assert (PROJECT_ROOT / "app.py").is_file() and (PROJECT_ROOT / ".chalice" / "config.json").is_file()
