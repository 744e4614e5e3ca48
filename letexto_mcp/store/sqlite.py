"""State in a SQLite file (`sqlite:///path`), the default: survives restarts, shareable by processes.

Every check-and-write runs in `BEGIN IMMEDIATE`, which takes the file's write lock before the
check, so two processes (or two stores) on one file can never both win a claim. WAL lets readers
proceed meanwhile and `busy_timeout` makes a writer wait for the lock instead of failing.

Each operation runs in a worker thread (`anyio.to_thread.run_sync`), serialised on this store's
one connection by a thread lock. The statements themselves take microseconds, but waiting for
another process's write lock (up to `busy_timeout`) or an fsync must not stall the event loop
that serves every other MCP session; the thread hop costs far less than the HTTP send it guards.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

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
    attempt_from_json,
    attempt_json,
    check_grant_kind,
    check_idempotency_state,
    check_mark_state,
    check_webhook_finish,
    most_blocking,
)

# 2: audit.attempt (an entry written before a send, settled after)
# 3: one send mark per attempt (send_marks.attempt); delivery-report URLs bound to their message
# 4: approval records and their messages
# 5: the outbound webhook queue (webhook_deliveries)
# 6: replicas' heartbeats and the attempts they own (leases on sends on the wire)
# 7: OAuth clients, connections and grants (remote connectors)
SCHEMA_VERSION = 7
_SELECT_RECORD = "SELECT state, fingerprint, result, created_at FROM idempotency WHERE tenant = ? AND key = ?"
BUSY_TIMEOUT_MS = 10_000
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (
    tenant TEXT NOT NULL, nonce TEXT NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (tenant, nonce));
CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires_at);
CREATE TABLE IF NOT EXISTS idempotency (
    tenant TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, fingerprint TEXT NOT NULL,
    result TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    PRIMARY KEY (tenant, key));
CREATE TABLE IF NOT EXISTS send_marks (
    tenant TEXT NOT NULL, fingerprint TEXT NOT NULL, attempt TEXT NOT NULL, state TEXT NOT NULL,
    at REAL NOT NULL, ref TEXT,
    PRIMARY KEY (tenant, fingerprint, attempt));
CREATE TABLE IF NOT EXISTS budget (
    tenant TEXT NOT NULL, day TEXT NOT NULL, used INTEGER NOT NULL,
    PRIMARY KEY (tenant, day));
CREATE TABLE IF NOT EXISTS rate_hits (tenant TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS rate_hits_tenant_at ON rate_hits (tenant, at);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, at REAL NOT NULL, entry TEXT NOT NULL,
    attempt TEXT);
CREATE INDEX IF NOT EXISTS audit_tenant_at ON audit (tenant, at);
CREATE TABLE IF NOT EXISTS delivery_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, message_id TEXT NOT NULL,
    status TEXT NOT NULL, received_at REAL NOT NULL, raw TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS delivery_reports_message ON delivery_reports (tenant, message_id, received_at);
CREATE INDEX IF NOT EXISTS delivery_reports_age ON delivery_reports (received_at);
CREATE TABLE IF NOT EXISTS report_urls (
    tenant TEXT NOT NULL, nonce TEXT NOT NULL, message_id TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (tenant, nonce));
CREATE INDEX IF NOT EXISTS report_urls_age ON report_urls (at);
CREATE TABLE IF NOT EXISTS replicas (replica TEXT PRIMARY KEY, heartbeat_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
    attempt TEXT PRIMARY KEY, replica TEXT NOT NULL, started_at REAL NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_replica ON attempts (replica);
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY, tenant TEXT NOT NULL, created_at REAL NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS approvals_age ON approvals (created_at);
CREATE TABLE IF NOT EXISTS approval_messages (
    approval_id TEXT NOT NULL, seq INTEGER NOT NULL, recipient TEXT NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (approval_id, seq));
"""
_WEBHOOKS_V5 = """
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    event_id TEXT NOT NULL, target TEXT NOT NULL, event_type TEXT NOT NULL, tenant TEXT NOT NULL,
    payload TEXT NOT NULL, created_at REAL NOT NULL, state TEXT NOT NULL, next_attempt_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0, last_attempt_at REAL, last_status INTEGER, last_error TEXT,
    finished_at REAL, lease_id TEXT, lease_until REAL,
    PRIMARY KEY (event_id, target));
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS webhook_deliveries_created ON webhook_deliveries (created_at);
CREATE INDEX IF NOT EXISTS webhook_deliveries_finished ON webhook_deliveries (finished_at)
"""
_OAUTH_V6 = """
CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id TEXT PRIMARY KEY, metadata TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS oauth_connections (
    id TEXT PRIMARY KEY, created_at REAL NOT NULL, revoked_at REAL, sealed_key TEXT, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS oauth_connections_created ON oauth_connections (created_at);
CREATE TABLE IF NOT EXISTS oauth_grants (
    digest TEXT PRIMARY KEY, kind TEXT NOT NULL, connection_id TEXT NOT NULL, client_id TEXT NOT NULL,
    expires_at REAL NOT NULL, used_at REAL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS oauth_grants_expiry ON oauth_grants (expires_at)
"""
_CONNECTION_COLUMNS = "record, sealed_key, revoked_at"
_GRANT_COLUMNS = "digest, kind, connection_id, client_id, expires_at, data, used_at"
# Put together from the constants above only, never from a value.
_GET_CONNECTION = f"SELECT {_CONNECTION_COLUMNS} FROM oauth_connections WHERE id = ?"  # noqa: S608
_LIST_CONNECTIONS = (
    f"SELECT {_CONNECTION_COLUMNS} FROM oauth_connections"  # noqa: S608
    " WHERE ? OR revoked_at IS NULL ORDER BY created_at DESC, id DESC LIMIT ?"
)
_SAVE_GRANT = f"INSERT OR IGNORE INTO oauth_grants ({_GRANT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
_GET_GRANT = f"SELECT {_GRANT_COLUMNS} FROM oauth_grants WHERE digest = ?"  # noqa: S608
_USE_GRANT = "UPDATE oauth_grants SET used_at = ? WHERE digest = ? AND used_at IS NULL AND expires_at > ?"
_PURGE_GRANTS = "DELETE FROM oauth_grants WHERE expires_at < ?"
# The columns in WebhookDelivery's field order.
_WEBHOOK_ONE = (
    "SELECT event_id, target, event_type, tenant, payload, created_at, state, next_attempt_at, attempts,"
    " last_attempt_at, last_status, last_error, finished_at, lease_id, lease_until"
    " FROM webhook_deliveries WHERE event_id = ? AND target = ?"
)
_WEBHOOK_LOG = (
    "SELECT event_id, target, event_type, tenant, payload, created_at, state, next_attempt_at, attempts,"
    " last_attempt_at, last_status, last_error, finished_at, lease_id, lease_until"
    " FROM webhook_deliveries ORDER BY created_at DESC, event_id DESC, target LIMIT ?"
)
_WEBHOOK_EVENT_LOG = (
    "SELECT event_id, target, event_type, tenant, payload, created_at, state, next_attempt_at, attempts,"
    " last_attempt_at, last_status, last_error, finished_at, lease_id, lease_until"
    " FROM webhook_deliveries WHERE event_id = ? ORDER BY created_at DESC, event_id DESC, target LIMIT ?"
)
_MARKS_V3 = """
CREATE TABLE send_marks_v3 (
    tenant TEXT NOT NULL, fingerprint TEXT NOT NULL, attempt TEXT NOT NULL, state TEXT NOT NULL,
    at REAL NOT NULL, ref TEXT,
    PRIMARY KEY (tenant, fingerprint, attempt));
INSERT INTO send_marks_v3 (tenant, fingerprint, attempt, state, at, ref)
    SELECT tenant, fingerprint, 'before-v3', state, at, ref FROM send_marks;
DROP TABLE send_marks;
ALTER TABLE send_marks_v3 RENAME TO send_marks
"""


