"""What every tool handler works with: settings, the LeTexto client, the state store and the send guard.

The server builds one `Services` in its lifespan; tools read it from the MCP context. Tools
never construct clients or stores themselves, so tests and transports decide what is real.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from letexto_mcp.config import Settings
    from letexto_mcp.guard.pipeline import SendGuard
    from letexto_mcp.letexto import LetextoClient
    from letexto_mcp.store.base import StateStore

LOCAL_TENANT = "local"


@dataclass
class Services:
    """The long-lived parts of one server: built once per process (stdio) or per app (HTTP)."""

    settings: Settings
    shared_client: Callable[[], LetextoClient]
    """The server's own LeTexto client, made on first use (see `server.services.LazyClient`)."""
    store: StateStore
    guard: SendGuard
    redact: Callable[[str], str]
    client_for_tenant: Callable[[str], Awaitable[LetextoClient]] | None = None
    report_url_for: Callable[[str], str] | None = None
    """Signed delivery-report URL for a tenant's send; set when LETEXTO_PUBLIC_URL is configured."""
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def client(self) -> LetextoClient:
        """The server's own LeTexto client (the one every tenant shares unless they bring a key)."""
        return self.shared_client()

    async def letexto(self, tenant: str) -> LetextoClient:
        """The LeTexto client for a tenant: the shared one, unless tenants bring their own key."""
        if self.client_for_tenant is None or tenant == LOCAL_TENANT:
            return self.client
        return await self.client_for_tenant(tenant)

    def delivery_report_url(self, tenant: str) -> str | None:
        """Where LeTexto should report this tenant's send, or None when no public URL is configured."""
        return None if self.report_url_for is None else self.report_url_for(tenant)
