"""infra/template.yaml and the deployable package.

Fast: the template reads with `yaml.safe_load`, declares every resource, and agrees with the code that uses it
(GSI projections of shared/directory/repository.py, settings fields, Lambda timeouts).

Slow: `package()` builds sam.json + deployment.zip once; cfn-lint finds no error in the merged template,
and every handler and module in the zip imports in a Python that sees only the zip and boto3 (as in Lambda).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.config import Settings
from shared.infra_template import PROJECT_ROOT, TEMPLATE_PATH, references
from shared.packaging import lambda_requirements, package

EXPECTED_RESOURCES = {
    "DirectoryTable": "AWS::DynamoDB::Table",
    "EventBus": "AWS::Events::EventBus",
    "EventArchive": "AWS::Events::Archive",
    "AnalyticsQueue": "AWS::SQS::Queue",
    "AnalyticsDeadLetterQueue": "AWS::SQS::Queue",
    "AnalyticsRule": "AWS::Events::Rule",
    "AnalyticsQueuePolicy": "AWS::SQS::QueuePolicy",
    "StatsRebuildQueue": "AWS::SQS::Queue",
    "StatsRebuildRule": "AWS::Events::Rule",
    "StatsRebuildQueuePolicy": "AWS::SQS::QueuePolicy",
    "SearchBucket": "AWS::S3::Bucket",
    "BatchesBucket": "AWS::S3::Bucket",
    "UserPool": "AWS::Cognito::UserPool",
    "DefaultRole": "AWS::IAM::Role",
}
EXPECTED_OUTPUTS = {
    "DirectoryTableName",
    "EventBusName",
    "AnalyticsQueueUrl",
    "AnalyticsDeadLetterQueueUrl",
    "SearchBucketName",
    "BatchesBucketName",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(TEMPLATE_PATH.read_text(encoding="utf-8"))
    return loaded


def test_template_is_plain_yaml_with_every_resource_and_output(template: dict[str, Any]) -> None:
    types = {name: r["Type"] for name, r in template["Resources"].items()}
    assert {name: types.get(name) for name in EXPECTED_RESOURCES} == EXPECTED_RESOURCES
    assert EXPECTED_OUTPUTS <= set(template["Outputs"])
    assert template["Parameters"]["Stage"]["Default"] == "dev"


def test_every_resource_name_carries_the_stage(template: dict[str, Any]) -> None:
    name_properties = (
        "TableName",
        "Name",
        "ArchiveName",
        "QueueName",
        "BucketName",
        "UserPoolName",
        "ClientName",
    )
    named = 0
    for logical, resource in template["Resources"].items():
        for prop in name_properties:
            value = resource.get("Properties", {}).get(prop)
            if value is not None:
                named += 1
                assert value["Fn::Sub"].startswith("referral211-${Stage}-"), (logical, prop, value)
    assert named >= 10


@pytest.mark.parametrize("removed", ["DirectoryTable", "UserPool"])
def test_outputs_and_globals_refer_to_declared_resources(template: dict[str, Any], removed: str) -> None:
    declared = set(template["Resources"]) | set(template["Parameters"]) | {"APIHandler"}
    assert references(template["Outputs"]) <= declared
    assert references(template["Globals"]) <= declared
    assert removed in references(template["Outputs"]) | references(template["Globals"])


def test_gsi_projections_match_the_repository(template: dict[str, Any]) -> None:
    """GIVEN the repository's items WHEN an index projects them THEN IndexEntry reads the same values."""
    from shared.directory.repository import GSI_PARENT, GSI_REGION, DirectoryRepository, IndexEntry
    from tests import factories

    table = template["Resources"]["DirectoryTable"]["Properties"]
    indexes = {gsi["IndexName"]: gsi for gsi in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {GSI_REGION, GSI_PARENT}
    org = factories.organization("Centre d'entraide du Lac")
    service = factories.service("Banque alimentaire", org, terms=factories.sub_terms()[:2], locations=2)
    items = DirectoryRepository.organization_items(org) + DirectoryRepository.service_items(service)
    for name, gsi in indexes.items():
        keys = {k["AttributeName"] for k in gsi["KeySchema"]}
        assert keys == {f"{name}PK", f"{name}SK"}
        assert gsi["Projection"]["ProjectionType"] == "INCLUDE"
        projected = set(gsi["Projection"]["NonKeyAttributes"])
        indexed = [item for item in items if f"{name}PK" in item]
        assert indexed
        written = set().union(*indexed) - {"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "doc"}
        assert written == projected, f"{name}: the repository writes {sorted(written)}"
        for item in indexed:
            seen_by_index = {
                k: v for k, v in item.items() if k in projected or k in keys or k in ("PK", "SK")
            }
            assert IndexEntry.from_item(seen_by_index) == IndexEntry.from_item(item)


def test_globals_set_only_known_settings(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    ours = {k.removeprefix("REFERRAL211_").lower() for k in variables if k.startswith("REFERRAL211_")}
    assert ours <= set(Settings.model_fields), ours - set(Settings.model_fields)
    assert {
        "stage",
        "directory_table",
        "event_bus_name",
        "search_bucket",
        "batches_bucket",
        "auth_mode",
    } <= ours
    assert variables["REFERRAL211_AUTH_MODE"] == "cognito"
    assert variables["POWERTOOLS_SERVICE_NAME"] == "referral211"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Referral211"


def test_analytics_queue_outlives_its_consumer_and_fails_over_to_the_dead_letter_queue(
    template: dict[str, Any],
) -> None:
    config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))

    def longest(function: str) -> int:
        """The consumer's longest timeout over every stage (its own setting, else the stage's, else global)."""
        default = config.get("lambda_timeout", 60)
        return max(
            stage.get("lambda_functions", {}).get(function, {}).get("lambda_timeout", stage.get("lambda_timeout", default))
            for stage in config["stages"].values()
        )

    resources = template["Resources"]
    queue = resources["AnalyticsQueue"]["Properties"]
    # AWS's rule: a queue's visibility timeout is at least six times its consumer function's timeout.
    assert queue["VisibilityTimeout"] >= 6 * longest("analytics_aggregator")
    assert resources["SearchRefreshQueue"]["Properties"]["VisibilityTimeout"] >= 6 * longest("search_refresh")
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    assert resources["AnalyticsDeadLetterQueue"]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    rule = resources["AnalyticsRule"]["Properties"]
    assert rule["EventPattern"] == {"source": [{"prefix": "referral211"}]}
    assert rule["EventBusName"] == {"Fn::Sub": "referral211-${Stage}-bus"}
    (target,) = rule["Targets"]
    assert references(target["DeadLetterConfig"]) == {"AnalyticsDeadLetterQueue"}
    assert "RetryPolicy" in target
    policy = resources["AnalyticsQueuePolicy"]["Properties"]
    assert references(policy["Queues"]) == {"AnalyticsQueue", "AnalyticsDeadLetterQueue"}
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert references(statement["Condition"]) == {"AnalyticsRule"}


def test_role_policy_reaches_each_resource(template: dict[str, Any]) -> None:
    (policy,) = template["Resources"]["DefaultRole"]["Properties"]["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert "DirectoryTable" in references(statements["Directory"]["Resource"])
    assert any("/index/*" in str(r) for r in statements["Directory"]["Resource"])
    assert statements["PublishEvents"]["Action"] == "events:PutEvents"
    assert "EventBus" in references(statements["PublishEvents"])
    assert {"SearchBucket", "BatchesBucket"} <= references(statements["Objects"])
    assert "AnalyticsQueue" in references(statements["ConsumeAnalytics"])
    assert all(s["Resource"] != "*" for sid, s in statements.items() if sid != "Tracing")


def test_lambda_requirements_leave_out_what_chalice_and_lambda_provide() -> None:
    text = "# comment\naws-lambda-powertools>=3\nchalice>=1.34,<2\nboto3>=1.40\npydantic>=2\nBotocore\n"
    assert lambda_requirements(text) == "# comment\naws-lambda-powertools>=3\npydantic>=2\n"


# ---- the built package (slow) ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp("package")
    # A dependency without a Lambda-compatible wheel makes Chalice compile it for many minutes: fail instead.
    return package(
        stage="dev", out=base / "dist", build_dir=base / "build", progress=lambda _line: None, timeout=300
    )


@pytest.fixture(scope="module")
def merged(built: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(built.template.read_text(encoding="utf-8"))
    return loaded


@pytest.mark.slow
def test_merged_template_passes_cfn_lint(built: Any) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    command = (
        [str(cfn_lint)]
        if cfn_lint.exists()
        else [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]
    )
    finished = subprocess.run(
        [*command, "--format", "json", str(built.template)], capture_output=True, text=True, check=False
    )
    findings = json.loads(finished.stdout or "[]")
    errors = [
        f"{f['Rule']['Id']} {f['Message']} at {f['Location']['Path']}"
        for f in findings
        if f["Level"] == "Error"
    ]
    assert not errors, "\n".join(errors)
    assert finished.returncode in (0, 4, 8, 12), finished.stderr  # warnings / informational only


@pytest.mark.slow
def test_merged_template_holds_chalice_and_infra_resources(
    merged: dict[str, Any], template: dict[str, Any]
) -> None:
    resources = merged["Resources"]
    for name, kind in {
        **EXPECTED_RESOURCES,
        "APIHandler": "AWS::Serverless::Function",
        "RestAPI": "AWS::Serverless::Api",
    }.items():
        assert resources[name]["Type"] == kind, name
    assert EXPECTED_OUTPUTS <= set(merged["Outputs"])
    assert merged["Globals"] == template["Globals"]
    # The template's policy list replaced Chalice's generated one (the merge replaces lists).
    assert (
        resources["DefaultRole"]["Properties"]["Policies"]
        == template["Resources"]["DefaultRole"]["Properties"]["Policies"]
    )
    functions = [r for r in resources.values() if r["Type"] == "AWS::Serverless::Function"]
    assert all(f["Properties"]["Role"] == {"Fn::GetAtt": ["DefaultRole", "Arn"]} for f in functions)


@pytest.mark.slow
def test_every_handler_and_module_imports_from_the_zip_alone(
    built: Any, merged: dict[str, Any], tmp_path: Path
) -> None:
    """GIVEN only the zip and boto3 (Lambda's runtime) on sys.path THEN every handler and module imports."""
    unzipped, runtime = tmp_path / "task", tmp_path / "runtime"
    with zipfile.ZipFile(built.deployment_zip) as archive:
        archive.extractall(unzipped)
    for package_dir in ("functions", "shared"):
        assert (unzipped / package_dir / "__init__.py").is_file(), f"{package_dir}/ is not in the zip"
    assert (unzipped / "app.py").is_file()
    assert not list(unzipped.rglob("__pycache__")) and not (unzipped / "tests").exists()
    pip = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--only-binary",
            ":all:",
            "--target",
            str(runtime),
            "boto3",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert pip.returncode == 0, f"pip install --target boto3 failed (registry reachable?):\n{pip.stderr}"

    handlers = sorted(
        r["Properties"]["Handler"]
        for r in merged["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
    )
    assert "app.app" in handlers
    modules = sorted(
        ".".join(path.relative_to(unzipped).with_suffix("").parts).removesuffix(".__init__")
        for package_dir in ("functions", "shared")
        for path in (unzipped / package_dir).rglob("*.py")
    )
    probe = f"""
import importlib, sys
sys.path[:0] = [{str(unzipped)!r}, {str(runtime)!r}]
leaks = [p for p in sys.path if "site-packages" in p]
assert not leaks, leaks
failed = []
for handler in {handlers!r}:
    module, _, attribute = handler.rpartition(".")
    try:
        assert callable(getattr(importlib.import_module(module), attribute)), handler
    except Exception as error:
        failed.append(f"handler {{handler}}: {{type(error).__name__}}: {{error}}")
for module in {modules!r}:
    try:
        importlib.import_module(module)
    except Exception as error:
        failed.append(f"module {{module}}: {{type(error).__name__}}: {{error}}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""
    environment = {
        "AWS_DEFAULT_REGION": "ca-central-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    finished = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        check=False,
    )
    assert finished.returncode == 0, f"not importable from the zip alone:\n{finished.stdout}{finished.stderr}"


def test_staff_routes_carry_the_stack_user_pool_authorizer_and_public_routes_do_not(merged: dict[str, Any]) -> None:
    api = merged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    authorizer = api["securityDefinitions"]["StaffUserPool"]["x-amazon-apigateway-authorizer"]
    assert authorizer["providerARNs"] == [{"Fn::GetAtt": ["UserPool", "Arn"]}]
    paths = api["paths"]
    assert paths["/contacts"]["post"]["security"] == [{"StaffUserPool": []}]
    assert paths["/admin/batches"]["post"]["security"] == [{"StaffUserPool": []}]
    assert paths["/stats/{table}"]["get"]["security"] == [{"StaffUserPool": []}]
    assert "security" not in paths["/services"]["get"]
    assert "security" not in paths["/regions"]["get"]
