"""Writes audit entries with every free-text field passed through `redact` first.

The store never receives the API key in the first place, but an exception text or an
idempotency key chosen by a client could still carry one: redaction is the last line.

An attempt that goes as far as sending is written twice into one entry: `open` writes it as
`sending` before the request leaves — the write-ahead record: if it cannot be written, it raises
and nothing is sent — then `record` settles it with the outcome. A process killed in between
leaves the `sending` entry, which is the truth: the request may have reached LeTexto, nobody saw
the answer. Every other entry (refusals, previews, settlements) is best effort: a failed write is
logged, never raised, so it cannot hide what a send did.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from letexto_mcp.guard.wording import SENDING_DETAIL
from letexto_mcp.store.base import AuditEntry, StateStore

logger = logging.getLogger("letexto_mcp.guard")
SENDING = "sending"


class AuditWriter:
    """Builds, redacts and stores audit entries for the guard."""

    def __init__(
        self, store: StateStore, redact: Callable[[str], str], clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._redact = redact
        self._clock = clock

    def _entry(
        self, fields: Mapping[str, Any], *, outcome: str, detail: str, at: float, attempt: str | None
    ) -> AuditEntry:
        key = fields.get("idempotency_key")
        return AuditEntry(
            at=at,
            tenant=fields["tenant"],
            tool=fields["tool"],
            recipients=int(fields["recipients"]),
            parts=int(fields["parts"]),
            credits=float(fields["credits"]),
            approval=str(fields["approval"]),
            outcome=outcome,
            letexto_ids=[self._redact(str(item)) for item in fields.get("letexto_ids", ())],
            detail=self._redact(detail),
            idempotency_key=self._redact(key) if key is not None else None,
            attempt=attempt,
        )

    async def open(self, fields: Mapping[str, Any], *, attempt: str) -> AuditEntry:
        """Write the `sending` entry of an attempt; raises when it cannot be written (then do not send)."""
        entry = self._entry(fields, outcome=SENDING, detail=SENDING_DETAIL, at=self._clock(), attempt=attempt)
        await self._store.append_audit(entry)
        return entry

    async def record(
        self, fields: Mapping[str, Any], *, outcome: str, detail: str, opened: AuditEntry | None = None
    ) -> bool:
        """Settle the `opened` entry with the outcome, or append a new one; best effort: whether written."""
        try:
            await self.write(fields, outcome=outcome, detail=detail, opened=opened)
        except Exception as error:
            logger.error("could not write to the audit log: %s", self._redact(str(error)))
            return False
        return True

    async def write(
        self, fields: Mapping[str, Any], *, outcome: str, detail: str, opened: AuditEntry | None = None
    ) -> None:
        """As `record`, but a failure raises (for a caller that will try again)."""
        at = opened.at if opened is not None else self._clock()
        attempt = opened.attempt if opened is not None else None
        entry = self._entry(fields, outcome=outcome, detail=detail, at=at, attempt=attempt)
        if opened is not None:
            await self._store.settle_audit(entry)
        else:
            await self._store.append_audit(entry)

    async def settle(self, opened: AuditEntry, *, outcome: str, detail: str) -> None:
        """Settle an opened entry someone else wrote (a replica that stopped), keeping its facts."""
        await self._store.settle_audit(replace(opened, outcome=outcome, detail=self._redact(detail)))


def new_attempt_id() -> str:
    """A random name for one attempt (not guessable, not derived from the request)."""
    return secrets.token_hex(12)
