"""The daily parts budget per tenant, kept in the store so every process shares it.

Days are UTC calendar days of the injected clock. A reservation is taken before the send and
refunded only when LeTexto is known not to have sent it; a send with an unknown outcome keeps
its parts spent, since they may have been billed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from letexto_mcp.guard.errors import CapRefused
from letexto_mcp.store.base import StateStore

SETTING = "LETEXTO_DAILY_BUDGET_PARTS"


def utc_day(epoch: float) -> str:
    """`YYYY-MM-DD` of an epoch time, in UTC."""
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Reservation:
    """Parts held for one send on one day; hand it back to `refund` if nothing left."""

    tenant: str
    day: str
    parts: int


class DailyBudget:
    """Atomic reserve/refund of SMS parts against `limit` per tenant and UTC day (None: count only)."""

    def __init__(self, store: StateStore, limit: int | None, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self.limit = limit
        self._clock = clock

    def _refusal(self, parts: int, used: int, day: str) -> CapRefused:
        left = max(0, (self.limit or 0) - used)
        return CapRefused(
            "daily_budget_parts",
            parts,
            self.limit,
            SETTING,
            f"refused: this send needs {parts} SMS part{'' if parts == 1 else 's'} but only {left} "
            f"of today's {self.limit}-part budget remain ({used} used on {day}, UTC); "
            f"send fewer parts, wait until 00:00 UTC, or raise {SETTING}",
        )

    def today(self) -> str:
        """Today's UTC day, as the budget counts it."""
        return utc_day(self._clock())

    async def check(self, tenant: str, parts: int) -> None:
        """Raise `CapRefused` if `parts` would not fit today (a read: nothing is held)."""
        if self.limit is None:
            return
        day = utc_day(self._clock())
        used = await self._store.budget_used(tenant, day)
        if used + parts > self.limit:
            raise self._refusal(parts, used, day)

    async def reserve(self, tenant: str, parts: int) -> Reservation:
        """Hold `parts` for today or raise `CapRefused` with what is left."""
        day = utc_day(self._clock())
        result = await self._store.reserve_budget(tenant, day, parts, self.limit)
        if not result.allowed:
            raise self._refusal(parts, result.used, day)
        return Reservation(tenant, day, parts)

    async def refund(self, reservation: Reservation) -> None:
        """Give back a reservation whose send never left."""
        await self._store.refund_budget(reservation.tenant, reservation.day, reservation.parts)
