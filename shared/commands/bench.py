"""`referral211 bench [SECTION|all]`: run benchmark sections, print their tables, write their JSON.

Each section is a module under `shared/bench/` with `configure(parser)` (its options), `run(options) -> dict`
(figures measured in that run) and `render(figures) -> str` (the table). A new section registers itself by
adding
one line to `SECTIONS`; `all` runs every registered section whose module is present, in order.
Results go to `{out}/{section}.json` (default `bench-results/`).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# name -> (module, one-line description). Order is the order of `all`.
SECTIONS: dict[str, tuple[str, str]] = {
    "search": (
        "shared.bench.search",
        "search relevance vs PostgreSQL, latency at 1k/10k/100k, cold start, memory",
    ),
    "batches": (
        "shared.bench.batches",
        "listing imports: HTTP batch to searchable, writes per listing, S3 path",
    ),
    "channels": ("shared.bench.channels", "phone and chat lookups: warm and fresh-process answers"),
    "analytics": ("shared.bench.analytics", "analytics: aggregation and dashboard queries"),
}


def _load(name: str) -> Any | None:
    try:
        return importlib.import_module(SECTIONS[name][0])
    except ModuleNotFoundError as error:
        if error.name == SECTIONS[name][0]:
            return None  # registered but not written yet
        raise


def configure(parser: argparse.ArgumentParser) -> None:
    listing = "\n".join(f"  {name:10} {description}" for name, (_, description) in SECTIONS.items())
    parser.description = (
        "Run benchmark sections; each prints its table and writes OUT/SECTION.json.\n\n"
        f"Sections:\n{listing}\n  all        every section present"
    )
    parser.add_argument("section", nargs="?", default="all", choices=[*SECTIONS, "all"])
    parser.add_argument(
        "--out", default="bench-results", help="folder for the JSON results (default bench-results)"
    )
    # Section options are registered once each; sections may share names (e.g. --services).
    seen: set[str] = set()
    for name in SECTIONS:
        module = _load(name)
        if module is None or not hasattr(module, "configure"):
            continue
        group = parser.add_argument_group(f"{name} options")
        probe = argparse.ArgumentParser(add_help=False)
        module.configure(probe)
        for action in probe._actions:  # noqa: SLF001 - re-home each option once
            flags = [f for f in action.option_strings if f not in seen]
            if not flags:
                continue
            seen.update(flags)
            kwargs: dict[str, Any] = {"dest": action.dest, "default": action.default, "help": action.help}
            if isinstance(action, argparse._StoreTrueAction):  # noqa: SLF001
                group.add_argument(*flags, action="store_true", **kwargs)
            else:
                if action.type is not None:
                    kwargs["type"] = action.type
                if action.choices is not None:
                    kwargs["choices"] = action.choices
                group.add_argument(*flags, **kwargs)


def run(options: argparse.Namespace) -> int:
    names = list(SECTIONS) if options.section == "all" else [options.section]
    # The functions' per-batch INFO logs would bury the tables; warnings and errors still show.
    from shared.observability import logger

    logger.setLevel("WARNING")
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for name in names:
        module = _load(name)
        if module is None:
            if options.section != "all":
                print(f"referral211 bench: section '{name}' is not available in this tree", file=sys.stderr)
                return 2
            continue
        print(f"== {name} ==", flush=True)
        started = time.perf_counter()
        try:
            figures = module.run(options)
        except Exception as error:  # one failing section must not hide the others' figures
            failures += 1
            print(
                f"referral211 bench: section '{name}' failed: {type(error).__name__}: {error}",
                file=sys.stderr,
            )
            continue
        figures = {
            "section": name,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - started, 1),
            **figures,
        }
        (out / f"{name}.json").write_text(
            json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        renderer = getattr(module, "render", None)
        print(renderer(figures) if renderer else json.dumps(figures, indent=2, ensure_ascii=False))
        print(f"(written to {out / f'{name}.json'})\n", flush=True)
    return 1 if failures else 0
