"""Approval records: a send a person must decide, kept in the store so any process can show it.

Under policy `approve`, a send that no client dialog can approve becomes a pending record: an
unguessable id, the tenant, the tool, the fingerprint of the whole normalised request, what the
page shows (`summary`) and every (recipient, text) that would leave. A person holding an approver
key decides on the page (or a bot through its endpoint); the caller's next call, with the token
naming the record, sends only if the record is approved, for exactly this request, not expired,
and consumes it in the same atomic step. A token the model holds is never an approval by itself:
it only names the record.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from letexto_mcp.store.base import ApprovalRecord, Decision, StateStore

logger = logging.getLogger("letexto_mcp.guard")

TOKEN_PREFIX = "apr_"
_ID_BYTES = 18  # 144 bits, 24 URL-safe characters

DecidedHook = Callable[[ApprovalRecord], Awaitable[None]]
Notify = Callable[[str, str, Mapping[str, Any]], Awaitable[object]]
"""`notify(event_type, tenant, data)`: tell the outside world (signed webhooks); best effort."""


async def tell(notify: Notify | None, event_type: str, tenant: str, data: Mapping[str, Any]) -> None:
    """Send one event, never failing the caller: an event is a courtesy, the decision stands."""
    if notify is None:
        return
    try:
        await notify(event_type, tenant, data)
    except Exception:
        logger.exception("could not queue the %s event", event_type)


def approval_token(record: ApprovalRecord) -> str:
    """The confirmation_token that names a record (it names it; it approves nothing)."""
    return TOKEN_PREFIX + record.id


def approval_id_of(token: str | None) -> str | None:
    """The record a token names, or None for anything that is not an approval token."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    approval_id = token[len(TOKEN_PREFIX) :]
    if not 16 <= len(approval_id) <= 64 or not all(c.isalnum() or c in "-_" for c in approval_id):
        return None
    return approval_id


class ApprovalDesk:
    """Opens, decides and consumes approval records; the page, the bot endpoint and the guard share it."""

    def __init__(
        self,
        store: StateStore,
        ttl: float,
        clock: Callable[[], float] = time.time,
        notify: Notify | None = None,
    ) -> None:
        self._store = store
        self.ttl = float(ttl)
        self._clock = clock
        self._notify = notify
        self._decided_hooks: list[DecidedHook] = []

    @property
    def store(self) -> StateStore:
        return self._store

    def now(self) -> float:
        return self._clock()

    def on_decided(self, hook: DecidedHook) -> None:
        """Call `hook(record)` after each decision (webhooks, waiting calls, notifications)."""
        self._decided_hooks.append(hook)

    async def open(
        self,
        *,
        tenant: str,
        tool: str,
        fingerprint: str,
        summary: Mapping[str, Any],
        messages: Iterable[tuple[str, str]],
    ) -> ApprovalRecord:
        """A new pending record for this exact request, valid `ttl` seconds."""
        kept = list(messages)
        now = self._clock()
        record = ApprovalRecord(
            id=secrets.token_urlsafe(_ID_BYTES),
            tenant=tenant,
            tool=tool,
            fingerprint=fingerprint,
            summary=dict(summary),
            recipients=len({recipient for recipient, _ in kept}),
            distinct_texts=len({text for _, text in kept}),
            created_at=now,
            expires_at=now + self.ttl,
        )
        await self._store.create_approval(record, kept)
        return record

    async def announce(self, record: ApprovalRecord, url: str | None) -> None:
        """`approval.requested`, with the page's address, for chat-ops bots to post."""
        if url is None:
            return
        data = {
            "approval_id": record.id,
            "tool": record.tool,
            "recipients": record.recipients,
            "approval_url": url,
            "expires_at": record.expires_at,
        }
        await tell(self._notify, "approval.requested", record.tenant, data)

    async def get(self, approval_id: str) -> ApprovalRecord | None:
        return await self._store.get_approval(approval_id)

    async def decide(
        self, approval_id: str, *, approve: bool, by: str, via: str, from_address: str | None = None
    ) -> ApprovalRecord | None:
        """Take a person's decision, once; None when the record was not pending (or has expired)."""
        decision = Decision(approve=approve, by=by, via=via, at=self._clock(), from_address=from_address)
        record = await self._store.decide_approval(approval_id, decision)
        if record is not None:
            event = "approval.approved" if approve else "approval.declined"
            data = {"approval_id": record.id, "decided_by": by, "decided_at": decision.at}
            await tell(self._notify, event, record.tenant, data)
            for hook in self._decided_hooks:
                try:
                    await hook(record)
                except Exception:  # the decision stands; a hook is a courtesy (events, notices)
                    logger.exception("a hook failed after an approval decision")
        return record

    async def consume(self, approval_id: str, tenant: str, fingerprint: str) -> ApprovalRecord | None:
        """Spend an approved record on the send it approved; None if it cannot be spent."""
        return await self._store.consume_approval(approval_id, tenant, fingerprint, self._clock())

    async def settle(self, approval_id: str, outcome: Mapping[str, Any]) -> None:
        await self._store.settle_approval(approval_id, dict(outcome))
