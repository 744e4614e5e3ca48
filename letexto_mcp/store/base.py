"""The state the send guards need, behind one small async interface.

Async on purpose: the in-process backends (memory, SQLite) answer in microseconds, but a shared
server backend (Postgres, Redis) can be added later without touching a single guard. Every
check-and-write method is atomic in every backend, including across processes sharing a SQLite
file: that is what makes "exactly one send" hold under retries and concurrency.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from letexto_mcp.states import UNRESOLVED, AttemptState

IDEMPOTENCY_STATES: frozenset[str] = frozenset({"in_flight", "succeeded", "failed", "outcome_unknown"})
MARK_STATES: frozenset[str] = frozenset(
    {AttemptState.IN_FLIGHT, AttemptState.SENT, AttemptState.OUTCOME_UNKNOWN, AttemptState.RESOLVED}
)
# Marks that block a resend whatever their age: nobody knows whether the message left.
UNRESOLVED_MARKS: frozenset[str] = frozenset(UNRESOLVED)
# Consumed token nonces are kept this long past their expiry, so a clock skew between two
# processes sharing one state file cannot reopen a replay window.
NONCE_PURGE_GRACE = 3600.0
# Delivery reports older than this are dropped when new ones arrive: statuses are final long before.
REPORT_RETENTION = 90 * 86_400.0
FINAL_REPORT_STATUSES: frozenset[str] = frozenset({"DELIVERED", "FAILED"})


class StoreError(RuntimeError):
    """The state backend cannot be opened or used; the message says what to do about it."""


@dataclass(frozen=True)
class IdempotencyRecord:
    """What happened the first time an idempotency key was used (in this tenant)."""

    state: str
    fingerprint: str
    result: dict[str, Any] | None
    created_at: float


@dataclass(frozen=True)
class SendMark:
    """One attempt at a send (by its meaning fingerprint), for the duplicate check.

    Each attempt owns its own mark, named by `attempt`: it is settled or released only by that
    attempt (compare-and-set on the name), so concurrent attempts can never overwrite each other.
    """

    state: str
    at: float
    ref: str | None
    attempt: str = ""


@dataclass(frozen=True)
class BudgetResult:
    """Outcome of a daily budget reservation: `used` is after the reservation when allowed."""

    allowed: bool
    used: int
    limit: int | None


@dataclass(frozen=True)
class Pruned:
    """How many old rows one retention pass removed, per kind."""

    audit: int = 0
    idempotency: int = 0
    send_marks: int = 0
    budget_days: int = 0
    approvals: int = 0
    webhook_deliveries: int = 0

    @property
    def total(self) -> int:
        return (
            self.audit
            + self.idempotency
            + self.send_marks
            + self.budget_days
            + self.approvals
            + self.webhook_deliveries
        )


@dataclass(frozen=True)
class RateResult:
    """Outcome of one sliding-window hit; `retry_after` (seconds) is 0 when allowed."""

    allowed: bool
    count: int
    limit: int
    retry_after: float


@dataclass
class AuditEntry:
    """One send attempt and its outcome. Never holds a key: `detail` is redacted by the writer.

    `attempt` names an attempt that reached the point of sending: its entry is written as `sending`
    before the request leaves and settled with the outcome after, so a crash in between leaves a
    `sending` entry rather than nothing.
    """

    at: float
    tenant: str
    tool: str
    recipients: int
    parts: int
    credits: float
    approval: str
    outcome: str
    letexto_ids: list[str] = field(default_factory=list)
    detail: str = ""
    idempotency_key: str | None = None
    attempt: str | None = None

    def to_json(self) -> str:
        """Compact JSON, the stored form."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AuditEntry:
        """Inverse of `to_json`; unknown fields (from a newer version) are ignored."""
        data = json.loads(text)
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


@dataclass(frozen=True)
class OpenAttempt:
    """A send on the wire, owned by one replica (its lease): written before the request leaves,
    removed once its outcome is recorded. `entry` is its `sending` audit entry, so whoever finds the
    attempt orphaned (its replica's heartbeat lapsed) can settle that entry as outcome_unknown."""

    attempt: str
    tenant: str
    replica: str
    fingerprint: str
    idempotency_key: str | None
    entry: AuditEntry
    started_at: float


