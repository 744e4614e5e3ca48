"""PostgreSQL specifics: migrations, per-key locking, deadlines, and a password that never shows.

Every test here runs against the real test server, in a schema of its own (tests/postgres_helpers).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import psycopg
import pytest

from letexto_mcp.config import Settings
from letexto_mcp.store import AuditEntry, StoreError, open_store
from letexto_mcp.store.factory import connect_store, schema_version
from letexto_mcp.store.pg_schema import MIGRATIONS, SCHEMA_VERSION, lock_key
from letexto_mcp.store.postgres import PostgresStore
from tests.postgres_helpers import server_url
from tests.tcp_link import cuttable_link

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]
PASSWORD = "Sup3r-S3cret-pw"
SECRET = "a-shared-state-secret-for-replicas"


def _query(url: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(query.encode())
        return cursor.fetchall() if cursor.description else []


def _with_password(url: str, password: str = PASSWORD) -> str:
    """The test URL with a password (the test server trusts loopback: it is accepted and ignored)."""
    scheme, rest = url.split("://", 1)
    userinfo, at, hosts = rest.rpartition("@")
    user = userinfo.split(":", 1)[0] if at else "postgres"
    return f"{scheme}://{user}:{password}@{hosts}"


# -- migrations -------------------------------------------------------------------------------------


async def test_a_fresh_schema_gets_every_step_once(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    assert await store.open() == SCHEMA_VERSION
    await store.close()
    again = PostgresStore(postgres_url)
    assert await again.open() == SCHEMA_VERSION
    await again.close()
    rows = _query(postgres_url, "SELECT version, purpose FROM schema_version ORDER BY version")
    assert rows == [(step.version, step.purpose) for step in MIGRATIONS]


V1_BY_HAND = """
CREATE TABLE schema_version (
    version INTEGER PRIMARY KEY, purpose TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
INSERT INTO schema_version (version, purpose) VALUES (1, 'written by hand, as version 1 left it');
CREATE TABLE secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
CREATE TABLE nonces (
    tenant TEXT NOT NULL, nonce TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant, nonce));
CREATE TABLE idempotency (
    tenant TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, fingerprint TEXT NOT NULL,
    result TEXT, created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant, key));
CREATE TABLE send_marks (
    tenant TEXT NOT NULL, fingerprint TEXT NOT NULL, attempt TEXT NOT NULL, state TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL, ref TEXT, PRIMARY KEY (tenant, fingerprint, attempt));
CREATE TABLE budget (
    tenant TEXT NOT NULL, day TEXT NOT NULL, used BIGINT NOT NULL CHECK (used >= 0),
    PRIMARY KEY (tenant, day));
CREATE TABLE rate_hits (tenant TEXT NOT NULL, at DOUBLE PRECISION NOT NULL);
CREATE TABLE audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL, entry TEXT NOT NULL, attempt TEXT);
CREATE TABLE delivery_reports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant TEXT NOT NULL, message_id TEXT NOT NULL,
    status TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL, raw TEXT NOT NULL);
CREATE TABLE report_urls (
    tenant TEXT NOT NULL, nonce TEXT NOT NULL, message_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant, nonce));
