"""A per-client request limit for the HTTP server: a sliding window of one minute.

Two homes for the count. With a SQLite or memory state (one machine), in this process: counting
every HTTP request in the state file would cost a synchronous disk write per request, so each
worker counts its own share (a client can reach workers × limit). With PostgreSQL (replicas behind
a balancer), in the database: every replica counts against one window per client, with the
store's own atomic sliding window (a commit that does not wait for the disk). If the database
does not answer, the request is let through with a warning: this limit protects the server, and
sends are refused by the guard anyway while the store is down.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from letexto_mcp.store.base import StateStore, StoreError

logger = logging.getLogger("letexto_mcp.server.ratelimit")
SHARED_PREFIX = "http-rate:"

WINDOW_SECONDS = 60.0
_SWEEP_EVERY = 1024


class SlidingWindowLimiter:
    """At most `limit` hits per key in any `window` seconds; `limit` 0 means no limit."""

    def __init__(
        self, limit: int, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._calls = 0

    def hit(self, key: str) -> int:
        """Count one request for `key`: 0 when allowed, else the seconds to wait (at least 1)."""
        wait = self.wait(key)
        if wait == 0:
            self.count(key)
        return wait

    def wait(self, key: str) -> int:
        """0 when one more hit for `key` fits in the window now, else the seconds until it does."""
        if self.limit <= 0:
            return 0
        now = self._clock()
        hits = self._hits.get(key)
        if hits is None:
            return 0
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limit:
            return 0
        return max(1, math.ceil(hits[0] + self.window - now))

    def count(self, key: str) -> None:
        """Record one hit for `key` (whether or not it fitted)."""
        if self.limit <= 0:
            return
        now = self._clock()
        self._calls += 1
        if self._calls % _SWEEP_EVERY == 0:
            self._sweep(now)
        self._hits.setdefault(key, deque()).append(now)

    def _sweep(self, now: float) -> None:
        """Forget clients whose every hit has left the window (keeps memory bounded by active clients)."""
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]:
            del self._hits[key]


class RequestLimiter(Protocol):
    async def hit(self, key: str) -> int:
        """Count one request: 0 when allowed, else the seconds to wait (at least 1)."""
        ...


class LocalLimiter:
    """The in-process window, behind the same interface as the shared one."""

    def __init__(self, limit: int) -> None:
        self._window = SlidingWindowLimiter(limit)

    async def hit(self, key: str) -> int:
        return self._window.hit(key)


class SharedLimiter:
    """One window per client for every replica, kept in the state store (PostgreSQL)."""

    def __init__(
        self,
        store: Callable[[], StateStore | None],
        limit: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self.limit = limit
        self.window = window
        self._clock = clock

    async def hit(self, key: str) -> int:
        store = self._store()
        if self.limit <= 0 or store is None:
            return 0
        try:
            result = await store.hit_rate(SHARED_PREFIX + key, self._clock(), self.window, self.limit)
        except StoreError:
            logger.warning("the shared request limit could not be counted (state store unavailable)")
            return 0
        return 0 if result.allowed else max(1, math.ceil(result.retry_after))
