"""`referral211 stats rebuild --from YYYY-MM-DD --to YYYY-MM-DD [--source log|archive]`: recompute the
statistics of whole months from the raw event log (default) or from the EventBridge archive, and replace them.

Reads the stack's resources from REFERRAL211_STATS_TABLE and REFERRAL211_ANALYTICS_BUCKET (and
AWS_ENDPOINT_URL for the local stack); the archive source finds the archive, the rebuild rule and its queue by
the stage's names (REFERRAL211_STAGE, or --stage). See shared/analytics/rebuild.py and docs/ANALYTICS.md.
"""

from __future__ import annotations

import argparse
from datetime import date


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    rebuild = actions.add_parser(
        "rebuild", help="Recompute the tables of whole months from the raw event log or the archive"
    )
    rebuild.add_argument("--from", dest="first", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    rebuild.add_argument("--to", dest="last", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    rebuild.add_argument(
        "--source",
        choices=["log", "archive"],
        default="log",
        help="log: the aggregator's raw event log in S3 (default); archive: replay the EventBridge archive "
        "into the rebuild queue and recount",
    )
    rebuild.add_argument(
        "--dry-run", action="store_true", help="recount and report what would change; write nothing"
    )
    rebuild.add_argument(
        "--allow-decrease",
        action="store_true",
        help="replace even if a measure's total would go down "
        "(refused by default: the source may miss events)",
    )
    rebuild.add_argument(
        "--stage", default=None, help="stack stage of the archive (default REFERRAL211_STAGE)"
    )
    rebuild.add_argument(
        "--idle-seconds",
        type=int,
        default=60,
        help="archive: after the replay completes, stop once the queue stayed empty this long (default 60)",
    )


def run(options: argparse.Namespace) -> int:
    from datetime import datetime

    from shared.analytics.archive import ArchiveError, ArchiveReplay, ArchiveTarget
    from shared.analytics.counters import StatsStore
    from shared.analytics.event_log import EventLog
    from shared.analytics.projections import LOCAL_TIME
    from shared.analytics.rebuild import (
        RebuildRefused,
        RebuildReport,
        month_range,
        rebuild,
        rebuild_from_archive,
    )
    from shared.analytics.tables import UNKNOWN_REGION
    from shared.config import get_settings
    from shared.directory.models import REGION_CODES

    if options.first > options.last:
        print("--from must not be after --to")
        return 2
    settings = get_settings()
    store = StatsStore(settings.stats_table)
    regions = [*REGION_CODES, UNKNOWN_REGION]
    first, last = month_range(options.first, options.last)
    try:
        if options.source == "archive":
            target = ArchiveTarget.for_stage(options.stage or settings.stage)
            target.check_window(first, datetime.now(LOCAL_TIME).date())
            wait = max(1, min(20, options.idle_seconds))
            idle_polls = max(1, options.idle_seconds // wait)
            replay = ArchiveReplay(target, first, last, wait_seconds=wait, idle_polls=idle_polls)
            print(f"replaying the archive {first} .. {last} as {replay.name} ...", flush=True)
            report: RebuildReport = rebuild_from_archive(
                first,
                last,
                store=store,
                replay=replay,
                regions=regions,
                dry_run=options.dry_run,
                allow_decrease=options.allow_decrease,
            )
        else:
            report = rebuild(
                first,
                last,
                store=store,
                log=EventLog(settings.analytics_bucket),
                regions=regions,
                dry_run=options.dry_run,
                allow_decrease=options.allow_decrease,
            )
    except ArchiveError as error:
        print(f"referral211 stats rebuild: {error}")
        return 1
    except RebuildRefused as refused:
        print(render(refused.report))
        print(f"referral211 stats rebuild: refused: {refused}")
        return 1
    print(render(report))
    return 0


def render(report: object) -> str:
    from shared.analytics.rebuild import RebuildReport

    assert isinstance(report, RebuildReport)
    verb = "rebuilt" if report.applied else "would rebuild (nothing written)"
    lines = [
        f"{verb} {report.first} .. {report.last} from the {report.source}"
        + (f" (replay {report.replay_name})" if report.replay_name else "")
        + f": {report.events} events counted from {report.lines} read "
        f"({report.duplicates} duplicates, {report.unreadable} unreadable, {report.outside} of other days"
        + (f", {report.stale} of another replay" if report.stale else "")
        + f"); {report.items_written} items written, {report.items_deleted} deleted",
    ]
    changed = report.changed_totals
    if not changed:
        lines.append(f"every total is unchanged ({len(report.totals)} measures)")
    for name, (before, after) in changed.items():
        lines.append(f"  {name}: {before} -> {after}")
    return "\n".join(lines)
