"""The PostgreSQL state schema: ordered, versioned migrations, applied at start under a lock.

Each step is plain SQL in code and is never edited once released: a change is a new step. The
`schema_version` table keeps one row per applied step. Every replica runs `migrate` when its store
opens; the steps run in one transaction holding a transaction-level advisory lock named after the
schema, so two replicas starting together apply each step once (the second waits, then finds
nothing to do) and a failed step leaves the schema as it was. A server older than the schema it
finds refuses to start rather than write rows it does not understand.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from letexto_mcp.store.base import StoreError

if TYPE_CHECKING:
    from psycopg import AsyncConnection


@dataclass(frozen=True)
class Migration:
    """One step: the version it brings the schema to, why, and its statements (no parameters)."""

    version: int
    purpose: str
    sql: str


# Times are epoch seconds from the caller's clock (DOUBLE PRECISION), as in the other backends;
# JSON is kept as TEXT, as written, because JSONB refuses the \u0000 escape a text may carry.
_STATE = """
CREATE TABLE secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
CREATE TABLE nonces (
    tenant TEXT NOT NULL, nonce TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant, nonce));
CREATE INDEX nonces_expiry ON nonces (expires_at);
CREATE TABLE idempotency (
    tenant TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, fingerprint TEXT NOT NULL,
    result TEXT, created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant, key));
CREATE INDEX idempotency_age ON idempotency (created_at);
CREATE TABLE send_marks (
    tenant TEXT NOT NULL, fingerprint TEXT NOT NULL, attempt TEXT NOT NULL, state TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL, ref TEXT,
    PRIMARY KEY (tenant, fingerprint, attempt));
CREATE INDEX send_marks_age ON send_marks (at);
CREATE TABLE budget (
    tenant TEXT NOT NULL, day TEXT NOT NULL, used BIGINT NOT NULL CHECK (used >= 0),
    PRIMARY KEY (tenant, day));
CREATE INDEX budget_day ON budget (day);
CREATE TABLE rate_hits (tenant TEXT NOT NULL, at DOUBLE PRECISION NOT NULL);
CREATE INDEX rate_hits_tenant_at ON rate_hits (tenant, at);
CREATE TABLE audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL, entry TEXT NOT NULL, attempt TEXT);
CREATE INDEX audit_tenant_at ON audit (tenant, at);
CREATE INDEX audit_age ON audit (at);
CREATE INDEX audit_attempt ON audit (tenant, attempt) WHERE attempt IS NOT NULL;
CREATE TABLE delivery_reports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant TEXT NOT NULL, message_id TEXT NOT NULL,
    status TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL, raw TEXT NOT NULL);
CREATE INDEX delivery_reports_message ON delivery_reports (tenant, message_id, received_at);
CREATE INDEX delivery_reports_age ON delivery_reports (received_at);
CREATE TABLE report_urls (
    tenant TEXT NOT NULL, nonce TEXT NOT NULL, message_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant, nonce));
CREATE INDEX report_urls_age ON report_urls (at);

-- The two checks that must read, decide and write under a per-key lock, each in one round trip.
-- Every statement of a (VOLATILE) function takes a fresh snapshot, so the reads after the lock see
-- every claim committed before it was ours. Tables resolve through the caller's search_path.
CREATE FUNCTION letexto_claim_send(
    p_tenant TEXT, p_fingerprint TEXT, p_attempt TEXT, p_since DOUBLE PRECISION,
    p_now DOUBLE PRECISION, p_force BOOLEAN, p_lock BIGINT)
RETURNS TABLE (state TEXT, at DOUBLE PRECISION, ref TEXT, attempt TEXT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock);
    IF p_force THEN
        UPDATE send_marks AS m SET state = 'resolved', at = p_now
            WHERE m.tenant = p_tenant AND m.fingerprint = p_fingerprint AND m.state = 'outcome_unknown';
    ELSE
        RETURN QUERY SELECT m.state, m.at, m.ref, m.attempt FROM send_marks AS m
            WHERE m.tenant = p_tenant AND m.fingerprint = p_fingerprint
            AND (m.state IN ('in_flight', 'outcome_unknown') OR (m.state = 'sent' AND m.at >= p_since));
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;
    INSERT INTO send_marks (tenant, fingerprint, attempt, state, at, ref)
        VALUES (p_tenant, p_fingerprint, p_attempt, 'in_flight', p_now, NULL);
END
$$;
CREATE FUNCTION letexto_hit_rate(
    p_tenant TEXT, p_now DOUBLE PRECISION, p_edge DOUBLE PRECISION, p_limit BIGINT, p_lock BIGINT)
RETURNS TABLE (hits BIGINT, oldest DOUBLE PRECISION)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock);
    DELETE FROM rate_hits AS h WHERE h.tenant = p_tenant AND h.at <= p_edge;
    SELECT COUNT(*), MIN(h.at) INTO hits, oldest FROM rate_hits AS h WHERE h.tenant = p_tenant;
    IF hits < p_limit THEN
        INSERT INTO rate_hits (tenant, at) VALUES (p_tenant, p_now);
    END IF;
    RETURN NEXT;
END
$$;
"""

# `record` is the approval as created (JSON); what changes afterwards has columns of its own, so
# that deciding and consuming are one conditional UPDATE each.
_APPROVALS = """
CREATE TABLE approvals (
    id TEXT PRIMARY KEY, tenant TEXT NOT NULL, fingerprint TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'declined', 'consumed')),
    decided_by TEXT, decided_via TEXT, decided_at DOUBLE PRECISION, decided_from TEXT,
    outcome TEXT, record TEXT NOT NULL);
