"""Embedded AWS: moto's server in this process, provisioned from infra/template.yaml.

    aws = start_embedded_aws(4566)     # sets AWS_ENDPOINT_URL, fake credentials, region (before any client)
    variables = provision("local", apply_env=True)   # {"REFERRAL211_DIRECTORY_TABLE": ..., ...}
    ...
    aws.stop()

`provision` also works under `moto.mock_aws()` without a server (the tests' `aws` fixture): it only uses the
cached clients of shared/aws/clients.py.

moto 5.2.5's CloudFormation creates every local resource type except `AWS::SQS::QueuePolicy`; that one is
created directly from the template's own properties (`_FALLBACKS`), so the template stays the only
description. Likewise for properties it accepts but does not apply (`_PROPERTY_COMPLETIONS`): S3 versioning
and public access blocks, DynamoDB point-in-time recovery. S3 lifecycle rules are not applied locally.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.aws.clients import client, reset_clients
from shared.config import get_settings, reset_settings
from shared.infra_template import TemplateError, load_template, local_subset, output_variables

DEFAULT_PORT = 4566
DEFAULT_HOST = "127.0.0.1"
REGION = "ca-central-1"
LOCAL_CREDENTIALS: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# Outputs no function reads from its environment, exported by the local stack for tools and tests. The others
# come from the template (shared/infra_template.py: output_variables).
EXTRA_OUTPUT_VARIABLES: dict[str, str] = {
    "AnalyticsQueueUrl": "REFERRAL211_ANALYTICS_QUEUE_URL",
    "AnalyticsDeadLetterQueueUrl": "REFERRAL211_ANALYTICS_DEAD_LETTER_QUEUE_URL",
}
# Variables that would send the local stack's clients elsewhere (a real account's profile, another endpoint).
_CONFLICTING = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")

logger = logging.getLogger(__name__)


def stack_name(stage: str) -> str:
    return f"referral211-{stage}"


@dataclass
class EmbeddedAws:
    """moto's server running on loopback in this process."""

    host: str
    port: int
    region: str
    server: Any = field(repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def environment(self) -> dict[str, str]:
        return aws_environment(self.endpoint_url, self.region)

    def stop(self) -> None:
        self.server.stop()


def aws_environment(endpoint_url: str, region: str = REGION) -> dict[str, str]:
    """The variables that point boto3 (and the aws CLI) at the embedded AWS."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        **LOCAL_CREDENTIALS,
    }


def apply_environment(variables: Mapping[str, str]) -> None:
    """Set variables in os.environ, then forget cached clients and settings so both are rebuilt from them."""
    if "AWS_ENDPOINT_URL" in variables:
        for name in [*_CONFLICTING, *(n for n in os.environ if n.startswith("AWS_ENDPOINT_URL_"))]:
            os.environ.pop(name, None)
    os.environ.update(variables)
    reset_clients()
    reset_settings()


def port_is_free(host: str, port: int) -> bool:
    if port == 0:
        return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def start_embedded_aws(
    port: int = DEFAULT_PORT, host: str = DEFAULT_HOST, region: str = REGION, *, apply_env: bool = True
) -> EmbeddedAws:
    """Start moto's server (port 0: a free port); with apply_env, os.environ points every client at it."""
    from moto.server import ThreadedMotoServer

    # ThreadedMotoServer.start() waits forever when its thread cannot bind: check first.
    if not port_is_free(host, port):
        raise OSError(f"{host}:{port} is already in use")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    from shared.local_stack import moto_speedups

    moto_speedups.install()  # transactions without whole-table copies; cached JSONPath (listing batches)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    embedded = EmbeddedAws(host=bound_host, port=bound_port, region=region, server=server)
    if apply_env:
        apply_environment(embedded.environment)
    return embedded


@dataclass(frozen=True)
class Provisioned:
    stack_name: str
    outputs: dict[str, str]
    variables: dict[str, str]
    created_directly: tuple[str, ...]


def variables_from_outputs(template: dict[str, Any], outputs: Mapping[str, str]) -> dict[str, str]:
    names = {**output_variables(template), **EXTRA_OUTPUT_VARIABLES}
    return {names[name]: value for name, value in outputs.items() if name in names}


def provision(
    stage: str = "local", *, template: dict[str, Any] | None = None, apply_env: bool = False
) -> dict[str, str]:
    """Create the local subset of infra/template.yaml; returns the REFERRAL211_* variables from its outputs.

    With apply_env the variables (and REFERRAL211_STAGE) are also set in os.environ and settings are reset.
    Idempotent: an existing stack of that name is read, not created again.
    """
    from shared.local_stack import moto_speedups

    moto_speedups.install()  # transactions without whole-table copies; cached JSONPath (listing batches)
    provisioned = provision_stack(stage, template=template)
    variables = {"REFERRAL211_STAGE": stage, **provisioned.variables}
    if apply_env:
        apply_environment(variables)
    return variables


def provision_stack(stage: str = "local", *, template: dict[str, Any] | None = None) -> Provisioned:
    full = template if template is not None else load_template()
    subset = local_subset(full)
    cloudformation = client("cloudformation")
    name = stack_name(stage)
    created_directly: list[str] = []
    _quiet_about_skipped_types()
    if not _stack_exists(cloudformation, name):
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=json.dumps(subset),
            Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}],
        )
        created_directly = _create_what_cloudformation_skipped(cloudformation, name, stage, subset)
        _apply_what_cloudformation_ignored(cloudformation, name, subset)
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    if stack["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        raise TemplateError(
            f"local stack {name}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}"
        )
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return Provisioned(
        stack_name=name,
        outputs=outputs,
        variables=variables_from_outputs(full, outputs),
        created_directly=tuple(created_directly),
    )


