"""`referral211 token`: print a development bearer token (signed with the local stack's development key)."""

from __future__ import annotations

import argparse

from shared.config import get_settings
from shared.directory.models import REGION_CODES
from shared.identity import ROLES, issue_dev_token


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Print a development bearer token for the local stack and tests.\n"
        "Imprime un jeton de développement pour la pile locale et les tests.\n\n"
        "Example: curl -H \"Authorization: Bearer $(referral211 token --role analyst --region 02)\" "
        "http://127.0.0.1:8000/me"
    )
    parser.add_argument("--role", action="append", choices=ROLES, required=True,
                        help="role (Cognito group); repeat for several")
    parser.add_argument("--region", action="append", default=[], metavar="CODE",
                        help="region scope 01..17; repeat or comma-separate for several")
    parser.add_argument("--user", default="dev-user", help="username in the token (default: dev-user)")
    parser.add_argument("--hours", type=float, default=8.0, help="validity in hours (default: 8)")


def run(options: argparse.Namespace) -> int:
    regions = [r.strip() for value in options.region for r in value.split(",") if r.strip()]
    unknown = [r for r in regions if r not in REGION_CODES]
    if unknown:
        print(f"referral211 token: unknown region code(s) {', '.join(unknown)}; use 01..17.")
        return 2
    settings = get_settings()
    if settings.auth_mode != "dev":
        print("referral211 token: this environment verifies Cognito tokens; sign in through the user pool instead.")
        return 2
    print(issue_dev_token(settings, roles=options.role, regions=regions, username=options.user,
                          ttl_seconds=int(options.hours * 3600)))
    return 0