def attempt_json(attempt: OpenAttempt) -> str:
    """The stored form of an open attempt (its audit entry inside)."""
    data = asdict(attempt)
    data["entry"] = attempt.entry.to_json()
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def attempt_from_json(text: str) -> OpenAttempt:
    data = json.loads(text)
    data["entry"] = AuditEntry.from_json(data["entry"])
    return OpenAttempt(**{name: data[name] for name in OpenAttempt.__dataclass_fields__})


@dataclass(frozen=True)
class DeliveryReport:
    """One delivery report LeTexto pushed to `/dlr/…` for a tenant's message, as received."""

    tenant: str
    message_id: str
    status: str
    received_at: float
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def is_final(self) -> bool:
        """DELIVERED and FAILED do not change any more; a later report cannot supersede them."""
        return self.status.upper() in FINAL_REPORT_STATUSES


APPROVAL_STATES: frozenset[str] = frozenset({"pending", "approved", "declined", "consumed"})


@dataclass(frozen=True)
class ApprovalRecord:
    """A send waiting for (or given) a person's decision, bound to the whole request by `fingerprint`.

    `id` is unguessable: it is the page address and what the caller's confirmation token names.
    `summary` is everything the page shows besides the messages (sender, schedule, encoding,
    parts, credits, balance, warnings, email subject and body); the messages themselves, one
    (recipient, text) per recipient, are kept beside it and read a page at a time. `state` moves
    pending → approved | declined → consumed (an approved send that left); a record past
    `expires_at` can be neither decided nor consumed. Who decided is a name, never a secret.
    """

    id: str
    tenant: str
    tool: str
    fingerprint: str
    summary: dict[str, Any]
    recipients: int
    distinct_texts: int
    created_at: float
    expires_at: float
    state: str = "pending"
    decided_by: str | None = None
    decided_via: str | None = None  # "page" | "bot" | "dialog"
    decided_at: float | None = None
    decided_from: str | None = None  # the address the decision came from
    outcome: dict[str, Any] | None = None  # once sent: status, LeTexto ids

    def expired(self, now: float) -> bool:
        return now >= self.expires_at

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ApprovalRecord:
        data = json.loads(text)
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


@dataclass(frozen=True)
class Decision:
    """A person's answer to an approval: approved or declined, by whom, how, from where."""

    approve: bool
    by: str
    via: str
    at: float
    from_address: str | None = None


WEBHOOK_PENDING = "pending"
WEBHOOK_DELIVERED = "delivered"
WEBHOOK_GIVEN_UP = "given_up"
WEBHOOK_STATES: frozenset[str] = frozenset({WEBHOOK_PENDING, WEBHOOK_DELIVERED, WEBHOOK_GIVEN_UP})


@dataclass(frozen=True)
class WebhookDelivery:
    """One event on its way to one target URL: a row of the durable webhook queue.

    `(event_id, target)` names it; `event_id` is the `webhook-id` header of every attempt, so a
    receiver can drop a repeat. `payload` is the exact JSON text that is signed and sent. `state`
    moves pending → delivered | given_up; a pending row is due at `next_attempt_at`. A worker that
    claims it holds it until `lease_until` under `lease_id` (nobody else sees it meanwhile), and
    `attempts` counts the claims, so an attempt cut short by a crash still counts. `last_error` is
    written by the worker without any secret.
    """

    event_id: str
    target: str
    event_type: str
    tenant: str
    payload: str
    created_at: float
    state: str = WEBHOOK_PENDING
    next_attempt_at: float | None = None
    attempts: int = 0
    last_attempt_at: float | None = None
    last_status: int | None = None
    last_error: str | None = None
    finished_at: float | None = None
    lease_id: str | None = None
    lease_until: float | None = None


OAUTH_GRANT_KINDS: frozenset[str] = frozenset({"code", "refresh"})
# Expired authorization codes and refresh tokens are forgotten this long after their expiry (a used
# one is kept until then, so that presenting it again is recognised as a replay).
OAUTH_GRANT_PURGE_GRACE = 86_400.0


@dataclass(frozen=True)
class OAuthConnection:
    """One hosted assistant a person allowed (one consent): what the operator lists and revokes.

    `person` names who allowed it (a connect or approver key's name, or `LeTexto key lt_…abcd` in
    multi-tenant mode), never a key. `sealed_key` is that person's LeTexto key in multi-tenant mode,
    sealed with AES-GCM (see `oauth.sealing`); revoking a connection forgets it.
    """

    id: str
    client_id: str
    client_name: str
    redirect_host: str
    person: str
    tenant: str
    scopes: list[str]
    resource: str
    created_at: float
    sealed_key: str | None = None
    revoked_at: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def record_json(self) -> str:
        """The fields that never change, as stored (`sealed_key` and `revoked_at` have columns)."""
        data = asdict(self)
        del data["sealed_key"], data["revoked_at"]
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_stored(cls, record: str, sealed_key: str | None, revoked_at: float | None) -> OAuthConnection:
        data = json.loads(record)
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**{**known, "sealed_key": sealed_key, "revoked_at": revoked_at})


