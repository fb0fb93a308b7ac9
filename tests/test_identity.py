"""Identity: Cognito-shaped bearer tokens, roles and region scopes."""

from __future__ import annotations

import time

import pytest

from shared.config import get_settings
from shared.errors import Forbidden, Unauthorized
from shared.identity import authenticate, issue_dev_token, require_regions, require_role


def test_a_dev_token_round_trips_roles_and_regions() -> None:
    # GIVEN a region-admin token for regions 02 and 03
    settings = get_settings()
    token = issue_dev_token(settings, roles=["region-admin"], regions=["02", "03"], username="marie")
    # WHEN it is verified
    principal = authenticate(f"Bearer {token}", settings)
    # THEN the roles and the scope come from cognito:groups and custom:regions
    assert principal.roles == {"region-admin"}
    assert principal.regions == {"02", "03"}
    assert principal.username == "marie"
    assert principal.can_reach_region("02") and not principal.can_reach_region("06")


@pytest.mark.parametrize(
    "header",
    [None, "", "Basic abc", "Bearer", "Bearer not-a-jwt", "bearer eyJhbGciOiJub25lIn0.e30."],
)
def test_missing_or_malformed_tokens_are_401(header: str | None) -> None:
    with pytest.raises(Unauthorized):
        authenticate(header, get_settings())


def test_an_expired_token_is_401() -> None:
    settings = get_settings()
    token = issue_dev_token(settings, roles=["agent"], now=time.time() - 10 * 3600, ttl_seconds=3600)
    with pytest.raises(Unauthorized) as raised:
        authenticate(f"Bearer {token}", settings)
    assert "expired" in (raised.value.message_en or "")


def test_a_token_signed_with_another_key_is_401(tmp_path, monkeypatch) -> None:
    # GIVEN a token signed by a different development key
    settings = get_settings()
    other = settings.model_copy(update={"dev_key_path": str(tmp_path / "other.pem")})
    forged = issue_dev_token(other, roles=["platform-admin"])
    # WHEN it is verified with the real key THEN it is refused
    with pytest.raises(Unauthorized):
        authenticate(f"Bearer {forged}", settings)


def test_a_token_for_another_issuer_is_401() -> None:
    settings = get_settings()
    foreign = issue_dev_token(settings.model_copy(update={"jwt_issuer": "https://evil.example"}), roles=["agent"])
    with pytest.raises(Unauthorized):
        authenticate(f"Bearer {foreign}", settings)


def test_role_checks_refuse_other_roles_and_let_platform_admin_through() -> None:
    settings = get_settings()
    analyst = authenticate("Bearer " + issue_dev_token(settings, roles=["analyst"], regions=["02"]), settings)
    admin = authenticate("Bearer " + issue_dev_token(settings, roles=["platform-admin"]), settings)
    with pytest.raises(Forbidden):
        require_role(analyst, "region-admin")
    require_role(analyst, "analyst")
    require_role(admin, "region-admin")


def test_region_scope_refuses_regions_outside_the_token() -> None:
    settings = get_settings()
    admin_02 = authenticate(
        "Bearer " + issue_dev_token(settings, roles=["region-admin"], regions=["02"]), settings
    )
    require_regions(admin_02, ["02"])
    with pytest.raises(Forbidden) as raised:
        require_regions(admin_02, ["02", "06"])
    assert raised.value.details["regions_outside_scope"] == ["06"]


def test_unknown_groups_and_region_codes_in_claims_are_ignored() -> None:
    from shared.identity import principal_from_claims

    principal = principal_from_claims(
        {"sub": "x", "cognito:groups": ["agent", "superuser"], "custom:regions": "02, 99,abc"}
    )
    assert principal.roles == {"agent"}
    assert principal.regions == {"02"}


def test_a_bare_token_is_accepted_as_api_gateway_does() -> None:
    settings = get_settings()
    token = issue_dev_token(settings, roles=["agent"], regions=["02"])
    assert authenticate(token, settings).roles == {"agent"}
