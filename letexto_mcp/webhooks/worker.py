"""The delivery worker: claims due deliveries from the store, sends them, records how each went.

Run `run_deliveries(publisher)` in a task group (the HTTP app's lifespan, a stdio server's
background). Any number of workers, in any process sharing the store, can run at once: a claim
leases its deliveries, so no two workers send one delivery at the same time, and a worker killed
mid-delivery leaves it to whoever claims it after the lease. Delivery is at least once: a receiver
that answered but whose answer was lost (or a lease that lapsed mid-attempt) gets the event again,
with the same `webhook-id`.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio
import anyio.abc

from letexto_mcp.store.base import (
    WEBHOOK_DELIVERED,
    WEBHOOK_GIVEN_UP,
    WEBHOOK_PENDING,
    StateStore,
    WebhookDelivery,
)
from letexto_mcp.webhooks.options import WebhookOptions
from letexto_mcp.webhooks.retry import next_attempt_at
from letexto_mcp.webhooks.targets import mask_target

if TYPE_CHECKING:
    from letexto_mcp.webhooks.delivery import Attempt, DeliveryClient
    from letexto_mcp.webhooks.publisher import WebhookPublisher

logger = logging.getLogger("letexto_mcp.webhooks")

BATCH = 16
POLL_SECONDS = 2.0


def worker_name() -> str:
    """This worker in a lease id: host, process and a random part (two workers in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Deliverer:
    """Claims and delivers what is due, one pass at a time (`deliver_due`); `run_deliveries` loops it."""

    def __init__(
        self,
        options: WebhookOptions,
        store: StateStore,
        *,
        name: str | None = None,
        batch: int = BATCH,
        rand: Callable[[], float] = random.random,
    ) -> None:
        from letexto_mcp.webhooks.delivery import DeliveryClient  # httpx loads with the first worker

        self.options = options
        self.store = store
        self.name = name or worker_name()
        self.batch = batch
        self._rand = rand
        self._client: DeliveryClient = DeliveryClient(options)

    async def deliver_due(self) -> int:
        """Claim up to `batch` due deliveries, attempt them all at once, record each; how many."""
        now = self.options.clock()
        lease_id = f"{self.name}/{secrets.token_hex(6)}"
        claimed = await self.store.webhook_claim(lease_id, now, now + self.options.lease_seconds, self.batch)
        async with anyio.create_task_group() as group:
            for delivery in claimed:
                group.start_soon(self._deliver, delivery, lease_id)
        return len(claimed)

    async def _deliver(self, delivery: WebhookDelivery, lease_id: str) -> None:
        from letexto_mcp.webhooks.delivery import Attempt

        target = mask_target(delivery.target)
        if delivery.target not in self.options.targets:
            attempt = Attempt("stop", None, "the target is no longer in LETEXTO_WEBHOOK_URLS")
        else:
            try:
                attempt = await self._client.attempt(delivery)
            except Exception as error:  # a bug here must not stop the worker; the delivery is retried
                logger.exception("webhook %s to %s: attempt failed unexpectedly", delivery.event_id, target)
                attempt = Attempt("retry", None, f"internal error ({type(error).__name__})")
        try:
            await self._record(delivery, lease_id, attempt)
        except Exception:  # the store failed: the lease lapses and the delivery is tried again
            logger.exception("webhook %s to %s: could not record the attempt", delivery.event_id, target)

    async def _record(self, delivery: WebhookDelivery, lease_id: str, attempt: Attempt) -> None:
        now = self.options.clock()
        target = mask_target(delivery.target)
        state, retry_at, error = WEBHOOK_DELIVERED, None, attempt.error
        if attempt.outcome == "stop":
            state = WEBHOOK_GIVEN_UP
        elif attempt.outcome == "retry":
            retry_at = next_attempt_at(
                delivery.created_at, delivery.attempts, now, self.options.retry_horizon, self._rand
            )
            state = WEBHOOK_PENDING if retry_at is not None else WEBHOOK_GIVEN_UP
            if retry_at is None:
                hours = self.options.retry_horizon / 3600
                error = f"{attempt.error}; given up after {delivery.attempts} attempts over {hours:g} h"
        kept = await self.store.webhook_finish(
            delivery.event_id,
            delivery.target,
            lease_id,
            state,
            now,
            status_code=attempt.status_code,
            error=error,
            next_attempt_at=retry_at,
        )
        where = f"webhook {delivery.event_id} ({delivery.event_type}) to {target}"
        if not kept:
            logger.warning("%s: the lease lapsed during the attempt; another worker has it now", where)
        elif state == WEBHOOK_DELIVERED:
            logger.info("%s: delivered (HTTP %s), attempt %d", where, attempt.status_code, delivery.attempts)
        elif state == WEBHOOK_GIVEN_UP:
            logger.warning("%s: given up after attempt %d: %s", where, delivery.attempts, error)
        else:
            wait = (retry_at or now) - now
            logger.info("%s: attempt %d failed (%s); next in %.0f s", where, delivery.attempts, error, wait)


async def run_deliveries(
    publisher: WebhookPublisher,
    *,
    poll_seconds: float = POLL_SECONDS,
    task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Deliver queued events until cancelled; returns at once when no target is configured.

    Woken by `publisher.emit` in this process, and polls every `poll_seconds` for retries that fell
    due and events queued by other processes. A store failure is logged and tried again later.
    """
    if not publisher.enabled:
        task_status.started()
        return
    deliverer = Deliverer(publisher.options, publisher.store)
    targets = len(publisher.options.targets)
    logger.info("webhook worker %s delivering to %d target(s)", deliverer.name, targets)
    task_status.started()
    while True:
        try:
            claimed = await deliverer.deliver_due()
        except Exception:
            logger.exception("webhook worker: could not claim deliveries; trying again in %g s", poll_seconds)
            claimed = 0
        if claimed < deliverer.batch:
            await publisher.wait(poll_seconds)
