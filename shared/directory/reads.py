"""The directory read API's domain: HSDS pages and records, in one language.

Lists read compact GSI entries through the most selective partition (see repository.py), filter and page them
in memory, then fetch only the page's documents (one BatchGetItem per 100 records). Taxonomies are platform
reference data shipped with the code (`taxonomy.py`) and cost no DynamoDB request.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.directory import taxonomy
from shared.directory.models import (
    VISIBLE_STATUSES,
    Lang,
    Organization,
    Service,
    ServiceAtLocation,
    render,
    sort_key,
)
from shared.directory.params import ListParams, OrganizationListParams, PageParams, TaxonomyTermListParams
from shared.directory.repository import DirectoryRepository, Entity, IndexEntry
from shared.errors import NotFound

SERVICE_LIST_FIELDS = {
    "phones",
    "schedules",
    "service_areas",
    "service_at_locations",
    "languages",
    "cost_options",
    "attributes",
}
ORGANIZATION_LIST_FIELDS = {"phones"}


@dataclass(frozen=True)
class _HitEntry:
    id: str
    service_id: str | None


@dataclass
class Page:
    """The HSDS Page envelope; `extra` carries declared extensions (facets, suggestions, notices)."""

    contents: list[dict[str, Any]]
    total_items: int
    page_number: int
    per_page: int
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        total_pages = max(1, math.ceil(self.total_items / self.per_page)) if self.total_items else 0
        return {
            "total_items": self.total_items,
            "total_pages": total_pages,
            "page_number": self.page_number,
            "size": len(self.contents),
            "first_page": self.page_number == 1,
            "last_page": self.page_number >= total_pages,
            "empty": not self.contents,
            "contents": self.contents,
            **self.extra,
        }


def page_slice(items: Sequence[Any], params: PageParams) -> Sequence[Any]:
    start = (params.page - 1) * params.per_page
    return items[start : start + params.per_page]


def not_found(kind_fr: str, kind_en: str, record_id: str) -> NotFound:
    return NotFound(
        f"Aucun(e) {kind_fr} avec l'identifiant {record_id}.",
        message_en=f"No {kind_en} with id {record_id}.",
        details={"id": record_id},
    )


# ---- rendering ---------------------------------------------------------------------------------------------------


def render_organization(org: Organization, lang: Lang, *, full: bool = True) -> dict[str, Any]:
    return render(org, lang, exclude=None if full else ORGANIZATION_LIST_FIELDS)


def render_attributes(service: Service, lang: Lang) -> list[dict[str, Any]]:
    rendered = []
    for attribute in service.attributes:
        data = render(attribute, lang)
        data.setdefault("link_id", service.id)
        term = taxonomy.term(attribute.taxonomy_term_id)
        if term is not None:
            data["taxonomy_term"] = render(term, lang, exclude={"keywords", "airs_codes"})
        rendered.append(data)
    return rendered


def render_service_at_location(sal: ServiceAtLocation, service: Service, lang: Lang) -> dict[str, Any]:
    data = render(sal, lang)
    data["service_id"] = service.id
    data["location_id"] = sal.location.id
    return data


def render_service(
    service: Service, organization: Organization | None, lang: Lang, *, level: str = "full"
) -> dict[str, Any]:
    """level: "minimal" (id, name, status, last_modified), "list" (one-to-one fields), "full" (nested)."""
    if level == "minimal":
        return render(service, lang, exclude=set(Service.model_fields) - {"id", "name", "status", "last_modified"})
    data = render(service, lang, exclude=SERVICE_LIST_FIELDS)
    if organization is not None:
        data["organization"] = render_organization(organization, lang, full=level == "full")
    if level == "full":
        full = render(service, lang, exclude={"service_at_locations", "attributes"})
        data.update({k: v for k, v in full.items() if k in SERVICE_LIST_FIELDS})
        data["service_at_locations"] = [
            render_service_at_location(sal, service, lang) for sal in service.service_at_locations
        ]
        data["attributes"] = render_attributes(service, lang)
    return data


def service_summary(service: Service, lang: Lang) -> dict[str, Any]:
    return render(
        service,
        lang,
        exclude=SERVICE_LIST_FIELDS | {"alert", "interpretation_services", "accreditations", "wait_time"},
    )


# ---- reads -------------------------------------------------------------------------------------------------------


class DirectoryReader:
    def __init__(self, repository: DirectoryRepository) -> None:
        self.repository = repository

    # filtering on compact index entries

    def _entries(self, entity: Entity, params: ListParams) -> list[IndexEntry]:
        entries = self.repository.list_entries(
            entity,
            regions=params.region,
            organization_id=params.organization_id,
            taxonomy_term_id=params.taxonomy_term_id,
        )
        statuses = set(params.status or VISIBLE_STATUSES)
        after = params.modified_after.isoformat() if params.modified_after else None
        taxonomy_terms = (
            {t.id for t in taxonomy.all_terms() if t.taxonomy_id == params.taxonomy_id}
            if params.taxonomy_id
            else None
        )
        kept = []
        for entry in entries:
            if entity != "ORG" and entry.status not in statuses:
                continue
            if params.organization_id and entry.organization_id != params.organization_id:
                continue
            if params.taxonomy_term_id and entity != "ORG" and params.taxonomy_term_id not in entry.term_ids:
                continue
            if taxonomy_terms is not None and not taxonomy_terms.intersection(entry.term_ids):
                continue
            if after and (not entry.modified or entry.modified <= after):
                continue
            kept.append(entry)
        return kept

    def _services_with_organizations(
        self, service_ids: list[str], with_orgs: bool
    ) -> tuple[dict[str, Service], dict[str, Organization]]:
        services = self.repository.get_services(service_ids)
        organizations: dict[str, Organization] = {}
        if with_orgs:
            organizations = self.repository.get_organizations(
                sorted({s.organization_id for s in services.values()})
            )
        return services, organizations

    def _level(self, params: ListParams) -> str:
        return "minimal" if params.minimal else ("full" if params.full else "list")

    # services

    def render_services(self, ids: list[str], lang: Lang, level: str) -> list[dict[str, Any]]:
        services, organizations = self._services_with_organizations(ids, with_orgs=level != "minimal")
        return [
            render_service(services[i], organizations.get(services[i].organization_id), lang, level=level)
            for i in ids
            if i in services
        ]

    def list_services(self, params: ListParams, lang: Lang) -> Page:
        entries = self._entries("SVC", params)
        ids = [e.id for e in page_slice(entries, params)]
        return Page(self.render_services(ids, lang, self._level(params)), len(entries), params.page, params.per_page)

    def stream_services(self, params: ListParams, lang: Lang) -> Iterator[dict[str, Any]]:
        entries = self._entries("SVC", params)
        for start in range(0, len(entries), 100):
            yield from self.render_services([e.id for e in entries[start : start + 100]], lang, self._level(params))

    def get_service(self, service_id: str, lang: Lang) -> tuple[dict[str, Any], Service]:
        service = self.repository.get_service(service_id)
        if service is None:
            raise not_found("service", "service", service_id)
        organization = self.repository.get_organization(service.organization_id)
        return render_service(service, organization, lang, level="full"), service

    # service_at_locations

    def render_service_at_locations(
        self, entries: Sequence[IndexEntry], lang: Lang, level: str
    ) -> list[dict[str, Any]]:
        service_ids = sorted({e.service_id for e in entries if e.service_id})
        services, organizations = self._services_with_organizations(service_ids, with_orgs=level == "full")
        contents = []
        for entry in entries:
            service = services.get(entry.service_id or "")
            sal = next((s for s in service.service_at_locations if s.id == entry.id), None) if service else None
            if service is None or sal is None:
                continue
            contents.append(
                self._render_sal(sal, service, organizations.get(service.organization_id), lang, level)
            )
        return contents

    @staticmethod
    def _render_sal(
        sal: ServiceAtLocation, service: Service, organization: Organization | None, lang: Lang, level: str
    ) -> dict[str, Any]:
        if level == "minimal":
            return {"id": sal.id, "service_id": service.id, "location_id": sal.location.id}
        data = render_service_at_location(sal, service, lang)
        if level != "full":
            data.pop("service_areas", None)
            data["location"] = render(sal.location, lang, exclude={"schedules", "accessibility", "phones"})
            data["service"] = service_summary(service, lang)
        else:
            data["service"] = render_service(service, organization, lang, level="full")
            data["service"].pop("service_at_locations", None)
        return data

    def list_service_at_locations(self, params: ListParams, lang: Lang) -> Page:
        entries = self._entries("SAL", params)
        page = page_slice(entries, params)
        return Page(
            self.render_service_at_locations(page, lang, self._level(params)),
            len(entries),
            params.page,
            params.per_page,
        )

    def stream_service_at_locations(self, params: ListParams, lang: Lang) -> Iterator[dict[str, Any]]:
        entries = self._entries("SAL", params)
        for start in range(0, len(entries), 100):
            yield from self.render_service_at_locations(entries[start : start + 100], lang, self._level(params))

    def get_service_at_location(self, sal_id: str, lang: Lang) -> tuple[dict[str, Any], Service]:
        entry = self.repository.get_service_at_location_entry(sal_id)
        service = self.repository.get_service(entry.service_id) if entry and entry.service_id else None
        sal = next((s for s in service.service_at_locations if s.id == sal_id), None) if service else None
        if service is None or sal is None:
            raise not_found("service à un lieu", "service_at_location", sal_id)
        organization = self.repository.get_organization(service.organization_id)
        return self._render_sal(sal, service, organization, lang, "full"), service

    # search hits (shared/search/engine.py) rendered from DynamoDB, in the engine's order

    def page_from_hits(
        self, entity: str, hits: Sequence[Any], total: int, params: ListParams, lang: Lang
    ) -> Page:
        level = self._level(params)
        distances = {h.id: h.distance_m for h in hits}
        if entity == "service":
            contents = self.render_services([h.id for h in hits], lang, level)
        elif entity == "service_at_location":
            entries = [_HitEntry(h.id, h.service_id) for h in hits]
            contents = self.render_service_at_locations(entries, lang, level)  # type: ignore[arg-type]
        else:
            organizations = self.repository.get_organizations([h.id for h in hits])
            contents = [
                self._render_organization_page_item(organizations[h.id], lang, params)  # type: ignore[arg-type]
                for h in hits
                if h.id in organizations
            ]
        for item in contents:
            distance = distances.get(item["id"])
            if distance is not None:
                item["distance_m"] = round(distance)
        return Page(contents, total, params.page, params.per_page)

    # organizations

    def list_organizations(self, params: OrganizationListParams, lang: Lang) -> Page:
        entries = self._entries("ORG", params)
        if params.taxonomy_term_id or params.taxonomy_id:
            # An organization matches a category through its services.
            services = self.repository.list_entries(
                "SVC", regions=params.region, taxonomy_term_id=params.taxonomy_term_id
            )
            wanted_terms = (
                {t.id for t in taxonomy.all_terms() if t.taxonomy_id == params.taxonomy_id}
                if params.taxonomy_id
                else {params.taxonomy_term_id}
            )
            orgs = {s.organization_id for s in services if wanted_terms.intersection(s.term_ids)}
            entries = [e for e in entries if e.id in orgs]
        ids = [e.id for e in page_slice(entries, params)]
        organizations = self.repository.get_organizations(ids)
        contents = [
            self._render_organization_page_item(organizations[i], lang, params) for i in ids if i in organizations
        ]
        return Page(contents, len(entries), params.page, params.per_page)

    def stream_organizations(self, params: OrganizationListParams, lang: Lang) -> Iterator[dict[str, Any]]:
        entries = self._entries("ORG", params)
        for start in range(0, len(entries), 100):
            ids = [e.id for e in entries[start : start + 100]]
            organizations = self.repository.get_organizations(ids)
            yield from (
                self._render_organization_page_item(organizations[i], lang, params) for i in ids if i in organizations
            )

    def _render_organization_page_item(
        self, org: Organization, lang: Lang, params: OrganizationListParams
    ) -> dict[str, Any]:
        if params.minimal:
            return {"id": org.id, **{k: v for k, v in render(org, lang).items() if k in ("name", "description")}}
        if params.full:
            return self.render_organization_full(org, lang, full_service=params.full_service)
        return render_organization(org, lang, full=False)

    def render_organization_full(self, org: Organization, lang: Lang, *, full_service: bool) -> dict[str, Any]:
        data = render_organization(org, lang)
        entries = self.repository.list_entries("SVC", organization_id=org.id)
        if full_service:
            services = self.repository.get_services([e.id for e in entries])
            data["services"] = [
                render_service(services[e.id], None, lang, level="full") for e in entries if e.id in services
            ]
        else:
            # HSDS: "service array that contains simple information which could only contain the service.id".
            data["services"] = [{"id": e.id, "status": e.status} for e in entries]
        return data

    def get_organization(self, org_id: str, lang: Lang, *, full_service: bool) -> dict[str, Any]:
        org = self.repository.get_organization(org_id)
        if org is None:
            raise not_found("organisme", "organization", org_id)
        return self.render_organization_full(org, lang, full_service=full_service)


# ---- taxonomies: shipped data, no DynamoDB ---------------------------------------------------------------------


def list_taxonomies(params: PageParams, lang: Lang) -> Page:
    items = [taxonomy.get_taxonomy()]
    return Page([render(t, lang) for t in page_slice(items, params)], len(items), params.page, params.per_page)


def get_taxonomy(taxonomy_id: str, lang: Lang) -> dict[str, Any]:
    found = taxonomy.get_taxonomy()
    if found.id != taxonomy_id:
        raise not_found("taxonomie", "taxonomy", taxonomy_id)
    return render(found, lang)


def render_term(term_id: str, lang: Lang) -> dict[str, Any]:
    term = taxonomy.term(term_id)
    if term is None:
        raise not_found("catégorie", "taxonomy_term", term_id)
    return render(term, lang, exclude={"keywords", "airs_codes"}) | {"airs_codes": term.airs_codes}


def _term_matches(term: Any, query: str) -> bool:
    """Every folded query word starts a word of the term's names, keywords or code (fr and en)."""
    words = sort_key(query).split()
    texts = [term.name.fr or "", term.name.en or "", term.code or ""]
    texts += [k for values in term.keywords.values() for k in values]
    haystack = {w for text in texts for w in sort_key(text).split()}
    return bool(words) and all(any(h.startswith(w) for h in haystack) for w in words)


def list_taxonomy_terms(params: TaxonomyTermListParams, lang: Lang) -> Page:
    terms = taxonomy.all_terms()
    if params.taxonomy_id:
        terms = [t for t in terms if t.taxonomy_id == params.taxonomy_id]
    if params.top_only:
        terms = [t for t in terms if t.parent_id is None]
    if params.parent_id:
        terms = [t for t in terms if t.parent_id == params.parent_id]
    if params.search:
        terms = [t for t in terms if _term_matches(t, params.search)]
    page = page_slice(terms, params)
    return Page([render_term(t.id, lang) for t in page], len(terms), params.page, params.per_page)
