"""When a failed delivery is tried again, and when it is given up.

Backoff grows quickly (5 s, 30 s, 2 min, 10 min, 30 min, 1 h) and then stays hourly, each delay
shifted by up to ±20 % at random so that a receiver coming back after an outage is not hit by
every queued event in the same second. A delivery whose next attempt would fall after the retry
horizon (LETEXTO_WEBHOOK_RETRY_HOURS after the event) is given up instead.
"""

from __future__ import annotations

import random
from collections.abc import Callable

SCHEDULE: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)
JITTER = 0.2


def retry_delay(attempts: int, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the `attempts`-th failed attempt (1 for the first)."""
    base = SCHEDULE[min(max(attempts, 1), len(SCHEDULE)) - 1]
    return base * (1.0 - JITTER + 2 * JITTER * rand())


def next_attempt_at(
    created_at: float,
    attempts: int,
    now: float,
    horizon: float,
    rand: Callable[[], float] = random.random,
) -> float | None:
    """When to try again after a failure at `now`, or None: past the horizon, give up."""
    at = now + retry_delay(attempts, rand)
    return None if at > created_at + horizon else at
