"""Tenants over HTTP: who a request is, as a stable id that is never a key, and their LeTexto clients.

A tenant id is an HMAC of the caller's MCP key (and, in multi-tenant mode, of the LeTexto key it
brings) under a server secret: stable across restarts and workers when the secret is (it comes from
LETEXTO_MCP_STATE_SECRET, else from the state store), and useless to anyone who reads it in the
state file or a log. Budget, confirmation tokens, idempotency keys and audit are kept per tenant.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from mcp.server.mcpserver.exceptions import ToolError

from letexto_mcp.config import Settings
from letexto_mcp.store.base import StateStore

if TYPE_CHECKING:
    from letexto_mcp.letexto import LetextoClient

SECRET_NAME = "tenant-ids"
TENANT_PREFIX = "http:"


async def tenant_secret(settings: Settings, store: StateStore) -> bytes:
    """The key tenant ids are derived with: from LETEXTO_MCP_STATE_SECRET, else kept in the store."""
    ring = settings.state_secrets()
    if ring:
        return hmac.new(ring[0], b"letexto-mcp/tenant-ids/v1", hashlib.sha256).digest()
    return await store.get_or_create_secret(SECRET_NAME, lambda: secrets.token_bytes(32))


def tenant_client_id(secret: bytes, mcp_key: str, letexto_key: str | None = None) -> str:
    """The caller's id (the part after `http:`): 128 bits of HMAC over its credentials."""
    material = b"mcp\0" + mcp_key.encode() + b"\0letexto\0" + (letexto_key or "").encode()
    return hmac.new(secret, material, hashlib.sha256).hexdigest()[:32]


class TenantClients:
    """Multi-tenant mode: one LeTexto client per tenant, made on the tenant's first request, closed at exit.

    The middleware that authenticates a request calls `remember` with the key the request carries
    before any tool runs, so `client` always finds it in this process.
    """

    def __init__(self, factory: Callable[[str], LetextoClient]) -> None:
        self._factory = factory
        self._clients: dict[str, LetextoClient] = {}

    def remember(self, tenant: str, letexto_key: str) -> None:
        """Make sure `tenant` has a client (the key is checked by the caller, held only by the client)."""
        if tenant not in self._clients:
            self._clients[tenant] = self._factory(letexto_key)

    async def client(self, tenant: str) -> LetextoClient:
        """The tenant's client; a ToolError when this request did not bring a LeTexto key."""
        client = self._clients.get(tenant)
        if client is None:
            raise ToolError(
                "This server runs in multi-tenant mode: send your LeTexto API key "
                "in the X-LeTexto-Key header."
            )
        return client

    def __len__(self) -> int:
        return len(self._clients)

    async def aclose(self) -> None:
        """Close every tenant's connections."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
