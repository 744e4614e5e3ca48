"""Time for the simulator: an injectable clock and its mapping to wall-clock UTC dates.

Statuses move by a clock the tests control (`ManualClock`), while the API speaks in ISO dates;
`WallClock` ties the two together so a `sendAt` date becomes a point on the simulator's clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

Clock = Callable[[], float]
"""A callable returning seconds, like `time.monotonic`."""


class ManualClock:
    """A clock that only moves when told to, so tests step through time without sleeping."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)

    def __call__(self) -> float:
        return self._now

    @property
    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by `seconds` (never backwards) and return the new time."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += seconds
        return self._now


class WallClock:
    """Maps the simulator's clock readings to UTC dates and back, from one fixed origin."""

    def __init__(self, clock: Clock, origin: datetime | None = None) -> None:
        self.clock = clock
        self.clock_origin = clock()
        self.wall_origin = (origin or datetime.now(timezone.utc)).astimezone(timezone.utc)

    def now(self) -> float:
        return self.clock()

    def wall_now(self) -> datetime:
        return self.to_wall(self.clock())

    def to_wall(self, reading: float) -> datetime:
        return self.wall_origin + timedelta(seconds=reading - self.clock_origin)

    def to_reading(self, when: datetime) -> float:
        return self.clock_origin + (when - self.wall_origin).total_seconds()


def format_iso(when: datetime) -> str:
    """UTC with milliseconds and a `Z`, the vendor's format: `2026-02-13T21:40:00.000Z`."""
    utc = when.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime | None:
    """Parse an ISO-8601 date-time (a missing zone means UTC); None when it is not one."""
    candidate = text.strip()
    if len(candidate) < 10 or "T" not in candidate.upper():
        return None
    if candidate[-1] in "zZ":
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)
