"""Organisation names for the referrals table, read from the directory when the table is read (BatchGetItem,
never a Scan).

A referral event names the organisation its service belonged to when the referral was given; only events
published before that field existed name the service alone, and their organisation is the service's now.
"""

from __future__ import annotations

from shared.analytics.queries import OrganizationResolver


def directory_organizations(directory_table: str) -> OrganizationResolver:
    def resolve(
        service_ids: list[str], organization_ids: list[str], lang: str
    ) -> tuple[dict[str, str], dict[str, str]]:
        from shared.directory.repository import DirectoryRepository

        repository = DirectoryRepository(directory_table)
        services = repository.get_services(service_ids) if service_ids else {}
        owners = {service_id: service.organization_id for service_id, service in services.items()}
        wanted = sorted(set(organization_ids) | set(owners.values()))
        names = {}
        for organization_id, organization in (repository.get_organizations(wanted) if wanted else {}).items():
            text = organization.name
            names[organization_id] = (text.en if lang == "en" else text.fr) or text.fr or text.en or ""
        return owners, names

    return resolve
