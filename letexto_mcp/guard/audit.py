"""Appends audit entries with every free-text field passed through `redact` first.

The store never receives the API key in the first place, but an exception text or an
idempotency key chosen by a client could still carry one: redaction is the last line.
An audit write that fails is logged, never raised: it must not hide what a send did.

An attempt that goes as far as sending is written twice into one entry: `sending` just before the
request leaves (`opened`), then settled with its outcome. A process killed in between leaves the
`sending` entry, which is the truth: the request may have reached LeTexto, nobody saw the answer.
"""

from __future__ import annotations

import logging
import secrets
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
        attempt: str | None = None,
        opened: AuditEntry | None = None,
    ) -> AuditEntry:
        """Append one entry (named `attempt`, if given), or settle the `opened` one; best effort."""
        entry = AuditEntry(
            at=opened.at if opened is not None else self._clock(),
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
            attempt=opened.attempt if opened is not None else attempt,
        )
        try:
            if opened is not None:
                await self._store.settle_audit(entry)
            else:
                await self._store.append_audit(entry)
        except Exception:
            logger.exception("could not append to the audit log")
        return entry


def new_attempt_id() -> str:
    """A random name for one attempt's entry (not guessable, not derived from the request)."""
    return secrets.token_hex(12)
