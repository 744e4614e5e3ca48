"""Access tokens as the resource server sees them: a JWT checked for signature, issuer, audience and
expiry, and the identity the HTTP layer attaches (its tenant, its scopes, its connection)."""

from __future__ import annotations

import logging
from typing import Any

import jwt
from mcp.server.auth.provider import AccessToken

logger = logging.getLogger("letexto_mcp.oauth")

LEEWAY_SECONDS = 30
"""Clock skew tolerated between the issuer and this server."""
ALGORITHMS = ("ES256", "ES384", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA")
"""Asymmetric algorithms only: `none` and the HMAC family are never accepted."""


class ConnectionToken(AccessToken):
    """The identity of an OAuth caller, as tools see it (`get_access_token()`): its tenant, scopes, and
    (built-in server) its connection. Never holds a LeTexto key."""

    tenant: str
    connection_id: str | None = None


def scopes_of(claims: dict[str, Any]) -> list[str]:
    """Scopes from `scope` (RFC 9068: space-separated) or `scp` (a list, or a string, as some IdPs do)."""
    raw = claims.get("scope", claims.get("scp"))
    if isinstance(raw, str):
        return [s for s in raw.split() if s]
    if isinstance(raw, list):
        return [s for s in raw if isinstance(s, str) and s]
    return []


def audience_of(claims: dict[str, Any], audiences: list[str]) -> str | None:
    """The audience this token was accepted for (one of `audiences`)."""
    aud = claims.get("aud")
    found = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    for value in found:
        if isinstance(value, str) and value.rstrip("/") in audiences:
            return value.rstrip("/")
    return None


def decode(token: str, key: Any, *, issuer: str, audiences: list[str]) -> dict[str, Any] | None:
    """The claims of a JWT signed by `key` for one of `audiences` by `issuer`, not expired; else None.
    Why a token was refused is logged without the token."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=list(ALGORITHMS),
            audience=audiences,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as error:
        logger.info("an access token was refused: %s", type(error).__name__)
        return None
    return claims


def unverified_kid(token: str) -> str | None:
    """The `kid` a JWT's header names (None when absent or not a JWT): which key to check it with."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return None
    return kid if isinstance(kid, str) else None


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and len(token) < 8192
