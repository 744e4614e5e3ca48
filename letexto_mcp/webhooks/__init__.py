"""Signed outbound webhooks (Standard Webhooks), delivered at least once from a queue in the state store.

- `events`: the event types and the shape of their data; the JSON that is signed.
- `signing`: the `whsec_` secret and the `webhook-id/-timestamp/-signature` headers.
- `publisher`: `WebhookPublisher.emit`, which queues one delivery per target URL.
- `worker`: `run_deliveries`, which claims due deliveries under a lease and sends them.
- `delivery`: one attempt over HTTP (deadline, size cap, no redirects, pinned address).
- `ssrf`: which addresses a webhook may reach; `targets`: URL checks and masking; `retry`: backoff.

Importing this package is cheap (no httpx): stdio servers import it at every start.
"""

from __future__ import annotations

from letexto_mcp.webhooks.events import EVENT_TYPES
from letexto_mcp.webhooks.options import WebhookOptions
from letexto_mcp.webhooks.publisher import WebhookPublisher
from letexto_mcp.webhooks.worker import Deliverer, run_deliveries

__all__ = ["EVENT_TYPES", "Deliverer", "WebhookOptions", "WebhookPublisher", "run_deliveries"]
