"""State in process memory (`memory://`): for tests, demos and users who want nothing on disk.

Same semantics as the SQLite store; one `anyio.Lock` makes every check-and-write atomic across
the tasks of this process. Nothing survives a restart, so neither do idempotency records: say
so to users who pick it for real sends.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import anyio

from letexto_mcp.states import AttemptState
from letexto_mcp.store.base import (
    NONCE_PURGE_GRACE,
    OAUTH_GRANT_PURGE_GRACE,
    REPORT_RETENTION,
    WEBHOOK_PENDING,
    ApprovalRecord,
    AuditEntry,
    BudgetResult,
    Decision,
    DeliveryReport,
    IdempotencyRecord,
    OAuthConnection,
    OAuthGrant,
    OpenAttempt,
    Pruned,
    RateResult,
    SendMark,
    StoreError,
    WebhookDelivery,
    check_grant_kind,
    check_idempotency_state,
    check_mark_state,
    check_webhook_finish,
    most_blocking,
)


def _json_copy(value: dict[str, Any]) -> dict[str, Any]:
    """Round-trip through JSON so the memory store accepts and returns exactly what SQLite would."""
    copied: dict[str, Any] = json.loads(json.dumps(value))  # json.loads is untyped; a dict comes back a dict
    return copied


class MemoryStore:
    """A `StateStore` in dictionaries, guarded by one lock."""

    def __init__(self) -> None:
        self._lock = anyio.Lock()
        self._closed = False
        self._secrets: dict[str, bytes] = {}
        self._nonces: dict[tuple[str, str], float] = {}
        self._idempotency: dict[tuple[str, str], IdempotencyRecord] = {}
        self._marks: dict[tuple[str, str], dict[str, SendMark]] = {}  # (tenant, fp) -> attempt -> mark
        self._budget: dict[tuple[str, str], int] = {}
        self._hits: dict[str, list[float]] = {}
        self._audit: list[AuditEntry] = []
        self._reports: list[DeliveryReport] = []
        self._report_urls: dict[tuple[str, str], tuple[str, float]] = {}  # (tenant, nonce) -> (id, at)
        self._replicas: dict[str, float] = {}
        self._attempts: dict[str, OpenAttempt] = {}
        self._approvals: dict[str, ApprovalRecord] = {}
        self._approval_messages: dict[str, list[tuple[str, str]]] = {}
        self._webhooks: dict[tuple[str, str], WebhookDelivery] = {}  # (event_id, target) -> delivery
        self._oauth_clients: dict[str, dict[str, Any]] = {}
        self._oauth_connections: dict[str, OAuthConnection] = {}
        self._oauth_grants: dict[str, OAuthGrant] = {}

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the state store is closed")

    async def get_or_create_secret(self, name: str, factory: Callable[[], bytes]) -> bytes:
        async with self._lock:
            self._check_open()
            if name not in self._secrets:
                self._secrets[name] = bytes(factory())
            return self._secrets[name]

    async def consume_once(
        self, tenant: str, nonce: str, expires_at: float, *, now: float | None = None
    ) -> bool:
        async with self._lock:
            self._check_open()
            if now is not None:
                horizon = now - NONCE_PURGE_GRACE
                for stale in [k for k, exp in self._nonces.items() if exp < horizon]:
                    del self._nonces[stale]
            if (tenant, nonce) in self._nonces:
                return False
            self._nonces[(tenant, nonce)] = expires_at
            return True

    async def idempotency_get(self, tenant: str, key: str) -> IdempotencyRecord | None:
        async with self._lock:
            self._check_open()
            return copy.deepcopy(self._idempotency.get((tenant, key)))

    async def idempotency_claim(
        self, tenant: str, key: str, fingerprint: str, now: float
    ) -> IdempotencyRecord | None:
        async with self._lock:
            self._check_open()
            existing = self._idempotency.get((tenant, key))
            if existing is not None:
                return copy.deepcopy(existing)
            self._idempotency[(tenant, key)] = IdempotencyRecord("in_flight", fingerprint, None, now)
            return None

    async def idempotency_finish(self, tenant: str, key: str, state: str, result: dict[str, Any]) -> None:
        check_idempotency_state(state)
        stored = _json_copy(result)
        async with self._lock:
            self._check_open()
            existing = self._idempotency.get((tenant, key))
            if existing is None:
                # Finishing a key nobody holds is a caller bug, but losing a result is worse.
                existing = IdempotencyRecord(state, "", None, time.time())
            self._idempotency[(tenant, key)] = IdempotencyRecord(
                state, existing.fingerprint, stored, existing.created_at
            )

    async def idempotency_release(self, tenant: str, key: str) -> None:
        async with self._lock:
            self._check_open()
            self._idempotency.pop((tenant, key), None)

    def _blocking_mark(self, tenant: str, fingerprint: str, since: float) -> SendMark | None:
        return most_blocking(list(self._marks.get((tenant, fingerprint), {}).values()), since)

    async def recent_send(self, tenant: str, fingerprint: str, since: float) -> SendMark | None:
        async with self._lock:
            self._check_open()
            return self._blocking_mark(tenant, fingerprint, since)

    async def claim_send(
        self, tenant: str, fingerprint: str, attempt: str, since: float, now: float, *, force: bool = False
    ) -> SendMark | None:
        async with self._lock:
            self._check_open()
            marks = self._marks.setdefault((tenant, fingerprint), {})
            if force:
                for name, mark in marks.items():
                    if mark.state == AttemptState.OUTCOME_UNKNOWN:
                        marks[name] = SendMark(AttemptState.RESOLVED, now, mark.ref, name)
            else:
                blocking = self._blocking_mark(tenant, fingerprint, since)
                if blocking is not None:
                    return blocking
            marks[attempt] = SendMark(AttemptState.IN_FLIGHT, now, None, attempt)
            return None

    async def settle_send(
        self, tenant: str, fingerprint: str, attempt: str, state: str, now: float, ref: str | None
    ) -> bool:
        check_mark_state(state)
        async with self._lock:
            self._check_open()
            marks = self._marks.get((tenant, fingerprint), {})
            if attempt not in marks:
                return False
            marks[attempt] = SendMark(state, now, ref, attempt)
            return True

    async def release_send(self, tenant: str, fingerprint: str, attempt: str) -> None:
        async with self._lock:
            self._check_open()
            marks = self._marks.get((tenant, fingerprint), {})
            marks.pop(attempt, None)
            if not marks:
                self._marks.pop((tenant, fingerprint), None)

    async def reserve_budget(self, tenant: str, day: str, parts: int, limit: int | None) -> BudgetResult:
        if parts < 0:
            raise ValueError("parts must not be negative")
        async with self._lock:
            self._check_open()
            used = self._budget.get((tenant, day), 0)
            if limit is not None and used + parts > limit:
                return BudgetResult(False, used, limit)
            self._budget[(tenant, day)] = used + parts
            return BudgetResult(True, used + parts, limit)

    async def refund_budget(self, tenant: str, day: str, parts: int) -> None:
        async with self._lock:
            self._check_open()
            used = self._budget.get((tenant, day), 0)
            self._budget[(tenant, day)] = max(0, used - max(0, parts))

    async def budget_used(self, tenant: str, day: str) -> int:
        async with self._lock:
            self._check_open()
            return self._budget.get((tenant, day), 0)

    async def hit_rate(self, tenant: str, now: float, window: float, limit: int) -> RateResult:
        async with self._lock:
            self._check_open()
            hits = [at for at in self._hits.get(tenant, []) if at > now - window]
            self._hits[tenant] = hits
            if len(hits) >= limit:
                retry_after = max(0.0, min(hits) + window - now) if hits else window
                return RateResult(False, len(hits), limit, retry_after)
            hits.append(now)
            return RateResult(True, len(hits), limit, 0.0)

    async def append_audit(self, entry: AuditEntry) -> None:
        stored = AuditEntry.from_json(entry.to_json())
        async with self._lock:
            self._check_open()
            self._audit.append(stored)

    async def settle_audit(self, entry: AuditEntry) -> None:
        stored = AuditEntry.from_json(entry.to_json())
        async with self._lock:
            self._check_open()
            if entry.attempt is not None:
                for index in range(len(self._audit) - 1, -1, -1):  # newest first: it was just opened
                    existing = self._audit[index]
                    if existing.attempt == entry.attempt and existing.tenant == entry.tenant:
                        self._audit[index] = stored
                        return
            self._audit.append(stored)

    async def list_audit(
        self, tenant: str, *, since: float | None = None, until: float | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        async with self._lock:
            self._check_open()
            # Newest first; among equal times, the later append first (as SQLite's rowid order).
            ordered = sorted(enumerate(self._audit), key=lambda pair: (pair[1].at, pair[0]), reverse=True)
            picked = [
                entry
                for _, entry in ordered
                if entry.tenant == tenant
                and (since is None or entry.at >= since)
                and (until is None or entry.at < until)
            ]
            return [AuditEntry.from_json(entry.to_json()) for entry in picked[: max(0, limit)]]

    async def prune(self, before: float, before_day: str) -> Pruned:
        async with self._lock:
            self._check_open()
            kept_audit = [e for e in self._audit if e.at >= before]
            old_keys = [k for k, r in self._idempotency.items() if r.created_at < before]
            old_marks = 0
            for send, marks in list(self._marks.items()):
                for attempt in [a for a, mark in marks.items() if mark.at < before]:
                    del marks[attempt]
                    old_marks += 1
                if not marks:
                    del self._marks[send]
            old_days = [k for k in self._budget if k[1] < before_day]
            old_approvals = [a for a, record in self._approvals.items() if record.created_at < before]
            for approval in old_approvals:
                del self._approvals[approval]
                self._approval_messages.pop(approval, None)
            ended = [
                key
                for key, row in self._webhooks.items()
                if row.finished_at is not None and row.finished_at < before
            ]
            for key in ended:
                del self._webhooks[key]
            pruned = Pruned(
                audit=len(self._audit) - len(kept_audit),
                idempotency=len(old_keys),
                send_marks=old_marks,
                budget_days=len(old_days),
                approvals=len(old_approvals),
                webhook_deliveries=len(ended),
            )
            self._audit = kept_audit
            for key in old_keys:
                del self._idempotency[key]
            for day in old_days:
                del self._budget[day]
            return pruned

    async def save_delivery_report(self, report: DeliveryReport) -> None:
        stored = DeliveryReport(
            report.tenant, report.message_id, report.status, report.received_at, _json_copy(report.raw)
        )
        async with self._lock:
            self._check_open()
            horizon = report.received_at - REPORT_RETENTION
            self._reports = [r for r in self._reports if r.received_at >= horizon]
            self._reports.append(stored)

    async def delivery_reports(
        self, tenant: str, message_id: str, *, limit: int = 20
    ) -> list[DeliveryReport]:
        async with self._lock:
            self._check_open()
            ordered = sorted(enumerate(self._reports), key=lambda p: (p[1].received_at, p[0]), reverse=True)
            picked = [r for _, r in ordered if r.tenant == tenant and r.message_id == message_id]
            return [
                DeliveryReport(r.tenant, r.message_id, r.status, r.received_at, _json_copy(r.raw))
                for r in picked[: max(0, limit)]
            ]

    async def bind_report_url(self, tenant: str, nonce: str, message_id: str, now: float) -> str:
        async with self._lock:
            self._check_open()
            horizon = now - REPORT_RETENTION
            for stale in [k for k, (_, at) in self._report_urls.items() if at < horizon]:
                del self._report_urls[stale]
            bound, _ = self._report_urls.setdefault((tenant, nonce), (message_id, now))
            return bound

    async def heartbeat(self, replica: str, now: float) -> None:
        async with self._lock:
            self._check_open()
            self._replicas[replica] = now

    async def open_attempt(self, attempt: OpenAttempt, now: float) -> None:
        async with self._lock:
            self._check_open()
            self._replicas[attempt.replica] = now
            self._attempts[attempt.attempt] = attempt

    async def close_attempt(self, attempt: str) -> None:
        async with self._lock:
            self._check_open()
            self._attempts.pop(attempt, None)

    async def reap_attempts(self, lapse: float, now: float) -> list[OpenAttempt]:
        async with self._lock:
            self._check_open()
            edge = now - lapse
            beats = self._replicas
            lapsed = [a for a in self._attempts.values() if beats.get(a.replica, float("-inf")) < edge]
            for attempt in lapsed:
                del self._attempts[attempt.attempt]
            return lapsed

    async def create_approval(self, record: ApprovalRecord, messages: list[tuple[str, str]]) -> None:
        async with self._lock:
            self._check_open()
            if record.id in self._approvals:
                raise StoreError(f"approval {record.id!r} exists already")
            self._approvals[record.id] = ApprovalRecord.from_json(record.to_json())
            self._approval_messages[record.id] = [(str(r), str(t)) for r, t in messages]

    async def get_approval(self, approval_id: str) -> ApprovalRecord | None:
        async with self._lock:
            self._check_open()
            record = self._approvals.get(approval_id)
            return None if record is None else ApprovalRecord.from_json(record.to_json())

    async def approval_messages(self, approval_id: str, offset: int, limit: int) -> list[tuple[str, str]]:
        async with self._lock:
            self._check_open()
            messages = self._approval_messages.get(approval_id, [])
            return messages[max(0, offset) : max(0, offset) + max(0, limit)]

    async def approval_texts(self, approval_id: str, offset: int, limit: int) -> list[tuple[str, int]]:
        async with self._lock:
            self._check_open()
            counts: dict[str, int] = {}
            for _, text in self._approval_messages.get(approval_id, []):
                counts[text] = counts.get(text, 0) + 1
            return list(counts.items())[max(0, offset) : max(0, offset) + max(0, limit)]

    async def decide_approval(self, approval_id: str, decision: Decision) -> ApprovalRecord | None:
        async with self._lock:
            self._check_open()
            record = self._approvals.get(approval_id)
            if record is None or record.state != "pending" or record.expired(decision.at):
                return None
            decided = replace(
                record,
                state="approved" if decision.approve else "declined",
                decided_by=decision.by,
                decided_via=decision.via,
                decided_at=decision.at,
                decided_from=decision.from_address,
            )
            self._approvals[approval_id] = decided
            return decided

    async def consume_approval(
        self, approval_id: str, tenant: str, fingerprint: str, now: float
    ) -> ApprovalRecord | None:
        async with self._lock:
            self._check_open()
            record = self._approvals.get(approval_id)
            if (
                record is None
                or record.state != "approved"
                or record.tenant != tenant
                or record.fingerprint != fingerprint
                or record.expired(now)
            ):
                return None
            consumed = replace(record, state="consumed")
            self._approvals[approval_id] = consumed
            return consumed

    async def settle_approval(self, approval_id: str, outcome: dict[str, Any]) -> None:
        async with self._lock:
            self._check_open()
            record = self._approvals.get(approval_id)
            if record is not None:
                self._approvals[approval_id] = replace(record, outcome=_json_copy(outcome))

    async def webhook_enqueue(
        self, event_id: str, event_type: str, tenant: str, payload: str, targets: Sequence[str], now: float
    ) -> int:
        async with self._lock:
            self._check_open()
            added = 0
            for target in targets:
                if (event_id, target) not in self._webhooks:
                    self._webhooks[(event_id, target)] = WebhookDelivery(
                        event_id, target, event_type, tenant, str(payload), now, next_attempt_at=now
                    )
                    added += 1
            return added

    async def webhook_claim(
        self, lease_id: str, now: float, lease_until: float, limit: int
    ) -> list[WebhookDelivery]:
        async with self._lock:
            self._check_open()
            due = [
                row
                for row in self._webhooks.values()
                if row.state == WEBHOOK_PENDING
                and row.next_attempt_at is not None
                and row.next_attempt_at <= now
                and (row.lease_until is None or row.lease_until <= now)
            ]
            due.sort(key=lambda row: (row.next_attempt_at or 0.0, row.created_at))
            claimed = []
            for row in due[: max(0, limit)]:
                taken = replace(
                    row,
                    lease_id=lease_id,
                    lease_until=lease_until,
                    attempts=row.attempts + 1,
                    last_attempt_at=now,
                )
                self._webhooks[(row.event_id, row.target)] = taken
                claimed.append(taken)
            return claimed

    async def webhook_finish(
        self,
        event_id: str,
        target: str,
        lease_id: str,
        state: str,
        now: float,
        *,
        status_code: int | None = None,
        error: str | None = None,
        next_attempt_at: float | None = None,
    ) -> bool:
        check_webhook_finish(state, next_attempt_at)
        async with self._lock:
            self._check_open()
            row = self._webhooks.get((event_id, target))
            if row is None or row.lease_id != lease_id:
                return False
            self._webhooks[(event_id, target)] = replace(
                row,
                state=state,
                next_attempt_at=next_attempt_at,
                last_status=status_code,
                last_error=error,
                finished_at=None if state == WEBHOOK_PENDING else now,
                lease_id=None,
                lease_until=None,
            )
            return True

    async def webhook_deliveries(
        self, *, limit: int = 50, event_id: str | None = None
    ) -> list[WebhookDelivery]:
        async with self._lock:
            self._check_open()
            rows = [row for row in self._webhooks.values() if event_id is None or row.event_id == event_id]
            rows.sort(key=lambda row: row.target)  # stable sorts: newest event first, targets in order
            rows.sort(key=lambda row: (row.created_at, row.event_id), reverse=True)
            return rows[: max(0, limit)]

    # -- OAuth: clients, connections, grants ------------------------------------------------------

    async def oauth_save_client(self, client_id: str, metadata: dict[str, Any], now: float) -> None:
        stored = _json_copy(metadata)
        async with self._lock:
            self._check_open()
            if client_id in self._oauth_clients:
                raise StoreError(f"OAuth client {client_id!r} exists already")
            self._oauth_clients[client_id] = stored

    async def oauth_get_client(self, client_id: str) -> dict[str, Any] | None:
        async with self._lock:
            self._check_open()
            found = self._oauth_clients.get(client_id)
            return None if found is None else _json_copy(found)

    async def oauth_create_connection(self, connection: OAuthConnection) -> None:
        async with self._lock:
            self._check_open()
            if connection.id in self._oauth_connections:
                raise StoreError(f"OAuth connection {connection.id!r} exists already")
            self._oauth_connections[connection.id] = copy.deepcopy(connection)

    async def oauth_get_connection(self, connection_id: str) -> OAuthConnection | None:
        async with self._lock:
            self._check_open()
            return copy.deepcopy(self._oauth_connections.get(connection_id))

    async def oauth_list_connections(
        self, *, include_revoked: bool = False, limit: int = 100
    ) -> list[OAuthConnection]:
        async with self._lock:
            self._check_open()
            found = [c for c in self._oauth_connections.values() if include_revoked or c.active]
            found.sort(key=lambda c: (c.created_at, c.id), reverse=True)
            return copy.deepcopy(found[: max(0, limit)])

    async def oauth_revoke_connection(self, connection_id: str, now: float) -> bool:
        async with self._lock:
            self._check_open()
            found = self._oauth_connections.get(connection_id)
            if found is None or not found.active:
                return False
            self._oauth_connections[connection_id] = replace(found, revoked_at=now, sealed_key=None)
            return True

    async def oauth_save_grant(self, grant: OAuthGrant, now: float) -> None:
        check_grant_kind(grant.kind)
        stored = replace(grant, data=_json_copy(grant.data))
        async with self._lock:
            self._check_open()
            horizon = now - OAUTH_GRANT_PURGE_GRACE
            for stale in [d for d, g in self._oauth_grants.items() if g.expires_at < horizon]:
                del self._oauth_grants[stale]
            if grant.digest in self._oauth_grants:
                raise StoreError("this OAuth grant exists already")
            self._oauth_grants[grant.digest] = stored

    async def oauth_get_grant(self, digest: str) -> OAuthGrant | None:
        async with self._lock:
            self._check_open()
            return copy.deepcopy(self._oauth_grants.get(digest))

    async def oauth_use_grant(self, digest: str, now: float) -> bool:
        async with self._lock:
            self._check_open()
            found = self._oauth_grants.get(digest)
            if found is None or found.used_at is not None or now >= found.expires_at:
                return False
            self._oauth_grants[digest] = replace(found, used_at=now)
            return True

    async def close(self) -> None:
        async with self._lock:
            self._closed = True