@dataclass(frozen=True)
class OAuthGrant:
    """An authorization code or a refresh token, known by its digest only (SHA-256, hex): never the
    token itself. `data` is what the grant carries (scopes, resource; a code's redirect URI and PKCE
    challenge). Used once: `used_at` is set by the exchange, and a used grant presented again is a replay.
    """

    digest: str
    kind: str
    connection_id: str
    client_id: str
    expires_at: float
    data: dict[str, Any] = field(default_factory=dict)
    used_at: float | None = None

    def data_json(self) -> str:
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def check_grant_kind(kind: str) -> None:
    """Refuse a grant kind the authorization server would not understand."""
    if kind not in OAUTH_GRANT_KINDS:
        raise ValueError(f"OAuth grant kind must be one of {sorted(OAUTH_GRANT_KINDS)}, got {kind!r}")


def check_webhook_finish(state: str, next_attempt_at: float | None) -> None:
    """Refuse a finish the queue would not understand: a retry needs its time, an end has none."""
    if state not in WEBHOOK_STATES:
        raise ValueError(f"webhook delivery state must be one of {sorted(WEBHOOK_STATES)}, got {state!r}")
    if (state == WEBHOOK_PENDING) != (next_attempt_at is not None):
        raise ValueError("a webhook delivery left pending needs next_attempt_at, and only then")


def check_mark_state(state: str) -> None:
    """Refuse a mark state the duplicate check would not understand."""
    if state not in MARK_STATES:
        raise ValueError(f"send mark state must be one of {sorted(MARK_STATES)}, got {state!r}")


def check_idempotency_state(state: str) -> None:
    """Refuse an idempotency state the guard would not understand."""
    if state not in IDEMPOTENCY_STATES:
        raise ValueError(f"idempotency state must be one of {sorted(IDEMPOTENCY_STATES)}, got {state!r}")


def mark_blocks(mark: SendMark, since: float) -> bool:
    """Whether a mark blocks a resend: unresolved at any age, or sent within the window."""
    return mark.state in UNRESOLVED_MARKS or (mark.state == AttemptState.SENT and mark.at >= since)


def most_blocking(marks: list[SendMark], since: float) -> SendMark | None:
    """The mark to report among a send's blocking marks: an unresolved one first, else the newest."""
    blocking = [mark for mark in marks if mark_blocks(mark, since)]
    if not blocking:
        return None
    return max(blocking, key=lambda mark: (mark.state in UNRESOLVED_MARKS, mark.at))


