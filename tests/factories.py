"""Small, explicit directory records for tests (the sample generator is for volume, these are for meaning)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from shared.directory import taxonomy
from shared.directory.models import Organization, Service

NS = uuid.UUID("2f1b6a36-1d3b-4c6e-9b43-6f4e1b211000")


def uid(name: str) -> str:
    return str(uuid.uuid5(NS, name))


def sub_terms() -> list[str]:
    """Ids of sub-categories, in taxonomy order (tests pick by index)."""
    return [t.id for t in taxonomy.all_terms() if t.parent_id is not None]


def organization(name: str, region: str = "02", **extra: Any) -> Organization:
    return Organization.model_validate(
        {
            "id": uid(f"org:{name}"),
            "name": {"fr": name},
            "description": {"fr": f"Description de {name}.", "en": f"About {name}."},
            "region": region,
            "last_modified": datetime(2025, 3, 1, tzinfo=UTC),
            **extra,
        }
    )


def service(
    name_fr: str,
    org: Organization,
    *,
    name_en: str | None = None,
    terms: list[str] | None = None,
    status: str = "active",
    city: str = "Alma",
    postal_code: str = "G8B 3L2",
    modified: datetime | None = None,
    locations: int = 1,
) -> Service:
    sid = uid(f"svc:{name_fr}:{org.id}")
    name: dict[str, str] = {"fr": name_fr}
    if name_en:
        name["en"] = name_en
    return Service.model_validate(
        {
            "id": sid,
            "organization_id": org.id,
            "name": name,
            "description": {"fr": f"{name_fr} : description.", **({"en": f"{name_en}: description."} if name_en else {})},
            "status": status,
            "region": org.region,
            "last_modified": modified or datetime(2025, 6, 1, tzinfo=UTC),
            "phones": [{"id": uid(f"phone:{sid}"), "number": "418 555-0142"}],
            "schedules": [
                {"id": uid(f"sched:{sid}"), "freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "08:30",
                 "closes_at": "16:30"}
            ],
            "languages": [{"id": uid(f"lang:{sid}"), "name": "Français", "code": "fr"}],
            "cost_options": [{"id": uid(f"cost:{sid}"), "option": {"fr": "Gratuit", "en": "Free"}}],
            "service_areas": [
                {"id": uid(f"area:{sid}"), "name": {"fr": "Saguenay–Lac-Saint-Jean"}, "area_type": "region",
                 "area_code": org.region}
            ],
            "attributes": [
                {"id": uid(f"attr:{sid}:{t}"), "taxonomy_term_id": t} for t in (terms or [])
            ],
            "service_at_locations": [
                {
                    "id": uid(f"sal:{sid}:{n}"),
                    "location": {
                        "id": uid(f"loc:{sid}:{n}"),
                        "location_type": "physical",
                        "name": {"fr": f"Point de service {n + 1}"},
                        "latitude": 48.55,
                        "longitude": -71.65,
                        "addresses": [
                            {"id": uid(f"addr:{sid}:{n}"), "address_1": f"{100 + n}, rue Sacré-Cœur Ouest",
                             "city": city, "postal_code": postal_code}
                        ],
                    },
                }
                for n in range(locations)
            ],
        }
    )
