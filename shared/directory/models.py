"""The directory model: HSDS 3.x objects with bilingual text.

HSDS has one name and one description per record; Québec's directory is French first with English where it
exists. We store every human-readable field as `LocalizedText` ({"fr": ..., "en": ...}) and render one language
per response (`render(model, lang)`), falling back to the other language when a field has no translation.

Field names, nesting and enums follow the official HSDS 3.x schemas (service, organization, location,
service_at_location, address, phone, schedule, service_area, language, cost_option, attribute, taxonomy,
taxonomy_term). Extensions, declared in the API profile (`GET /`):
- `region`: the Québec administrative region (01..17) that owns a listing;
- `area_type` / `area_code` on service_area: region, mrc, municipality or fsa, with its code;
- `sort_name` is storage only and never rendered.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = ("fr", "en")
REGION_CODES: tuple[str, ...] = tuple(f"{n:02d}" for n in range(1, 18))
RegionCode = Literal[
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17"
]
ServiceStatus = Literal["active", "inactive", "defunct", "temporarily closed"]
VISIBLE_STATUSES: tuple[str, ...] = ("active", "temporarily closed")
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Uuid = str  # validated by `Field(pattern=UUID_PATTERN)` where ids enter the system


class LocalizedText(BaseModel):
    """A text in French and/or English. Serialises to a plain string when a render language is in context."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fr: str | None = None
    en: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_plain_string(cls, value: Any) -> Any:
        # A bare string is French: the directory's first language.
        if isinstance(value, str):
            return {"fr": value}
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> LocalizedText:
        if not (self.fr or self.en):
            raise ValueError("at least one of fr or en is required")
        return self

    def pick(self, lang: Lang) -> str:
        other: Lang = "en" if lang == "fr" else "fr"
        return getattr(self, lang) or getattr(self, other) or ""

    @model_serializer(mode="wrap")
    def _serialise(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        lang = (info.context or {}).get("lang")
        if lang:
            return self.pick(lang)
        return handler(self)


Text = LocalizedText


def sort_key(text: str) -> str:
    """Accent- and case-insensitive ordering key (é sorts with e), used for name ordering in indexes."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", " ", folded).strip()[:80]


class HsdsModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Language(HsdsModel):
    id: str = Field(pattern=UUID_PATTERN)
    name: str | None = None
    code: str | None = Field(default=None, description="ISO 639 code, e.g. fr, en, es, ar")
    note: Text | None = None


class Phone(HsdsModel):
    id: str = Field(pattern=UUID_PATTERN)
    number: str
    extension: int | None = None
    type: Literal["text", "fax", "voice", "cell", "pager", "textphone", "video"] | None = "voice"
    description: Text | None = None
    languages: list[Language] = Field(default_factory=list)


class Address(HsdsModel):
    id: str = Field(pattern=UUID_PATTERN)
    attention: str | None = None
    address_1: str
    address_2: str | None = None
    city: str
    region: str | None = None
    state_province: str = "QC"
    postal_code: str
    country: str = "CA"
    address_type: Literal["physical", "postal", "virtual"] = "physical"

    @field_validator("postal_code")
    @classmethod
    def _canadian_postal_code(cls, value: str) -> str:
        compact = value.replace(" ", "").upper()
        if not re.fullmatch(r"[A-Z]\d[A-Z]\d[A-Z]\d", compact):
            raise ValueError("must be a Canadian postal code such as G8B 3L2")
        return f"{compact[:3]} {compact[3:]}"


class Schedule(HsdsModel):
    """An iCal-style opening rule (RFC 5545 RRULE parts). Split hours are several rows; holidays are rows with a
    short validity window and no opens_at."""

    id: str = Field(pattern=UUID_PATTERN)
    valid_from: date | None = None
    valid_to: date | None = None
    dtstart: date | None = None
    timezone: float | None = None
    until: date | None = None
    count: int | None = None
    wkst: Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"] | None = None
    freq: Literal["WEEKLY", "MONTHLY"] | None = None
    interval: int | None = None
    byday: str | None = Field(default=None, description="Comma-separated days: MO,TU,WE")
    byweekno: str | None = None
    bymonthday: str | None = None
    byyearday: str | None = None
    description: Text | None = None
    opens_at: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    closes_at: str | None = Field(default=None, pattern=r"^([01]\d|2[0-4]):[0-5]\d$")
    schedule_link: str | None = None
    attending_type: str | None = None
    notes: Text | None = None


class ServiceArea(HsdsModel):
    id: str = Field(pattern=UUID_PATTERN)
    name: Text | None = None
    description: Text | None = None
    extent: str | None = None
    extent_type: Literal["geojson", "topojson", "kml", "text"] | None = None
    uri: str | None = None
    area_type: Literal["province", "region", "mrc", "municipality", "fsa"] | None = None
    area_code: str | None = None


class CostOption(HsdsModel):
    id: str = Field(pattern=UUID_PATTERN)
    valid_from: date | None = None
    valid_to: date | None = None
    option: Text | None = None
    currency: str | None = "CAD"
    amount: float | None = Field(default=None, ge=0)
    amount_description: Text | None = None


class Accessibility(HsdsModel):
    id: str = Field(pattern=UUID_PATTERN)
    description: Text | None = None
    details: Text | None = None
    url: str | None = None


class Location(HsdsModel):
    id: str = Field(pattern=UUID_PATTERN)
    location_type: Literal["physical", "postal", "virtual"] = "physical"
    url: str | None = None
    organization_id: str | None = None
    name: Text | None = None
    alternate_name: Text | None = None
    description: Text | None = None
    transportation: Text | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    languages: list[Language] = Field(default_factory=list)
    addresses: list[Address] = Field(default_factory=list)
    accessibility: list[Accessibility] = Field(default_factory=list)
    phones: list[Phone] = Field(default_factory=list)
    schedules: list[Schedule] = Field(default_factory=list)


class ServiceAtLocation(HsdsModel):
    id: str = Field(pattern=UUID_PATTERN)
    service_id: str | None = None
    location_id: str | None = None
    description: Text | None = None
    service_areas: list[ServiceArea] = Field(default_factory=list)
    phones: list[Phone] = Field(default_factory=list)
    schedules: list[Schedule] = Field(default_factory=list)
    location: Location


class Attribute(HsdsModel):
    """Links a record to a taxonomy term (HSDS 3: categories are attributes)."""

    id: str = Field(pattern=UUID_PATTERN)
    link_id: str | None = None
    link_type: str | None = "category"
    link_entity: str | None = "service"
    taxonomy_term_id: str = Field(pattern=UUID_PATTERN)
    value: str | None = None
    label: str | None = None


class Organization(HsdsModel):
    id: str = Field(pattern=UUID_PATTERN)
    name: Text
    alternate_name: Text | None = None
    description: Text
    email: str | None = None
    website: str | None = None
    tax_status: str | None = None
    tax_id: str | None = None
    year_incorporated: int | None = None
    legal_status: str | None = None
    logo: str | None = None
    uri: str | None = None
    parent_organization_id: str | None = None
    phones: list[Phone] = Field(default_factory=list)
    region: RegionCode
    last_modified: datetime | None = None


class Service(HsdsModel):
    id: str = Field(pattern=UUID_PATTERN)
    organization_id: str = Field(pattern=UUID_PATTERN)
    program_id: str | None = None
    name: Text
    alternate_name: Text | None = None
    description: Text | None = None
    url: str | None = None
    email: str | None = None
    status: ServiceStatus = "active"
    interpretation_services: Text | None = None
    application_process: Text | None = None
    fees_description: Text | None = None
    wait_time: Text | None = None
    fees: Text | None = None
    accreditations: Text | None = None
    eligibility_description: Text | None = None
    minimum_age: int | None = Field(default=None, ge=0, le=130)
    maximum_age: int | None = Field(default=None, ge=0, le=130)
    alert: Text | None = None
    last_modified: datetime | None = None
    phones: list[Phone] = Field(default_factory=list)
    schedules: list[Schedule] = Field(default_factory=list)
    service_areas: list[ServiceArea] = Field(default_factory=list)
    service_at_locations: list[ServiceAtLocation] = Field(default_factory=list)
    languages: list[Language] = Field(default_factory=list)
    cost_options: list[CostOption] = Field(default_factory=list)
    attributes: list[Attribute] = Field(default_factory=list)
    region: RegionCode

    @model_validator(mode="after")
    def _ages_in_order(self) -> Service:
        if (
            self.minimum_age is not None
            and self.maximum_age is not None
            and self.minimum_age > self.maximum_age
        ):
            raise ValueError("minimum_age is greater than maximum_age")
        return self

    @property
    def taxonomy_term_ids(self) -> list[str]:
        return sorted({a.taxonomy_term_id for a in self.attributes})


class Taxonomy(HsdsModel):
    id: str = Field(pattern=UUID_PATTERN)
    name: Text
    description: Text
    uri: str | None = None
    version: str | None = None


class TaxonomyTerm(HsdsModel):
    id: str = Field(pattern=UUID_PATTERN)
    code: str | None = None
    name: Text
    description: Text
    parent_id: str | None = None
    taxonomy: str | None = None
    taxonomy_id: str | None = None
    term_uri: str | None = None
    airs_codes: list[str] = Field(default_factory=list, description="AIRS/211 taxonomy codes this term covers")
    keywords: dict[Lang, list[str]] = Field(default_factory=dict, description="Search synonyms per language")


def render(model: BaseModel, lang: Lang, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """The HSDS JSON of a record in one language: localized fields become plain strings, empty values drop."""
    return model.model_dump(mode="json", context={"lang": lang}, exclude_none=True, exclude=exclude)