INSERT INTO idempotency VALUES ('t', 'old-key', 'succeeded', 'fp', '{"status":"submitted"}', 1.0, 2.0);
INSERT INTO budget VALUES ('t', '2026-01-01', 7);
"""


async def test_a_version_1_schema_is_upgraded_and_keeps_its_rows(postgres_url: str) -> None:
    old = AuditEntry(1.0, "t", "send_sms", 1, 1, 1.0, "token", "submitted", ["m-1"], "ok", None)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(V1_BY_HAND.encode())
        conn.execute("INSERT INTO audit (tenant, at, entry) VALUES ('t', 1.0, %s)", (old.to_json(),))
    store = PostgresStore(postgres_url)
    try:
        assert await store.open() == SCHEMA_VERSION
        record = await store.idempotency_get("t", "old-key")
        assert record is not None and record.result == {"status": "submitted"}
        assert await store.budget_used("t", "2026-01-01") == 7
        assert await store.list_audit("t") == [old]
        from tests.test_store_behaviour import MESSAGES, _approval

        await store.create_approval(_approval(), MESSAGES)
        assert await store.approval_texts("apr-1", 0, 10) == [("Bonjour Awa", 2), ("Bonjour Koffi", 1)]
    finally:
        await store.close()
    versions = _query(postgres_url, "SELECT version FROM schema_version ORDER BY version")
    assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]


async def test_a_newer_schema_is_refused_with_a_sentence(postgres_url: str) -> None:
    url = _with_password(postgres_url)
    await PostgresStore(url).open()
    _query(url, f"INSERT INTO schema_version (version, purpose) VALUES ({SCHEMA_VERSION + 1}, 'future')")
    store = PostgresStore(url)
    with pytest.raises(StoreError) as refused:
        await store.open()
    message = str(refused.value)
    assert "was migrated by a newer letexto-mcp" in message and f"schema {SCHEMA_VERSION + 1}" in message
    assert "upgrade letexto-mcp, or point LETEXTO_STATE_URL elsewhere" in message
    assert "postgres:***@" in message and PASSWORD not in message
    await store.close()


async def test_stores_migrating_at_once_apply_each_step_once(postgres_url: str) -> None:
    stores = [PostgresStore(postgres_url, pool_size=1) for _ in range(6)]
    versions: list[int] = []

    async def open_one(store: PostgresStore) -> None:
        versions.append(await store.open())

    async with anyio.create_task_group() as group:
        for store in stores:
            group.start_soon(open_one, store)
    assert versions == [SCHEMA_VERSION] * 6
    for store in stores:
        await store.close()
    assert _query(postgres_url, "SELECT version FROM schema_version ORDER BY version") == [
        (v,) for v in range(1, SCHEMA_VERSION + 1)
    ]


# -- locking: per key, never global; deadlines --------------------------------------------------------


async def test_a_claim_waits_only_for_its_own_send_and_gives_up_at_the_statement_deadline(
    postgres_url: str,
) -> None:
    store = PostgresStore(postgres_url, statement_timeout_ms=300)
    await store.open()
    with psycopg.connect(postgres_url, autocommit=True) as holder:  # another replica, mid-claim
        holder.execute("BEGIN")
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("send", "t", "busy"),))
        with anyio.fail_after(5):
            assert await store.claim_send("t", "other", "a-1", 0.0, 1.0) is None, "another send goes on"
            assert (await store.reserve_budget("t", "d", 1, 10)).allowed
        with pytest.raises(StoreError, match=r"statement timeout.*LETEXTO_STATE_STATEMENT_TIMEOUT_MS"):
            await store.claim_send("t", "busy", "a-2", 0.0, 1.0)
        holder.execute("ROLLBACK")
    assert await store.claim_send("t", "busy", "a-3", 0.0, 1.0) is None, "the store is usable after"
    await store.close()


async def test_a_closed_store_refuses_work_and_closes_twice(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    assert await store.budget_used("t", "d") == 0, "the pool opens on first use"
    await store.close()
    await store.close()
    with pytest.raises(StoreError, match="closed"):
        await store.budget_used("t", "d")


async def test_a_cut_network_refuses_at_once_and_the_store_comes_back_by_itself(postgres_url: str) -> None:
    """The network to the database cut under an open store: operations fail with a StoreError, those
    after the first without the whole pool wait (90 s here, past the 30 s deadline), and once the
    network is mended the same store works again, without being reopened."""
    target = urlsplit(postgres_url)
    async with cuttable_link(target.hostname or "127.0.0.1", target.port or 5432) as link:
        store = PostgresStore(link.url_through(postgres_url), pool_wait_seconds=90)
        await store.open()
        assert await store.budget_used("t", "d") == 0
        link.cut()
        with anyio.fail_after(30):
            with pytest.raises(StoreError, match="could not use the PostgreSQL state database"):
                await store.budget_used("t", "d")  # the pooled connection is found broken
            for _ in range(3):  # known broken: each waits the short wait, not the pool's 90 s
                with pytest.raises(StoreError, match="could not use the PostgreSQL state database"):
                    await store.budget_used("t", "d")
        link.mend()
        with anyio.fail_after(60):
            while True:
                try:
                    assert (await store.reserve_budget("t", "d", 1, 10)).allowed
                    break
                except StoreError:
                    await anyio.sleep(0.2)
        assert await store.budget_used("t", "d") == 1
        await store.close()


# -- the password never shows -------------------------------------------------------------------------


def _unusable_urls(base: str) -> dict[str, str]:
    host = base.split("@", 1)[1].split("/", 1)[0].split("?", 1)[0].rsplit(":", 1)[0]
    return {
        "unreachable port": f"postgresql://postgres:{PASSWORD}@{host}:1/test",
        "unknown database": _with_password(base).split("?", 1)[0].rsplit("/", 1)[0] + "/no_such_db_x",
        "unknown user": _with_password(base).replace("://postgres:", "://nobody_x:", 1),
        "bad percent-encoding": f"postgresql://postgres:{PASSWORD}%zz@{host}:1/test",
        "bad option": f"postgresql://postgres:{PASSWORD}@{host}/test?sslmode={PASSWORD}",
    }


@pytest.mark.parametrize(
    "case", ["unreachable port", "unknown database", "unknown user", "bad percent-encoding", "bad option"]
)
async def test_no_error_or_log_line_shows_the_password(case: str, caplog: pytest.LogCaptureFixture) -> None:
    url = _unusable_urls(server_url())[case]
    caplog.set_level(logging.DEBUG)
    store = PostgresStore(url)
    with pytest.raises(StoreError) as failed:
        await store.open()
    await store.close()
    message = str(failed.value)
    assert PASSWORD not in message and "***" in message, message
    assert "LETEXTO_STATE_URL" in message
    assert failed.value.__cause__ is None and failed.value.__context__ is None, "no chained libpq text"
    assert all(PASSWORD not in record.getMessage() for record in caplog.records)


async def test_a_failed_reconnection_logs_no_password(caplog: pytest.LogCaptureFixture) -> None:
    """psycopg-pool logs each failed connection attempt with libpq's words: scrubbed on the way."""
    caplog.set_level(logging.DEBUG)
    store = PostgresStore(_unusable_urls(server_url())["bad percent-encoding"])
    logging.getLogger("psycopg.pool").warning(
        "error connecting in %r: %s", "pool", f"bad token {PASSWORD}%zz"
    )
    assert caplog.records and all(PASSWORD not in r.getMessage() for r in caplog.records)
    await store.close()


