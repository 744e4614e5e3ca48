"""State in PostgreSQL (`postgresql://user:password@host:port/db`): one database, any number of replicas.

Atomic without a global lock. Each check-and-write is one conditional statement or a short
transaction that locks only what it decides about:
- single-use nonces, idempotency claims, report-URL bindings: `INSERT … ON CONFLICT` on the key;
- approvals: `UPDATE … WHERE state = … RETURNING` (pending → decided, approved → consumed);
- the daily budget: a conditional upsert, `… DO UPDATE … WHERE used + parts <= limit`, so two
  replicas can never both take the last part;
- duplicate marks and the send-rate window: a function (`pg_schema`) whose transaction takes an
  advisory lock on the hash of (tenant, fingerprint), or of the tenant, before its check reads:
  each of its statements takes a fresh snapshot, which includes every claim committed before the
  lock was ours. One round trip, and only sends of the same meaning (or the same tenant's rate)
  ever wait for each other;
- audit settle: one statement (update the attempt's entry, or append it).
Writes made after the request left (and rate hits) do not wait for the disk; see `_NO_FLUSH`.

Clocks. Every time compared here comes from the caller (`now`, `since`, `decision.at`…), as in the
memory and SQLite stores: the guard's clock is injectable, tests drive it, and a token's expiry, a
duplicate window and a rate window must all be judged by the same clock the guard used to write
them. Mixing in the database clock would make a window open or close by the skew between two
machines. The database clock (`clock_timestamp()`) is for what no replica may judge alone: the
leases that will own in-flight sends (a replica's lease expires by the shared clock, however wrong
its own is). Like SQLite's, `idempotency_finish` stamps `updated_at` with this process's clock.

The pool (psycopg-pool) opens on first use, or at start through `open()` (`factory.connect_store`),
which also migrates the schema (`pg_schema`). The URL's password never reaches an error or a log
line: messages show the URL masked, and psycopg's own log lines are scrubbed.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import anyio
import psycopg
from psycopg.abc import Buffer
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.string import StrDumperUnknown, TextLoader
from psycopg_pool import AsyncConnectionPool

from letexto_mcp.state_url import mask_state_url, scrub, url_passwords
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
from letexto_mcp.store.pg_schema import current_version, lock_key, migrate

logger = logging.getLogger("letexto_mcp.store.postgres")

DEFAULT_POOL_SIZE = 10
DEFAULT_STATEMENT_TIMEOUT_MS = 5_000
CONNECT_TIMEOUT_SECONDS = 10
POOL_WAIT_SECONDS = 10.0  # an operation waiting this long for a free connection fails (StoreError)
# Once a connection was found broken, and until an operation succeeds again, operations wait this
# long only: while the database is down a refusal answers in about a second, not after the full wait.
DOWN_POOL_WAIT_SECONDS = 1.0
# The pool's reconnection back-off doubles (1 s, 2 s, 4 s…) until this; then it starts again from
# 1 s at the next operation, so after a long outage the service comes back within ~this/2.
RECONNECT_GIVE_UP_SECONDS = 30.0
CLAIM_TRIES = 20
NOTICES_RETRY_SECONDS = 2.0
Connection = psycopg.AsyncConnection[Any]

# Writes that only record what already happened (after the request left) or only throttle (the rate
# window) commit without waiting for the disk: synchronous_commit off, for that statement's own
# transaction. A database crash in the next moment may lose them, which leaves the state on its
# blocking side (the idempotency record and the send mark stay in_flight, the audit entry stays
# `sending`), where the guard already leaves it when recording fails. Everything that claims,
# spends or approves (nonces, keys, marks, budget, the `sending` entry, approvals) waits for the
# disk, as SQLite's synchronous=FULL does. Each such statement selects FROM no_flush.
_NO_FLUSH = "WITH no_flush AS (SELECT set_config('synchronous_commit', 'off', true))"
# Finishing a key nobody holds is a caller bug, but losing a result is worse: it is inserted.
_FINISH_KEY = (
    f"{_NO_FLUSH} INSERT INTO idempotency (tenant, key, state, fingerprint, result, created_at,"  # noqa: S608
    " updated_at) SELECT %s::text, %s::text, %s::text, '', %s::text, %s, %s FROM no_flush"
    " ON CONFLICT (tenant, key) DO UPDATE"
    " SET state = EXCLUDED.state, result = EXCLUDED.result, updated_at = EXCLUDED.updated_at"
)
_SETTLE_SEND = (
    f"{_NO_FLUSH} UPDATE send_marks SET state = %s, at = %s, ref = %s FROM no_flush"  # noqa: S608
    " WHERE tenant = %s AND fingerprint = %s AND attempt = %s"
)
_HIT_RATE = (
    f"{_NO_FLUSH} SELECT rate.hits, rate.oldest"  # noqa: S608
    " FROM no_flush, letexto_hit_rate(%s, %s, %s, %s, %s) AS rate"
)
_SETTLE_AUDIT = (
    f"{_NO_FLUSH}, settled AS (UPDATE audit SET at = %(at)s, entry = %(entry)s FROM no_flush"  # noqa: S608
    "   WHERE tenant = %(tenant)s AND attempt = %(attempt)s RETURNING 1)"
    " INSERT INTO audit (tenant, at, entry, attempt)"
    " SELECT %(tenant)s::text, %(at)s, %(entry)s::text, %(attempt)s::text FROM no_flush"
    " WHERE NOT EXISTS (SELECT 1 FROM settled)"
)
_SETTLE_APPROVAL = f"{_NO_FLUSH} UPDATE approvals SET outcome = %s FROM no_flush WHERE id = %s"  # noqa: S608

_WEBHOOK_COLUMNS = (
    "event_id, target, event_type, tenant, payload, created_at, state, next_attempt_at, attempts,"
    " last_attempt_at, last_status, last_error, finished_at, lease_id, lease_until"
)
# Due rows are taken with SKIP LOCKED: two workers' claims never wait for, or take, the same row.
_CLAIM_WEBHOOKS = (
    "UPDATE webhook_deliveries AS d SET lease_id = %s, lease_until = %s, attempts = d.attempts + 1,"  # noqa: S608
    " last_attempt_at = %s FROM (SELECT event_id, target FROM webhook_deliveries"
    "   WHERE state = 'pending' AND next_attempt_at <= %s AND (lease_until IS NULL OR lease_until <= %s)"
    "   ORDER BY next_attempt_at, created_at LIMIT %s FOR UPDATE SKIP LOCKED) AS due"
    " WHERE d.event_id = due.event_id AND d.target = due.target"
    f" RETURNING {', '.join('d.' + c.strip() for c in _WEBHOOK_COLUMNS.split(','))}"
)
_FINISH_WEBHOOK = (
    "UPDATE webhook_deliveries SET state = %s, next_attempt_at = %s, last_status = %s, last_error = %s,"
    " finished_at = %s, lease_id = NULL, lease_until = NULL"
    " WHERE event_id = %s AND target = %s AND lease_id = %s"
)
_WEBHOOK_LOG = (
    f"SELECT {_WEBHOOK_COLUMNS} FROM webhook_deliveries"  # noqa: S608
    " ORDER BY created_at DESC, event_id DESC, target LIMIT %s"
)
_WEBHOOK_EVENT_LOG = (
    f"SELECT {_WEBHOOK_COLUMNS} FROM webhook_deliveries WHERE event_id = %s"  # noqa: S608
    " ORDER BY created_at DESC, event_id DESC, target LIMIT %s"
)

_NOW = "extract(epoch FROM clock_timestamp())"
_HEARTBEAT = (
    f"INSERT INTO replicas (replica, heartbeat_at) VALUES (%s, {_NOW})"  # noqa: S608
    " ON CONFLICT (replica) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at"
)
_CLOSE_ATTEMPT = f"{_NO_FLUSH} DELETE FROM attempts USING no_flush WHERE attempt = %s"  # noqa: S608
# Rows are taken once: DELETE … RETURNING, skipping rows another reaper is deleting.
_REAP_ATTEMPTS = (
    "DELETE FROM attempts WHERE attempt IN (SELECT a.attempt FROM attempts AS a"  # noqa: S608
    " LEFT JOIN replicas AS r ON r.replica = a.replica"
    f" WHERE r.heartbeat_at IS NULL OR r.heartbeat_at < {_NOW} - %s FOR UPDATE OF a SKIP LOCKED)"
    " RETURNING record"
)

_SELECT_RECORD = (
    "SELECT state, fingerprint, result, created_at FROM idempotency WHERE tenant = %s AND key = %s"
)
_SELECT_MARKS = "SELECT state, at, ref, attempt FROM send_marks WHERE tenant = %s AND fingerprint = %s"
_APPROVAL_COLUMNS = "record, state, decided_by, decided_via, decided_at, decided_from, outcome"
# The statements below are put together from the constants above only, never from a value.
_GET_APPROVAL = f"SELECT {_APPROVAL_COLUMNS} FROM approvals WHERE id = %s"  # noqa: S608
_DECIDE_APPROVAL = (
    "UPDATE approvals SET state = %s, decided_by = %s, decided_via = %s, decided_at = %s,"  # noqa: S608
    " decided_from = %s WHERE id = %s AND state = 'pending' AND expires_at > %s"
    f" RETURNING {_APPROVAL_COLUMNS}"
)
_CONSUME_APPROVAL = (
    "UPDATE approvals SET state = 'consumed' WHERE id = %s AND state = 'approved'"  # noqa: S608
    f" AND tenant = %s AND fingerprint = %s AND expires_at > %s RETURNING {_APPROVAL_COLUMNS}"
)

_CONNECTION_COLUMNS = "record, sealed_key, revoked_at"
_GRANT_COLUMNS = "digest, kind, connection_id, client_id, expires_at, data, used_at"
_GET_CONNECTION = f"SELECT {_CONNECTION_COLUMNS} FROM oauth_connections WHERE id = %s"  # noqa: S608
_LIST_CONNECTIONS = (
    f"SELECT {_CONNECTION_COLUMNS} FROM oauth_connections"  # noqa: S608
    " WHERE %s OR revoked_at IS NULL ORDER BY created_at DESC, id DESC LIMIT %s"
)
_SAVE_GRANT = (
    f"INSERT INTO oauth_grants ({_GRANT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
    " ON CONFLICT DO NOTHING"
)
_GET_GRANT = f"SELECT {_GRANT_COLUMNS} FROM oauth_grants WHERE digest = %s"  # noqa: S608


# -- text that PostgreSQL would refuse ----------------------------------------------------------------
# TEXT cannot hold U+0000, which SQLite and memory keep (an idempotency key or an SMS text may carry
# one). Every string is stored with U+0000 and U+0001 escaped behind U+0001, and read back unescaped:
# a one-to-one mapping, the identity for every string without either character.

_ESCAPED = re.compile("\x01([\x01\x02])")


def escape_text(value: str) -> str:
    if "\x00" not in value and "\x01" not in value:
        return value
    return value.replace("\x01", "\x01\x01").replace("\x00", "\x01\x02")


def unescape_text(value: str) -> str:
    if "\x01" not in value:
        return value
    return _ESCAPED.sub(lambda found: "\x01" if found.group(1) == "\x01" else "\x00", value)


class _EscapingStrDumper(StrDumperUnknown):
    def dump(self, obj: str) -> Buffer | None:
        return super().dump(escape_text(obj))


class _UnescapingTextLoader(TextLoader):
    def load(self, data: Buffer) -> bytes | str:
        value = super().load(data)
        return unescape_text(value) if isinstance(value, str) else value


# -- logs -----------------------------------------------------------------------------------------------


class _ScrubPasswords(logging.Filter):
    """Rewrites psycopg's own log records (a failed reconnection quotes libpq) without the password."""

    def __init__(self, passwords: list[str]) -> None:
        super().__init__()
        self.passwords = passwords

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message} ({record.exc_info[1]})"
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = scrub(message, self.passwords), None
        return True


