"""The retention policy: old audit entries, idempotency keys, send marks and budget days are forgotten.

Without it the state file only grows: a flow sending 3,000 reminders a day adds an audit entry and
a key per send. LETEXTO_STATE_RETENTION_DAYS (90 by default, 0 keeps everything) bounds it. The
consequence is stated where users read it: an idempotency key older than the retention period is
forgotten, so repeating a call that old sends again. Pruning runs after a send attempt, at most
once every `PRUNE_EVERY` seconds per process, and never fails a send.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from letexto_mcp.guard.budget import utc_day
from letexto_mcp.store.base import Pruned, StateStore

logger = logging.getLogger("letexto_mcp.guard")

DAY_SECONDS = 86_400.0
PRUNE_EVERY = 6 * 3600.0


class Retention:
    """Prunes the store now and then; `days=None` (or 0) keeps everything."""

    def __init__(self, store: StateStore, days: float | None, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._keep = days * DAY_SECONDS if days else None
        self._clock = clock
        self._last: float | None = None

    async def maybe_prune(self) -> Pruned | None:
        """Prune if the last pass is old enough (or there was none); None when nothing ran."""
        now = self._clock()
        if self._keep is None or (self._last is not None and now - self._last < PRUNE_EVERY):
            return None
        self._last = now
        before = now - self._keep
        try:
            pruned = await self._store.prune(before, utc_day(before))
        except Exception:
            logger.exception("could not prune old state (retention); will try again later")
            return None
        if pruned.total:
            logger.info(
                "retention: forgot %d audit entries, %d idempotency keys, %d send marks, %d budget days",
                pruned.audit,
                pruned.idempotency,
                pruned.send_marks,
                pruned.budget_days,
            )
        return pruned
