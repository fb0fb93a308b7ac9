"""The tables analysts read: dimensions, measures, bilingual labels, and how each is stored.

A table is stored at one grain (day or month) and rolled up at read time to coarser granularities (week,
month,
year): writing every granularity would multiply the writes per event. Stored dimensions are what a projection
writes; exposed dimensions are what analysts group by (category and sub-category are both derived from the one
taxonomy term a counter holds, through the taxonomy's `parent_id`).

Region is not a dimension here: it is part of every counter's key and of every answer row (never summed across
regions by the API, see suppression.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Grain = Literal["day", "month"]
Granularity = Literal["day", "week", "month", "year"]
GRANULARITIES: tuple[Granularity, ...] = ("day", "week", "month", "year")
UNKNOWN_REGION = "00"  # an event that named no single region (a province-wide lookup)
NONE_VALUE = "-"  # a dimension the event did not carry (no FSA, no search term)


@dataclass(frozen=True)
class Label:
    fr: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


@dataclass(frozen=True)
class Measure:
    name: str
    label: Label
    kind: Literal["count", "sum", "average"] = "count"
    # for an average: the sum measure divided by the count measure
    of: tuple[str, str] | None = None


@dataclass(frozen=True)
class Dimension:
    name: str
    label: Label
    # "term": a taxonomy term id, shown by name; "free_text": rare values are merged before publication
    kind: Literal["code", "term", "organization", "free_text"] = "code"


@dataclass(frozen=True)
class TableSpec:
    name: str
    title: Label
    description: Label
    grain: Grain
    stored: tuple[str, ...]  # dimension values in a counter's cell, in order
    dimensions: tuple[Dimension, ...]  # what analysts may group by
    measures: tuple[Measure, ...]
    # counters of one region and period are spread over this many items (bounded item size, see counters.py)
    shards: int = 1
    derived: dict[str, str] = field(default_factory=dict)  # exposed dimension -> how it derives from `term`

    @property
    def granularities(self) -> tuple[Granularity, ...]:
        return GRANULARITIES if self.grain == "day" else ("month", "year")

    @property
    def count_measures(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.measures if m.kind == "count")

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def describe(self, lang: str) -> dict[str, object]:
        return {
            "name": self.name,
            "title": self.title.get(lang),
            "description": self.description.get(lang),
            "finest_granularity": self.grain,
            "granularities": list(self.granularities),
            "dimensions": [
                {"name": "period", "label": PERIOD.get(lang)},
                {"name": "region", "label": REGION.get(lang)},
                *({"name": d.name, "label": d.label.get(lang)} for d in self.dimensions),
            ],
            "measures": [
                {"name": m.name, "label": m.label.get(lang), "kind": m.kind}
                for m in self.measures
                if m.kind != "sum"
            ]
            + [{"name": "share", "label": SHARE.get(lang), "kind": "share"}],
        }


PERIOD = Label("Période", "Period")
REGION = Label("Région", "Region")
REGION_NAME = Label("Nom de la région", "Region name")
SHARE = Label("Part (%)", "Share (%)")
SUPPRESSED = "x"

_CHANNEL = Dimension("channel", Label("Canal", "Channel"))
_CATEGORY = Dimension("category", Label("Catégorie", "Category"), kind="term")
_SUBCATEGORY = Dimension("subcategory", Label("Sous-catégorie", "Sub-category"), kind="term")
_TERM_DERIVED = {"category": "top", "subcategory": "self"}

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            name="requests",
            title=Label("Demandes par jour, région et canal", "Requests by day, region and channel"),
            description=Label(
                "Recherches dans le répertoire, appels et clavardages reçus; "
                "contacts abandonnés avant réponse.",
                "Directory lookups, calls and chats received; contacts abandoned before an answer.",
            ),
            grain="day",
            stored=("channel",),
            dimensions=(_CHANNEL,),
            measures=(
                Measure("lookups", Label("Recherches", "Lookups")),
                Measure(
                    "contacts",
                    Label("Contacts notés par les intervenants", "Contacts recorded by intervenants"),
                ),
                Measure(
                    "connect_contacts",
                    Label("Contacts reçus (Amazon Connect)", "Contacts received (Amazon Connect)"),
                ),
                Measure("abandoned", Label("Contacts abandonnés", "Abandoned contacts")),
            ),
        ),
        TableSpec(
            name="needs",
            title=Label("Besoins exprimés", "Expressed needs"),
            description=Label(
                "Besoins notés par les intervenants, par mois, région, territoire (RTA) et catégorie.",
                "Needs recorded by intervenants, by month, region, territory (FSA) and category.",
            ),
            grain="month",
            stored=("term", "territory"),
            dimensions=(
                _CATEGORY,
                _SUBCATEGORY,
                Dimension("territory", Label("Territoire (RTA)", "Territory (FSA)")),
            ),
            measures=(Measure("needs", Label("Besoins", "Needs")),),
            shards=2,
            derived=_TERM_DERIVED,
        ),
        TableSpec(
            name="unmet_needs",
            title=Label("Besoins non comblés", "Unmet needs"),
            description=Label(
                "Besoins pour lesquels aucune ressource n'a pu être proposée, par raison : "
                "les ressources manquantes.",
                "Needs no resource could meet, by reason: the missing resources.",
            ),
            grain="month",
            stored=("term", "reason"),
            dimensions=(_CATEGORY, _SUBCATEGORY, Dimension("reason", Label("Raison", "Reason"))),
            measures=(Measure("unmet_needs", Label("Besoins non comblés", "Unmet needs")),),
            derived=_TERM_DERIVED,
        ),
        TableSpec(
            name="referrals",
            title=Label("Références données", "Referrals given"),
            description=Label(
                "Références vers un service, par mois, région, catégorie et organisme.",
                "Referrals to a service, by month, region, category and organisation.",
            ),
            grain="month",
            stored=("term", "service", "organization"),
            dimensions=(
                _CATEGORY,
                _SUBCATEGORY,
                Dimension("organization", Label("Organisme", "Organisation"), kind="organization"),
            ),
            measures=(Measure("referrals", Label("Références", "Referrals")),),
            shards=2,
            derived={**_TERM_DERIVED, "organization": "service"},
        ),
        TableSpec(
            name="lookups_without_results",
            title=Label("Recherches sans résultat", "Lookups without results"),
            description=Label(
                "Recherches qui n'ont rien trouvé, par terme de recherche normalisé (épuré des chiffres, "
                "courriels et données personnelles; les termes rares sont regroupés).",
                "Lookups that found nothing, by normalised search term (scrubbed of digits, e-mail addresses "
                "and "
                "personal data; rare terms are grouped).",
            ),
            grain="month",
            stored=("search_term", "term"),
            dimensions=(
                Dimension("search_term", Label("Terme recherché", "Search term"), kind="free_text"),
                _CATEGORY,
            ),
            measures=(Measure("lookups", Label("Recherches sans résultat", "Lookups without results")),),
            shards=4,
            derived={"category": "top"},
        ),
        TableSpec(
            name="lookups_by_category",
            title=Label("Recherches par catégorie", "Lookups by category"),
            description=Label(
                "Recherches dans le répertoire par catégorie et sous-catégorie demandée.",
                "Directory lookups by category and sub-category asked for.",
            ),
            grain="month",
            stored=("term", "channel"),
            dimensions=(_CATEGORY, _SUBCATEGORY, _CHANNEL),
            measures=(
                Measure("lookups", Label("Recherches", "Lookups")),
                Measure("without_results", Label("Sans résultat", "Without results")),
            ),
            derived=_TERM_DERIVED,
        ),
        TableSpec(
            name="contacts",
            title=Label("Durée et issue des contacts", "Contacts' duration and outcome"),
            description=Label(
                "Contacts fermés par mois, région, canal et issue, avec leur durée moyenne.",
                "Closed contacts by month, region, channel and outcome, with their average duration.",
            ),
            grain="month",
            stored=("channel", "outcome", "origin"),
            dimensions=(
                _CHANNEL,
                Dimension("outcome", Label("Issue", "Outcome")),
                Dimension("origin", Label("Source", "Source")),
            ),
            measures=(
                Measure("contacts", Label("Contacts", "Contacts")),
                Measure(
                    "timed_contacts",
                    Label("Contacts dont la durée est connue", "Contacts with a known duration"),
                ),
                Measure("duration_seconds", Label("Durée totale (s)", "Total duration (s)"), kind="sum"),
                Measure(
                    "average_duration_minutes",
                    Label("Durée moyenne (min)", "Average duration (min)"),
                    kind="average",
                    of=("duration_seconds", "timed_contacts"),
                ),
            ),
        ),
    )
}

# Labels of coded values analysts read.
VALUE_LABELS: dict[str, dict[str, Label]] = {
    "channel": {
        "web": Label("Web", "Web"),
        "phone": Label("Téléphone", "Phone"),
        "chat": Label("Clavardage", "Chat"),
        "email": Label("Courriel", "E-mail"),
    },
    "origin": {
        "agent": Label("Intervenant", "Intervenant"),
        "connect": Label("Amazon Connect", "Amazon Connect"),
    },
    "reason": {
        "none_exists": Label("Aucune ressource", "No such resource"),
        "full": Label("Complet", "Full"),
        "not_eligible": Label("Non admissible", "Not eligible"),
        "too_far": Label("Trop loin", "Too far"),
        "closed": Label("Fermé", "Closed"),
        "cost": Label("Coût", "Cost"),
        "other": Label("Autre", "Other"),
    },
    "outcome": {
        "referred": Label("Référé", "Referred"),
        "information_given": Label("Information donnée", "Information given"),
        "unmet": Label("Besoin non comblé", "Need unmet"),
        "transferred": Label("Transféré", "Transferred"),
        "dropped": Label("Interrompu", "Dropped"),
        "completed": Label("Terminé", "Completed"),
        "abandoned": Label("Abandonné", "Abandoned"),
        "other": Label("Autre", "Other"),
    },
}
NONE_LABELS: dict[str, Label] = {
    "territory": Label("RTA inconnue", "Unknown FSA"),
    "search_term": Label("(sans texte)", "(no text)"),
    "category": Label("(sans catégorie)", "(no category)"),
    "subcategory": Label("(générale)", "(general)"),
    "organization": Label("(organisme inconnu)", "(unknown organisation)"),
}
OTHER_TERMS = Label("(autres termes, regroupés)", "(other terms, grouped)")
OTHER_TERMS_VALUE = "*"
UNKNOWN_REGION_LABEL = Label("Région non précisée", "Region not given")
