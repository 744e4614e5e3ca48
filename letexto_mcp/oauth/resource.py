"""The resource-server side: which OAuth access tokens `/mcp` and `/api/v1` accept, and where a 401 points.

Two protected resources, each its own audience (RFC 8707): `<public>/mcp` (also `/sse` and `/messages/`)
and `<public>/api/v1`; a token minted for the whole server (`<public>`) is accepted by both, a token for
the other resource or another server by neither. Their metadata (RFC 9728) is at
`/.well-known/oauth-protected-resource/mcp`, `…/api/v1` and, for the whole server, at the bare
`/.well-known/oauth-protected-resource`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mcp.server.auth.handlers.metadata import ProtectedResourceMetadataHandler
from mcp.server.auth.routes import cors_middleware
from mcp.shared.auth import ProtectedResourceMetadata
from starlette.routing import Route

from letexto_mcp.api import API_PREFIX, is_api_path
from letexto_mcp.oauth.external import ExternalIssuer
from letexto_mcp.oauth.provider import LetextoAuthorizationServer
from letexto_mcp.oauth.sealing import KeySealer
from letexto_mcp.oauth.tokens import ConnectionToken, looks_like_jwt
from letexto_mcp.tools.scopes import ALL_SCOPES

logger = logging.getLogger("letexto_mcp.oauth")

WELL_KNOWN_RESOURCE = "/.well-known/oauth-protected-resource"
MCP_RESOURCE_PATH = "/mcp"
RESOURCE_NAME = "LeTexto SMS & email campaigns"


def resources(public_url: str) -> list[str]:
    """Every resource a token may be minted for, the MCP endpoint first (the default)."""
    return [public_url + MCP_RESOURCE_PATH, public_url + API_PREFIX, public_url]


@dataclass(frozen=True)
class Identified:
    """An OAuth caller: the identity tools see, the LeTexto key its connection holds (multi-tenant
    mode), and what its requests are rate-limited by."""

    token: ConnectionToken
    letexto_key: str | None
    rate_id: str


class OAuthGate:
    """What the HTTP layer asks about a Bearer credential that is not a static client key."""

    def __init__(
        self,
        public_url: str,
        *,
        builtin: LetextoAuthorizationServer | None = None,
        external: ExternalIssuer | None = None,
        sealer: KeySealer | None = None,
    ) -> None:
        if (builtin is None) == (external is None):
            raise ValueError("an OAuth gate has exactly one issuer: the built-in server or an outside one")
        self.public_url = public_url
        self.builtin = builtin
        self.external = external
        self.sealer = sealer
        self.issuer = builtin.config.issuer if builtin is not None else external.issuer  # type: ignore[union-attr]

    def resource_path(self, path: str) -> str:
        return API_PREFIX if is_api_path(path) else MCP_RESOURCE_PATH

    def audiences(self, path: str) -> list[str]:
        """The audiences a token used on `path` may carry: its resource, or the whole server."""
        return [self.public_url + self.resource_path(path), self.public_url]

    def metadata_url(self, path: str) -> str:
        return self.public_url + WELL_KNOWN_RESOURCE + self.resource_path(path)

    async def identify(self, token: str, path: str) -> Identified | None:
        """The caller a valid token names, or None (bad signature, issuer, audience, expiry; revoked)."""
        if not looks_like_jwt(token):
            return None
        audiences = self.audiences(path)
        if self.external is not None:
            found = await self.external.verify(token, audiences)
            return None if found is None else Identified(found, None, f"oauth:{found.tenant}")
        assert self.builtin is not None
        verified = await self.builtin.verify(token, audiences)
        if verified is None:
            return None
        access, connection = verified
        letexto_key: str | None = None
        if self.sealer is not None:
            letexto_key = (
                self.sealer.open(connection.sealed_key, connection.id) if connection.sealed_key else None
            )
            if letexto_key is None:
                logger.warning("connection %s… holds no LeTexto key that opens: refused", connection.id[:8])
                return None
        return Identified(access, letexto_key, f"oauth:{connection.id}")


def protected_resource_routes(public_url: str, issuer: str) -> list[Route]:
    """The protected-resource metadata (RFC 9728) of `/mcp`, `/api/v1` and the whole server."""
    found = []
    for suffix, resource in (
        (MCP_RESOURCE_PATH, public_url + MCP_RESOURCE_PATH),
        (API_PREFIX, public_url + API_PREFIX),
        ("", public_url),
    ):
        metadata = ProtectedResourceMetadata.model_validate(
            {
                "resource": resource,
                "authorization_servers": [issuer],
                "scopes_supported": list(ALL_SCOPES),
                "resource_name": RESOURCE_NAME,
            }
        )
        endpoint = cors_middleware(ProtectedResourceMetadataHandler(metadata).handle, ["GET", "OPTIONS"])
        found.append(Route(WELL_KNOWN_RESOURCE + suffix, endpoint=endpoint, methods=["GET", "OPTIONS"]))
    return found