# -- the factory, the settings and the commands -------------------------------------------------------


async def test_open_store_and_connect_store_pick_postgres(postgres_url: str) -> None:
    for scheme in ("postgresql", "postgres"):
        url = scheme + postgres_url[postgres_url.index("://") :]
        store = open_store(url, pool_size=3, statement_timeout_ms=1000)
        assert isinstance(store, PostgresStore)
        assert await schema_version(store) == SCHEMA_VERSION
        await store.close()
    connected = await connect_store(Settings(state_url=postgres_url, state_pool_size=2, state_secret=SECRET))
    assert isinstance(connected, PostgresStore) and await schema_version(connected) == SCHEMA_VERSION
    await connected.close()
    unreachable = Settings(state_url=_unusable_urls(server_url())["unreachable port"], state_secret=SECRET)
    with pytest.raises(StoreError, match="cannot connect to the PostgreSQL state database"):
        await connect_store(unreachable)


def _cli(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "letexto_mcp", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_migrate_and_doctor_show_the_version_and_never_the_password(
    postgres_url: str, tmp_path: Path
) -> None:
    env = {"LETEXTO_STATE_URL": _with_password(postgres_url), "LETEXTO_MCP_STATE_SECRET": SECRET}
    migrated = _cli("migrate", env=env, tmp_path=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert f"schema version {SCHEMA_VERSION}" in migrated.stdout
    assert "postgres:***@" in migrated.stdout
    doctor = _cli("doctor", "--sandbox", env=env, tmp_path=tmp_path)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "postgresql://postgres:***@" in doctor.stdout and f"version {SCHEMA_VERSION}" in doctor.stdout
    for result in (migrated, doctor):
        assert PASSWORD not in result.stdout + result.stderr
    broken = _cli(
        "migrate",
        env={
            "LETEXTO_STATE_URL": _unusable_urls(server_url())["unreachable port"],
            "LETEXTO_MCP_STATE_SECRET": SECRET,
        },
        tmp_path=tmp_path,
    )
    assert broken.returncode == 2 and "cannot connect" in broken.stderr
    assert PASSWORD not in broken.stdout + broken.stderr
