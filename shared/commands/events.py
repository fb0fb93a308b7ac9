"""`referral211 events generate|check`: the event catalogue in events/."""

from __future__ import annotations

import argparse

from shared import event_catalogue


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["generate", "check"],
                        help="generate: rewrite events/ from the models; check: exit 1 if they drifted")


def run(options: argparse.Namespace) -> int:
    if options.action == "generate":
        for path in event_catalogue.write():
            print(f"wrote {path}")
        return 0
    problems = event_catalogue.drift()
    if problems:
        print("events/ is out of date (run `make events`): " + ", ".join(problems))
        return 1
    print("events/ matches the models")
    return 0
