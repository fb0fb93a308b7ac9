"""The PostgreSQL full-text baseline: what a directory built on PostgreSQL would answer (throwaway cluster).

A directory on PostgreSQL would index its listings as one weighted tsvector (names A, category names B,
descriptions C, city and region D), French through a `french` configuration that also removes accents
(`unaccent` + `french_stem`), English text through `english`, and answer with `websearch_to_tsquery` ranked by
`ts_rank_cd`, filters in SQL. That is built here on Debian's PostgreSQL 15 (`initdb`, `pg_ctl`), in a
temporary
folder, on a Unix socket only; the cluster is removed afterwards. When PostgreSQL is missing, `available()`
says
so and the benchmark reports our figures alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shared.directory import taxonomy
from shared.directory.models import VISIBLE_STATUSES, Service

PG_BIN_CANDIDATES = ("/usr/local/bin", "/usr/lib/postgresql/15/bin")

SCHEMA_SQL = """
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION fr_unaccent (COPY = french);
ALTER TEXT SEARCH CONFIGURATION fr_unaccent
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
CREATE TABLE listing (
    id text PRIMARY KEY,
    region text NOT NULL,
    city text,
    status text NOT NULL,
    name_fr text, name_en text, org text, cats_fr text, cats_en text, desc_fr text, desc_en text,
    tsv tsvector
);
"""

TSV_SQL = """
UPDATE listing SET tsv =
    setweight(to_tsvector('fr_unaccent', coalesce(name_fr, '') || ' ' || coalesce(org, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(name_en, '')), 'A') ||
    setweight(to_tsvector('fr_unaccent', coalesce(cats_fr, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(cats_en, '')), 'B') ||
    setweight(to_tsvector('fr_unaccent', coalesce(desc_fr, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(desc_en, '')), 'C') ||
    setweight(to_tsvector('fr_unaccent', coalesce(city, '')), 'D');
CREATE INDEX listing_tsv ON listing USING gin (tsv);
CREATE INDEX listing_region ON listing (region);
ANALYZE listing;
"""

SEARCH_SQL = """
SELECT id FROM listing,
    websearch_to_tsquery('fr_unaccent', %(q)s) AS qf, websearch_to_tsquery('english', %(q)s) AS qe
WHERE tsv @@ (qf || qe) AND status = ANY(%(statuses)s)
  AND (%(region)s::text IS NULL OR region = %(region)s)
  AND (%(city)s::text IS NULL OR city = %(city)s)
ORDER BY ts_rank_cd(tsv, qf || qe) DESC, id
LIMIT %(limit)s
"""


def binaries() -> Path | None:
    for folder in PG_BIN_CANDIDATES:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def available() -> tuple[bool, str]:
    if binaries() is None:
        return False, "PostgreSQL (initdb, pg_ctl) not found"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False, "psycopg not installed (pip install 'psycopg[binary]')"
    return True, ""


def _as_postgres(command: list[str]) -> list[str]:
    # initdb refuses to run as root: run the cluster as the `postgres` system user when we are root.
    if os.geteuid() == 0 and shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextmanager
def cluster() -> Iterator[Any]:
    """A temporary PostgreSQL cluster on a Unix socket; yields a psycopg connection (autocommit)."""
    import psycopg

    folder = Path(tempfile.mkdtemp(prefix="referral211-pg-"))
    data = folder / "data"
    binaries_dir = binaries()
    assert binaries_dir is not None
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    port = 54000 + os.getpid() % 1000
    try:
        subprocess.run(
            _as_postgres(
                [
                    str(binaries_dir / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            capture_output=True,
            env=env,
        )
        options = f"-k {folder} -p {port} -c listen_addresses='' -c shared_buffers=256MB -c fsync=off"
        subprocess.run(
            _as_postgres(
                [
                    str(binaries_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(folder / "log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            env=env,
        )
        try:
            with psycopg.connect(
                host=str(folder), port=port, user="postgres", dbname="postgres", autocommit=True
            ) as connection:
                yield connection
        finally:
            subprocess.run(
                _as_postgres([str(binaries_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                capture_output=True,
                env=env,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _rows(services: Iterable[Service], org_names: dict[str, str]) -> Iterator[tuple[Any, ...]]:
    for service in services:
        terms = [taxonomy.term(t) for t in service.taxonomy_term_ids]
        cats_fr = " ".join(t.name.fr or "" for t in terms if t)
        cats_en = " ".join(t.name.en or "" for t in terms if t)
        city = None
        for sal in service.service_at_locations:
            if sal.location.addresses:
                city = sal.location.addresses[0].city
                break
        yield (
            service.id,
            service.region,
            city,
            service.status,
            service.name.fr,
            service.name.en,
            org_names.get(service.organization_id, ""),
            cats_fr,
            cats_en,
            service.description.fr if service.description else None,
            service.description.en if service.description else None,
        )


def load(connection: Any, services: Iterable[Service], org_names: dict[str, str]) -> float:
    """Create the table and its weighted tsvector index; returns the seconds it took."""
    started = time.perf_counter()
    connection.execute(SCHEMA_SQL)
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY listing (id, region, city, status, name_fr, name_en, org, cats_fr, cats_en, desc_fr, "
            "desc_en) "
            "FROM STDIN"
        ) as copy:
            for row in _rows(services, org_names):
                copy.write_row(row)
    connection.execute(TSV_SQL)
    return time.perf_counter() - started


def search(
    connection: Any, text: str, *, region: str | None = None, city: str | None = None, limit: int = 10
) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            SEARCH_SQL,
            {"q": text, "statuses": list(VISIBLE_STATUSES), "region": region, "city": city, "limit": limit},
        )
        return [row[0] for row in cursor.fetchall()]
