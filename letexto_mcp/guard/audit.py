"""Appends audit entries with every free-text field passed through `redact` first.

The store never receives the API key in the first place, but an exception text or an
idempotency key chosen by a client could still carry one: redaction is the last line.
An audit write that fails is logged, never raised: it must not hide what a send did.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from letexto_mcp.store.base import AuditEntry, StateStore

logger = logging.getLogger("letexto_mcp.guard")


class AuditWriter:
    """One call per send attempt: `write(...)` builds the entry, redacts it and appends it."""

    def __init__(
        self, store: StateStore, redact: Callable[[str], str], clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._redact = redact
        self._clock = clock

    async def write(
        self,
        *,
        tenant: str,
        tool: str,
        recipients: int,
        parts: int,
        credits: float,
        approval: str,
        outcome: str,
        letexto_ids: Sequence[str] = (),
        detail: str = "",
        idempotency_key: str | None = None,
    ) -> AuditEntry:
        """Append one entry (best effort) and return it as stored."""
        entry = AuditEntry(
            at=self._clock(),
            tenant=tenant,
            tool=tool,
            recipients=recipients,
            parts=parts,
            credits=float(credits),
            approval=approval,
            outcome=outcome,
            letexto_ids=[self._redact(str(item)) for item in letexto_ids],
            detail=self._redact(detail),
            idempotency_key=self._redact(idempotency_key) if idempotency_key is not None else None,
        )
        try:
            await self._store.append_audit(entry)
        except Exception:
            logger.exception("could not append to the audit log")
        return entry
