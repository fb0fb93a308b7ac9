"""Query parameters of the directory read API, validated with pydantic.

Unknown parameters and bad values answer 400 with the parameter named (`details[].parameter`), in French and
English. The same models feed `GET /openapi.json`, so the documentation cannot drift from the validation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.directory.models import UUID_PATTERN, Lang
from shared.errors import BadRequest

M = TypeVar("M", bound=BaseModel)
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 25
RegionParam = Literal[
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17"
]
ChannelParam = Literal["web", "phone", "chat"]


class CommonParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: Lang | None = Field(default=None, description="Response language (fr or en); else Accept-Language, then fr")
    channel: ChannelParam | None = Field(
        default=None, description="Channel answering a person: web (default), phone or chat; or X-Channel header"
    )


class PageParams(CommonParams):
    page: int = Field(default=1, ge=1, le=100_000, description="Page number, from 1")
    per_page: int = Field(default=DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE, description="Items per page (max 100)")
    format: Literal["json", "ndjson"] = Field(
        default="json", description="ndjson streams every matching record, one per line, unpaginated"
    )


class ListParams(PageParams):
    region: list[RegionParam] | None = Field(
        default=None, description="Owning Québec region code(s) 01..17; comma-separated for several"
    )
    organization_id: str | None = Field(default=None, pattern=UUID_PATTERN)
    taxonomy_term_id: str | None = Field(default=None, pattern=UUID_PATTERN)
    taxonomy_id: str | None = Field(default=None, pattern=UUID_PATTERN)
    modified_after: datetime | None = Field(default=None, description="ISO 8601 date-time")
    minimal: bool = Field(default=False, description="Only id, name, description and status")
    full: bool = Field(default=False, description="Fully nested records")
    status: list[Literal["active", "inactive", "defunct", "temporarily closed"]] | None = Field(
        default=None, description="Statuses to include (default: active and temporarily closed)"
    )

    @field_validator("region", "status", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("modified_after")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class OrganizationListParams(ListParams):
    full_service: bool = Field(default=False, description="With full=true, nest full services")


class TaxonomyTermListParams(PageParams):
    taxonomy_id: str | None = Field(default=None, pattern=UUID_PATTERN)
    top_only: bool = Field(default=False, description="Only top-level categories")
    parent_id: str | None = Field(default=None, pattern=UUID_PATTERN, description="Children of this term")
    search: str | None = Field(default=None, max_length=200, description="Words in the name or keywords")


class TaxonomyListParams(PageParams):
    pass


class ItemParams(CommonParams):
    pass


class OrganizationItemParams(CommonParams):
    full_service: bool = False


# French for pydantic's error types, for every query-parameter model (directory, search, statistics).
REASONS_FR = {
    "extra_forbidden": "paramètre inconnu",
    "literal_error": "valeur non permise",
    "int_parsing": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "bool_parsing": "true ou false attendu",
    "string_pattern_mismatch": "format invalide (UUID attendu)",
    "greater_than": "valeur trop petite",
    "greater_than_equal": "valeur trop petite",
    "less_than_equal": "valeur trop grande",
    "datetime_from_date_parsing": "date ISO 8601 attendue",
    "datetime_parsing": "date ISO 8601 attendue",
    "string_too_long": "texte trop long",
    "finite_number": "nombre fini attendu",
    "date_parsing": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)",
}


def bilingual_error(parameter: str, code: str, message_en: str, message_fr: str) -> Exception:
    """A validator's refusal that parse_params reports on `parameter` in both languages (raise it)."""
    from pydantic_core import PydanticCustomError

    return PydanticCustomError(code, message_en, {"parameter": parameter, "fr": message_fr})


def parse_params(model: type[M], query: dict[str, str] | None) -> M:
    """Validate raw query parameters; 400 naming each bad parameter on failure."""
    try:
        return model.model_validate(dict(query or {}))
    except ValidationError as error:
        details = []
        for problem in error.errors(include_url=False):
            context = problem.get("ctx") or {}
            parameter = context.get("parameter") or (str(problem["loc"][0]) if problem["loc"] else "query")
            details.append(
                {
                    "parameter": parameter,
                    "reason": problem["msg"],
                    "reason_fr": context.get("fr") or REASONS_FR.get(problem["type"], problem["msg"]),
                }
            )
        names = ", ".join(dict.fromkeys(d["parameter"] for d in details))
        raise BadRequest(
            f"Paramètre invalide : {names}.",
            message_en=f"Invalid parameter: {names}.",
            details=details,
            code="invalid_parameter",
        ) from None


def negotiate_language(lang: str | None, accept_language: str | None) -> Lang:
    """`lang` wins; otherwise the first of fr/en in Accept-Language by quality; French by default."""
    if lang in ("fr", "en"):
        return lang  # type: ignore[return-value]
    best: tuple[float, Lang] | None = None
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("fr", "en"):
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if best is None or quality > best[0]:
            best = (quality, primary)  # type: ignore[assignment]
    return best[1] if best else "fr"
