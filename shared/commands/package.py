"""`referral211 package`: the deployable SAM template and Lambda zip (chalice package + infra/)."""

from __future__ import annotations

import argparse
import sys

from shared.packaging import DEFAULT_TIMEOUT, PackagingError, package


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage", default="dev", help="Chalice stage in .chalice/config.json (default: dev)")
    parser.add_argument("--out", default="dist", help="output directory for sam.json and deployment.zip")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"give up after this many seconds (default {DEFAULT_TIMEOUT:.0f})",
    )
    parser.epilog = (
        "Deploy with: sam deploy --template-file dist/sam.json --stack-name referral211-dev "
        "--capabilities CAPABILITY_IAM --parameter-overrides Stage=dev --resolve-s3  (see docs/DEPLOY.md)"
    )


def run(options: argparse.Namespace) -> int:
    try:
        package(stage=options.stage, out=options.out, timeout=options.timeout)
    except PackagingError as error:
        print(f"referral211 package: {error}", file=sys.stderr)
        return 1
    return 0
