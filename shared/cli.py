"""`referral211`: the command-line entry for everything (local stack, tokens, seeding, packaging, benchmarks).

Each command lives in its own module under `shared/commands/` and registers itself here, so `--help` stays fast
(modules are imported only when their command runs).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# name -> (module under shared.commands, one-line help shown by `referral211 --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "up": ("local_stack", "Start the whole platform locally: embedded AWS (moto), sample directory, HTTP API."),
    "token": ("token", "Print a development bearer token for a role and region scope (local stack and tests)."),
    "seed": ("seed", "Load a sample or HSDS file into a running stack's directory (AWS_ENDPOINT_URL)."),
    "sample": ("sample", "Write a deterministic, realistic Québec sample directory as HSDS JSON."),
    "events": ("events", "Regenerate or check the event catalogue in events/ from the pydantic models."),
    "package": ("package", "Build the deployable SAM template and Lambda zip (chalice package + infra/)."),
    "bench": ("bench", "Run the benchmarks and print their tables (also written as JSON)."),
    "web": ("web", "Publish the web pages (directory, admin console, analyst dashboard) to a deployed stack."),
    "stats": ("stats", "Social analysis: `stats rebuild --from --to` recomputes tables from the event log."),
}

DESCRIPTION = """\
referral211: the 211 platform (directory, phone and chat, social analysis).
Plateforme 211 : répertoire, téléphone et clavardage, analyse sociale.

Start here:  referral211 up            (then open http://127.0.0.1:8000/)
             referral211 token --role region-admin --region 02
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="referral211",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, summary) in COMMANDS.items():
        subparsers.add_parser(name, help=summary, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not args or args[0] in ("-h", "--help"):
        parser.print_help()
        return 0
    name = args[0]
    if name not in COMMANDS:
        parser.print_usage(sys.stderr)
        print(f"referral211: unknown command '{name}'. Try: referral211 --help", file=sys.stderr)
        return 2
    module = importlib.import_module(f"shared.commands.{COMMANDS[name][0]}")
    command_parser = argparse.ArgumentParser(
        prog=f"referral211 {name}",
        description=COMMANDS[name][1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    module.configure(command_parser)
    options = command_parser.parse_args(args[1:])
    try:
        return int(module.run(options) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
