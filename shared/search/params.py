"""Search parameters of the list routes (/services, /service_at_locations, /organizations), validated once.

Two kinds of bad input, two answers (the lead's error mapping turns them into HTTP):
- malformed values (not a number, not a date, control characters) raise `BadRequest` (400);
- well-formed values the directory does not know (a municipality, a postal code outside Québec, a language, a
  category) or combinations that mean nothing (a radius without coordinates) raise `ValidationFailed` (422).
Both name the parameter in `details[].parameter` with a reason in French (`reason`) and English (`reason_en`).

A very long `search` is not an error: it is cut to `MAX_QUERY_CHARS` / `MAX_QUERY_WORDS` and the answer
carries
a `query_truncated` notice (see engine.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shared.directory.models import REGION_CODES, UUID_PATTERN
from shared.directory.params import REASONS_FR
from shared.errors import BadRequest, ValidationFailed

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 16
MAX_RAW_QUERY_CHARS = 4000
MAX_RADIUS_KM = 1000.0
MAX_PROXIMITY_M = 1_000_000.0
SortOrder = Literal["relevance", "distance", "name"]
STATUSES = ("active", "inactive", "defunct", "temporarily closed")

# Parameters that only the search engine can answer; region, category, organisation, status and modified_after
# alone are served by the plain DynamoDB listing.
SEARCH_ONLY_PARAMETERS = (
    "search",
    "municipality",
    "postcode",
    "proximity",
    "lat",
    "lng",
    "radius_km",
    "open_now",
    "open_at",
    "age",
    "language",
    "free",
    "facets",
)
SEARCH_PARAMETER_NAMES = frozenset(
    SEARCH_ONLY_PARAMETERS
    + ("region", "sort", "taxonomy_term_id", "status", "organization_id", "modified_after")
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_POSTCODE = re.compile(r"^([A-Z]\d[A-Z])\s*(\d[A-Z]\d)?$")

# ISO 639-1/639-3 codes for the languages Québec services most often offer, with names people type.
LANGUAGES: dict[str, tuple[str, str]] = {
    "fr": ("français", "French"),
    "en": ("anglais", "English"),
    "es": ("espagnol", "Spanish"),
    "ar": ("arabe", "Arabic"),
    "zh": ("chinois", "Chinese"),
    "yue": ("cantonais", "Cantonese"),
    "cmn": ("mandarin", "Mandarin"),
    "pt": ("portugais", "Portuguese"),
    "it": ("italien", "Italian"),
    "ht": ("créole haïtien", "Haitian Creole"),
    "vi": ("vietnamien", "Vietnamese"),
    "fa": ("persan", "Persian"),
    "ru": ("russe", "Russian"),
    "uk": ("ukrainien", "Ukrainian"),
    "pl": ("polonais", "Polish"),
    "ro": ("roumain", "Romanian"),
    "el": ("grec", "Greek"),
    "de": ("allemand", "German"),
    "tl": ("tagalog", "Tagalog"),
    "pa": ("pendjabi", "Punjabi"),
    "hi": ("hindi", "Hindi"),
    "ur": ("ourdou", "Urdu"),
    "bn": ("bengali", "Bengali"),
    "ta": ("tamoul", "Tamil"),
    "tr": ("turc", "Turkish"),
    "ko": ("coréen", "Korean"),
    "ja": ("japonais", "Japanese"),
    "he": ("hébreu", "Hebrew"),
    "yi": ("yiddish", "Yiddish"),
    "so": ("somali", "Somali"),
    "sw": ("swahili", "Swahili"),
    "ti": ("tigrigna", "Tigrinya"),
    "am": ("amharique", "Amharic"),
    "ln": ("lingala", "Lingala"),
    "rn": ("kirundi", "Kirundi"),
    "ne": ("népalais", "Nepali"),
    "km": ("khmer", "Khmer"),
    "lo": ("lao", "Lao"),
    "cr": ("cri", "Cree"),
    "iu": ("inuktitut", "Inuktitut"),
    "moe": ("innu-aimun", "Innu-aimun"),
    "atj": ("atikamekw", "Atikamekw"),
    "moh": ("mohawk", "Mohawk"),
    "alq": ("algonquin", "Algonquin"),
    "asl": ("langue des signes américaine (ASL)", "American Sign Language"),
    "fsl": ("langue des signes québécoise (LSQ)", "Quebec Sign Language"),
}
_LANGUAGE_ALIASES = {"lsq": "fsl", "asl": "asl", "francais": "fr", "anglais": "en", "creole": "ht"}


def _problem(parameter: str, reason_fr: str, reason_en: str) -> dict[str, str]:
    return {"parameter": parameter, "reason": reason_fr, "reason_en": reason_en}


def invalid(parameter: str, reason_fr: str, reason_en: str, **extra: Any) -> ValidationFailed:
    """A 422 naming one parameter, bilingual."""
    detail: dict[str, Any] = _problem(parameter, reason_fr, reason_en) | extra
    return ValidationFailed(
        f"Paramètre « {parameter} » : {reason_fr}.",
        message_en=f"Parameter '{parameter}': {reason_en}.",
        details=[detail],
        code="invalid_parameter",
    )


def _fold(text: str) -> str:
    from shared.search.text import fold

    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


def normalise_language(value: str) -> str | None:
    key = _fold(value)
    if not key:
        return None
    if key in LANGUAGES:
        return key
    if key in _LANGUAGE_ALIASES:
        return _LANGUAGE_ALIASES[key]
    for code, (fr, en) in LANGUAGES.items():
        if key in (_fold(fr), _fold(en)):
            return code
    return None


class SearchParams(BaseModel):
    """Every search and filter parameter of the list routes. Unknown names are ignored here (the route's own
    parameter model rejects them); values are validated and normalised."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    search: str | None = Field(
        default=None, description="Words, in French or English; typos and accents forgiven"
    )
    region: list[str] | None = Field(
        default=None, description="Québec region code(s) 01..17, comma-separated"
    )
    municipality: str | None = Field(default=None, max_length=120, description="Municipality name, e.g. Alma")
    postcode: str | None = Field(
        default=None, max_length=10, description="Québec postal code or its first three characters"
    )
    proximity: float | None = Field(
        default=None, gt=0, le=MAX_PROXIMITY_M, description="Metres around postcode"
    )
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
    radius_km: float | None = Field(default=None, gt=0, le=MAX_RADIUS_KM)
    sort: SortOrder = Field(default="relevance", description="relevance, distance or name")
    taxonomy_term_id: str | None = Field(
        default=None, pattern=UUID_PATTERN, description="Category, with sub-categories"
    )
    open_now: bool = Field(default=False, description="Only services open now (America/Montreal)")
    open_at: datetime | None = Field(default=None, description="Only services open at this ISO date-time")
    age: int | None = Field(default=None, ge=0, le=130, description="Age of the person served")
    language: str | None = Field(default=None, max_length=40, description="Language spoken at the service")
    free: bool = Field(default=False, description="Only free services")
    status: list[str] | None = Field(
        default=None, description="Statuses (default: active, temporarily closed); all"
    )
    facets: bool = Field(default=False, description="Counts per top category and per region")
    organization_id: str | None = Field(default=None, pattern=UUID_PATTERN)
    modified_after: datetime | None = None
    sort_explicit: bool = Field(
        default=False, exclude=True, description="Internal: sort was given by the caller"
    )

    @model_validator(mode="before")
    @classmethod
    def _remember_sort(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("sort") not in (None, "") and "sort_explicit" not in data:
            data = dict(data) | {"sort_explicit": True}
        if isinstance(data, dict):
            # Empty query-string values mean "not given" (`?region=&search=food`).
            data = {k: v for k, v in data.items() if not (isinstance(v, str) and v.strip() == "")}
        return data

    @field_validator("search", mode="before")
    @classmethod
    def _clean_search(cls, value: Any) -> Any:
        if value is None:
            return None
        text = str(value)
        if _CONTROL.search(text):
            raise BadRequest(
                "Paramètre « search » : caractères de contrôle interdits.",
                message_en="Parameter 'search': control characters are not allowed.",
                details=[
                    _problem(
                        "search", "caractères de contrôle interdits", "control characters are not allowed"
                    )
                ],
                code="invalid_parameter",
            )
        # Kept whole up to a generous bound; the engine cuts it to MAX_QUERY_CHARS and says so.
        return text[:MAX_RAW_QUERY_CHARS]

    @field_validator("region", mode="before")
    @classmethod
    def _regions(cls, value: Any) -> Any:
        if value is None:
            return None
        raw = value.split(",") if isinstance(value, str) else list(value)
        codes = []
        for item in raw:
            item = str(item).strip()
            if not item:
                continue
            code = _region_code(item)
            if code is None:
                raise invalid(
                    "region",
                    f"région inconnue « {item[:40]} » (codes 01 à 17)",
                    f"unknown region '{item[:40]}' (codes 01 to 17)",
                    allowed=list(REGION_CODES),
                )
            codes.append(code)
        return sorted(set(codes)) or None

    @field_validator("status", mode="before")
    @classmethod
    def _statuses(cls, value: Any) -> Any:
        if value is None:
            return None
        raw = value.split(",") if isinstance(value, str) else list(value)
        wanted: list[str] = []
        for item in raw:
            item = str(item).strip().lower().replace("_", " ")
            if not item:
                continue
            if item == "all":
                wanted.extend(STATUSES)
            elif item in STATUSES:
                wanted.append(item)
            else:
                raise invalid(
                    "status",
                    f"statut inconnu « {item[:40]} »",
                    f"unknown status '{item[:40]}'",
                    allowed=[*STATUSES, "all"],
                )
        return sorted(set(wanted)) or None

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: Any) -> Any:
        if value is None:
            return None
        code = normalise_language(str(value))
        if code is None:
            raise invalid(
                "language",
                f"langue inconnue « {str(value)[:40]} » (code ISO 639 attendu, ex. fr, en, es)",
                f"unknown language '{str(value)[:40]}' (ISO 639 code expected, e.g. fr, en, es)",
            )
        return code

    @field_validator("postcode", mode="before")
    @classmethod
    def _postcode(cls, value: Any) -> Any:
        if value is None:
            return None
        compact = re.sub(r"[\s-]+", "", str(value)).upper()
        match = _POSTCODE.match(compact[:3] + (" " + compact[3:] if len(compact) > 3 else ""))
        if not match or len(compact) not in (3, 6):
            raise invalid(
                "postcode",
                "code postal invalide (ex. G8B 3L2 ou G8B)",
                "invalid postal code (e.g. G8B 3L2 or G8B)",
            )
        if compact[0] not in "GHJ":
            raise invalid(
                "postcode",
                "code postal hors Québec (les codes du Québec commencent par G, H ou J)",
                "postal code outside Québec (Québec codes start with G, H or J)",
            )
        return compact if len(compact) == 3 else f"{compact[:3]} {compact[3:]}"

    @field_validator("open_at", "modified_after")
    @classmethod
    def _datetimes(cls, value: datetime | None) -> datetime | None:
        return value

    @model_validator(mode="after")
    def _coherent(self) -> SearchParams:
        if (self.lat is None) != (self.lng is None):
            missing = "lng" if self.lng is None else "lat"
            raise invalid(missing, "lat et lng vont ensemble", "lat and lng go together")
        if self.radius_km is not None and self.lat is None:
            raise invalid(
                "radius_km",
                "un rayon demande des coordonnées (lat et lng)",
                "a radius needs coordinates (lat and lng)",
            )
        if self.proximity is not None and not (self.postcode or self.municipality):
            raise invalid(
                "proximity",
                "la proximité (mètres) se mesure depuis un code postal (postcode) ou une municipalité",
                "proximity (metres) is measured from a postal code (postcode) or a municipality",
            )
        if self.open_now and self.open_at is not None:
            raise invalid(
                "open_at",
                "choisir open_now ou open_at, pas les deux",
                "use open_now or open_at, not both",
            )
        if self.taxonomy_term_id is not None:
            from shared.directory import taxonomy

            if taxonomy.term(self.taxonomy_term_id) is None:
                raise invalid(
                    "taxonomy_term_id", "catégorie inconnue", "unknown category (see /taxonomy_terms)"
                )
        if self.municipality is not None:
            from shared.search import geo

            if geo.find_municipality(self.municipality) is None:
                raise invalid(
                    "municipality",
                    f"municipalité inconnue « {self.municipality[:60]} »",
                    f"unknown municipality '{self.municipality[:60]}'",
                    suggestions=geo.similar_municipality_names(self.municipality),
                )
        return self

    # ---- what the route needs to know
    # --------------------------------------------------------------------------

    def is_search_request(self) -> bool:
        """True when the list must go through the search engine rather than the plain DynamoDB listing."""
        if any(getattr(self, name) not in (None, False) for name in SEARCH_ONLY_PARAMETERS):
            return True
        return self.sort == "distance"

    @property
    def statuses(self) -> tuple[str, ...]:
        from shared.directory.models import VISIBLE_STATUSES

        return tuple(self.status) if self.status else VISIBLE_STATUSES

    def instant(self) -> datetime | None:
        """The instant `open_now`/`open_at` asks about (aware), or None."""
        if self.open_at is not None:
            return self.open_at
        if self.open_now:
            return datetime.now(UTC)
        return None

    @classmethod
    def from_query(cls, query: dict[str, Any] | None) -> SearchParams:
        """Validate raw query-string values; malformed values raise BadRequest naming each parameter."""
        try:
            return cls.model_validate(dict(query or {}))
        except ValidationError as error:
            details = []
            for problem in error.errors(include_url=False):
                parameter = str(problem["loc"][0]) if problem["loc"] else "query"
                details.append(
                    _problem(parameter, REASONS_FR.get(problem["type"], problem["msg"]), problem["msg"])
                )
            names = ", ".join(dict.fromkeys(d["parameter"] for d in details))
            raise BadRequest(
                f"Paramètre invalide : {names}.",
                message_en=f"Invalid parameter: {names}.",
                details=details,
                code="invalid_parameter",
            ) from None


def _region_code(item: str) -> str | None:
    if item.isdigit() and 1 <= int(item) <= 17:
        return f"{int(item):02d}"
    from shared.search import geo

    return geo.region_code_of_name(item)
