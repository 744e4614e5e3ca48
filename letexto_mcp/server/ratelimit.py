"""A per-client request limit for the HTTP server: a sliding window of one minute, in this process.

Kept in memory on purpose: counting every HTTP request in the shared state file would cost a
synchronous disk write per request. With several workers each counts its own share, so a client
can reach up to (workers × limit) requests a minute; sends have their own shared limit in the guard.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

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
        if self.limit <= 0:
            return 0
        now = self._clock()
        self._calls += 1
        if self._calls % _SWEEP_EVERY == 0:
            self._sweep(now)
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1, math.ceil(hits[0] + self.window - now))
        hits.append(now)
        return 0

    def _sweep(self, now: float) -> None:
        """Forget clients whose every hit has left the window (keeps memory bounded by active clients)."""
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]:
            del self._hits[key]
