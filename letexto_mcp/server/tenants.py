"""Tenants over HTTP: who a request is, as a stable id that is never a key, and their LeTexto clients.

A tenant id is an HMAC of the caller's MCP key (and, in multi-tenant mode, of the LeTexto key it
brings) under a server secret: stable across restarts and workers when the secret is (it comes from
LETEXTO_MCP_STATE_SECRET, else from the state store), and useless to anyone who reads it in the
state file or a log. Budget, confirmation tokens, idempotency keys and audit are kept per tenant.

In multi-tenant mode each tenant's LeTexto key gets its own client (an httpx pool, and an entry in
the log filter's list of keys to mask). Anyone can bring a new key with every request, so these
are kept in a bounded LRU: at most LETEXTO_MCP_MAX_TENANT_CLIENTS, and none unused for longer than
LETEXTO_MCP_TENANT_IDLE_SECONDS. A client is closed only when no request is using it; the next
request of a dropped tenant makes a new one from the key it carries.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
from mcp.server.mcpserver.exceptions import ToolError

from letexto_mcp.config import Settings
from letexto_mcp.signing import signing_keys
from letexto_mcp.store.base import StateStore

if TYPE_CHECKING:
    from letexto_mcp.letexto import LetextoClient

logger = logging.getLogger("letexto_mcp.server.tenants")

SECRET_NAME = "tenant-ids"
TENANT_PREFIX = "http:"
CLOSE_TIMEOUT_SECONDS = 5.0
"""Closing one client never holds the request that dropped it longer than this."""
MAX_SWEEP_INTERVAL_SECONDS = 60.0


async def tenant_secret(settings: Settings, store: StateStore) -> bytes:
    """The key tenant ids are derived with: from LETEXTO_MCP_STATE_SECRET, else kept in the store.

    Tenant ids are identities, not proofs: the newest secret derives them, so rotating the state
    secret gives every client a new tenant (new budget, keys and audit log) — rotate it knowingly.
    """
    return (await signing_keys(settings, store, SECRET_NAME))[0]


def tenant_client_id(secret: bytes, mcp_key: str, letexto_key: str | None = None) -> str:
    """The caller's id (the part after `http:`): 128 bits of HMAC over its credentials."""
    material = b"mcp\0" + mcp_key.encode() + b"\0letexto\0" + (letexto_key or "").encode()
    return hmac.new(secret, material, hashlib.sha256).hexdigest()[:32]


@dataclass(eq=False)
class _Tenant:
    """One tenant's client, the requests using it now, and when it was last used."""

    client: LetextoClient
    leases: int = 0
    last_used: float = 0.0
    dropped: bool = False


