"""`letexto-mcp webhooks list | test`: the operator's view of the queue, and an end-to-end check.

`list` prints the newest deliveries from the state store (the one LETEXTO_STATE_URL names, so
run it with the server's environment): event id, type, target (credentials masked), attempts,
the last answer, and when the next attempt is due or that it was given up. `test` queues a
`webhook.test` event for every target and delivers it at once from this process, acting for a
moment as one more worker (so it also sends whatever else is due; a running server may take the
test event instead: the result is read back from the store either way).
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import TextIO

import anyio

from letexto_mcp.config import Settings
from letexto_mcp.store.base import WEBHOOK_DELIVERED, WEBHOOK_GIVEN_UP, WebhookDelivery
from letexto_mcp.store.factory import open_store
from letexto_mcp.webhooks.options import WebhookOptions
from letexto_mcp.webhooks.publisher import WebhookPublisher
from letexto_mcp.webhooks.targets import mask_target
from letexto_mcp.webhooks.worker import Deliverer

TEST_TENANT = "local"
NOT_CONFIGURED = "LETEXTO_WEBHOOK_URLS is not set: no event is queued or sent."


def _when(at: float | None) -> str:
    if at is None:
        return "-"
    return datetime.fromtimestamp(at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _next(row: WebhookDelivery) -> str:
    if row.state == WEBHOOK_DELIVERED:
        return f"delivered {_when(row.finished_at)}"
    if row.state == WEBHOOK_GIVEN_UP:
        return f"given up {_when(row.finished_at)}"
    if row.lease_id is not None:
        return f"being sent (attempt {row.attempts})"
    return f"next attempt {_when(row.next_attempt_at)}"


def _last(row: WebhookDelivery) -> str:
    if row.last_status is not None:
        return f"HTTP {row.last_status}"
    if row.last_error and row.last_error.startswith("refused:"):
        return "refused"  # the SSRF guard: no request was made
    return "no answer" if row.last_error else "-"


def format_log(rows: list[WebhookDelivery]) -> str:
    """The delivery log as a table, with the last error under each delivery that has one."""
    header = ("EVENT", "TYPE", "TARGET", "ATTEMPTS", "LAST", "NEXT")
    table = [
        (row.event_id, row.event_type, mask_target(row.target), str(row.attempts), _last(row), _next(row))
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *table]) for i in range(len(header))]
    lines = []
    for line, row in zip([header, *table], [None, *rows], strict=True):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if row is not None and row.last_error and row.state != WEBHOOK_DELIVERED:
            lines.append(f"    last error: {row.last_error}")
    return "\n".join(lines)


async def list_deliveries(settings: Settings, limit: int, out: TextIO) -> int:
    """Print the newest `limit` deliveries; 0."""
    store = open_store(settings.state_url)
    try:
        rows = await store.webhook_deliveries(limit=limit)
    finally:
        await store.close()
    if not settings.webhook_urls:
        print(NOT_CONFIGURED, file=out)
    if not rows:
        print("No webhook delivery in the state store.", file=out)
        return 0
    print(format_log(rows), file=out)
    return 0


async def send_test(settings: Settings, out: TextIO, *, options: WebhookOptions | None = None) -> int:
    """Queue a `webhook.test` event for every target, deliver it, print each outcome; 0 when all arrived."""
    options = options or WebhookOptions.from_settings(settings)
    if not options.enabled:
        print(NOT_CONFIGURED, file=out)
        return 2
    store = open_store(settings.state_url)
    try:
        publisher = WebhookPublisher(store, options)
        event_id = await publisher.emit(
            "webhook.test", TEST_TENANT, {"message": "A test event from letexto-mcp webhooks test."}
        )
        assert event_id is not None
        deliverer = Deliverer(options, store)
        rows: list[WebhookDelivery] = []
        with anyio.move_on_after(options.timeout * 2 + 5):
            while True:
                await deliverer.deliver_due()
                rows = await store.webhook_deliveries(event_id=event_id, limit=len(options.targets))
                if all(row.attempts and row.lease_id is None for row in rows):
                    break
                await anyio.sleep(0.2)  # another worker holds it: wait for its result
    finally:
        await store.close()
    print(f"webhook.test {event_id}:", file=out)
    for row in sorted(rows, key=lambda r: options.targets.index(r.target)):
        target = mask_target(row.target)
        if row.state == WEBHOOK_DELIVERED:
            print(f"  delivered to {target} (HTTP {row.last_status})", file=out)
        elif row.state == WEBHOOK_GIVEN_UP:
            print(f"  NOT delivered to {target}, given up: {row.last_error}", file=out)
        elif row.attempts and row.lease_id is None:
            print(
                f"  NOT delivered to {target}: {row.last_error}; a running server retries it "
                f"from {_when(row.next_attempt_at)}",
                file=out,
            )
        else:
            print(f"  no result yet for {target}: still being sent", file=out)
    return 0 if rows and all(row.state == WEBHOOK_DELIVERED for row in rows) else 1


def run_webhooks_command(settings: Settings, action: str, limit: int = 50, out: TextIO | None = None) -> int:
    """`letexto-mcp webhooks list|test`, with the server's own settings."""
    from letexto_mcp.services import effective_settings

    settings = effective_settings(settings)
    stream = out or sys.stdout
    if action == "list":
        return anyio.run(list_deliveries, settings, limit, stream)
    return anyio.run(lambda: send_test(settings, stream))
