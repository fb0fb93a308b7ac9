"""The one-sheet CSV template a small organisation fills in a spreadsheet (docs/CSV_TEMPLATE.md).

One row per service. Headers in French or English, any case, with or without accents ("Code postal",
"code_postal", "postal_code"); Excel's ";" separator (Québec's decimal comma) or ","; UTF-8 (with or without
BOM)
or Windows-1252. Rows are numbered as the spreadsheet shows them (the header is line 1).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from shared.batches.encodings import decode_text
from shared.batches.problems import Problem, file_problem
from shared.batches.records import ParsedBatch, SourceRecord
from shared.directory.models import sort_key

FORMAT = "csv-template"


@dataclass(frozen=True)
class Column:
    key: str
    french: str
    english: str
    required: bool
    help_fr: str
    help_en: str
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column(
        "id",
        "identifiant",
        "id",
        False,
        "Votre identifiant de la fiche (garde la fiche à jour d'un envoi à "
        "l'autre). Vide : dérivé du nom de l'organisme et du service.",
        "Your listing id (keeps the listing "
        "updated from one upload to the next). Empty: derived from the organization and service names.",
    ),
    Column(
        "organization",
        "organisme",
        "organization",
        True,
        "Nom de l'organisme.",
        "Organization name.",
        ("nom_organisme", "organization_name"),
    ),
    Column(
        "organization_id",
        "identifiant_organisme",
        "organization_id",
        False,
        "Votre identifiant de l'organisme.",
        "Your organization id.",
    ),
    Column(
        "organization_description",
        "description_organisme",
        "organization_description",
        False,
        "Mission de l'organisme (par défaut : la description du service).",
        "The organization's mission (default: the service description).",
    ),
    Column(
        "service",
        "service",
        "service",
        True,
        "Nom du service.",
        "Service name.",
        ("nom_service", "nom_du_service", "service_name"),
    ),
    Column(
        "service_en",
        "service_anglais",
        "service_en",
        False,
        "Nom du service en anglais.",
        "Service name in English.",
        ("nom_anglais", "service_name_en"),
    ),
    Column(
        "description",
        "description",
        "description",
        False,
        "Description du service.",
        "Service description.",
        ("description_service",),
    ),
    Column(
        "description_en",
        "description_anglais",
        "description_en",
        False,
        "Description en anglais.",
        "Description in English.",
    ),
    Column(
        "categories",
        "categories",
        "categories",
        False,
        "Codes ou noms de catégories (GET /taxonomy_terms), séparés par « ; ».",
        "Category codes or names (GET /taxonomy_terms), separated by ';'.",
        ("categorie", "category"),
    ),
    Column("address", "adresse", "address", False, "Numéro et rue.", "Street address.", ("address_1",)),
    Column("city", "ville", "city", False, "Municipalité.", "Municipality.", ("municipalite",)),
    Column(
        "postal_code",
        "code_postal",
        "postal_code",
        False,
        "Code postal (G8B 3L2).",
        "Postal code (G8B 3L2).",
        ("cp",),
    ),
    Column("latitude", "latitude", "latitude", False, "Latitude (48,55 ou 48.55).", "Latitude.", ("lat",)),
    Column("longitude", "longitude", "longitude", False, "Longitude (-71,65).", "Longitude.", ("lon", "lng")),
    Column(
        "phone",
        "telephone",
        "phone",
        False,
        "Téléphone (418 555-0142, poste 12).",
        "Phone (418 555-0142, ext. 12).",
        ("tel", "numero_de_telephone"),
    ),
    Column("email", "courriel", "email", False, "Courriel.", "E-mail.", ("adresse_courriel", "e_mail")),
    Column("website", "site_web", "website", False, "Site Web.", "Website.", ("site_internet", "url")),
    Column(
        "hours",
        "heures",
        "hours",
        False,
        "Heures d'ouverture : « lun-ven 8h30-16h30; sam 9h-12h ».",
        "Opening hours: 'mon-fri 8:30-16:30; sat 9:00-12:00'.",
        ("horaire", "heures_d_ouverture"),
    ),
    Column(
        "languages",
        "langues",
        "languages",
        False,
        "Langues parlées : « fr; en ».",
        "Languages spoken: 'fr; en'.",
        ("langue",),
    ),
    Column("minimum_age", "age_minimum", "minimum_age", False, "Âge minimum.", "Minimum age.", ("age_min",)),
    Column("maximum_age", "age_maximum", "maximum_age", False, "Âge maximum.", "Maximum age.", ("age_max",)),
    Column("fees", "frais", "fees", False, "Frais (« Gratuit », « 5 $ par visite »).", "Fees.", ("cout",)),
    Column(
        "eligibility",
        "admissibilite",
        "eligibility",
        False,
        "Qui peut recevoir le service.",
        "Who can receive the service.",
        ("criteres", "eligibility_description"),
    ),
    Column(
        "status",
        "statut",
        "status",
        False,
        "actif, inactif, fermé temporairement (défaut : actif).",
        "active, inactive, temporarily closed (default: active).",
        ("etat",),
    ),
    Column(
        "region",
        "region",
        "region",
        False,
        "Code de région 01 à 17 (défaut : la région du lot).",
        "Region code 01 to 17 (default: the batch's region).",
    ),
)

_STATUS = {
    "actif": "active",
    "active": "active",
    "ouvert": "active",
    "inactif": "inactive",
    "inactive": "inactive",
    "ferme": "defunct",
    "defunct": "defunct",
    "defunt": "defunct",
    "ferme temporairement": "temporarily closed",
    "temporairement ferme": "temporarily closed",
    "temporarily closed": "temporarily closed",
}
_LANGUAGES = {
    "fr": ("fr", "Français"),
    "francais": ("fr", "Français"),
    "french": ("fr", "Français"),
    "en": ("en", "English"),
    "anglais": ("en", "English"),
    "english": ("en", "English"),
    "es": ("es", "Español"),
    "espagnol": ("es", "Español"),
    "spanish": ("es", "Español"),
    "ar": ("ar", "العربية"),
    "arabe": ("ar", "العربية"),
    "arabic": ("ar", "العربية"),
    "zh": ("zh", "中文"),
    "chinois": ("zh", "中文"),
    "mandarin": ("zh", "中文"),
    "pt": ("pt", "Português"),
    "portugais": ("pt", "Português"),
    "ht": ("ht", "Kreyòl ayisyen"),
    "creole": ("ht", "Kreyòl ayisyen"),
    "creole haitien": ("ht", "Kreyòl ayisyen"),
    "iu": ("iu", "ᐃᓄᒃᑎᑐᑦ"),
    "inuktitut": ("iu", "ᐃᓄᒃᑎᑐᑦ"),
    "cr": ("cr", "Cree"),
    "cri": ("cr", "Cree"),
    "lsq": ("fcs", "Langue des signes québécoise"),
    "asl": ("ase", "American Sign Language"),
}
_DAYS = {
    "lu": "MO",
    "lun": "MO",
    "lundi": "MO",
    "mon": "MO",
    "monday": "MO",
    "mo": "MO",
    "ma": "TU",
    "mar": "TU",
    "mardi": "TU",
    "tue": "TU",
    "tues": "TU",
    "tuesday": "TU",
    "tu": "TU",
    "me": "WE",
    "mer": "WE",
    "mercredi": "WE",
    "wed": "WE",
    "wednesday": "WE",
    "we": "WE",
    "je": "TH",
    "jeu": "TH",
    "jeudi": "TH",
    "thu": "TH",
    "thur": "TH",
    "thurs": "TH",
    "thursday": "TH",
    "th": "TH",
    "ve": "FR",
    "ven": "FR",
    "vendredi": "FR",
    "fri": "FR",
    "friday": "FR",
    "fr": "FR",
    "sa": "SA",
    "sam": "SA",
    "samedi": "SA",
    "sat": "SA",
    "saturday": "SA",
    "di": "SU",
    "dim": "SU",
    "dimanche": "SU",
    "sun": "SU",
    "sunday": "SU",
    "su": "SU",
}
_WEEK = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_TIME_RANGE = re.compile(
    r"(\d{1,2})\s*(?:[h:]\s*(\d{2})?)?\s*(?:am|a\.m\.)?\s*(?:-|–|à|a|to)\s*(\d{1,2})\s*(?:[h:]\s*(\d{2})?)?"
)


def header_key(text: str) -> str:
    return re.sub(r"_+", "_", sort_key(text).replace(" ", "_")).strip("_")


def _lookup() -> dict[str, Column]:
    table: dict[str, Column] = {}
    for column in COLUMNS:
        for name in (column.key, column.french, column.english, *column.aliases):
            table[header_key(name)] = column
    return table


def parse_hours(text: str) -> list[dict[str, Any]]:
    """ "lun-ven 8h30-16h30; sam 9h-12h" -> weekly schedule rows; ValueError when unreadable."""
    folded = re.sub(r"\s+", "", _fold(text))
    if folded in ("24/7", "24h/24", "24h/24,7j/7", "24h/7j", "24h/24-7j/7", "24/24"):
        return [{"freq": "WEEKLY", "byday": ",".join(_WEEK), "opens_at": "00:00", "closes_at": "24:00"}]
    schedules: list[dict[str, Any]] = []
    for segment in re.split(r"[;\n]|\s/\s", text):
        segment = segment.strip()
        if not segment:
            continue
        match = re.match(r"^([^\d]+?)\s*:?\s*(\d.*)$", segment)
        if not match:
            raise ValueError(segment)
        days = _days(match.group(1))
        ranges = _TIME_RANGE.findall(match.group(2))
        if not days or not ranges:
            raise ValueError(segment)
        for opens_h, opens_m, closes_h, closes_m in ranges:
            opens = f"{int(opens_h):02d}:{opens_m or '00'}"
            closes = f"{int(closes_h):02d}:{closes_m or '00'}"
            if int(opens_h) > 23 or int(closes_h) > 24:
                raise ValueError(segment)
            schedules.append(
                {"freq": "WEEKLY", "byday": ",".join(days), "opens_at": opens, "closes_at": closes}
            )
    if not schedules:
        raise ValueError(text)
    return schedules


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def _days(text: str) -> list[str]:
    folded = _fold(text).replace("\u2013", "-").strip(" :.")
    found: list[str] = []
    for part in re.split(r"\s*(?:,|&|\bet\b|\band\b)\s*", folded):
        part = part.strip(" .")
        if not part:
            continue
        bounds = [b.strip(" .") for b in re.split(r"\s*(?:-|\bau\b|\ba\b|\bto\b)\s*", part)]
        if len(bounds) == 2 and bounds[0] in _DAYS and bounds[1] in _DAYS:
            start, end = _WEEK.index(_DAYS[bounds[0]]), _WEEK.index(_DAYS[bounds[1]])
            span = range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)]
            found.extend(_WEEK[i] for i in span)
        elif len(bounds) == 1 and all(word in _DAYS for word in bounds[0].split()):
            found.extend(_DAYS[word] for word in bounds[0].split())
        else:
            return []
    return sorted(set(found), key=_WEEK.index)


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


_PATH_TO_COLUMN: tuple[tuple[str, str], ...] = (
    (r"^id$", "id"),
    (r"^organization_id$", "organization"),
    (r"^organization\.name", "organization"),
    (r"^organization\.description", "organization_description"),
    (r"^organization\.", "organization"),
    (r"^name", "service"),
    (r"^description", "description"),
    (r"^email$", "email"),
    (r"^url$", "website"),
    (r"^phones", "phone"),
    (r"^schedules", "hours"),
    (r"^languages", "languages"),
    (r"^minimum_age", "minimum_age"),
    (r"^maximum_age", "maximum_age"),
    (r"^fees", "fees"),
    (r"^eligibility", "eligibility"),
    (r"^status", "status"),
    (r"^region", "region"),
    (r"^attributes", "categories"),
    (r"\.address_1$", "address"),
    (r"\.city$", "city"),
    (r"\.postal_code$", "postal_code"),
    (r"\.latitude$", "latitude"),
    (r"\.longitude$", "longitude"),
    (r"^service_at_locations.*phones", "phone"),
    (r"^service_at_locations", "address"),
)


def parse(data: bytes, declared_charset: str | None = None) -> ParsedBatch:
    text, _encoding = decode_text(data, declared_charset)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first_line), strict=True)
    parsed = ParsedBatch(format=FORMAT)
    try:
        header = next(reader)
    except StopIteration:
        raise file_problem("malformed_file", detail="fichier vide / empty file") from None
    except csv.Error as error:
        raise file_problem("malformed_file", detail=f"CSV: {error}") from error
    lookup = _lookup()
    positions: dict[str, int] = {}
    given_names: dict[str, str] = {}
    for index, name in enumerate(header):
        column = lookup.get(header_key(name))
        if column is None:
            if name.strip():
                parsed.warnings.append(Problem(ref="1", field=name, code="unknown_column", value=name))
            continue
        if column.key not in positions:
            positions[column.key] = index
            given_names[column.key] = name.strip()
    missing = [c.french for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        raise file_problem(
            "malformed_file",
            detail="colonnes obligatoires absentes / missing required columns: " + ", ".join(missing),
        )

    def field_name(path: str) -> str:
        for pattern, key in _PATH_TO_COLUMN:
            if re.search(pattern, path):
                return given_names.get(key, next(c.french for c in COLUMNS if c.key == key))
        return path

    try:
        for row in reader:
            line = str(reader.line_num)
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                parsed.errors.append(
                    Problem(
                        ref=line,
                        field="",
                        code="malformed_file",
                        detail=f"{len(row)} cellules pour {len(header)} colonnes / "
                        f"{len(row)} cells for {len(header)} columns",
                    )
                )
                continue
            cells = {key: row[i].strip() for key, i in positions.items() if i < len(row)}
            record = _record(line, cells, parsed, given_names)
            if record is not None:
                record.field_name = field_name
                parsed.records.append(record)
    except csv.Error as error:
        parsed.errors.append(
            Problem(ref=str(reader.line_num), field="", code="malformed_file", detail=f"CSV: {error}")
        )
    return parsed


def _record(
    line: str, cells: dict[str, str], parsed: ParsedBatch, names: dict[str, str]
) -> SourceRecord | None:
    def cell(key: str) -> str:
        return cells.get(key, "")

    org_name, service_name = cell("organization"), cell("service")
    organization = {
        "id": cell("organization_id") or f"name:{sort_key(org_name)}",
        "name": org_name,
        "description": cell("organization_description") or cell("description") or org_name,
        "website": cell("website") or None,
    }
    if cell("region"):
        organization["region"] = cell("region").zfill(2)
    service: dict[str, Any] = {
        "id": cell("id") or f"name:{sort_key(org_name)}/{sort_key(service_name)}",
        "name": {"fr": service_name, "en": cell("service_en")} if cell("service_en") else service_name,
        "description": (
            {"fr": cell("description"), "en": cell("description_en")}
            if cell("description_en")
            else cell("description")
        ),
        "email": cell("email"),
        "url": cell("website"),
        "fees_description": cell("fees"),
        "eligibility_description": cell("eligibility"),
    }
    if cell("region"):
        service["region"] = cell("region").zfill(2)
    if cell("status"):
        service["status"] = _STATUS.get(sort_key(cell("status")), cell("status"))
    for key in ("minimum_age", "maximum_age"):
        if cell(key):
            service[key] = cell(key)
    if cell("phone"):
        service["phones"] = [
            {"number": number.strip()} for number in re.split(r"[;|]|\s/\s", cell("phone")) if number.strip()
        ]
    if cell("categories"):
        service["attributes"] = [
            {"taxonomy_term_id": value.strip()}
            for value in re.split(r"[;|,]", cell("categories"))
            if value.strip()
        ]
    if cell("languages"):
        languages = []
        for value in re.split(r"[;|,/]", cell("languages")):
            known = _LANGUAGES.get(sort_key(value))
            if known:
                languages.append({"code": known[0], "name": known[1]})
            elif value.strip():
                languages.append({"name": value.strip()})
        service["languages"] = languages
    if cell("hours"):
        try:
            service["schedules"] = parse_hours(cell("hours"))
        except ValueError:
            parsed.errors.append(
                Problem(
                    ref=line, field=names.get("hours", "heures"), code="invalid_hours", value=cell("hours")
                )
            )
    if any(cell(k) for k in ("address", "city", "postal_code", "latitude", "longitude")):
        location: dict[str, Any] = {"location_type": "physical", "name": org_name}
        if any(cell(k) for k in ("address", "city", "postal_code")):
            location["addresses"] = [
                {"address_1": cell("address"), "city": cell("city"), "postal_code": cell("postal_code")}
            ]
        for key in ("latitude", "longitude"):
            if cell(key):
                location[key] = cell(key)
        service["service_at_locations"] = [{"location": location}]
    return SourceRecord(ref=line, service=service, organization=organization)
