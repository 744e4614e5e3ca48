"""When and how long to wait before trying a read again.

Only reads are ever retried (the client decides that); this module answers "is this failure
worth another attempt?" and "how long to sleep": exponential backoff with jitter, or the
server's `Retry-After` when it gives one that is not absurdly long.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from .errors import LetextoError, LetextoTransportError, RateLimitedError, ServerError

__all__ = ["RetryPolicy", "parse_retry_after"]


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date); None if absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for reads: `retries` extra attempts, delays of `backoff * 2**n` with jitter.

    A 429's `Retry-After` is honoured when it is at most `max_retry_after` seconds; a longer
    one ends the retries at once (better to tell the caller than to hang a tool call).
    """

    retries: int = 2
    backoff: float = 0.25
    max_backoff: float = 8.0
    max_retry_after: float = 10.0

    def delay(self, error: LetextoError, attempt: int) -> float | None:
        """Seconds to sleep before attempt `attempt + 1` (attempts count from 1), or None to stop."""
        if attempt > self.retries or not self.is_retryable(error):
            return None
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            return error.retry_after
        base = min(self.max_backoff, self.backoff * (2.0 ** (attempt - 1)))
        return base * (0.5 + random.random() / 2)

    @staticmethod
    def is_retryable(error: LetextoError) -> bool:
        """Transport failures, rate limits and server errors may pass on a later try; others will not."""
        return isinstance(error, (LetextoTransportError, RateLimitedError, ServerError))