class TenantClients:
    """Multi-tenant mode: one LeTexto client per tenant, in a bounded LRU, closed when idle or evicted.

    The middleware that authenticates a request holds a `lease` for the tenant while the request
    runs, so `client` always finds the tenant's client during that request. A tenant evicted (beyond
    `max_clients`) while a request uses it is kept aside and closed when its last request ends; its
    client then also waits for calls still running on it (`LetextoClient.aclose_when_idle`).
    """

    def __init__(
        self,
        factory: Callable[[str], LetextoClient],
        *,
        max_clients: int = 1000,
        idle_seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_clients < 1 or idle_seconds <= 0:
            raise ValueError("max_clients must be at least 1 and idle_seconds positive")
        self._factory = factory
        self.max_clients = max_clients
        self.idle_seconds = float(idle_seconds)
        self._clock = clock
        self._live: OrderedDict[str, _Tenant] = OrderedDict()
        """Least recently leased first; at most `max_clients`."""
        self._dropped: dict[str, _Tenant] = {}
        """Evicted while a request still held them: closed when the last such request ends."""

    @asynccontextmanager
    async def lease(self, tenant: str, letexto_key: str) -> AsyncIterator[None]:
        """Hold `tenant`'s client (made from `letexto_key` if needed) for the length of one request."""
        entry, evicted = self._acquire(tenant, letexto_key)
        try:
            await self._close(evicted)
            yield
        finally:
            entry.leases -= 1
            entry.last_used = self._clock()
            if entry.dropped and entry.leases == 0:
                if self._dropped.get(tenant) is entry:
                    del self._dropped[tenant]
                await self._close([entry.client])

    def _acquire(self, tenant: str, letexto_key: str) -> tuple[_Tenant, list[LetextoClient]]:
        """Take a lease (no await: the LRU never changes half-way); return the clients evicted to close."""
        entry = self._live.get(tenant)
        if entry is not None:
            self._live.move_to_end(tenant)
        else:
            entry = self._dropped.pop(tenant, None) or _Tenant(self._factory(letexto_key))
            entry.dropped = False
            self._live[tenant] = entry
        entry.leases += 1
        entry.last_used = self._clock()
        evicted: list[LetextoClient] = []
        while len(self._live) > self.max_clients:
            evicted += self._drop(*self._live.popitem(last=False))
        return entry, evicted

    def _drop(self, tenant: str, entry: _Tenant) -> list[LetextoClient]:
        """Forget a tenant taken out of the LRU: its client to close now, or later if a request holds it."""
        entry.dropped = True
        if entry.leases > 0:
            self._dropped[tenant] = entry
            return []
        return [entry.client]

    async def client(self, tenant: str) -> LetextoClient:
        """The tenant's client; a ToolError when this request did not bring a LeTexto key."""
        entry = self._live.get(tenant) or self._dropped.get(tenant)
        if entry is None:
            raise ToolError(
                "This server runs in multi-tenant mode: send your LeTexto API key "
                "in the X-LeTexto-Key header."
            )
        return entry.client

    async def close_idle(self) -> int:
        """Close the clients no request has used for `idle_seconds`; returns how many were dropped."""
        cutoff = self._clock() - self.idle_seconds
        idle = [t for t, e in self._live.items() if e.leases == 0 and e.last_used <= cutoff]
        closing: list[LetextoClient] = []
        for tenant in idle:
            closing += self._drop(tenant, self._live.pop(tenant))
        await self._close(closing)
        return len(idle)

    @asynccontextmanager
    async def closing_idle(self) -> AsyncIterator[None]:
        """While the block runs, close idle clients every quarter of `idle_seconds` (at most a minute)."""
        interval = min(self.idle_seconds / 4, MAX_SWEEP_INTERVAL_SECONDS)

        async def sweep() -> None:
            while True:
                await anyio.sleep(interval)
                await self.close_idle()

        async with anyio.create_task_group() as tg:
            tg.start_soon(sweep)
            try:
                yield
            finally:
                tg.cancel_scope.cancel()

    @staticmethod
    async def _close(clients: list[LetextoClient]) -> None:
        """Close dropped clients, shielded from the caller's cancellation; a failure is logged, not raised."""
        for client in clients:
            with anyio.move_on_after(CLOSE_TIMEOUT_SECONDS, shield=True):
                try:
                    await client.aclose_when_idle()
                except Exception as error:  # another tenant's request must not fail for it
                    logger.warning("closing a tenant's LeTexto client failed: %s", type(error).__name__)

    def in_use(self, tenant: str) -> int:
        """How many requests hold `tenant`'s client now (0 for a tenant without one)."""
        entry = self._live.get(tenant) or self._dropped.get(tenant)
        return 0 if entry is None else entry.leases

    def in_lru(self, tenant: str) -> bool:
        """Whether `tenant` has a client among the `max_clients` kept."""
        return tenant in self._live

    def __len__(self) -> int:
        """Tenants with a client kept (at most `max_clients`; those held past eviction not counted)."""
        return len(self._live)

    @property
    def held_after_drop(self) -> int:
        """Clients dropped from the LRU but still used by a request: closed when it ends."""
        return len(self._dropped)

    async def aclose(self) -> None:
        """Close every tenant's connections (at exit: requests still running are ending too)."""
        entries = [*self._live.values(), *self._dropped.values()]
        self._live, self._dropped = OrderedDict(), {}
        for entry in entries:
            await entry.client.aclose()
