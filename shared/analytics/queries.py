"""Answering `GET /stats/{table}`: counters read by Query (one per region), rolled up, suppressed, labelled.

Suppression is computed on a *canonical* block, independent of the exact range asked, then the asked periods
are
returned: so two overlapping queries never suppress a cell differently (which subtraction would exploit).

- Periods are rolled up from the stored grain; the canonical block extends the range to whole parents of the
  granularity (day -> whole months and ISO weeks; week, month, year -> whole years).
- Lines for complementary suppression: each `group_by` dimension summed (same region and period), and each
  period within each parent (a day within its month and its ISO week; a week or month within its year).
- Region is part of every row and never summed by the API, so regions are independent tables.
- Free-text dimensions (search terms): a value whose total over the block is under the threshold is merged
into
  one "other terms" value before suppression, so a rare term (possibly a name) is never printed.
- Shares are computed from the true counts (before suppression), rounded to one decimal, and hidden with the
cell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.analytics import tables as catalogue
from shared.analytics.counters import StatsStore
from shared.analytics.projections import split_cell_name
from shared.analytics.suppression import suppress
from shared.analytics.tables import (
    NONE_LABELS,
    NONE_VALUE,
    OTHER_TERMS,
    OTHER_TERMS_VALUE,
    UNKNOWN_REGION,
    UNKNOWN_REGION_LABEL,
    VALUE_LABELS,
    TableSpec,
)
from shared.errors import BadRequest, NotFound

MAX_YEARS = 10
RegionOrUnknown = Literal[
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17"
]
# (services whose events did not name their organisation, organisations named, language) ->
# (service id -> its organisation id now, organisation id -> its name in that language)
OrganizationResolver = Callable[[list[str], list[str], str], tuple[dict[str, str], dict[str, str]]]


class StatsParams(BaseModel):
    """Query parameters of GET /stats/{table}."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    region: list[RegionOrUnknown] | None = Field(
        default=None,
        description="Region codes 01..17 (00: region not given), comma-separated; default: your regions",
    )
    from_: date | None = Field(
        default=None, alias="from", description="First day (YYYY-MM-DD, YYYY-MM or YYYY)"
    )
    to: date | None = Field(
        default=None, description="Last day (YYYY-MM-DD, YYYY-MM or YYYY); default: today"
    )
    granularity: Literal["day", "week", "month", "year"] | None = None
    group_by: list[str] | None = Field(
        default=None, description="Dimensions to keep, comma-separated; default all"
    )
    format: Literal["json", "csv"] = "json"
    sep: Literal[";", ","] = Field(default=";", description="CSV separator; ';' opens in French Excel")
    lang: Literal["fr", "en"] | None = None

    @field_validator("region", "group_by", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("from_", mode="before")
    @classmethod
    def _start_of(cls, value: Any) -> Any:
        return _partial_date(value, end=False)

    @field_validator("to", mode="before")
    @classmethod
    def _end_of(cls, value: Any) -> Any:
        return _partial_date(value, end=True)

    @model_validator(mode="after")
    def _ordered(self) -> StatsParams:
        from shared.directory.params import bilingual_error

        if self.from_ and self.to and self.from_ > self.to:
            raise bilingual_error(
                "from", "period_reversed", "from must not be after to", "from ne doit pas être après to"
            )
        if self.from_ and self.to and (self.to - self.from_).days > 366 * MAX_YEARS:
            raise bilingual_error(
                "from",
                "period_too_long",
                f"at most {MAX_YEARS} years at a time",
                f"au plus {MAX_YEARS} ans à la fois",
            )
        return self


def _partial_date(value: Any, *, end: bool) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if len(text) == 4 and text.isdigit():
        return f"{text}-12-31" if end else f"{text}-01-01"
    if len(text) == 7 and text[4] == "-":
        year, month = int(text[:4]), int(text[5:])
        if not 1 <= month <= 12:
            return value
        if not end:
            return f"{text}-01"
        return (_month_start(date(year, month, 1)) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return value


def table_spec(name: str) -> TableSpec:
    spec = catalogue.TABLES.get(name)
    if spec is None:
        raise NotFound(
            f"Table de statistiques inconnue : {name}.",
            message_en=f"Unknown statistics table: {name}.",
            details={"tables": sorted(catalogue.TABLES)},
        )
    return spec


# ---- periods
# --------------------------------------------------------------------------------------------------


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def period_label(day: date, granularity: str) -> str:
    if granularity == "day":
        return day.isoformat()
    if granularity == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if granularity == "month":
        return day.strftime("%Y-%m")
    return str(day.year)


def parents(day: date, granularity: str) -> tuple[str, ...]:
    """The coarser periods whose totals an analyst can read, for complementary suppression along time."""
    if granularity == "day":
        return ("M" + period_label(day, "month"), "W" + period_label(day, "week"))
    if granularity == "week":
        return ("Y" + str(day.isocalendar()[0]),)
    if granularity == "month":
        return ("Y" + str(day.year),)
    return ()


def canonical_range(first: date, last: date, granularity: str) -> tuple[date, date]:
    if granularity == "day":
        start, end = _month_start(first), _month_end(last)
        return start - timedelta(days=start.weekday()), end + timedelta(days=6 - end.weekday())
    start, end = date(first.year, 1, 1), date(last.year, 12, 31)
    if granularity == "week":
        return start - timedelta(days=start.weekday()), end + timedelta(days=6 - end.weekday())
    return start, end


def period_bounds(label: str, granularity: str) -> tuple[date, date]:
    if granularity == "day":
        day = date.fromisoformat(label)
        return day, day
    if granularity == "week":
        monday = date.fromisocalendar(int(label[:4]), int(label[6:]), 1)
        return monday, monday + timedelta(days=6)
    if granularity == "month":
        start = date.fromisoformat(label + "-01")
        return start, _month_end(start)
    return date(int(label), 1, 1), date(int(label), 12, 31)


# ---- the answer
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    label: str


@dataclass
class StatsAnswer:
    spec: TableSpec
    granularity: str
    first: date
    last: date
    regions: list[str]
    group_by: list[str]
    threshold: int
    columns: list[Column]
    rows: list[dict[str, Any]]
    lang: str

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.spec.name,
            "title": self.spec.title.get(self.lang),
            "granularity": self.granularity,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "regions": self.regions,
            "group_by": self.group_by,
            "suppression": {
                "threshold": self.threshold,
                "note": (
                    "Suppressed counts (under the threshold, and complements that would reveal them) "
                    "are null."
                    if self.lang == "en"
                    else "Les effectifs supprimés (sous le seuil, et ceux qui permettraient de les déduire) "
                    "valent null."
                ),
            },
            "columns": [{"name": c.name, "label": c.label} for c in self.columns],
            "rows": self.rows,
        }


def answer(
    spec: TableSpec,
    params: StatsParams,
    *,
    regions: list[str],
    store: StatsStore,
    threshold: int,
    lang: str,
    today: date,
    organizations: OrganizationResolver | None = None,
) -> StatsAnswer:
    granularity = params.granularity or spec.grain
    if granularity not in spec.granularities:
        raise BadRequest(
            f"Granularité trop fine pour cette table : {granularity} "
            f"(permises : {', '.join(spec.granularities)}).",
            message_en=f"Granularity too fine for this table: {granularity} "
            f"(allowed: {', '.join(spec.granularities)}).",
            details=[{"parameter": "granularity", "allowed": list(spec.granularities)}],
            code="invalid_parameter",
        )
    exposed = [d.name for d in spec.dimensions]
    group_by = params.group_by if params.group_by is not None else exposed
    unknown = [g for g in group_by if g not in exposed]
    if unknown:
        raise BadRequest(
            "Dimension inconnue pour cette table : " + ", ".join(unknown) + ".",
            message_en="Unknown dimension for this table: " + ", ".join(unknown) + ".",
            details=[{"parameter": "group_by", "unknown": unknown, "allowed": exposed}],
            code="invalid_parameter",
        )
    group_by = list(dict.fromkeys(group_by))
    last = params.to or today
    first = params.from_ or date(last.year, 1, 1)
    block_first, block_last = canonical_range(first, last, granularity)
    stored_first, stored_last = (
        (block_first.isoformat(), block_last.isoformat())
        if spec.grain == "day"
        else (block_first.strftime("%Y-%m"), block_last.strftime("%Y-%m"))
    )

    # 1. read and roll up: (region, period, group values) -> measure -> value. A counter item holds periods of
    # the table's grain; each distinct cell name is decoded once, each distinct period placed once.
    stored_periods: list[tuple[str, str, dict[str, int]]] = []
    names: set[str] = set()
    for region in regions:
        for period, item_cells in store.read_counters(spec.name, region, stored_first, stored_last):
            stored_periods.append((region, period, item_cells))
            names.update(item_cells)
    split = {name: split_cell_name(name) for name in names}
    owners: dict[str, str] = {}
    names_of: dict[str, str] = {}
    if "organization" in group_by and organizations is not None:
        services, named = set(), set()
        for _, values in split.values():
            stored_values = dict(zip(spec.stored, values, strict=False))
            organization = stored_values.get("organization", NONE_VALUE)
            if organization != NONE_VALUE:
                named.add(organization)
            elif stored_values.get("service", NONE_VALUE) != NONE_VALUE:
                services.add(stored_values["service"])
        if services or named:
            owners, names_of = organizations(sorted(services), sorted(named), lang)
    labels: dict[tuple[str, str], str] = {}
    targets: dict[str, tuple[str, tuple[str, ...]]] = {}
    for name, (measure, values) in split.items():
        exposed_values = _expose(spec, dict(zip(spec.stored, values, strict=False)), owners, names_of, labels)
        targets[name] = (measure, tuple(exposed_values[g] for g in group_by))
    placed: dict[str, str | None] = {}  # stored period -> its period at the asked granularity (None: outside)
    parent_of: dict[str, tuple[str, ...]] = {}
    cells: dict[tuple[str, str, tuple[str, ...]], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for region, period, item_cells in stored_periods:
        label = placed.get(period, "")
        if label == "":
            day = date.fromisoformat(period if spec.grain == "day" else period + "-01")
            label = period_label(day, granularity) if block_first <= day <= block_last else None
            placed[period] = label
            if label is not None and label not in parent_of:
                parent_of[label] = parents(day, granularity)
        if label is None:
            continue
        for name, value in item_cells.items():
            measure, group = targets[name]
            cells[(region, label, group)][measure] += value

    # 2. rare free-text values merged, per region, over the whole block
    for position, name in enumerate(group_by):
        dimension = spec.dimension(name)
        if dimension is None or dimension.kind != "free_text":
            continue
        primary = spec.count_measures[0]
        totals: dict[tuple[str, str], int] = defaultdict(int)
        for (region, _, values), measures in cells.items():
            totals[(region, values[position])] += measures.get(primary, 0)
        merged: dict[tuple[str, str, tuple[str, ...]], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (region, period, values), measures in cells.items():
            if totals[(region, values[position])] < threshold:
                values = (*values[:position], OTHER_TERMS_VALUE, *values[position + 1 :])
            for measure, value in measures.items():
                merged[(region, period, values)][measure] += value
        cells = merged

    # 3. suppression per count measure, on the whole block
    lines = list(_lines(cells.keys(), len(group_by), parent_of))
    hidden: dict[str, set[Any]] = {}
    for measure in spec.count_measures:
        values = {key: measures.get(measure, 0) for key, measures in cells.items()}
        hidden[measure] = suppress(values, lines, threshold)

    # 4. shares (true counts, before suppression) and rows of the asked periods
    primary = spec.count_measures[0]
    totals_by_period: dict[tuple[str, str], int] = defaultdict(int)
    for (region, period, _), measures in cells.items():
        totals_by_period[(region, period)] += measures.get(primary, 0)
    rows = []
    coded = [_has_code(spec, name) for name in group_by]
    region_names = {region: region_label(region, lang) for region in regions}
    value_labels: dict[tuple[str, str], str] = {}
    bounds: dict[str, tuple[date, date]] = {}
    count_measures = spec.count_measures
    for key in sorted(cells):
        region, period, values = key
        if period not in bounds:
            bounds[period] = period_bounds(period, granularity)
        start, end = bounds[period]
        if end < first or start > last:
            continue
        measures = cells[key]
        if not any(measures.get(m, 0) for m in count_measures):
            continue
        row: dict[str, Any] = {"period": period, "region": region, "region_name": region_names[region]}
        for name, value, has_code in zip(group_by, values, coded, strict=True):
            shown = value_labels.get((name, value))
            if shown is None:
                shown = value_labels[(name, value)] = _value_label(spec, name, value, lang, labels)
            row[name] = shown
            if has_code:
                row[f"{name}_code"] = value
        for measure in spec.measures:
            if measure.kind == "count":
                row[measure.name] = None if key in hidden[measure.name] else measures.get(measure.name, 0)
            elif measure.kind == "average" and measure.of:
                total, count = measures.get(measure.of[0], 0), measures.get(measure.of[1], 0)
                row[measure.name] = (
                    None if key in hidden[measure.of[1]] or not count else round(total / count / 60, 1)
                )
        total = totals_by_period[(region, period)]
        row["share"] = (
            None if key in hidden[primary] or not total else round(100 * measures.get(primary, 0) / total, 1)
        )
        rows.append(row)
    columns = _columns(spec, group_by, lang)
    return StatsAnswer(spec, granularity, first, last, regions, group_by, threshold, columns, rows, lang)


def _lines(
    keys: Iterable[tuple[str, str, tuple[str, ...]]], width: int, parent_of: dict[str, tuple[str, ...]]
) -> Iterable[list[tuple[str, str, tuple[str, ...]]]]:
    groups: dict[tuple[Any, ...], list[tuple[str, str, tuple[str, ...]]]] = defaultdict(list)
    for key in keys:
        region, period, values = key
        for position in range(width):
            groups[("dim", position, region, period, values[:position] + values[position + 1 :])].append(key)
        for parent in parent_of.get(period, ()):
            groups[("time", parent, region, values)].append(key)
    return groups.values()


def _expose(
    spec: TableSpec,
    stored: dict[str, str],
    owners: dict[str, str],
    organization_names: dict[str, str],
    labels: dict[tuple[str, str], str],
) -> dict[str, str]:
    from shared.directory import taxonomy

    exposed = {k: v for k, v in stored.items() if k not in ("term", "service")}
    term_id = stored.get("term")
    if term_id is not None:
        term = taxonomy.term(term_id) if term_id != NONE_VALUE else None
        if term is None:
            exposed["category"], exposed["subcategory"] = term_id, NONE_VALUE
        elif term.parent_id is None:
            exposed["category"], exposed["subcategory"] = term.id, NONE_VALUE
        else:
            exposed["category"], exposed["subcategory"] = term.parent_id, term.id
    if "service" in stored or "organization" in stored:
        # the organisation the event named when the referral was given; else the service's organisation now
        organization_id = stored.get("organization", NONE_VALUE)
        if organization_id == NONE_VALUE:
            organization_id = owners.get(stored.get("service", NONE_VALUE), NONE_VALUE)
        exposed["organization"] = organization_id
        name = organization_names.get(organization_id)
        if name:
            labels[("organization", organization_id)] = name
    return exposed


def region_label(region: str, lang: str) -> str:
    if region == UNKNOWN_REGION:
        return UNKNOWN_REGION_LABEL.get(lang)
    try:
        from shared.sample_data import gazetteer

        found = gazetteer.region_names().get(region)
    except ImportError:
        found = None
    if found is None:
        return region
    return found[1] if lang == "en" else found[0]


def _has_code(spec: TableSpec, name: str) -> bool:
    dimension = spec.dimension(name)
    return dimension is not None and (dimension.kind in ("term", "organization") or name in VALUE_LABELS)


def _value_label(
    spec: TableSpec, name: str, value: str, lang: str, labels: dict[tuple[str, str], str]
) -> str:
    if value == NONE_VALUE:
        none = NONE_LABELS.get(name)
        return none.get(lang) if none else value
    if value == OTHER_TERMS_VALUE:
        return OTHER_TERMS.get(lang)
    dimension = spec.dimension(name)
    if dimension is not None and dimension.kind == "term":
        from shared.directory import taxonomy

        term = taxonomy.term(value)
        if term is not None:
            return (term.name.en if lang == "en" and term.name.en else term.name.fr) or term.name.en or value
        return value
    if (name, value) in labels:
        return labels[(name, value)]
    if dimension is not None and dimension.kind == "organization":
        # no longer in the directory: its id stays in the code column
        return NONE_LABELS["organization"].get(lang)
    coded = VALUE_LABELS.get(name, {}).get(value)
    return coded.get(lang) if coded else value


def _columns(spec: TableSpec, group_by: list[str], lang: str) -> list[Column]:
    columns = [
        Column("period", catalogue.PERIOD.get(lang)),
        Column("region", catalogue.REGION.get(lang)),
        Column("region_name", catalogue.REGION_NAME.get(lang)),
    ]
    code = "code" if lang == "en" else "code"
    for name in group_by:
        dimension = spec.dimension(name)
        assert dimension is not None
        columns.append(Column(name, dimension.label.get(lang)))
        if _has_code(spec, name):
            columns.append(Column(f"{name}_code", f"{dimension.label.get(lang)} ({code})"))
    for measure in spec.measures:
        if measure.kind != "sum":
            columns.append(Column(measure.name, measure.label.get(lang)))
    columns.append(Column("share", catalogue.SHARE.get(lang)))
    return columns