@runtime_checkable
class StateStore(Protocol):
    """Everything the guards keep between calls (and, with SQLite, between restarts)."""

    async def get_or_create_secret(self, name: str, factory: Callable[[], bytes]) -> bytes:
        """The named server secret, created once with `factory` and then kept."""
        ...

    async def consume_once(
        self, tenant: str, nonce: str, expires_at: float, *, now: float | None = None
    ) -> bool:
        """True the first time a nonce is seen only; with `now`, long-expired nonces are purged."""
        ...

    async def idempotency_get(self, tenant: str, key: str) -> IdempotencyRecord | None:
        """The record for a key, if any (a read: use `idempotency_claim` to take the key)."""
        ...

    async def idempotency_claim(
        self, tenant: str, key: str, fingerprint: str, now: float
    ) -> IdempotencyRecord | None:
        """Atomically insert an in_flight record: None if we claimed it, else the existing record."""
        ...

    async def idempotency_finish(self, tenant: str, key: str, state: str, result: dict[str, Any]) -> None:
        """Record how a claimed key ended (succeeded, failed or outcome_unknown) and its result."""
        ...

    async def idempotency_release(self, tenant: str, key: str) -> None:
        """Forget a claim: nothing left, so a retry with the same key may send cleanly."""
        ...

    async def recent_send(self, tenant: str, fingerprint: str, since: float) -> SendMark | None:
        """A blocking mark (see `most_blocking`): sent since `since`, or in flight / unknown at any age."""
        ...

    async def claim_send(
        self, tenant: str, fingerprint: str, attempt: str, since: float, now: float, *, force: bool = False
    ) -> SendMark | None:
        """Atomically: the blocking mark if there is one, else add this attempt's in_flight mark and
        return None. `force` (someone decided to send again): add the mark whatever blocks, and turn
        the send's `outcome_unknown` marks into `resolved` (in-flight ones stay: they may be live)."""
        ...

    async def settle_send(
        self, tenant: str, fingerprint: str, attempt: str, state: str, now: float, ref: str | None
    ) -> bool:
        """Set this attempt's own mark (sent | outcome_unknown); False when the attempt has no mark."""
        ...

    async def release_send(self, tenant: str, fingerprint: str, attempt: str) -> None:
        """Remove this attempt's own mark: it never left, so it blocks nothing."""
        ...

    async def reserve_budget(self, tenant: str, day: str, parts: int, limit: int | None) -> BudgetResult:
        """Atomic check-and-add of `parts` to the day's usage; never over `limit` (None: no limit)."""
        ...

    async def refund_budget(self, tenant: str, day: str, parts: int) -> None:
        """Give back parts of a send that never left (never below zero)."""
        ...

    async def budget_used(self, tenant: str, day: str) -> int:
        """Parts used (reserved) on a day: a read, to refuse early what the budget cannot cover."""
        ...

    async def hit_rate(self, tenant: str, now: float, window: float, limit: int) -> RateResult:
        """Count one hit in a sliding window unless `limit` hits are already in it."""
        ...

    async def append_audit(self, entry: AuditEntry) -> None:
        """Append one audit entry."""
        ...

    async def settle_audit(self, entry: AuditEntry) -> None:
        """Replace the tenant's entry with the same `attempt` (its `sending` entry), or append it."""
        ...

    async def list_audit(
        self, tenant: str, *, since: float | None = None, until: float | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """The tenant's latest entries with `since <= at < until`, newest first, at most `limit`."""
        ...

    async def prune(self, before: float, before_day: str) -> Pruned:
        """Forget audit entries, idempotency keys, send marks and approvals (with their messages) older
        than `before` (epoch seconds), budget days before `before_day` (YYYY-MM-DD), and webhook
        deliveries that ended (delivered or given up) before `before`, in every tenant: the retention
        policy. Pending deliveries are kept whatever their age."""
        ...

    async def save_delivery_report(self, report: DeliveryReport) -> None:
        """Keep one delivery report (and drop those older than `REPORT_RETENTION`)."""
        ...

    async def delivery_reports(
        self, tenant: str, message_id: str, *, limit: int = 20
    ) -> list[DeliveryReport]:
        """The tenant's reports for one message, newest first, at most `limit`."""
        ...

    async def bind_report_url(self, tenant: str, nonce: str, message_id: str, now: float) -> str:
        """Bind a delivery-report URL (its nonce) to one message, once: returns the message it is
        bound to, which is `message_id` unless the nonce was already bound to another."""
        ...

    async def heartbeat(self, replica: str, now: float) -> None:
        """This replica is alive (its lease on its attempts is renewed). PostgreSQL uses its own
        clock for leases (replicas' clocks differ); the other backends are one machine's: `now`."""
        ...

    async def open_attempt(self, attempt: OpenAttempt, now: float) -> None:
        """Record a send about to leave, owned by `attempt.replica` (which this also heartbeats)."""
        ...

    async def close_attempt(self, attempt: str) -> None:
        """The attempt's outcome is recorded: it needs no owner any more."""
        ...

    async def reap_attempts(self, lapse: float, now: float) -> list[OpenAttempt]:
        """Atomically remove and return the attempts whose replica's heartbeat is older than `lapse`
        seconds (or that has none): each is handed to exactly one caller, to settle as unknown."""
        ...

    async def create_approval(self, record: ApprovalRecord, messages: list[tuple[str, str]]) -> None:
        """Keep a new pending approval and the (recipient, text) of every message it would send."""
        ...

    async def get_approval(self, approval_id: str) -> ApprovalRecord | None:
        """The record, whatever its state (None when unknown)."""
        ...

    async def approval_messages(self, approval_id: str, offset: int, limit: int) -> list[tuple[str, str]]:
        """(recipient, text) of the approval's messages, in the order they were given."""
        ...

    async def approval_texts(self, approval_id: str, offset: int, limit: int) -> list[tuple[str, int]]:
        """The approval's distinct texts with how many recipients get each, in first-seen order."""
        ...

    async def decide_approval(self, approval_id: str, decision: Decision) -> ApprovalRecord | None:
        """Atomically pending → approved | declined, if not expired at `decision.at`; the updated
        record, or None when it was not pending (already decided, consumed, expired or unknown)."""
        ...

    async def consume_approval(
        self, approval_id: str, tenant: str, fingerprint: str, now: float
    ) -> ApprovalRecord | None:
        """Atomically approved → consumed, for this tenant and exactly this request, if not expired;
        None otherwise. A record is consumed once: the send it approved leaves once."""
        ...

    async def settle_approval(self, approval_id: str, outcome: dict[str, Any]) -> None:
        """Record what happened to the send an approval let through (the page shows it)."""
        ...

    async def webhook_enqueue(
        self, event_id: str, event_type: str, tenant: str, payload: str, targets: Sequence[str], now: float
    ) -> int:
        """Queue one event for every target, in one transaction (all or none): pending, due at `now`,
        0 attempts. A `(event_id, target)` already queued is left as it is, so enqueueing the same
        event again is harmless. Returns how many deliveries were new."""
        ...

    async def webhook_claim(
        self, lease_id: str, now: float, lease_until: float, limit: int
    ) -> list[WebhookDelivery]:
        """Atomically take up to `limit` pending deliveries due at `now` (`next_attempt_at <= now`)
        whose lease is free or lapsed (`lease_until <= now`), earliest due first: each gets this
        `lease_id` until `lease_until`, one more attempt and `last_attempt_at = now`. Until the lease
        lapses no other claim returns them, in any process sharing the store; a worker killed
        mid-delivery so leaves its deliveries to be retried after the lease. Returns them as updated."""
        ...

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
        """Record how the attempt under `lease_id` ended and release the lease: `delivered`, `given_up`
        (both final: `finished_at = now`), or `pending` again, due at `next_attempt_at`. `status_code`
        is the receiver's HTTP status (None when none came back), `error` what went wrong (no secret).
        False, and nothing written, when the delivery no longer holds this lease (it lapsed and
        another worker claimed it)."""
        ...

    async def webhook_deliveries(
        self, *, limit: int = 50, event_id: str | None = None
    ) -> list[WebhookDelivery]:
        """The newest deliveries (by `created_at`, then `event_id`, both descending, then target), in
        any state, at most `limit`; only one event's with `event_id`: the operator's delivery log."""
        ...

    async def oauth_save_client(self, client_id: str, metadata: dict[str, Any], now: float) -> None:
        """Keep a client registered by OAuth dynamic registration (its metadata, never a secret);
        registering an id that exists raises StoreError."""
        ...

    async def oauth_get_client(self, client_id: str) -> dict[str, Any] | None:
        """A registered client's metadata, or None."""
        ...

    async def oauth_create_connection(self, connection: OAuthConnection) -> None:
        """Keep a new connection (a person's consent); an id that exists raises StoreError."""
        ...

    async def oauth_get_connection(self, connection_id: str) -> OAuthConnection | None:
        """The connection, revoked or not (None when unknown)."""
        ...

    async def oauth_list_connections(
        self, *, include_revoked: bool = False, limit: int = 100
    ) -> list[OAuthConnection]:
        """Connections, newest first (by `created_at`, then id), at most `limit`; active ones only
        unless `include_revoked`."""
        ...

    async def oauth_revoke_connection(self, connection_id: str, now: float) -> bool:
        """Atomically: an active connection becomes revoked at `now` and forgets its sealed LeTexto key.
        True when this call revoked it; False when unknown or already revoked."""
        ...

    async def oauth_save_grant(self, grant: OAuthGrant, now: float) -> None:
        """Keep a new code or refresh token (by digest); grants expired for longer than
        OAUTH_GRANT_PURGE_GRACE at `now` are forgotten. A digest that exists raises StoreError."""
        ...

    async def oauth_get_grant(self, digest: str) -> OAuthGrant | None:
        """The grant with this digest, used or not (None when unknown or purged)."""
        ...

    async def oauth_use_grant(self, digest: str, now: float) -> bool:
        """Atomically mark an unused grant used at `now`, if it has not expired: True for the one call
        that did; False when unknown, expired or already used (a replay)."""
        ...

    async def close(self) -> None:
        """Release the backend; the store is unusable afterwards."""
        ...
