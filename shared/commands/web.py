"""`referral211 web publish`: put the web pages (web/) and their config.json into a deployed stack's web bucket.

The stack's outputs name the bucket (`WebBucketName`), the API (`EndpointURL`, from Chalice's part of the
template) and the address people use (`WebUrl`, the CloudFront distribution). `--bucket` and `--api-url` skip
the lookup (any S3-compatible endpoint, e.g. the local stack's, through AWS_ENDPOINT_URL).
"""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Publish the web pages (directory, admin console, analyst dashboard) to a deployed stack.\n"
        "Publie les pages web (répertoire, console, tableau de bord) dans une pile déployée.\n\n"
        "Example: referral211 web publish --stack referral211-prod"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="publish")
    publish = actions.add_parser("publish", help="upload web/ and config.json to the web bucket")
    publish.add_argument("--stack", help="CloudFormation stack name (reads WebBucketName, EndpointURL, WebUrl)")
    publish.add_argument("--bucket", help="web bucket name (instead of the stack's output)")
    publish.add_argument("--api-url", help="the API's base URL the pages call (instead of the stack's output)")


def _stack_outputs(stack: str) -> dict[str, str]:
    from shared.aws.clients import client

    described = client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def run(options: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from shared.web_assets import publish

    try:
        outputs = _stack_outputs(options.stack) if options.stack else {}
    except (BotoCoreError, ClientError) as error:
        print(f"referral211 web publish: cannot read stack {options.stack}: {error}", file=sys.stderr)
        return 1
    bucket = options.bucket or outputs.get("WebBucketName")
    api_url = options.api_url or outputs.get("EndpointURL")
    if not bucket or not api_url:
        print(
            "referral211 web publish: name a --stack with the outputs WebBucketName and EndpointURL, or give "
            "--bucket and --api-url / indiquez --stack, ou --bucket et --api-url.",
            file=sys.stderr,
        )
        return 2
    print(f"Publishing web/ to s3://{bucket} (API {api_url}) / Publication des pages…")
    try:
        written = publish(bucket, api_url)
    except (BotoCoreError, ClientError) as error:
        print(f"referral211 web publish: upload failed: {error}", file=sys.stderr)
        return 1
    print(f"{written} objects written / objets écrits. {outputs.get('WebUrl', '')}".rstrip())
    return 0
