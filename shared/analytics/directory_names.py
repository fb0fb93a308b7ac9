"""Organisation names for the referrals table: a referral names a service; its organisation is read from the
directory when the table is read (two BatchGetItem, never a Scan)."""

from __future__ import annotations

from shared.analytics.queries import OrganizationResolver


def directory_organizations(directory_table: str) -> OrganizationResolver:
    def resolve(service_ids: list[str], lang: str) -> dict[str, tuple[str, str]]:
        from shared.directory.repository import DirectoryRepository

        repository = DirectoryRepository(directory_table)
        services = repository.get_services(service_ids)
        organizations = repository.get_organizations(sorted({s.organization_id for s in services.values()}))
        found = {}
        for service_id, service in services.items():
            organization = organizations.get(service.organization_id)
            name = ""
            if organization is not None:
                text = organization.name
                name = (text.en if lang == "en" else text.fr) or text.fr or text.en or ""
            found[service_id] = (service.organization_id, name)
        return found

    return resolve