def _prepare_file(path: Path) -> None:
    """Create the parent folders (private) and the file (owner-only: it holds the token secret)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _upgrade(conn: sqlite3.Connection, version: int) -> None:
    """Bring a state file written by an older letexto-mcp up to SCHEMA_VERSION, in place."""
    if version < 2 and "attempt" not in _columns(conn, "audit"):
        conn.execute("ALTER TABLE audit ADD COLUMN attempt TEXT")
    if version < 3 and "attempt" not in _columns(conn, "send_marks"):
        for statement in _MARKS_V3.split(";"):
            conn.execute(statement)
    if version < 5:
        _create_webhook_queue(conn)
    if version < 7:
        _create_oauth_tables(conn)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))


def _create_webhook_queue(conn: sqlite3.Connection) -> None:
    for statement in _WEBHOOKS_V5.split(";"):
        if statement.strip():
            conn.execute(statement)


def _create_oauth_tables(conn: sqlite3.Connection) -> None:
    for statement in _OAUTH_V6.split(";"):
        if statement.strip():
            conn.execute(statement)


def _grant(row: tuple[Any, ...] | None) -> OAuthGrant | None:
    if row is None:
        return None
    digest, kind, connection_id, client_id, expires_at, data, used_at = row
    return OAuthGrant(digest, kind, connection_id, client_id, expires_at, json.loads(data), used_at)


def _webhook_rows(conn: sqlite3.Connection, query: str, params: tuple[Any, ...]) -> list[WebhookDelivery]:
    return [WebhookDelivery(*row) for row in conn.execute(query, params).fetchall()]


def _insert_audit(conn: sqlite3.Connection, entry: AuditEntry, payload: str) -> None:
    conn.execute(
        "INSERT INTO audit (tenant, at, entry, attempt) VALUES (?, ?, ?, ?)",
        (entry.tenant, entry.at, payload, entry.attempt),
    )


def _beat(conn: sqlite3.Connection, replica: str, now: float) -> None:
    conn.execute(
        "INSERT INTO replicas (replica, heartbeat_at) VALUES (?, ?)"
        " ON CONFLICT (replica) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
        (replica, now),
    )


def _prune_approvals(conn: sqlite3.Connection, before: float) -> int:
    conn.execute(
        "DELETE FROM approval_messages WHERE approval_id IN (SELECT id FROM approvals WHERE created_at < ?)",
        (before,),
    )
    return conn.execute("DELETE FROM approvals WHERE created_at < ?", (before,)).rowcount


def _load_approval(conn: sqlite3.Connection, approval_id: str) -> ApprovalRecord | None:
    row = conn.execute("SELECT record FROM approvals WHERE id = ?", (approval_id,)).fetchone()
    return None if row is None else ApprovalRecord.from_json(row[0])


def _save_approval(conn: sqlite3.Connection, record: ApprovalRecord) -> None:
    conn.execute("UPDATE approvals SET record = ? WHERE id = ?", (record.to_json(), record.id))


class SqliteStore:
    """A `StateStore` in one SQLite file; safe to share between processes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            _prepare_file(Path(self.path))
        self._lock = threading.Lock()
        try:
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            # FULL: an idempotency claim must survive a power cut, not only a crash.
            self._conn.execute("PRAGMA synchronous = FULL")
            self._init_schema()
        except sqlite3.Error as error:
            raise StoreError(
                f"cannot open the state file {self.path!r}: {error}; fix its permissions or point "
                "LETEXTO_STATE_URL elsewhere (memory:// keeps nothing on disk)"
            ) from error

    def _init_schema(self) -> None:
        with self._write() as conn:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            version = row[0] if row else None
            if version is None:
                _create_webhook_queue(conn)
                _create_oauth_tables(conn)
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            elif version > SCHEMA_VERSION:
                raise StoreError(
                    f"the state file {self.path!r} was written by a newer letexto-mcp (schema {version}, "
                    f"this one knows {SCHEMA_VERSION}); upgrade, or point LETEXTO_STATE_URL elsewhere"
                )
            elif version < SCHEMA_VERSION:
                _upgrade(conn, version)
            conn.execute("CREATE INDEX IF NOT EXISTS audit_attempt ON audit (tenant, attempt)")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction holding the file's write lock from its first statement."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError("the state store is closed")
        return self._conn

    async def _run(self, func: Callable[[], T]) -> T:
        """Run `func` in a worker thread, alone on the connection."""

        def locked() -> T:
            with self._lock:
                try:
                    return func()
                except sqlite3.Error as error:
                    raise StoreError(
                        f"the state file {self.path!r} could not be used ({error}); check the disk and the "
                        "file's permissions, or point LETEXTO_STATE_URL elsewhere"
                    ) from error

        return await anyio.to_thread.run_sync(locked)

    # -- secrets and nonces -------------------------------------------------------------------

    async def get_or_create_secret(self, name: str, factory: Callable[[], bytes]) -> bytes:
        def op() -> bytes:
            with self._write() as conn:
                row = conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
                if row is not None:
                    return bytes(row[0])
                value = bytes(factory())
                conn.execute("INSERT INTO secrets (name, value) VALUES (?, ?)", (name, value))
                return value

        return await self._run(op)

    async def consume_once(
        self, tenant: str, nonce: str, expires_at: float, *, now: float | None = None
    ) -> bool:
        def op() -> bool:
            with self._write() as conn:
                if now is not None:
                    conn.execute("DELETE FROM nonces WHERE expires_at < ?", (now - NONCE_PURGE_GRACE,))
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO nonces (tenant, nonce, expires_at) VALUES (?, ?, ?)",
                    (tenant, nonce, expires_at),
                )
                return cursor.rowcount == 1

        return await self._run(op)

    # -- idempotency ----------------------------------------------------------------------------

    @staticmethod
    def _record(row: tuple[Any, ...] | None) -> IdempotencyRecord | None:
        if row is None:
            return None
        state, fingerprint, result, created_at = row
        return IdempotencyRecord(state, fingerprint, json.loads(result) if result else None, created_at)

    async def idempotency_get(self, tenant: str, key: str) -> IdempotencyRecord | None:
        def op() -> IdempotencyRecord | None:
            row = (
                self._connection()
                .execute(
                    _SELECT_RECORD,
                    (tenant, key),
                )
                .fetchone()
            )
            return self._record(row)

        return await self._run(op)

    async def idempotency_claim(
        self, tenant: str, key: str, fingerprint: str, now: float
    ) -> IdempotencyRecord | None:
        def op() -> IdempotencyRecord | None:
            with self._write() as conn:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO idempotency (tenant, key, state, fingerprint, result, created_at,"
                    " updated_at) VALUES (?, ?, 'in_flight', ?, NULL, ?, ?)",
                    (tenant, key, fingerprint, now, now),
                )
                if cursor.rowcount == 1:
                    return None
                row = conn.execute(
                    _SELECT_RECORD,
                    (tenant, key),
                ).fetchone()
                return self._record(row)

        return await self._run(op)

    async def idempotency_finish(self, tenant: str, key: str, state: str, result: dict[str, Any]) -> None:
        check_idempotency_state(state)
        payload = json.dumps(result, ensure_ascii=False, separators=(",", ":"))

        def op() -> None:
            now = time.time()
            with self._write() as conn:
                cursor = conn.execute(
                    "UPDATE idempotency SET state = ?, result = ?, updated_at = ?"
                    " WHERE tenant = ? AND key = ?",
                    (state, payload, now, tenant, key),
                )
                if cursor.rowcount == 0:
                    # Finishing a key nobody holds is a caller bug, but losing a result is worse.
                    conn.execute(
                        "INSERT INTO idempotency (tenant, key, state, fingerprint, result, created_at,"
                        " updated_at) VALUES (?, ?, ?, '', ?, ?, ?)",
                        (tenant, key, state, payload, now, now),
                    )

        await self._run(op)

    async def idempotency_release(self, tenant: str, key: str) -> None:
        def op() -> None:
            with self._write() as conn:
                conn.execute("DELETE FROM idempotency WHERE tenant = ? AND key = ?", (tenant, key))

        await self._run(op)

    # -- duplicate marks ------------------------------------------------------------------------

    @staticmethod
    def _blocking_mark(
        conn: sqlite3.Connection, tenant: str, fingerprint: str, since: float
    ) -> SendMark | None:
        rows = conn.execute(
            "SELECT state, at, ref, attempt FROM send_marks WHERE tenant = ? AND fingerprint = ?",
            (tenant, fingerprint),
        ).fetchall()
        return most_blocking([SendMark(*row) for row in rows], since)

    async def recent_send(self, tenant: str, fingerprint: str, since: float) -> SendMark | None:
        def op() -> SendMark | None:
            return self._blocking_mark(self._connection(), tenant, fingerprint, since)

        return await self._run(op)

    async def claim_send(
        self, tenant: str, fingerprint: str, attempt: str, since: float, now: float, *, force: bool = False
    ) -> SendMark | None:
        def op() -> SendMark | None:
            with self._write() as conn:
                if force:
                    conn.execute(
                        "UPDATE send_marks SET state = ?, at = ? WHERE tenant = ? AND fingerprint = ? "
                        "AND state = ?",
                        (AttemptState.RESOLVED, now, tenant, fingerprint, AttemptState.OUTCOME_UNKNOWN),
                    )
                else:
                    mark = self._blocking_mark(conn, tenant, fingerprint, since)
                    if mark is not None:
                        return mark
                conn.execute(
                    "INSERT INTO send_marks (tenant, fingerprint, attempt, state, at, ref)"
                    " VALUES (?, ?, ?, ?, ?, NULL)",
                    (tenant, fingerprint, attempt, AttemptState.IN_FLIGHT, now),
                )
                return None

        return await self._run(op)

    async def settle_send(
        self, tenant: str, fingerprint: str, attempt: str, state: str, now: float, ref: str | None
    ) -> bool:
        check_mark_state(state)

        def op() -> bool:
            with self._write() as conn:
                cursor = conn.execute(
                    "UPDATE send_marks SET state = ?, at = ?, ref = ?"
                    " WHERE tenant = ? AND fingerprint = ? AND attempt = ?",
                    (str(state), now, ref, tenant, fingerprint, attempt),
                )
                return cursor.rowcount == 1

        return await self._run(op)

    async def release_send(self, tenant: str, fingerprint: str, attempt: str) -> None:
        def op() -> None:
            with self._write() as conn:
                conn.execute(
                    "DELETE FROM send_marks WHERE tenant = ? AND fingerprint = ? AND attempt = ?",
                    (tenant, fingerprint, attempt),
                )

        await self._run(op)

    # -- budget and rate ------------------------------------------------------------------------

    async def reserve_budget(self, tenant: str, day: str, parts: int, limit: int | None) -> BudgetResult:
        if parts < 0:
            raise ValueError("parts must not be negative")

        def op() -> BudgetResult:
            with self._write() as conn:
                row = conn.execute(
                    "SELECT used FROM budget WHERE tenant = ? AND day = ?", (tenant, day)
                ).fetchone()
                used = row[0] if row else 0
                if limit is not None and used + parts > limit:
                    return BudgetResult(False, used, limit)
                conn.execute(
                    "INSERT OR REPLACE INTO budget (tenant, day, used) VALUES (?, ?, ?)",
                    (tenant, day, used + parts),
                )
                return BudgetResult(True, used + parts, limit)

        return await self._run(op)

    async def refund_budget(self, tenant: str, day: str, parts: int) -> None:
        def op() -> None:
            with self._write() as conn:
                conn.execute(
                    "UPDATE budget SET used = MAX(0, used - ?) WHERE tenant = ? AND day = ?",
                    (max(0, parts), tenant, day),
                )

        await self._run(op)

    async def budget_used(self, tenant: str, day: str) -> int:
        def op() -> int:
            row = (
                self._connection()
                .execute("SELECT used FROM budget WHERE tenant = ? AND day = ?", (tenant, day))
                .fetchone()
            )
            return int(row[0]) if row else 0

        return await self._run(op)

    async def hit_rate(self, tenant: str, now: float, window: float, limit: int) -> RateResult:
        def op() -> RateResult:
            with self._write() as conn:
                conn.execute("DELETE FROM rate_hits WHERE tenant = ? AND at <= ?", (tenant, now - window))
                count, oldest = conn.execute(
                    "SELECT COUNT(*), MIN(at) FROM rate_hits WHERE tenant = ?", (tenant,)
                ).fetchone()
                if count >= limit:
                    retry_after = max(0.0, oldest + window - now) if oldest is not None else window
                    return RateResult(False, count, limit, retry_after)
                conn.execute("INSERT INTO rate_hits (tenant, at) VALUES (?, ?)", (tenant, now))
                return RateResult(True, count + 1, limit, 0.0)

        return await self._run(op)

    # -- audit ----------------------------------------------------------------------------------

    async def append_audit(self, entry: AuditEntry) -> None:
        payload = entry.to_json()

        def op() -> None:
            with self._write() as conn:
                _insert_audit(conn, entry, payload)

        await self._run(op)

    async def settle_audit(self, entry: AuditEntry) -> None:
        payload = entry.to_json()

        def op() -> None:
            with self._write() as conn:
                updated = 0
                if entry.attempt is not None:
                    updated = conn.execute(
                        "UPDATE audit SET at = ?, entry = ? WHERE tenant = ? AND attempt = ?",
                        (entry.at, payload, entry.tenant, entry.attempt),
                    ).rowcount
                if not updated:
                    _insert_audit(conn, entry, payload)

        await self._run(op)

    async def list_audit(
        self, tenant: str, *, since: float | None = None, until: float | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        def op() -> list[AuditEntry]:
            rows = (
                self._connection()
                .execute(
                    "SELECT entry FROM audit WHERE tenant = ? AND at >= ? AND at < ? "
                    "ORDER BY at DESC, id DESC LIMIT ?",
                    (
                        tenant,
                        since if since is not None else float("-inf"),
                        until if until is not None else float("inf"),
                        max(0, limit),
                    ),
                )
                .fetchall()
            )
            return [AuditEntry.from_json(row[0]) for row in rows]

        return await self._run(op)

    # -- retention ------------------------------------------------------------------------------

    async def prune(self, before: float, before_day: str) -> Pruned:
        def op() -> Pruned:
            with self._write() as conn:
                return Pruned(
                    audit=conn.execute("DELETE FROM audit WHERE at < ?", (before,)).rowcount,
                    idempotency=conn.execute(
                        "DELETE FROM idempotency WHERE created_at < ?", (before,)
                    ).rowcount,
                    send_marks=conn.execute("DELETE FROM send_marks WHERE at < ?", (before,)).rowcount,
                    budget_days=conn.execute("DELETE FROM budget WHERE day < ?", (before_day,)).rowcount,
                    approvals=_prune_approvals(conn, before),
                    webhook_deliveries=conn.execute(
                        "DELETE FROM webhook_deliveries WHERE finished_at < ?", (before,)
                    ).rowcount,
                )

        return await self._run(op)

    # -- delivery reports -------------------------------------------------------------------------

    async def save_delivery_report(self, report: DeliveryReport) -> None:
        raw = json.dumps(report.raw, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

        def op() -> None:
            with self._write() as conn:
                conn.execute(
                    "DELETE FROM delivery_reports WHERE received_at < ?",
                    (report.received_at - REPORT_RETENTION,),
                )
                conn.execute(
                    "INSERT INTO delivery_reports (tenant, message_id, status, received_at, raw) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (report.tenant, report.message_id, report.status, report.received_at, raw),
                )

        await self._run(op)

    async def delivery_reports(
        self, tenant: str, message_id: str, *, limit: int = 20
    ) -> list[DeliveryReport]:
        def op() -> list[DeliveryReport]:
            rows = (
                self._connection()
                .execute(
                    "SELECT status, received_at, raw FROM delivery_reports "
                    "WHERE tenant = ? AND message_id = ? ORDER BY received_at DESC, id DESC LIMIT ?",
                    (tenant, message_id, max(0, limit)),
                )
                .fetchall()
            )
            return [DeliveryReport(tenant, message_id, row[0], row[1], json.loads(row[2])) for row in rows]

        return await self._run(op)

    async def bind_report_url(self, tenant: str, nonce: str, message_id: str, now: float) -> str:
        def op() -> str:
            with self._write() as conn:
                conn.execute("DELETE FROM report_urls WHERE at < ?", (now - REPORT_RETENTION,))
                conn.execute(
                    "INSERT OR IGNORE INTO report_urls (tenant, nonce, message_id, at) VALUES (?, ?, ?, ?)",
                    (tenant, nonce, message_id, now),
                )
                row = conn.execute(
                    "SELECT message_id FROM report_urls WHERE tenant = ? AND nonce = ?", (tenant, nonce)
                ).fetchone()
                return str(row[0])

        return await self._run(op)

    # -- approvals ------------------------------------------------------------------------------

    async def create_approval(self, record: ApprovalRecord, messages: list[tuple[str, str]]) -> None:
        def op() -> None:
            with self._write() as conn:
                conn.execute(
                    "INSERT INTO approvals (id, tenant, created_at, record) VALUES (?, ?, ?, ?)",
                    (record.id, record.tenant, record.created_at, record.to_json()),
                )
                conn.executemany(
                    "INSERT INTO approval_messages (approval_id, seq, recipient, text) VALUES (?, ?, ?, ?)",
                    ((record.id, seq, recipient, text) for seq, (recipient, text) in enumerate(messages)),
                )

        await self._run(op)

    async def get_approval(self, approval_id: str) -> ApprovalRecord | None:
        return await self._run(lambda: _load_approval(self._connection(), approval_id))

    async def approval_messages(self, approval_id: str, offset: int, limit: int) -> list[tuple[str, str]]:
        def op() -> list[tuple[str, str]]:
            rows = (
                self._connection()
                .execute(
                    "SELECT recipient, text FROM approval_messages WHERE approval_id = ? "
                    "ORDER BY seq LIMIT ? OFFSET ?",
                    (approval_id, max(0, limit), max(0, offset)),
                )
                .fetchall()
            )
            return [(str(r), str(t)) for r, t in rows]

        return await self._run(op)

    async def approval_texts(self, approval_id: str, offset: int, limit: int) -> list[tuple[str, int]]:
        def op() -> list[tuple[str, int]]:
            rows = (
                self._connection()
                .execute(
                    "SELECT text, COUNT(*) FROM approval_messages WHERE approval_id = ? "
                    "GROUP BY text ORDER BY MIN(seq) LIMIT ? OFFSET ?",
                    (approval_id, max(0, limit), max(0, offset)),
                )
                .fetchall()
            )
            return [(str(t), int(n)) for t, n in rows]

        return await self._run(op)

    async def decide_approval(self, approval_id: str, decision: Decision) -> ApprovalRecord | None:
        def op() -> ApprovalRecord | None:
            with self._write() as conn:
                record = _load_approval(conn, approval_id)
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
                _save_approval(conn, decided)
                return decided

        return await self._run(op)

    async def consume_approval(
        self, approval_id: str, tenant: str, fingerprint: str, now: float
    ) -> ApprovalRecord | None:
        def op() -> ApprovalRecord | None:
            with self._write() as conn:
                record = _load_approval(conn, approval_id)
                if (
                    record is None
                    or record.state != "approved"
                    or record.tenant != tenant
                    or record.fingerprint != fingerprint
                    or record.expired(now)
                ):
                    return None
                consumed = replace(record, state="consumed")
                _save_approval(conn, consumed)
                return consumed

        return await self._run(op)

    async def settle_approval(self, approval_id: str, outcome: dict[str, Any]) -> None:
        def op() -> None:
            with self._write() as conn:
                record = _load_approval(conn, approval_id)
                if record is not None:
                    _save_approval(conn, replace(record, outcome=outcome))

        await self._run(op)

    # -- webhook queue --------------------------------------------------------------------------

    async def webhook_enqueue(
        self, event_id: str, event_type: str, tenant: str, payload: str, targets: Sequence[str], now: float
    ) -> int:
        def op() -> int:
            with self._write() as conn:
                added = 0
                for target in targets:
                    added += conn.execute(
                        "INSERT OR IGNORE INTO webhook_deliveries (event_id, target, event_type, tenant,"
                        " payload, created_at, state, next_attempt_at, attempts)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                        (event_id, target, event_type, tenant, payload, now, WEBHOOK_PENDING, now),
                    ).rowcount
                return added

        return await self._run(op)

    async def webhook_claim(
        self, lease_id: str, now: float, lease_until: float, limit: int
    ) -> list[WebhookDelivery]:
        def op() -> list[WebhookDelivery]:
            with self._write() as conn:  # BEGIN IMMEDIATE: the select and the lease are one step
                due = conn.execute(
                    "SELECT event_id, target FROM webhook_deliveries WHERE state = ? AND next_attempt_at <= ?"
                    " AND (lease_until IS NULL OR lease_until <= ?)"
                    " ORDER BY next_attempt_at, created_at LIMIT ?",
                    (WEBHOOK_PENDING, now, now, max(0, limit)),
                ).fetchall()
                claimed = []
                for event_id, target in due:
                    conn.execute(
                        "UPDATE webhook_deliveries SET lease_id = ?, lease_until = ?,"
                        " attempts = attempts + 1, last_attempt_at = ? WHERE event_id = ? AND target = ?",
                        (lease_id, lease_until, now, event_id, target),
                    )
                    claimed += _webhook_rows(conn, _WEBHOOK_ONE, (event_id, target))
                return claimed

        return await self._run(op)

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

        def op() -> bool:
            with self._write() as conn:
                cursor = conn.execute(
                    "UPDATE webhook_deliveries SET state = ?, next_attempt_at = ?, last_status = ?,"
                    " last_error = ?, finished_at = ?, lease_id = NULL, lease_until = NULL"
                    " WHERE event_id = ? AND target = ? AND lease_id = ?",
                    (
                        state,
                        next_attempt_at,
                        status_code,
                        error,
                        None if state == WEBHOOK_PENDING else now,
                        event_id,
                        target,
                        lease_id,
                    ),
                )
                return cursor.rowcount == 1

        return await self._run(op)

    async def webhook_deliveries(
        self, *, limit: int = 50, event_id: str | None = None
    ) -> list[WebhookDelivery]:
        def op() -> list[WebhookDelivery]:
            conn, count = self._connection(), max(0, limit)
            if event_id is None:
                return _webhook_rows(conn, _WEBHOOK_LOG, (count,))
            return _webhook_rows(conn, _WEBHOOK_EVENT_LOG, (event_id, count))

        return await self._run(op)

    # -- leases on sends on the wire --------------------------------------------------------------

    async def heartbeat(self, replica: str, now: float) -> None:
        def op() -> None:
            with self._write() as conn:
                _beat(conn, replica, now)

        await self._run(op)

    async def open_attempt(self, attempt: OpenAttempt, now: float) -> None:
        def op() -> None:
            with self._write() as conn:
                _beat(conn, attempt.replica, now)
                conn.execute(
                    "INSERT INTO attempts (attempt, replica, started_at, record) VALUES (?, ?, ?, ?)",
                    (attempt.attempt, attempt.replica, attempt.started_at, attempt_json(attempt)),
                )

        await self._run(op)

    async def close_attempt(self, attempt: str) -> None:
        def op() -> None:
            with self._write() as conn:
                conn.execute("DELETE FROM attempts WHERE attempt = ?", (attempt,))

        await self._run(op)

    async def reap_attempts(self, lapse: float, now: float) -> list[OpenAttempt]:
        def op() -> list[OpenAttempt]:
            with self._write() as conn:
                rows = conn.execute(
                    "SELECT a.attempt, a.record FROM attempts AS a LEFT JOIN replicas AS r"
                    " ON r.replica = a.replica WHERE r.heartbeat_at IS NULL OR r.heartbeat_at < ?",
                    (now - lapse,),
                ).fetchall()
                conn.executemany("DELETE FROM attempts WHERE attempt = ?", [(row[0],) for row in rows])
                return [attempt_from_json(row[1]) for row in rows]

        return await self._run(op)

    # -- OAuth: clients, connections, grants ------------------------------------------------------

    async def oauth_save_client(self, client_id: str, metadata: dict[str, Any], now: float) -> None:
        payload = json.dumps(metadata, ensure_ascii=False, separators=(",", ":"))

        def op() -> None:
            with self._write() as conn:
                added = conn.execute(
                    "INSERT OR IGNORE INTO oauth_clients (client_id, metadata, created_at) VALUES (?, ?, ?)",
                    (client_id, payload, now),
                ).rowcount
                if added != 1:
                    raise StoreError(f"OAuth client {client_id!r} exists already")

        await self._run(op)

    async def oauth_get_client(self, client_id: str) -> dict[str, Any] | None:
        def op() -> dict[str, Any] | None:
            row = (
                self._connection()
                .execute("SELECT metadata FROM oauth_clients WHERE client_id = ?", (client_id,))
                .fetchone()
            )
            found: dict[str, Any] | None = None if row is None else json.loads(row[0])
            return found

        return await self._run(op)

    async def oauth_create_connection(self, connection: OAuthConnection) -> None:
        def op() -> None:
            with self._write() as conn:
                added = conn.execute(
                    "INSERT OR IGNORE INTO oauth_connections (id, created_at, revoked_at, sealed_key, record)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        connection.id,
                        connection.created_at,
                        connection.revoked_at,
                        connection.sealed_key,
                        connection.record_json(),
                    ),
                ).rowcount
                if added != 1:
                    raise StoreError(f"OAuth connection {connection.id!r} exists already")

        await self._run(op)

    async def oauth_get_connection(self, connection_id: str) -> OAuthConnection | None:
        def op() -> OAuthConnection | None:
            row = self._connection().execute(_GET_CONNECTION, (connection_id,)).fetchone()
            return None if row is None else OAuthConnection.from_stored(*row)

        return await self._run(op)

    async def oauth_list_connections(
        self, *, include_revoked: bool = False, limit: int = 100
    ) -> list[OAuthConnection]:
        def op() -> list[OAuthConnection]:
            rows = self._connection().execute(_LIST_CONNECTIONS, (include_revoked, max(0, limit))).fetchall()
            return [OAuthConnection.from_stored(*row) for row in rows]

        return await self._run(op)

    async def oauth_revoke_connection(self, connection_id: str, now: float) -> bool:
        def op() -> bool:
            with self._write() as conn:
                cursor = conn.execute(
                    "UPDATE oauth_connections SET revoked_at = ?, sealed_key = NULL"
                    " WHERE id = ? AND revoked_at IS NULL",
                    (now, connection_id),
                )
                return cursor.rowcount == 1

        return await self._run(op)

    async def oauth_save_grant(self, grant: OAuthGrant, now: float) -> None:
        check_grant_kind(grant.kind)

        def op() -> None:
            with self._write() as conn:
                conn.execute(_PURGE_GRANTS, (now - OAUTH_GRANT_PURGE_GRACE,))
                added = conn.execute(
                    _SAVE_GRANT,
                    (
                        grant.digest,
                        grant.kind,
                        grant.connection_id,
                        grant.client_id,
                        grant.expires_at,
                        grant.data_json(),
                        grant.used_at,
                    ),
                ).rowcount
                if added != 1:
                    raise StoreError("this OAuth grant exists already")

        await self._run(op)

    async def oauth_get_grant(self, digest: str) -> OAuthGrant | None:
        def op() -> OAuthGrant | None:
            return _grant(self._connection().execute(_GET_GRANT, (digest,)).fetchone())

        return await self._run(op)

    async def oauth_use_grant(self, digest: str, now: float) -> bool:
        def op() -> bool:
            with self._write() as conn:
                return conn.execute(_USE_GRANT, (now, digest, now)).rowcount == 1

        return await self._run(op)

    async def schema_version(self) -> int:
        """The file's schema version (the store brought it to SCHEMA_VERSION when it opened)."""

        def op() -> int:
            row = self._connection().execute("SELECT MAX(version) FROM schema_version").fetchone()
            return int(row[0]) if row and row[0] is not None else 0

        return await self._run(op)

    async def close(self) -> None:
        def op() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        await self._run(op)
