"""Identity and roles: bearer JWTs shaped like Amazon Cognito user-pool tokens.

- roles are Cognito groups in `cognito:groups`: agent, region-admin, analyst, platform-admin;
- the region scope is the `custom:regions` claim ("02" or "02,03"); platform-admin reaches every region.

In AWS, API Gateway's Cognito authorizer verifies the token first and the app verifies it again against the user
pool's JWKS (auth_mode "cognito"), so the scope checks below never trust an unverified claim. Locally, and in
tests, tokens are signed with a development RSA key (auth_mode "dev"); `referral211 token` prints one.
Verification always goes through PyJWT, never by hand.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from shared.config import Settings
from shared.directory.models import REGION_CODES
from shared.errors import Forbidden, Unauthorized

Role = Literal["agent", "region-admin", "analyst", "platform-admin"]
ROLES: tuple[Role, ...] = ("agent", "region-admin", "analyst", "platform-admin")
DEV_KEY_ID = "referral211-dev"
ALGORITHM = "RS256"


@dataclass(frozen=True)
class Principal:
    subject: str
    username: str
    roles: frozenset[str]
    regions: frozenset[str]

    @property
    def is_platform_admin(self) -> bool:
        return "platform-admin" in self.roles

    def has_role(self, *roles: str) -> bool:
        return self.is_platform_admin or bool(self.roles.intersection(roles))

    def can_reach_region(self, region: str) -> bool:
        return self.is_platform_admin or region in self.regions

    def scoped_regions(self) -> tuple[str, ...]:
        """The regions this principal may read or change."""
        return REGION_CODES if self.is_platform_admin else tuple(sorted(self.regions))


def require_role(principal: Principal, *roles: str) -> None:
    if not principal.has_role(*roles):
        raise Forbidden(
            "Votre rôle ne permet pas cette action.",
            message_en="Your role does not allow this action.",
            details={"required_roles": list(roles), "your_roles": sorted(principal.roles)},
        )


def require_regions(principal: Principal, regions: Iterable[str]) -> None:
    outside = sorted({r for r in regions if not principal.can_reach_region(r)})
    if outside:
        raise Forbidden(
            "Ces régions sont hors de votre périmètre : " + ", ".join(outside) + ".",
            message_en="These regions are outside your scope: " + ", ".join(outside) + ".",
            details={"regions_outside_scope": outside, "your_regions": sorted(principal.regions)},
        )


def parse_bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized(
            "Authentification requise : ajoutez l'en-tête Authorization: Bearer <jeton>.",
            message_en="Authentication required: send an Authorization: Bearer <token> header.",
        )
    value = authorization.strip()
    if " " not in value and value.count(".") == 2:
        return value  # a bare JWT, as API Gateway's Cognito authorizer also accepts
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "L'en-tête Authorization doit avoir la forme « Bearer <jeton> ».",
            message_en="The Authorization header must be 'Bearer <token>'.",
        )
    return token.strip()


def authenticate(authorization: str | None, settings: Settings) -> Principal:
    """Verify a bearer token and return who is calling. 401 on any missing, expired or forged token."""
    import jwt  # PyJWT, imported lazily: public routes never pay for it

    token = parse_bearer(authorization)
    try:
        if settings.auth_mode == "cognito":
            key = _jwks_client(settings.cognito_jwks_url or "").get_signing_key_from_jwt(token).key
        else:
            key = dev_public_key(settings.dev_key_path)
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[ALGORITHM],
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            options={"require": ["exp", "iat", "sub"], "verify_aud": settings.jwt_audience is not None},
            leeway=30,
        )
    except jwt.ExpiredSignatureError as error:
        raise Unauthorized("Le jeton a expiré.", message_en="The token has expired.") from error
    except jwt.PyJWTError as error:
        raise Unauthorized(
            "Jeton invalide.", message_en="Invalid token.", details={"reason": str(error)}
        ) from error
    return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):
        groups = [groups]
    roles = frozenset(g for g in groups if g in ROLES)
    raw_regions = claims.get("custom:regions") or ""
    if isinstance(raw_regions, list):
        raw_regions = ",".join(raw_regions)
    regions = frozenset(r.strip() for r in str(raw_regions).split(",") if r.strip() in REGION_CODES)
    return Principal(
        subject=str(claims["sub"]),
        username=str(claims.get("cognito:username") or claims.get("username") or claims["sub"]),
        roles=roles,
        regions=regions,
    )


# ---- development key (local stack and tests) -------------------------------------------------------------------

_key_lock = threading.Lock()


@lru_cache(maxsize=4)
def _dev_private_key_pem(path: str) -> bytes:
    key_path = Path(path)
    with _key_lock:
        if not key_path.exists():
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa

            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            key_path.parent.mkdir(parents=True, exist_ok=True)
            temporary = key_path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(pem)
            os.chmod(temporary, 0o600)
            os.replace(temporary, key_path)
        return key_path.read_bytes()


@lru_cache(maxsize=4)
def dev_public_key(path: str) -> Any:
    from cryptography.hazmat.primitives import serialization

    # The key is the one this module generated: its RSA consistency checks (~70 ms, paid by the first staff
    # request of every process) guard against hostile keys, which a local development key is not.
    return serialization.load_pem_private_key(
        _dev_private_key_pem(path), password=None, unsafe_skip_rsa_key_validation=True
    ).public_key()


def issue_dev_token(
    settings: Settings,
    *,
    roles: Iterable[str],
    regions: Iterable[str] = (),
    username: str = "dev-user",
    ttl_seconds: int = 8 * 3600,
    now: float | None = None,
) -> str:
    """A token shaped like a Cognito ID token, signed with the development key."""
    import jwt

    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"referral211:{username}")),
        "cognito:username": username,
        "cognito:groups": list(roles),
        "custom:regions": ",".join(regions),
        "token_use": "id",
        "iss": settings.jwt_issuer,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(
        claims, _dev_private_key_pem(settings.dev_key_path), algorithm=ALGORITHM, headers={"kid": DEV_KEY_ID}
    )


@lru_cache(maxsize=2)
def _jwks_client(url: str) -> Any:
    from jwt import PyJWKClient

    if not url:
        raise Unauthorized(
            "La vérification des jetons n'est pas configurée.",
            message_en="Token verification is not configured (REFERRAL211_COGNITO_JWKS_URL).",
        )
    return PyJWKClient(url, cache_keys=True, lifespan=3600)
