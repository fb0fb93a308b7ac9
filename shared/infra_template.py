"""infra/template.yaml, the one description of the AWS resources, and the subset the local stack creates.

The same file is merged into Chalice's SAM template for AWS (`shared/packaging.py`) and created with
CloudFormation on the embedded moto server for the local stack (`shared/local_stack/aws.py`). The local subset
is decided here, in one place: `LOCAL_RESOURCE_TYPES`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = PROJECT_ROOT / "infra" / "template.yaml"

# What the local stack needs: data stores and event plumbing. Functions run in process (Chalice's local server
# and the workers of shared/local_stack/workers.py), identity is the development token issuer, and IAM does
# not apply.
LOCAL_RESOURCE_TYPES: frozenset[str] = frozenset(
    {
        "AWS::DynamoDB::Table",
        "AWS::Events::EventBus",
        "AWS::Events::Archive",
        "AWS::Events::Rule",
        "AWS::SQS::Queue",
        "AWS::SQS::QueuePolicy",
        "AWS::S3::Bucket",
    }
)
# Template sections CloudFormation on moto has no use for (Globals is a SAM section for functions).
_LOCAL_DROPPED_SECTIONS = ("Globals", "Transform")
_SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


class TemplateError(Exception):
    """The infrastructure template is missing or malformed."""


def load_template(path: Path | str = TEMPLATE_PATH) -> dict[str, Any]:
    import yaml  # dev dependency: the Lambda package never loads the template

    location = Path(path)
    try:
        text = location.read_text(encoding="utf-8")
    except OSError as error:
        raise TemplateError(f"cannot read the infrastructure template {location}: {error}") from error
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise TemplateError(
            f"{location} is not plain YAML (use long-form intrinsics such as Fn::Sub): {error}"
        ) from error
    if not isinstance(loaded, dict) or not isinstance(loaded.get("Resources"), dict):
        raise TemplateError(f"{location} has no Resources section")
    return loaded


def references(node: Any) -> set[str]:
    """Logical ids a template fragment refers to through Ref, Fn::GetAtt, Fn::Sub or DependsOn."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".", 1)[0]
                found.add(target)
            elif key == "Fn::Sub":
                text, variables = (value[0], value[1]) if isinstance(value, list) else (value, {})
                found |= {name for name in _SUB_VARIABLE.findall(text) if name not in variables}
                found |= references(variables)
            elif key == "DependsOn":
                found |= {value} if isinstance(value, str) else set(value)
            else:
                found |= references(value)
    elif isinstance(node, list):
        for value in node:
            found |= references(value)
    return {name for name in found if not name.startswith("AWS::")}


def local_subset(template: dict[str, Any], types: Iterable[str] = LOCAL_RESOURCE_TYPES) -> dict[str, Any]:
    """The template reduced to `types`, with the outputs that still resolve.

    Raises TemplateError when a kept resource depends on a dropped one: the local stack would then silently
    differ from AWS, so the template (or LOCAL_RESOURCE_TYPES) must change instead.
    """
    wanted = set(types)
    subset = copy.deepcopy(template)
    for section in _LOCAL_DROPPED_SECTIONS:
        subset.pop(section, None)
    resources = {
        name: resource
        for name, resource in subset["Resources"].items()
        if isinstance(resource, dict) and resource.get("Type") in wanted
    }
    known = set(resources) | set(subset.get("Parameters", {})) | set(subset.get("Conditions", {}))
    for name, resource in resources.items():
        missing = references({k: v for k, v in resource.items() if k != "Condition"}) - known
        if missing:
            raise TemplateError(
                f"local stack: {name} refers to {sorted(missing)}, which the local stack does not create"
            )
    subset["Resources"] = resources
    outputs = subset.get("Outputs", {})
    subset["Outputs"] = {name: out for name, out in outputs.items() if references(out) <= known}
    return subset


def output_variables(template: dict[str, Any]) -> dict[str, str]:
    """Stack output -> the environment variable the functions receive with the same value (SAM Globals).

    The template names each variable once, in `Globals.Function.Environment.Variables`; an output with the
    same value (e.g. both `{"Ref": "DirectoryTable"}`) is how the local stack learns it, so a new table or
    bucket needs only its Globals variable and its output.
    """
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    mapping: dict[str, str] = {}
    for name, output in template.get("Outputs", {}).items():
        matches = [
            v for v, value in variables.items() if isinstance(value, dict) and value == output.get("Value")
        ]
        if matches:
            mapping[name] = matches[0]
    return mapping


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template.get("Resources", {}).items()
        if isinstance(resource, dict) and resource.get("Type") == resource_type
    }
