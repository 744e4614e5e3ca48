"""Failed sign-ins per client address: past the limit in a minute, wait (429) before trying again.

Only failures count (a wrong key, a client key); an approver who signs in is never slowed down.
Kept in memory, per process: with several workers each counts its own share. The window itself is
the HTTP server's (`server.ratelimit.SlidingWindowLimiter`): here it is asked before an attempt and
told only of the failures.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from letexto_mcp.server.ratelimit import WINDOW_SECONDS, SlidingWindowLimiter


class FailureLimiter:
    """At most `limit` failures per address in any `window` seconds."""

    def __init__(
        self, limit: int, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._window = SlidingWindowLimiter(max(1, limit), window, clock)

    def retry_after(self, address: str) -> int:
        """0 when this address may try now, else the seconds until it may (at least 1)."""
        return self._window.wait(address)

    def fail(self, address: str) -> None:
        """Count one failed attempt from `address`."""
        self._window.count(address)
