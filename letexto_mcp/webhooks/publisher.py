"""`WebhookPublisher.emit`: an event becomes one queued delivery per target, in the state store.

The queue is the store, not memory: an event emitted just before a crash or a restart is still
delivered afterwards, and with a shared store any worker of any replica may deliver it. `emit`
returns once the deliveries are written; the worker (`worker.run_deliveries`) sends them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

import anyio

from letexto_mcp.store.base import StateStore
from letexto_mcp.webhooks.events import event_payload
from letexto_mcp.webhooks.options import WebhookOptions


def new_event_id(now: float) -> str:
    """`msg_` and 26 characters: the time in milliseconds (so ids sort by age) and 64 random bits."""
    return f"msg_{int(now * 1000):010x}{secrets.token_hex(8)}"


class WebhookPublisher:
    """Queues signed-webhook events for every configured target; a no-op when there is none."""

    def __init__(
        self, store: StateStore, options: WebhookOptions, *, redact: Callable[[str], str] = lambda text: text
    ) -> None:
        self.store = store
        self.options = options
        self._redact = redact
        self._wake: anyio.Event | None = None
        self._woken = False

    @property
    def enabled(self) -> bool:
        """Whether events go anywhere (LETEXTO_WEBHOOK_URLS and LETEXTO_WEBHOOK_SECRET set)."""
        return self.options.enabled

    def _clean(self, text: str) -> str:
        secret = self.options.secret
        cleaned = self._redact(text)
        return cleaned.replace(secret.get_secret_value(), "***") if secret is not None else cleaned

    async def emit(self, event_type: str, tenant: str, data: Mapping[str, Any]) -> str | None:
        """Queue `event_type` with `data` (see `events`) for every target; returns the event id, or
        None when no target is configured.

        The data is checked even then: ValueError for an unknown type or a field outside its shape
        (a bug at the call site). StoreError when the queue cannot be written: a caller on the send
        path should log it and go on, a webhook must never fail a send.
        """
        now = self.options.clock()
        payload = event_payload(event_type, tenant, data, now, self._clean)
        if not self.enabled:
            return None
        event_id = new_event_id(now)
        await self.store.webhook_enqueue(event_id, event_type, tenant, payload, self.options.targets, now)
        self.notify()
        return event_id

    def notify(self) -> None:
        """Wake this process's worker: there is something to send now."""
        self._woken = True
        if self._wake is not None:
            self._wake.set()

    async def wait(self, timeout: float) -> None:
        """Until `notify` is called (or was, since the last wait) or `timeout` seconds pass: the
        worker's idle wait. Other processes' events are found by this poll."""
        if not self._woken:
            self._wake = anyio.Event()
            with anyio.move_on_after(timeout):
                await self._wake.wait()
            self._wake = None
        self._woken = False
