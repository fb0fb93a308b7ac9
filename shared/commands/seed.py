"""`referral211 seed`: load the sample directory or an HSDS file into a directory table.

Writes wherever the environment points: the local stack when AWS_ENDPOINT_URL is exported (as printed by
`referral211 up`), otherwise the AWS account of the current credentials. The table is
REFERRAL211_DIRECTORY_TABLE (or --table). `referral211 up` seeds through the same functions
(`sample_directory`, `load_directory_file`, `seed_directory`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

from pydantic import BaseModel, ValidationError

from shared.directory.models import Organization, Service

DEFAULT_SIZE = 3000
DEFAULT_SEED_VALUE = 211
M = TypeVar("M", bound=BaseModel)


class SeedError(Exception):
    """The directory could not be loaded; the message says what to fix."""


@dataclass(frozen=True)
class Directory:
    organizations: list[Organization]
    services: list[Service]


@dataclass(frozen=True)
class SeedResult:
    table: str
    items: int
    organizations: int
    services: int
    seconds: float


def sample_directory(size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED_VALUE) -> Directory:
    """The deterministic Québec sample (shared/sample_data) with `size` services."""
    try:
        from shared.sample_data.generator import generate_directory
    except ImportError as error:
        raise SeedError(
            f"the sample generator is not available ({error}); use --seed none or --file / "
            "générateur d'exemple indisponible"
        ) from error
    generated = generate_directory(size, seed=seed)
    return Directory(organizations=list(generated.organizations), services=list(generated.services))


def load_directory_file(path: Path | str) -> Directory:
    """An HSDS storage file: `{"organizations": [...], "services": [...]}`, validated record by record."""
    location = Path(path)
    try:
        document = json.loads(location.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise SeedError(f"{location}: no such file / fichier introuvable") from error
    except OSError as error:
        raise SeedError(f"{location}: cannot read it / lecture impossible ({error.strerror})") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SeedError(f"{location}: not UTF-8 JSON / pas du JSON UTF-8 ({error})") from error
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("organizations", []), list)
        or not isinstance(document.get("services", []), list)
    ):
        raise SeedError(
            f'{location}: expected {{"organizations": [...], "services": [...]}} / '
            "structure attendue : organizations et services (listes)"
        )
    problems: list[str] = []
    organizations = _validated(Organization, document.get("organizations", []), "organizations", problems)
    services = _validated(Service, document.get("services", []), "services", problems)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = (
            f"\n  … and {len(problems) - 20} more / et {len(problems) - 20} autres"
            if len(problems) > 20
            else ""
        )
        raise SeedError(
            f"{location}: {len(problems)} invalid field(s) / champ(s) invalide(s):\n  {shown}{more}"
        )
    known = {org.id for org in organizations}
    orphans = [s.id for s in services if s.organization_id not in known]
    if orphans:
        raise SeedError(
            f"{location}: {len(orphans)} service(s) name an organization_id absent from the file / "
            f"service(s) dont l'organisation est absente (first: {orphans[0]})"
        )
    return Directory(organizations=organizations, services=services)


def _validated(model: type[M], records: Sequence[Any], section: str, problems: list[str]) -> list[M]:
    valid: list[M] = []
    for index, record in enumerate(records):
        try:
            valid.append(model.model_validate(record))
        except ValidationError as error:
            for detail in error.errors(include_url=False):
                where = ".".join(str(part) for part in detail["loc"])
                problems.append(f"{section}[{index}]{'.' + where if where else ''}: {detail['msg']}")
    return valid


def seed_directory(
    table: str,
    organizations: Iterable[Organization],
    services: Sequence[Service],
    *,
    progress: Callable[[int], None] | None = None,
) -> SeedResult:
    """Bulk-load an empty directory table (BatchWriteItem); `progress` receives the running item count."""
    from shared.directory.repository import DirectoryRepository

    started = time.monotonic()
    organizations = list(organizations)
    items = 0
    for items in DirectoryRepository(table).bulk_load(organizations, services):
        if progress:
            progress(items)
    return SeedResult(
        table=table,
        items=items,
        organizations=len(organizations),
        services=len(services),
        seconds=time.monotonic() - started,
    )


def progress_printer(services: int, stream: TextIO = sys.stdout) -> Callable[[int], None]:
    """Rewrites one progress line on a terminal; prints nothing until the end otherwise."""
    if not stream.isatty():
        return lambda _items: None
    last = [0.0]

    def show(items: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.2:
            last[0] = now
            stream.write(f"\rSeeding directory: {items:,} items ({services:,} services)…")
            stream.flush()

    return show


def publish_search_indexes(
    organizations: Sequence[Organization], services: Sequence[Service], *, stream: TextIO = sys.stdout
) -> None:
    """Build the search partitions from the records just loaded and publish them to the search bucket.

    Same layout as the indexer's rebuild from DynamoDB (shared/search/indexer.py), without reading back what was
    just written; later listing changes rebuild their region from DynamoDB.
    """
    from shared.aws.s3 import Bucket
    from shared.config import get_settings
    from shared.search.indexer import build_partitions, publish_partitions
    from shared.search.store import IndexStore

    started = time.monotonic()

    def progress(partition: str, done: int, total: int) -> None:
        if stream.isatty():
            stream.write(f"\rBuilding search indexes: {done}/{total} partitions ({partition})")
            stream.flush()

    partitions = build_partitions(services, organizations, progress=progress)
    publish_partitions(partitions, IndexStore(Bucket(get_settings().search_bucket)))
    if stream.isatty():
        stream.write("\r")
    stream.write(
        f"Search indexes: {len(partitions.built)} partitions, {partitions.documents:,} documents, "
        f"{partitions.size_bytes / 1e6:.1f} MB in {time.monotonic() - started:.1f} s.\n"
    )


def seed_from_options(
    table: str, *, size: int, seed_value: int, file: str | None, stream: TextIO = sys.stdout
) -> SeedResult:
    """Load the sample or the file into `table`, showing progress; what both `seed` and `up` run."""
    if file:
        directory = load_directory_file(file)
        source = f"{file}"
    else:
        directory = sample_directory(size, seed_value)
        source = f"sample (size {size}, seed {seed_value})"
    result = seed_directory(
        table,
        directory.organizations,
        directory.services,
        progress=progress_printer(len(directory.services), stream),
    )
    if stream.isatty():
        stream.write("\r")
    publish_search_indexes(directory.organizations, directory.services, stream=stream)
    stream.write(
        f"Seeding directory: {result.items:,} items ({result.services:,} services, "
        f"{result.organizations:,} organizations) from {source} in {result.seconds:.1f} s.\n"
        f"Répertoire chargé : {result.items:,} éléments ({result.services:,} services).\n"
    )
    stream.flush()
    return result


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Load the sample directory (or an HSDS JSON file) into the directory table the environment\n"
        "points at.\n"
        "Charge le répertoire d'exemple (ou un fichier HSDS) dans la table du répertoire.\n\n"
        "Against the local stack: export AWS_ENDPOINT_URL=http://127.0.0.1:4566\n"
        "(printed by `referral211 up`)."
    )
    parser.add_argument(
        "--size", type=int, default=DEFAULT_SIZE, help=f"sample services (default {DEFAULT_SIZE})"
    )
    parser.add_argument(
        "--seed-value",
        type=int,
        default=DEFAULT_SEED_VALUE,
        help=f"random seed of the sample (default {DEFAULT_SEED_VALUE})",
    )
    parser.add_argument("--file", help='HSDS storage JSON {"organizations": [...], "services": [...]}')
    parser.add_argument("--table", help="directory table (default: REFERRAL211_DIRECTORY_TABLE)")


def _use_local_stack_names() -> None:
    """Against a running `referral211 up` (AWS_ENDPOINT_URL set, no REFERRAL211_* names), take the resource
    names from its CloudFormation stack, so the directory and the search indexes land where the API reads."""
    if "REFERRAL211_DIRECTORY_TABLE" in os.environ or "AWS_ENDPOINT_URL" not in os.environ:
        return
    from shared.config import reset_settings
    from shared.infra_template import load_template
    from shared.local_stack.aws import apply_environment, stack_outputs, variables_from_outputs

    try:
        outputs = stack_outputs(os.environ.get("REFERRAL211_STAGE", "local"))
        apply_environment(variables_from_outputs(load_template(), outputs))
    except Exception:  # no stack there: keep the configured names, the write below says what failed
        return
    reset_settings()


def run(options: argparse.Namespace) -> int:
    from shared.config import get_settings

    _use_local_stack_names()

    table = options.table or get_settings().directory_table
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "AWS (current credentials)")
    print(f"Target: table {table} at {endpoint}")
    try:
        seed_from_options(table, size=options.size, seed_value=options.seed_value, file=options.file)
    except SeedError as error:
        print(f"referral211 seed: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # boto3 errors (no table, no endpoint): say what was tried
        print(f"referral211 seed: could not write to {table} at {endpoint}: {error}", file=sys.stderr)
        return 1
    return 0
