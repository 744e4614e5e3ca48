"""Telling watchers that a resource changed (a message's status): on this replica, or on all of them.

A delivery report reaches one replica; the client watching `letexto://messages/{id}` may be
connected to another. With PostgreSQL the notice goes through the database (NOTIFY), and every
replica relays what it hears (LISTEN) to its own watchers — itself included, so each watcher hears
it once. With SQLite or memory (one machine) the notice goes straight to this process's bus.
Notices are best effort either way: a watcher that missed one learns the status by asking.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from mcp.server.subscriptions import InMemorySubscriptionBus, ResourceUpdated

from letexto_mcp.store.base import StateStore

logger = logging.getLogger("letexto_mcp.server.notices")


def _shared(store: StateStore | None) -> Any | None:
    """The store when it can carry notices between replicas (PostgreSQL), else None."""
    return store if store is not None and hasattr(store, "notices") and hasattr(store, "notify") else None


class ResourceNotices:
    """Publishes resource updates, across replicas when the store is shared."""

    def __init__(self, bus: InMemorySubscriptionBus, store: Callable[[], StateStore | None]) -> None:
        self._bus = bus
        self._store = store

    async def publish(self, uri: str) -> None:
        shared = _shared(self._store())
        if shared is None:
            await self._bus.publish(ResourceUpdated(uri=uri))
            return
        await shared.notify(uri)  # heard back by `relay` here, and on every other replica

    async def relay(self) -> None:
        """Hand every notice any replica sent to this replica's watchers; runs until cancelled."""
        shared = _shared(self._store())
        if shared is None:
            return
        async for uri in shared.notices():
            try:
                await self._bus.publish(ResourceUpdated(uri=uri))
            except Exception:  # one watcher's trouble must not stop the relay
                logger.exception("could not relay a resource notice")