def stack_outputs(stage: str = "local") -> dict[str, str]:
    """Outputs of an already provisioned local stack (queue URLs for the workers, bucket names...)."""
    stack = client("cloudformation").describe_stacks(StackName=stack_name(stage))["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _stack_exists(cloudformation: Any, name: str) -> bool:
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except Exception as error:  # botocore ClientError "Stack with id ... does not exist"
        if "does not exist" in str(error):
            return False
        raise
    return any(s["StackStatus"] != "DELETE_COMPLETE" for s in stacks)


# ---- resources moto's CloudFormation skips -----------------------------------------------------------------


class _SkippedTypeNotes(logging.Filter):
    """Drops moto's notes about the types its CloudFormation skips when this module creates them instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            message.startswith("No Moto CloudFormation support for") and message.split()[-1] in _FALLBACKS
        )


def _quiet_about_skipped_types() -> None:
    # Notes are emitted while creating and again while listing the stack, possibly on the server's thread.
    for resource_type in _FALLBACKS:
        warnings.filterwarnings("ignore", message=f"Tried to parse {re.escape(resource_type)} but")
    moto_logger = logging.getLogger("moto")
    if not any(isinstance(f, _SkippedTypeNotes) for f in moto_logger.filters):
        moto_logger.addFilter(_SkippedTypeNotes())


def _create_what_cloudformation_skipped(
    cloudformation: Any, name: str, stage: str, subset: dict[str, Any]
) -> list[str]:
    summaries = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
    physical = {
        s["LogicalResourceId"]: s.get("PhysicalResourceId", "") for s in summaries if s["LogicalResourceId"]
    }
    resources = subset["Resources"]
    skipped = [logical for logical in resources if logical not in physical]
    if not skipped:
        return []
    resolver = _Resolver(stage=stage, stack=name, resources=resources, physical=physical)
    for logical in skipped:
        resource_type = resources[logical]["Type"]
        create = _FALLBACKS.get(resource_type)
        if create is None:
            raise TemplateError(
                f"local stack: moto's CloudFormation did not create {logical} ({resource_type}) "
                "and there is no "
                "direct creation for that type in shared/local_stack/aws.py"
            )
        create(resolver.resolve(resources[logical].get("Properties", {})))
        logger.info("created directly: %s (%s)", logical, resource_type)
    return skipped


def _create_queue_policy(properties: dict[str, Any]) -> None:
    sqs = client("sqs")
    policy = json.dumps(properties["PolicyDocument"])
    for queue_url in properties["Queues"]:
        sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": policy})


_FALLBACKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "AWS::SQS::QueuePolicy": _create_queue_policy,
}


# ---- properties moto's CloudFormation accepts but does not apply -------------------------------------------


def _apply_what_cloudformation_ignored(cloudformation: Any, name: str, subset: dict[str, Any]) -> None:
    summaries = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
    physical = {
        s["LogicalResourceId"]: s.get("PhysicalResourceId", "") for s in summaries if s["LogicalResourceId"]
    }
    for logical, resource in subset["Resources"].items():
        complete = _PROPERTY_COMPLETIONS.get(resource["Type"])
        if complete and physical.get(logical):
            complete(physical[logical], resource.get("Properties", {}))


def _complete_bucket(bucket: str, properties: dict[str, Any]) -> None:
    s3 = client("s3")
    versioning = properties.get("VersioningConfiguration")
    if versioning:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": versioning["Status"]})
    public_access = properties.get("PublicAccessBlockConfiguration")
    if public_access:
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=public_access)


def _complete_table(table: str, properties: dict[str, Any]) -> None:
    recovery = properties.get("PointInTimeRecoverySpecification")
    if recovery:
        client("dynamodb").update_continuous_backups(
            TableName=table,
            PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": bool(recovery.get("PointInTimeRecoveryEnabled"))
            },
        )


# S3 versioning matters to code that reads object versions; the others keep the local resources faithful.
# Lifecycle rules are left out: nothing expires in a local stack's lifetime.
_PROPERTY_COMPLETIONS: dict[str, Callable[[str, dict[str, Any]], None]] = {
    "AWS::S3::Bucket": _complete_bucket,
    "AWS::DynamoDB::Table": _complete_table,
}

_SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9:]+)(?:\.([A-Za-z0-9.]+))?\}")


class _Resolver:
    """Resolves the local subset's intrinsics against what moto created (those the template uses)."""

    def __init__(
        self, *, stage: str, stack: str, resources: dict[str, Any], physical: dict[str, str]
    ) -> None:
        self._resources = resources
        self._physical = physical
        self._pseudo = {
            "Stage": stage,
            "AWS::StackName": stack,
            "AWS::Region": get_settings().aws_region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(v) for v in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"}:
            return self._ref(node["Ref"])
        if set(node) == {"Fn::GetAtt"}:
            target = node["Fn::GetAtt"]
            logical, attribute = target if isinstance(target, list) else target.split(".", 1)
            return self._attribute(logical, attribute)
        if set(node) == {"Fn::Sub"}:
            text = node["Fn::Sub"]
            if not isinstance(text, str):
                raise TemplateError("local stack: Fn::Sub with a variable map is not supported here")
            return _SUB_VARIABLE.sub(
                lambda m: self._attribute(m[1], m[2]) if m[2] else str(self._ref(m[1])), text
            )
        if any(key.startswith("Fn::") for key in node):
            raise TemplateError(f"local stack: cannot resolve {sorted(node)} outside CloudFormation")
        return {key: self.resolve(value) for key, value in node.items()}

    def _ref(self, name: str) -> Any:
        if name == "AWS::AccountId":
            return client("sts").get_caller_identity()["Account"]
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self._physical:
            return self._physical[name]
        raise TemplateError(f"local stack: cannot resolve Ref {name}")

    def _attribute(self, logical: str, attribute: str) -> str:
        if attribute != "Arn" or logical not in self._resources:
            raise TemplateError(f"local stack: cannot resolve {logical}.{attribute}")
        resource = self._resources[logical]
        physical = self._physical[logical]
        kind = resource["Type"]
        if kind == "AWS::SQS::Queue":
            attributes = client("sqs").get_queue_attributes(QueueUrl=physical, AttributeNames=["QueueArn"])
            return str(attributes["Attributes"]["QueueArn"])
        if kind == "AWS::Events::Rule":
            bus = self.resolve(resource["Properties"].get("EventBusName", "default"))
            return str(client("events").describe_rule(Name=physical, EventBusName=bus)["Arn"])
        if kind == "AWS::Events::EventBus":
            name = self.resolve(resource["Properties"]["Name"])
            return str(client("events").describe_event_bus(Name=name)["Arn"])
        if kind == "AWS::DynamoDB::Table":
            return str(client("dynamodb").describe_table(TableName=physical)["Table"]["TableArn"])
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{physical}"
        raise TemplateError(f"local stack: cannot resolve {logical}.Arn ({kind})")
