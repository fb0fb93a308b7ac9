"""`referral211 sample`: write a deterministic, realistic Québec sample directory as HSDS JSON."""

from __future__ import annotations

import argparse
import sys

from shared.sample_data.generator import dump_hsds_json, generate_directory


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Write a realistic Québec 211 sample directory (organisations, services, locations, hours, categories)\n"
        "as HSDS JSON: the same size and seed always give the same file.\n"
        "Écrit un répertoire d'exemple réaliste; même taille et même graine, même fichier."
    )
    parser.add_argument("--size", type=int, default=3000, help="number of services (default: 3000)")
    parser.add_argument("--seed", type=int, default=211, help="random seed (default: 211)")
    parser.add_argument("--out", default="-", help="output file, or - for standard output (default)")


def run(options: argparse.Namespace) -> int:
    if options.size < 1:
        print("referral211 sample: --size must be at least 1", file=sys.stderr)
        return 2
    step = max(1000, options.size // 20)

    def progress(count: int) -> None:
        if count % step < 10:
            print(f"\rGenerating: {count:,}/{options.size:,} services", end="", file=sys.stderr, flush=True)

    directory = generate_directory(options.size, options.seed, progress=progress)
    print(f"\rGenerated {len(directory.services):,} services of {len(directory.organizations):,} organisations.",
          file=sys.stderr)
    dump_hsds_json(directory, options.out)
    return 0