CREATE INDEX approvals_age ON approvals (created_at);
CREATE TABLE approval_messages (
    approval_id TEXT NOT NULL REFERENCES approvals (id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    recipient TEXT NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (approval_id, seq));
"""

# The outbound webhook queue (SQLite's schema 5): one row per (event, target); a claim takes due rows
# with FOR UPDATE SKIP LOCKED, so several replicas' workers never take the same row.
_WEBHOOKS = """
CREATE TABLE webhook_deliveries (
    event_id TEXT NOT NULL, target TEXT NOT NULL, event_type TEXT NOT NULL, tenant TEXT NOT NULL,
    payload TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'given_up')),
    next_attempt_at DOUBLE PRECISION, attempts INTEGER NOT NULL DEFAULT 0,
    last_attempt_at DOUBLE PRECISION, last_status INTEGER, last_error TEXT,
    finished_at DOUBLE PRECISION, lease_id TEXT, lease_until DOUBLE PRECISION,
    PRIMARY KEY (event_id, target));
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE finished_at IS NOT NULL;
"""

# Leases: a replica's heartbeat, and the sends on the wire it owns. Heartbeats are stamped with the
# database's own clock, and lapses judged by it: replicas' clocks differ, the database has one.
_LEASES = """
CREATE TABLE replicas (replica TEXT PRIMARY KEY, heartbeat_at DOUBLE PRECISION NOT NULL);
CREATE TABLE attempts (
    attempt TEXT PRIMARY KEY, replica TEXT NOT NULL, started_at DOUBLE PRECISION NOT NULL,
    record TEXT NOT NULL);
CREATE INDEX attempts_replica ON attempts (replica);
"""

# Remote connectors (OAuth 2.1): registered clients, connections (a person's consent) and the codes
# and refresh tokens, each known by its SHA-256 digest only. Using a grant is one conditional UPDATE.
_OAUTH = """
CREATE TABLE oauth_clients (
    client_id TEXT PRIMARY KEY, metadata TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL);
CREATE TABLE oauth_connections (
    id TEXT PRIMARY KEY, created_at DOUBLE PRECISION NOT NULL, revoked_at DOUBLE PRECISION,
    sealed_key TEXT, record TEXT NOT NULL);
CREATE INDEX oauth_connections_created ON oauth_connections (created_at);
CREATE TABLE oauth_grants (
    digest TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('code', 'refresh')),
    connection_id TEXT NOT NULL, client_id TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
    used_at DOUBLE PRECISION, data TEXT NOT NULL);
CREATE INDEX oauth_grants_expiry ON oauth_grants (expires_at);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "secrets, nonces, idempotency, send marks, budget, rate, audit, delivery reports", _STATE),
    # Approvals are a feature of their own (SQLite gained them in its schema 4): their own step.
    Migration(2, "approval records and their messages", _APPROVALS),
    Migration(3, "the outbound webhook queue", _WEBHOOKS),
    Migration(4, "replicas' heartbeats and the sends on the wire they own", _LEASES),
    Migration(5, "OAuth clients, connections and grants", _OAUTH),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
# Migrations may wait for another replica's: longer than a statement's usual deadline.
MIGRATION_TIMEOUT_MS = 60_000

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY, purpose TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
"""


def lock_key(*names: str) -> int:
    """A 64-bit advisory-lock key for names (a collision only makes two unrelated things wait)."""
    digest = hashlib.blake2b("\x1f".join(names).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def newer_schema(where: str, found: int) -> StoreError:
    return StoreError(
        f"the state database {where} was migrated by a newer letexto-mcp (schema {found}, this one "
        f"knows {SCHEMA_VERSION}); upgrade letexto-mcp, or point LETEXTO_STATE_URL elsewhere"
    )


async def _scalar(conn: AsyncConnection[Any], query: str) -> Any:
    cursor = await conn.execute(query)
    row = await cursor.fetchone()
    return None if row is None else row[0]


async def current_version(conn: AsyncConnection[Any]) -> int:
    """The schema version of the connection's schema (0: none yet), without changing anything."""
    exists = await _scalar(conn, "SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await _scalar(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_version") or 0)


async def migrate(conn: AsyncConnection[Any], where: str) -> int:
    """Bring the connection's schema (the first of its search_path) to SCHEMA_VERSION; its version.

    `where` names the database in messages (its URL, password masked).
    """
    schema = await _scalar(conn, "SELECT current_schema()")
    if schema is None:
        raise StoreError(
            f"the state database {where} has no schema to create tables in (the search_path names "
            "none that exists); create it, or fix the options of LETEXTO_STATE_URL"
        )
    async with conn.transaction():
        await conn.execute("SELECT set_config('statement_timeout', %s, true)", (str(MIGRATION_TIMEOUT_MS),))
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("letexto-mcp", "migrate", schema),))
        await conn.execute(_VERSION_TABLE)
        found = await current_version(conn)
        if found > SCHEMA_VERSION:
            raise newer_schema(where, found)
        for step in MIGRATIONS:
            if step.version > found:
                await conn.execute(step.sql.encode())
                await conn.execute(
                    "INSERT INTO schema_version (version, purpose) VALUES (%s, %s)",
                    (step.version, step.purpose),
                )
    return max(found, SCHEMA_VERSION)
