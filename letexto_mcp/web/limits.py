"""Failed sign-ins per client address: past the limit in a minute, wait (429) before trying again.

Only failures count (a wrong key, a client key); an approver who signs in is never slowed down.
Kept in memory, per process: with several workers each counts its own share.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0
_MAX_ADDRESSES = 10_000


class FailureLimiter:
    """At most `limit` failures per address in any `window` seconds."""

    def __init__(
        self, limit: int, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = max(1, limit)
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.get(address)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[address]
        return failures

    def retry_after(self, address: str) -> int:
        """0 when this address may try now, else the seconds until it may (at least 1)."""
        now = self._clock()
        failures = self._recent(address, now)
        if len(failures) < self.limit:
            return 0
        return max(1, math.ceil(failures[0] + self.window - now))

    def fail(self, address: str) -> None:
        """Count one failed attempt from `address`."""
        now = self._clock()
        if len(self._failures) >= _MAX_ADDRESSES:
            self._sweep(now)
        self._failures.setdefault(address, deque()).append(now)

    def _sweep(self, now: float) -> None:
        for address in [a for a, f in self._failures.items() if not f or f[-1] <= now - self.window]:
            del self._failures[address]
