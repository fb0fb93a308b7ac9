"""The HSDS tabular data package: a zip of the CSV tables named in its datapackage.json (organizations.csv,
services.csv, service_at_location.csv, locations.csv, addresses.csv, phones.csv, schedules.csv, ...), joined
here
into full services.

Extensions (docs/BATCHES.md): a `region` column in organizations.csv and services.csv; `<field>_en` /
`<field>_fr`
columns beside any text column for the other language. Tables the platform does not keep (contacts, funding,
programs, metadata...) are reported once as ignored. A problem in a nested table names that table and line
(`addresses.csv:7`), not the service it ends up in.
Safety: the archive is read in memory, members are size-checked before reading (zip bombs), paths never touch
disk.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from typing import Any

import orjson

from shared.batches.encodings import decode_text
from shared.batches.problems import Problem, file_problem
from shared.batches.records import ParsedBatch, SourceRecord

FORMAT = "hsds-tabular"
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_RATIO = 200
DEFAULT_PATHS = {
    "organization": "organizations.csv",
    "service": "services.csv",
    "service_at_location": "service_at_location.csv",
    "location": "locations.csv",
    "address": "addresses.csv",
    "phone": "phones.csv",
    "schedule": "schedules.csv",
    "service_area": "service_areas.csv",
    "language": "languages.csv",
    "cost_option": "cost_options.csv",
    "attribute": "attributes.csv",
    "taxonomy_term": "taxonomy_terms.csv",
    "accessibility": "accessibility.csv",
}
_KEPT = set(DEFAULT_PATHS) | {"taxonomy", "meta_table_description"}

Row = dict[str, Any]


def _rows(archive: zipfile.ZipFile, path: str, lang: str) -> list[tuple[str, Row]]:
    try:
        info = archive.getinfo(path)
    except KeyError:
        return []
    if info.file_size > MAX_MEMBER_BYTES or (
        info.compress_size
        and info.file_size / info.compress_size > MAX_RATIO
        and info.file_size > 1024 * 1024
    ):
        raise file_problem("malformed_file", detail=f"{path}: trop volumineux / too large")
    text, _ = decode_text(archive.read(info))
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[str, Row]] = []
    try:
        for row in reader:
            if None in row:
                raise file_problem(
                    "malformed_file", detail=f"{path}:{reader.line_num}: cellules en trop / extra cells"
                )
            rows.append((f"{path}:{reader.line_num}", _localised(row, lang)))
    except csv.Error as error:
        raise file_problem("malformed_file", detail=f"{path}:{reader.line_num}: {error}") from error
    return rows


def _localised(row: dict[str, str | None], lang: str) -> Row:
    cleaned: Row = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
    bases = {m.group(1) for key in cleaned if (m := re.fullmatch(r"(.+)_(fr|en)", key))}
    for base in bases:
        text = cleaned.pop(base, None)
        value = {
            "fr": cleaned.pop(f"{base}_fr", None) or (text if lang == "fr" else None),
            "en": cleaned.pop(f"{base}_en", None) or (text if lang == "en" else None),
        }
        cleaned[base] = {k: v for k, v in value.items() if v} or None
    return {k: v for k, v in cleaned.items() if v not in ("", None)}


def _strip(row: Row, *keys: str) -> Row:
    return {k: v for k, v in row.items() if k not in keys}


def parse(data: bytes, lang: str = "fr") -> ParsedBatch:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise file_problem("malformed_file", detail=f"zip: {error}") from error
    if sum(m.file_size for m in members) > MAX_TOTAL_BYTES:
        raise file_problem(
            "malformed_file", detail="archive trop volumineuse une fois décompressée / too large"
        )
    names = {m.filename.split("/")[-1]: m.filename for m in members if not m.is_dir()}
    paths = {kind: names.get(path, path) for kind, path in DEFAULT_PATHS.items()}
    parsed = ParsedBatch(format=FORMAT)
    if "datapackage.json" in names:
        try:
            package = orjson.loads(archive.read(names["datapackage.json"]).removeprefix(b"\xef\xbb\xbf"))
            for resource in package.get("resources", []):
                name, path = resource.get("name"), resource.get("path")
                if isinstance(name, str) and isinstance(path, str):
                    if name in DEFAULT_PATHS:
                        paths[name] = names.get(path.split("/")[-1], path)
                    elif name not in _KEPT and path.split("/")[-1] in names:
                        parsed.warnings.append(
                            Problem(
                                ref="datapackage.json",
                                field=name,
                                code="ignored_field",
                                value=path,
                                ref_kind="element",
                            )
                        )
        except (orjson.JSONDecodeError, AttributeError, zipfile.BadZipFile) as error:
            raise file_problem("malformed_file", detail=f"datapackage.json: {error}") from error
    try:
        tables = {kind: _rows(archive, path, lang) for kind, path in paths.items()}
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise file_problem("malformed_file", detail=f"zip: {error}") from error
    if not tables["service"]:
        raise file_problem("malformed_file", detail=f"{paths['service']} absent ou vide / missing or empty")
    return _join(tables, parsed)


def _join(tables: dict[str, list[tuple[str, Row]]], parsed: ParsedBatch) -> ParsedBatch:
    def by(kind: str, key: str) -> dict[str, list[tuple[str, Row]]]:
        index: dict[str, list[tuple[str, Row]]] = defaultdict(list)
        for ref, row in tables[kind]:
            if row.get(key):
                index[str(row[key])].append((ref, row))
        return index

    term_codes = {
        str(row.get("id")): str(row.get("code") or row.get("name") or row.get("id"))
        for _, row in tables["taxonomy_term"]
    }
    addresses, accessibility = by("address", "location_id"), by("accessibility", "location_id")
    phones_by = {
        key: by("phone", key)
        for key in ("service_id", "location_id", "organization_id", "service_at_location_id")
    }
    schedules_by = {
        key: by("schedule", key) for key in ("service_id", "location_id", "service_at_location_id")
    }
    languages_by = {key: by("language", key) for key in ("service_id", "location_id")}
    areas, costs = by("service_area", "service_id"), by("cost_option", "service_id")
    attributes, sals = by("attribute", "link_id"), by("service_at_location", "service_id")
    locations = {str(row["id"]): (ref, row) for ref, row in tables["location"] if row.get("id")}

    def children(
        index: dict[str, list[tuple[str, Row]]], owner: str, path: str, origins: dict[str, str], *drop: str
    ) -> list[Row]:
        found = []
        for position, (ref, row) in enumerate(index.get(owner, [])):
            origins[f"{path}.{position}"] = ref
            found.append(_strip(row, *drop))
        return found

    def location(location_id: str, path: str, origins: dict[str, str]) -> Row | None:
        if location_id not in locations:
            return None
        ref, row = locations[location_id]
        origins[path] = ref
        built = _strip(row, "organization_id", "external_identifier", "external_identifier_type")
        built["addresses"] = children(addresses, location_id, f"{path}.addresses", origins, "location_id")
        built["phones"] = children(
            phones_by["location_id"],
            location_id,
            f"{path}.phones",
            origins,
            "location_id",
            "service_id",
            "organization_id",
            "contact_id",
            "service_at_location_id",
        )
        built["schedules"] = children(
            schedules_by["location_id"],
            location_id,
            f"{path}.schedules",
            origins,
            "location_id",
            "service_id",
            "service_at_location_id",
        )
        built["languages"] = children(
            languages_by["location_id"],
            location_id,
            f"{path}.languages",
            origins,
            "location_id",
            "service_id",
            "phone_id",
        )
        built["accessibility"] = children(
            accessibility, location_id, f"{path}.accessibility", origins, "location_id"
        )
        return built

    for ref, row in tables["organization"]:
        org = _strip(row, "parent_organization_id")
        org["phones"] = [
            _strip(p, "location_id", "service_id", "organization_id", "contact_id", "service_at_location_id")
            for _, p in phones_by["organization_id"].get(str(row.get("id")), [])
        ]
        parsed.organizations.append((ref, org))
    for ref, row in tables["service"]:
        service_id = str(row.get("id", ""))
        origins: dict[str, str] = {}
        service: Row = _strip(row, "program_id", "assured_date", "assurer_email", "licenses")
        phone_drop = ("location_id", "service_id", "organization_id", "contact_id", "service_at_location_id")
        service["phones"] = children(phones_by["service_id"], service_id, "phones", origins, *phone_drop)
        service["schedules"] = children(
            schedules_by["service_id"],
            service_id,
            "schedules",
            origins,
            "location_id",
            "service_id",
            "service_at_location_id",
        )
        service["languages"] = children(
            languages_by["service_id"],
            service_id,
            "languages",
            origins,
            "location_id",
            "service_id",
            "phone_id",
        )
        service["service_areas"] = children(
            areas, service_id, "service_areas", origins, "service_id", "service_at_location_id"
        )
        service["cost_options"] = children(costs, service_id, "cost_options", origins, "service_id")
        service["attributes"] = [
            {
                "id": a.get("id"),
                "taxonomy_term_id": term_codes.get(
                    str(a.get("taxonomy_term_id")), str(a.get("taxonomy_term_id", ""))
                ),
            }
            for a in children(attributes, service_id, "attributes", origins)
            if a.get("link_entity", "service") == "service"
        ]
        service["service_at_locations"] = []
        for position, (sal_ref, sal_row) in enumerate(sals.get(service_id, [])):
            path = f"service_at_locations.{position}"
            origins[path] = sal_ref
            sal = _strip(sal_row, "service_id", "location_id")
            sal["location"] = location(str(sal_row.get("location_id", "")), f"{path}.location", origins)
            if sal["location"] is None:
                parsed.errors.append(
                    Problem(
                        ref=sal_ref,
                        field="location_id",
                        code="missing_field",
                        value=str(sal_row.get("location_id", "")),
                    )
                )
                sal.pop("location")
            sal["phones"] = children(
                phones_by["service_at_location_id"],
                str(sal_row.get("id")),
                f"{path}.phones",
                origins,
                *phone_drop,
            )
            sal["schedules"] = children(
                schedules_by["service_at_location_id"],
                str(sal_row.get("id")),
                f"{path}.schedules",
                origins,
                "location_id",
                "service_id",
                "service_at_location_id",
            )
            service["service_at_locations"].append(sal)
        if any(p.ref in origins.values() for p in parsed.errors):
            parsed.errors.append(Problem(ref=ref, field="service_at_locations", code="missing_field"))
        parsed.records.append(SourceRecord(ref=ref, service=service, field_name=_origin_namer(origins)))
    return parsed


def _origin_namer(origins: dict[str, str]) -> Any:
    ordered = sorted(origins.items(), key=lambda item: -len(item[0]))

    def name(path: str) -> str:
        for prefix, ref in ordered:
            if path == prefix or path.startswith(prefix + "."):
                rest = path[len(prefix) + 1 :]
                return f"{ref} {rest}".strip()
        return path

    return name