# Every logger psycopg 3.2-3.3 and psycopg-pool write to (a logger's filter does not apply to its children).
_PSYCOPG_LOGGERS = (
    "psycopg",
    "psycopg.pool",
    "psycopg.pq",
    "psycopg.transaction",
    "psycopg.waiting",
    "psycopg.debug",
    "psycopg_pool.sched",
    "psycopg_pool.sched_async",
)


def _one_line(error: BaseException) -> str:
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return text or type(error).__name__


def _record(row: tuple[Any, ...] | None) -> IdempotencyRecord | None:
    if row is None:
        return None
    state, fingerprint, result, created_at = row
    return IdempotencyRecord(state, fingerprint, json.loads(result) if result else None, created_at)


def _approval(row: tuple[Any, ...] | None) -> ApprovalRecord | None:
    if row is None:
        return None
    record, state, decided_by, decided_via, decided_at, decided_from, outcome = row
    return replace(
        ApprovalRecord.from_json(record),
        state=state,
        decided_by=decided_by,
        decided_via=decided_via,
        decided_at=decided_at,
        decided_from=decided_from,
        outcome=json.loads(outcome) if outcome is not None else None,
    )


class PostgresStore:
    """A `StateStore` in a PostgreSQL schema (the first of the URL's search_path), shared by replicas."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
        pool_wait_seconds: float = POOL_WAIT_SECONDS,
    ) -> None:
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self._url = url.strip()
        self.where = mask_state_url(self._url)
        """The URL as messages show it: the password masked."""
        self._passwords = url_passwords(self._url)
        self._pool_size = pool_size
        self._statement_timeout_ms = max(0, statement_timeout_ms)
        self._pool_wait = pool_wait_seconds
        self._pool: AsyncConnectionPool[Connection] | None = None
        self._opening = anyio.Lock()
        self._closed = False
        self._broken = False  # a connection was lost and no operation has succeeded since
        self.channel = "letexto_notices"  # named after the schema once the store opens
        self._log_filter = _ScrubPasswords(self._passwords)
        if self._passwords:
            for name in _PSYCOPG_LOGGERS:
                logging.getLogger(name).addFilter(self._log_filter)

    # -- opening --------------------------------------------------------------------------------------

    def _error(self, doing: str, error: BaseException, advice: str) -> StoreError:
        detail = scrub(_one_line(error), self._passwords)
        return StoreError(f"{doing} the PostgreSQL state database {self.where} ({detail}); {advice}")

    def _failed(self, error: BaseException) -> StoreError:
        return self._error(
            "could not use",
            error,
            "check that the database runs and answers (LETEXTO_STATE_STATEMENT_TIMEOUT_MS, "
            "LETEXTO_STATE_POOL_SIZE), or point LETEXTO_STATE_URL elsewhere",
        )

    def _connect_kwargs(self) -> dict[str, Any]:
        """autocommit (a lone statement is its own transaction), plus defaults the URL does not set."""
        failure: StoreError | None = None
        try:
            given = conninfo_to_dict(self._url)
        except psycopg.Error as error:
            failure = self._error("cannot read the URL of", error, "fix LETEXTO_STATE_URL")
        if failure is not None:
            raise failure
        kwargs: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in given:
            kwargs["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        if "application_name" not in given:
            kwargs["application_name"] = "letexto-mcp"
        return kwargs

    async def _configure(self, conn: Connection) -> None:
        """Every pooled connection: the text adapters, and the deadline of each statement."""
        conn.adapters.register_dumper(str, _EscapingStrDumper)
        conn.adapters.register_loader("text", _UnescapingTextLoader)
        await conn.execute(
            "SELECT set_config('statement_timeout', %s, false)", (str(self._statement_timeout_ms),)
        )

    async def open(self) -> int:
        """Connect, migrate the schema and open the pool now; the schema version.

        Without it the first operation does the same: `open` makes a bad URL or an unreachable
        database stop the start with its sentence instead.
        """
        await self._ready()
        return await self.schema_version()

    async def _ready(self) -> AsyncConnectionPool[Connection]:
        if self._closed:
            raise StoreError("the state store is closed")
        if self._pool is not None:
            return self._pool
        async with self._opening:
            if self._closed:
                raise StoreError("the state store is closed")
            if self._pool is None:
                self._pool = await self._open_pool()
        return self._pool

    async def _open_pool(self) -> AsyncConnectionPool[Connection]:
        # Each failure is raised outside its `except`: no chained psycopg error (whose libpq text
        # may quote the URL) rides along with the StoreError.
        kwargs = self._connect_kwargs()
        failure: StoreError | None = None
        doing = "cannot connect to"
        try:
            conn = await psycopg.AsyncConnection.connect(self._url, **kwargs)
            doing = "could not create or upgrade the schema of"
            async with conn:
                await migrate(conn, self.where)
                cursor = await conn.execute("SELECT current_schema()")
                schema = (await cursor.fetchone() or ("public",))[0]
        except psycopg.Error as error:
            failure = self._error(
                doing,
                error,
                "check that it runs, that the host, port, user, password and database in "
                "LETEXTO_STATE_URL are right, and that the user may create tables in its schema",
            )
        if failure is not None:
            raise failure
        # Channels are database-wide: one per schema, so two deployments (or tests) never mix.
        self.channel = f"letexto_{lock_key('notices', str(schema)) & 0xFFFFFFFFFFFF:012x}"
        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            self._url,
            kwargs=kwargs,
            min_size=1,
            max_size=self._pool_size,
            configure=self._configure,
            open=False,
            timeout=self._pool_wait,
            reconnect_timeout=RECONNECT_GIVE_UP_SECONDS,
            name="letexto-mcp-state",
        )
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
        except psycopg.Error as error:
            failure = self._failed(error)
        if failure is not None:
            await pool.close()
            raise failure
        return pool

    # -- notices between replicas (LISTEN/NOTIFY) -----------------------------------------------

    async def notify(self, payload: str) -> None:
        """Tell every replica listening on this store (this one included) `payload`; best delivered
        once to each listener connected now (PostgreSQL NOTIFY: nothing is kept for later)."""
        await self._ready()
        await self._run("SELECT pg_notify(%s, %s)", (self.channel, payload))

    async def notices(self) -> AsyncIterator[str]:
        """Every payload notified on this store, from any replica, until cancelled.

        One dedicated connection (LISTEN needs one that stays open); when it breaks — the database
        restarted — it reconnects after a pause and goes on: a notice sent meanwhile is lost, and
        watchers then learn the status by asking again.
        """
        await self._ready()
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(self._url, **self._connect_kwargs())
                async with conn:
                    await conn.execute(f"LISTEN {self.channel}")  # a generated identifier, never input
                    async for notice in conn.notifies():
                        yield notice.payload
            except psycopg.Error as error:
                reason = self._failed(error)
                logger.warning("notices between replicas interrupted (%s); listening again shortly", reason)
            await anyio.sleep(NOTICES_RETRY_SECONDS)

    async def schema_version(self) -> int:
        """The schema's version as the database has it now (another replica may have migrated it)."""
        async with self._conn() as conn:
            return await current_version(conn)

    # -- plumbing -------------------------------------------------------------------------------------

    @asynccontextmanager
    async def _conn(self) -> AsyncIterator[Connection]:
        """A pooled connection (autocommit); any database error becomes a StoreError.

        An operation is never cancelled half-way (shielded: its statements are bounded by the
        statement timeout anyway): a cancelled query makes psycopg cancel it on the server and
        throw the connection away, and a caller that goes away — a client hanging up, a server
        shutting down — would otherwise leave connections to be rebuilt, or a shutdown waiting on them.
        """
        pool = await self._ready()
        failure: StoreError | None = None
        wait = min(DOWN_POOL_WAIT_SECONDS, self._pool_wait) if self._broken else self._pool_wait
        try:
            with anyio.CancelScope(shield=True):
                async with pool.connection(timeout=wait) as conn:
                    try:
                        yield conn
                    except psycopg.Error:
                        self._broken = self._broken or conn.broken
                        raise
            self._broken = False
        except psycopg.Error as error:
            failure = self._failed(error)
        if failure is not None:
            raise failure from None  # the psycopg error is in the message already, scrubbed

    async def _one(self, query: str, params: Any = None) -> tuple[Any, ...] | None:
        async with self._conn() as conn:
            cursor = await conn.execute(query, params)
            return await cursor.fetchone()

    async def _all(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        async with self._conn() as conn:
            cursor = await conn.execute(query, params)
            return await cursor.fetchall()

    async def _run(self, query: str, params: Any = None) -> int:
        async with self._conn() as conn:
            return (await conn.execute(query, params)).rowcount

    # -- secrets and nonces ---------------------------------------------------------------------------

    async def get_or_create_secret(self, name: str, factory: Callable[[], bytes]) -> bytes:
        row = await self._one("SELECT value FROM secrets WHERE name = %s", (name,))
        if row is None:
            row = await self._one(
                "INSERT INTO secrets AS s (name, value) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET value = s.value RETURNING value",
                (name, bytes(factory())),
            )
        assert row is not None  # the upsert returns the row it kept
        return bytes(row[0])

    async def consume_once(
        self, tenant: str, nonce: str, expires_at: float, *, now: float | None = None
    ) -> bool:
        async with self._conn() as conn:
            if now is not None:
                await conn.execute("DELETE FROM nonces WHERE expires_at < %s", (now - NONCE_PURGE_GRACE,))
            cursor = await conn.execute(
                "INSERT INTO nonces (tenant, nonce, expires_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (tenant, nonce, expires_at),
            )
            return cursor.rowcount == 1

    # -- idempotency ----------------------------------------------------------------------------------

    async def idempotency_get(self, tenant: str, key: str) -> IdempotencyRecord | None:
        return _record(await self._one(_SELECT_RECORD, (tenant, key)))

    async def idempotency_claim(
        self, tenant: str, key: str, fingerprint: str, now: float
    ) -> IdempotencyRecord | None:
        async with self._conn() as conn:
            # The loser reads the winner's record; if it was released in between, claim again.
            for _ in range(CLAIM_TRIES):
                cursor = await conn.execute(
                    "INSERT INTO idempotency (tenant, key, state, fingerprint, result, created_at,"
                    " updated_at) VALUES (%s, %s, 'in_flight', %s, NULL, %s, %s) ON CONFLICT DO NOTHING",
                    (tenant, key, fingerprint, now, now),
                )
                if cursor.rowcount == 1:
                    return None
                row = await (await conn.execute(_SELECT_RECORD, (tenant, key))).fetchone()
                if row is not None:
                    return _record(row)
        raise StoreError(
            "an idempotency key was claimed and released again too often to be claimed; retry the send"
        )

    async def idempotency_finish(self, tenant: str, key: str, state: str, result: dict[str, Any]) -> None:
        check_idempotency_state(state)
        payload = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
        now = time.time()
        await self._run(_FINISH_KEY, (tenant, key, state, payload, now, now))

    async def idempotency_release(self, tenant: str, key: str) -> None:
        await self._run("DELETE FROM idempotency WHERE tenant = %s AND key = %s", (tenant, key))

    # -- duplicate marks ------------------------------------------------------------------------------

    async def recent_send(self, tenant: str, fingerprint: str, since: float) -> SendMark | None:
        rows = await self._all(_SELECT_MARKS, (tenant, fingerprint))
        return most_blocking([SendMark(*row) for row in rows], since)

    async def claim_send(
        self, tenant: str, fingerprint: str, attempt: str, since: float, now: float, *, force: bool = False
    ) -> SendMark | None:
        # letexto_claim_send (pg_schema): under the advisory lock of (tenant, fingerprint), the blocking
        # marks, or (none, or forced) this attempt's in_flight mark added; one round trip.
        rows = await self._all(
            "SELECT state, at, ref, attempt FROM letexto_claim_send(%s, %s, %s, %s, %s, %s, %s)",
            (tenant, fingerprint, attempt, since, now, force, lock_key("send", tenant, fingerprint)),
        )
        return most_blocking([SendMark(*row) for row in rows], since)

    async def settle_send(
        self, tenant: str, fingerprint: str, attempt: str, state: str, now: float, ref: str | None
    ) -> bool:
        check_mark_state(state)
        updated = await self._run(_SETTLE_SEND, (str(state), now, ref, tenant, fingerprint, attempt))
        return updated == 1

    async def release_send(self, tenant: str, fingerprint: str, attempt: str) -> None:
        await self._run(
            "DELETE FROM send_marks WHERE tenant = %s AND fingerprint = %s AND attempt = %s",
            (tenant, fingerprint, attempt),
        )

    # -- budget and rate ------------------------------------------------------------------------------

    async def reserve_budget(self, tenant: str, day: str, parts: int, limit: int | None) -> BudgetResult:
        if parts < 0:
            raise ValueError("parts must not be negative")
        params = {"tenant": tenant, "day": day, "parts": parts, "limit": limit}
        async with self._conn() as conn:
            # The row is locked by the upsert: two replicas can never both take the last parts.
            cursor = await conn.execute(
                "INSERT INTO budget AS b (tenant, day, used)"
                " SELECT %(tenant)s::text, %(day)s::text, %(parts)s::bigint"
                " WHERE %(limit)s::bigint IS NULL OR %(parts)s::bigint <= %(limit)s::bigint"
                " ON CONFLICT (tenant, day) DO UPDATE SET used = b.used + EXCLUDED.used"
                " WHERE %(limit)s::bigint IS NULL OR b.used + EXCLUDED.used <= %(limit)s::bigint"
                " RETURNING used",
                params,
            )
            row = await cursor.fetchone()
            if row is not None:
                return BudgetResult(True, int(row[0]), limit)
            # Refused: report the usage as it stands now (a figure for the message only).
            cursor = await conn.execute(
                "SELECT used FROM budget WHERE tenant = %s AND day = %s", (tenant, day)
            )
            current = await cursor.fetchone()
            return BudgetResult(False, int(current[0]) if current else 0, limit)

    async def refund_budget(self, tenant: str, day: str, parts: int) -> None:
        await self._run(
            "UPDATE budget SET used = GREATEST(0, used - %s) WHERE tenant = %s AND day = %s",
            (max(0, parts), tenant, day),
        )

    async def budget_used(self, tenant: str, day: str) -> int:
        row = await self._one("SELECT used FROM budget WHERE tenant = %s AND day = %s", (tenant, day))
        return int(row[0]) if row else 0

    async def hit_rate(self, tenant: str, now: float, window: float, limit: int) -> RateResult:
        # letexto_hit_rate (pg_schema): under the tenant's advisory lock, forget hits that left the
        # window, count the rest, add this one if there is room; one round trip.
        row = await self._one(_HIT_RATE, (tenant, now, now - window, limit, lock_key("rate", tenant)))
        assert row is not None  # the function always returns its one row
        count, oldest = int(row[0]), row[1]
        if count >= limit:
            retry_after = max(0.0, oldest + window - now) if oldest is not None else window
            return RateResult(False, count, limit, retry_after)
        return RateResult(True, count + 1, limit, 0.0)

    # -- audit ----------------------------------------------------------------------------------------

    async def append_audit(self, entry: AuditEntry) -> None:
        await self._run(
            "INSERT INTO audit (tenant, at, entry, attempt) VALUES (%s, %s, %s, %s)",
            (entry.tenant, entry.at, entry.to_json(), entry.attempt),
        )

    async def settle_audit(self, entry: AuditEntry) -> None:
        await self._run(
            _SETTLE_AUDIT,
            {"tenant": entry.tenant, "at": entry.at, "entry": entry.to_json(), "attempt": entry.attempt},
        )

    async def list_audit(
        self, tenant: str, *, since: float | None = None, until: float | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        rows = await self._all(
            "SELECT entry FROM audit WHERE tenant = %s AND at >= %s AND at < %s"
            " ORDER BY at DESC, id DESC LIMIT %s",
            (
                tenant,
                since if since is not None else float("-inf"),
                until if until is not None else float("inf"),
                max(0, limit),
            ),
        )
        return [AuditEntry.from_json(row[0]) for row in rows]

    # -- retention ------------------------------------------------------------------------------------

    async def prune(self, before: float, before_day: str) -> Pruned:
        async with self._conn() as conn, conn.transaction():

            async def gone(query: str, value: float | str) -> int:
                return (await conn.execute(query, (value,))).rowcount

            return Pruned(
                audit=await gone("DELETE FROM audit WHERE at < %s", before),
                idempotency=await gone("DELETE FROM idempotency WHERE created_at < %s", before),
                send_marks=await gone("DELETE FROM send_marks WHERE at < %s", before),
                budget_days=await gone("DELETE FROM budget WHERE day < %s", before_day),
                # Their messages go with them (ON DELETE CASCADE).
                approvals=await gone("DELETE FROM approvals WHERE created_at < %s", before),
                webhook_deliveries=await gone(
                    "DELETE FROM webhook_deliveries WHERE finished_at < %s", before
                ),
            )

    # -- delivery reports -----------------------------------------------------------------------------

    async def save_delivery_report(self, report: DeliveryReport) -> None:
        raw = json.dumps(report.raw, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        async with self._conn() as conn:
            await conn.execute(
                "DELETE FROM delivery_reports WHERE received_at < %s",
                (report.received_at - REPORT_RETENTION,),
            )
            await conn.execute(
                "INSERT INTO delivery_reports (tenant, message_id, status, received_at, raw)"
                " VALUES (%s, %s, %s, %s, %s)",
                (report.tenant, report.message_id, report.status, report.received_at, raw),
            )

    async def delivery_reports(
        self, tenant: str, message_id: str, *, limit: int = 20
    ) -> list[DeliveryReport]:
        rows = await self._all(
            "SELECT status, received_at, raw FROM delivery_reports WHERE tenant = %s AND message_id = %s"
            " ORDER BY received_at DESC, id DESC LIMIT %s",
            (tenant, message_id, max(0, limit)),
        )
        return [DeliveryReport(tenant, message_id, row[0], row[1], json.loads(row[2])) for row in rows]

    async def bind_report_url(self, tenant: str, nonce: str, message_id: str, now: float) -> str:
        async with self._conn() as conn:
            await conn.execute("DELETE FROM report_urls WHERE at < %s", (now - REPORT_RETENTION,))
            # Bound once: the upsert keeps the first binding and returns it, in one statement.
            cursor = await conn.execute(
                "INSERT INTO report_urls AS r (tenant, nonce, message_id, at) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (tenant, nonce) DO UPDATE SET message_id = r.message_id RETURNING message_id",
                (tenant, nonce, message_id, now),
            )
            row = await cursor.fetchone()
        assert row is not None
        return str(row[0])

    # -- approvals ------------------------------------------------------------------------------------

    async def create_approval(self, record: ApprovalRecord, messages: list[tuple[str, str]]) -> None:
        async with self._conn() as conn, conn.transaction():
            inserted = await conn.execute(
                "INSERT INTO approvals (id, tenant, fingerprint, created_at, expires_at, state, decided_by,"
                " decided_via, decided_at, decided_from, outcome, record)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    record.id,
                    record.tenant,
                    record.fingerprint,
                    record.created_at,
                    record.expires_at,
                    record.state,
                    record.decided_by,
                    record.decided_via,
                    record.decided_at,
                    record.decided_from,
                    None if record.outcome is None else json.dumps(record.outcome, ensure_ascii=False),
                    record.to_json(),
                ),
            )
            if inserted.rowcount != 1:
                raise StoreError(f"approval {record.id!r} exists already")
            # COPY: a 10,000-recipient campaign's messages in one stream, not 10,000 statements.
            async with (
                conn.cursor() as cursor,
                cursor.copy("COPY approval_messages (approval_id, seq, recipient, text) FROM STDIN") as copy,
            ):
                for seq, (recipient, text) in enumerate(messages):
                    await copy.write_row((record.id, seq, str(recipient), str(text)))

    async def get_approval(self, approval_id: str) -> ApprovalRecord | None:
        return _approval(await self._one(_GET_APPROVAL, (approval_id,)))

    async def approval_messages(self, approval_id: str, offset: int, limit: int) -> list[tuple[str, str]]:
        rows = await self._all(
            "SELECT recipient, text FROM approval_messages WHERE approval_id = %s"
            " ORDER BY seq LIMIT %s OFFSET %s",
            (approval_id, max(0, limit), max(0, offset)),
        )
        return [(str(r), str(t)) for r, t in rows]

    async def approval_texts(self, approval_id: str, offset: int, limit: int) -> list[tuple[str, int]]:
        rows = await self._all(
            "SELECT text, COUNT(*) FROM approval_messages WHERE approval_id = %s"
            " GROUP BY text ORDER BY MIN(seq) LIMIT %s OFFSET %s",
            (approval_id, max(0, limit), max(0, offset)),
        )
        return [(str(t), int(n)) for t, n in rows]

    async def decide_approval(self, approval_id: str, decision: Decision) -> ApprovalRecord | None:
        return _approval(
            await self._one(
                _DECIDE_APPROVAL,
                (
                    "approved" if decision.approve else "declined",
                    decision.by,
                    decision.via,
                    decision.at,
                    decision.from_address,
                    approval_id,
                    decision.at,
                ),
            )
        )

    async def consume_approval(
        self, approval_id: str, tenant: str, fingerprint: str, now: float
    ) -> ApprovalRecord | None:
        return _approval(
            await self._one(
                _CONSUME_APPROVAL,
                (approval_id, tenant, fingerprint, now),
            )
        )

    async def settle_approval(self, approval_id: str, outcome: dict[str, Any]) -> None:
        await self._run(
            _SETTLE_APPROVAL,
            (json.dumps(outcome, ensure_ascii=False, separators=(",", ":")), approval_id),
        )

    # -- leases on sends on the wire (the database's clock) -----------------------------------------

    async def heartbeat(self, replica: str, now: float) -> None:
        await self._run(_HEARTBEAT, (replica,))

    async def open_attempt(self, attempt: OpenAttempt, now: float) -> None:
        async with self._conn() as conn, conn.transaction():
            await conn.execute(_HEARTBEAT, (attempt.replica,))
            await conn.execute(
                "INSERT INTO attempts (attempt, replica, started_at, record) VALUES (%s, %s, %s, %s)",
                (attempt.attempt, attempt.replica, attempt.started_at, attempt_json(attempt)),
            )

    async def close_attempt(self, attempt: str) -> None:
        await self._run(_CLOSE_ATTEMPT, (attempt,))

    async def reap_attempts(self, lapse: float, now: float) -> list[OpenAttempt]:
        rows = await self._all(_REAP_ATTEMPTS, (lapse,))
        return [attempt_from_json(row[0]) for row in rows]

    # -- webhook queue ----------------------------------------------------------------------------------

    async def webhook_enqueue(
        self, event_id: str, event_type: str, tenant: str, payload: str, targets: Sequence[str], now: float
    ) -> int:
        async with self._conn() as conn, conn.transaction():
            added = 0
            for target in targets:
                cursor = await conn.execute(
                    "INSERT INTO webhook_deliveries (event_id, target, event_type, tenant, payload,"
                    " created_at, state, next_attempt_at, attempts)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0)"
                    " ON CONFLICT (event_id, target) DO NOTHING",
                    (event_id, target, event_type, tenant, payload, now, WEBHOOK_PENDING, now),
                )
                added += cursor.rowcount
            return added

    async def webhook_claim(
        self, lease_id: str, now: float, lease_until: float, limit: int
    ) -> list[WebhookDelivery]:
        rows = await self._all(_CLAIM_WEBHOOKS, (lease_id, lease_until, now, now, now, max(0, limit)))
        claimed = [WebhookDelivery(*row) for row in rows]
        return sorted(claimed, key=lambda d: (d.next_attempt_at or 0.0, d.created_at))

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
        finished = None if state == WEBHOOK_PENDING else now
        params = (state, next_attempt_at, status_code, error, finished, event_id, target, lease_id)
        return await self._run(_FINISH_WEBHOOK, params) == 1

    async def webhook_deliveries(
        self, *, limit: int = 50, event_id: str | None = None
    ) -> list[WebhookDelivery]:
        count = max(0, limit)
        if event_id is None:
            rows = await self._all(_WEBHOOK_LOG, (count,))
        else:
            rows = await self._all(_WEBHOOK_EVENT_LOG, (event_id, count))
        return [WebhookDelivery(*row) for row in rows]

    # -- OAuth: clients, connections, grants ------------------------------------------------------------

    async def oauth_save_client(self, client_id: str, metadata: dict[str, Any], now: float) -> None:
        payload = json.dumps(metadata, ensure_ascii=False, separators=(",", ":"))
        added = await self._run(
            "INSERT INTO oauth_clients (client_id, metadata, created_at) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            (client_id, payload, now),
        )
        if added != 1:
            raise StoreError(f"OAuth client {client_id!r} exists already")

    async def oauth_get_client(self, client_id: str) -> dict[str, Any] | None:
        row = await self._one("SELECT metadata FROM oauth_clients WHERE client_id = %s", (client_id,))
        found: dict[str, Any] | None = None if row is None else json.loads(row[0])
        return found

    async def oauth_create_connection(self, connection: OAuthConnection) -> None:
        added = await self._run(
            "INSERT INTO oauth_connections (id, created_at, revoked_at, sealed_key, record)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (
                connection.id,
                connection.created_at,
                connection.revoked_at,
                connection.sealed_key,
                connection.record_json(),
            ),
        )
        if added != 1:
            raise StoreError(f"OAuth connection {connection.id!r} exists already")

    async def oauth_get_connection(self, connection_id: str) -> OAuthConnection | None:
        row = await self._one(_GET_CONNECTION, (connection_id,))
        return None if row is None else OAuthConnection.from_stored(*row)

    async def oauth_list_connections(
        self, *, include_revoked: bool = False, limit: int = 100
    ) -> list[OAuthConnection]:
        rows = await self._all(_LIST_CONNECTIONS, (include_revoked, max(0, limit)))
        return [OAuthConnection.from_stored(*row) for row in rows]

    async def oauth_revoke_connection(self, connection_id: str, now: float) -> bool:
        revoked = await self._run(
            "UPDATE oauth_connections SET revoked_at = %s, sealed_key = NULL"
            " WHERE id = %s AND revoked_at IS NULL",
            (now, connection_id),
        )
        return revoked == 1

    async def oauth_save_grant(self, grant: OAuthGrant, now: float) -> None:
        check_grant_kind(grant.kind)
        async with self._conn() as conn:
            horizon = now - OAUTH_GRANT_PURGE_GRACE
            await conn.execute("DELETE FROM oauth_grants WHERE expires_at < %s", (horizon,))
            cursor = await conn.execute(
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
            )
            added = cursor.rowcount
        if added != 1:
            raise StoreError("this OAuth grant exists already")

    async def oauth_get_grant(self, digest: str) -> OAuthGrant | None:
        row = await self._one(_GET_GRANT, (digest,))
        if row is None:
            return None
        digest, kind, connection_id, client_id, expires_at, data, used_at = row
        return OAuthGrant(digest, kind, connection_id, client_id, expires_at, json.loads(data), used_at)

    async def oauth_use_grant(self, digest: str, now: float) -> bool:
        used = await self._run(
            "UPDATE oauth_grants SET used_at = %s WHERE digest = %s AND used_at IS NULL AND expires_at > %s",
            (now, digest, now),
        )
        return used == 1

    async def close(self) -> None:
        self._closed = True
        async with self._opening:
            pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
        for name in _PSYCOPG_LOGGERS:
            logging.getLogger(name).removeFilter(self._log_filter)
