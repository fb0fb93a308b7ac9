"""`referral211 stats rebuild --from YYYY-MM-DD --to YYYY-MM-DD`: recompute the statistics from the raw event
log.

Reads the stack's resources from REFERRAL211_STATS_TABLE and REFERRAL211_ANALYTICS_BUCKET (and
AWS_ENDPOINT_URL
for the local stack). See shared/analytics/rebuild.py.
"""

from __future__ import annotations

import argparse
from datetime import date


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    rebuild = actions.add_parser(
        "rebuild", help="Recompute the tables of a date range from the raw event log"
    )
    rebuild.add_argument("--from", dest="first", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    rebuild.add_argument("--to", dest="last", type=date.fromisoformat, required=True, help="YYYY-MM-DD")


def run(options: argparse.Namespace) -> int:
    from shared.analytics.counters import StatsStore
    from shared.analytics.event_log import EventLog
    from shared.analytics.rebuild import rebuild
    from shared.analytics.tables import UNKNOWN_REGION
    from shared.config import get_settings
    from shared.directory.models import REGION_CODES

    if options.first > options.last:
        print("--from must not be after --to")
        return 2
    settings = get_settings()
    report = rebuild(
        options.first,
        options.last,
        store=StatsStore(settings.stats_table),
        log=EventLog(settings.analytics_bucket),
        regions=[*REGION_CODES, UNKNOWN_REGION],
    )
    print(
        f"rebuilt {report.first} .. {report.last}: {report.events} events counted "
        f"from {report.lines} log lines "
        f"({report.duplicates} duplicates, {report.unreadable} unreadable); "
        f"{report.items_written} items written, {report.items_deleted} deleted"
    )
    return 0
