"""Sends per minute per tenant: a sliding window in the store, shared by every process.

It counts send attempts that passed approval, not previews: a runaway loop of sends stops here
even when each one is approved (policy `allow`) and within budget.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from letexto_mcp.guard.errors import CapRefused
from letexto_mcp.store.base import StateStore

SETTING = "LETEXTO_SENDS_PER_MINUTE"


class SendRateLimit:
    """At most `per_minute` sends per tenant in any `window` seconds (60 by default)."""

    def __init__(
        self, store: StateStore, per_minute: int, clock: Callable[[], float] = time.time, window: float = 60.0
    ) -> None:
        if per_minute < 1:
            raise ValueError(f"{SETTING} must be at least 1")
        self._store = store
        self.per_minute = per_minute
        self.window = window
        self._clock = clock

    async def hit(self, tenant: str) -> None:
        """Count one send or raise `CapRefused` saying when to try again."""
        result = await self._store.hit_rate(tenant, self._clock(), self.window, self.per_minute)
        if not result.allowed:
            wait = max(1, math.ceil(result.retry_after))
            raise CapRefused(
                "sends_per_minute",
                result.count + 1,
                self.per_minute,
                SETTING,
                f"refused: {result.count} sends in the last {self.window:.0f} s already reach "
                f"{SETTING} ({self.per_minute}); try again in {wait} s, or raise {SETTING}",
            )
