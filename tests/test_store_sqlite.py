"""SQLite specifics: several stores (standing in for processes) on one file, restarts, the schema."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import anyio
import pytest

from letexto_mcp.store import MemoryStore, SqliteStore, StoreError, open_store
from letexto_mcp.store.sqlite import SCHEMA_VERSION

pytestmark = pytest.mark.anyio
T = TypeVar("T")


def _in_threads(path: Path, count: int, op: Callable[[SqliteStore, int], Awaitable[T]]) -> list[T]:
    """Run `op` in `count` OS threads, each with its own store and event loop, released together."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        async def main() -> None:
            store = SqliteStore(path)
            try:
                barrier.wait()
                results.append(await op(store, i))
            finally:
                await store.close()

        try:
            anyio.run(main)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_idempotency_claim_across_stores_on_one_file_has_one_winner(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    SqliteStore(path)  # schema first, so the race is about the claim only
    results = _in_threads(path, 8, lambda store, i: store.idempotency_claim("t", "key", f"fp{i}", float(i)))
    assert sum(r is None for r in results) == 1
    assert {r.state for r in results if r is not None} == {"in_flight"}
    assert len({r.fingerprint for r in results if r is not None}) == 1, "every loser sees the winner's record"


def test_consume_once_across_stores_on_one_file_has_one_winner(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    SqliteStore(path)
    results = _in_threads(path, 8, lambda store, i: store.consume_once("t", "nonce", 1e12, now=1.0))
    assert sorted(results) == [False] * 7 + [True]


def test_budget_across_stores_on_one_file_never_overshoots(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    SqliteStore(path)
    results = _in_threads(path, 8, lambda store, i: store.reserve_budget("t", "2025-06-01", 5, 5))
    assert sum(r.allowed for r in results) == 1
    assert all(r.used == 5 for r in results)


async def test_two_stores_in_one_loop_share_claims(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    first, second = SqliteStore(path), SqliteStore(path)
    results: list[object] = []

    async def claim(store: SqliteStore, i: int) -> None:
        results.append(await store.claim_send("t", "fp", f"a{i}", 0.0, 1.0))

    async with anyio.create_task_group() as tg:
        for i in range(20):
            tg.start_soon(claim, first if i % 2 else second, i)
    assert sum(r is None for r in results) == 1
    mark = await second.recent_send("t", "fp", 1e9)
    assert mark is not None and mark.state == "in_flight"
    assert await first.settle_send("t", "fp", mark.attempt, "outcome_unknown", 2.0, None)
    seen = await second.recent_send("t", "fp", 1e9)
    assert seen is not None and seen.state == "outcome_unknown"
    await first.close()
    await second.close()


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = SqliteStore(path)
    secret = await store.get_or_create_secret("tokens", lambda: b"s" * 32)
    await store.idempotency_claim("t", "key", "fp", 10.0)
    await store.idempotency_finish("t", "key", "succeeded", {"status": "submitted", "ids": ["x"]})
    await store.reserve_budget("t", "2025-06-01", 7, 10)
    await store.consume_once("t", "nonce", 1e12)
    assert await store.claim_send("t", "fp", "a", 0.0, 10.0) is None
    assert await store.settle_send("t", "fp", "a", "outcome_unknown", 10.0, None)
    await store.close()

    reopened = SqliteStore(path)
    assert await reopened.get_or_create_secret("tokens", lambda: b"other" * 8) == secret
    record = await reopened.idempotency_get("t", "key")
    assert (
        record is not None
        and record.state == "succeeded"
        and record.result == {"status": "submitted", "ids": ["x"]}
    )
    assert (await reopened.reserve_budget("t", "2025-06-01", 4, 10)).allowed is False
    assert await reopened.consume_once("t", "nonce", 1e12) is False
    assert await reopened.recent_send("t", "fp", 1e9) is not None
    await reopened.close()


def test_file_is_private_in_wal_mode_with_a_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "state.db"
    SqliteStore(path)
    assert path.exists()
    if sys.platform != "win32":
        assert path.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_reopening_does_not_duplicate_the_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path)
    SqliteStore(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1


def test_a_newer_schema_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match=r"newer letexto-mcp.*LETEXTO_STATE_URL"):
        SqliteStore(path)


def test_an_unusable_path_is_a_store_error(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(StoreError, match="LETEXTO_STATE_URL"):
        SqliteStore(folder)


async def test_audit_is_stored_as_json(tmp_path: Path) -> None:
    from letexto_mcp.store import AuditEntry

    path = tmp_path / "state.db"
    store = SqliteStore(path)
    await store.append_audit(AuditEntry(1.0, "t", "send_sms", 1, 1, 1.0, "none", "refused", [], "x", None))
    await store.close()
    with sqlite3.connect(path) as conn:
        (raw,) = conn.execute("SELECT entry FROM audit").fetchone()
    assert raw.startswith("{") and '"outcome":"refused"' in raw


# -- open_store -------------------------------------------------------------------------------------


async def test_open_store_picks_the_backend(tmp_path: Path) -> None:
    memory = open_store("memory://")
    assert isinstance(memory, MemoryStore)
    target = tmp_path / "x" / "y" / "state.sqlite3"
    sqlite_store = open_store(f"sqlite:///{target}")
    assert isinstance(sqlite_store, SqliteStore)
    assert target.exists(), "parent folders and the file are created"
    assert os.path.samefile(sqlite_store.path, target)
    await sqlite_store.close()
    await memory.close()


@pytest.mark.parametrize(
    "url",
    [
        "mysql://db",
        "postgres://db:0/x",
        "postgresql:///x",
        "sqlite://relative.db",
        "sqlite:///",
        "",
        "memory:",
    ],
)
def test_open_store_refuses_other_urls(url: str) -> None:
    with pytest.raises(ValueError, match="LETEXTO_STATE_URL"):
        open_store(url)


async def test_a_version_1_state_file_is_upgraded_in_place(tmp_path: Path) -> None:
    """A file written before audit attempts existed keeps its entries and gains the column."""
    from letexto_mcp.store import AuditEntry

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE schema_version (version INTEGER NOT NULL);
            INSERT INTO schema_version (version) VALUES (1);
            CREATE TABLE audit (
                id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, at REAL NOT NULL,
                entry TEXT NOT NULL);
            """
        )
        old = AuditEntry(1.0, "t", "send_sms", 1, 1, 1.0, "token", "submitted", ["m-1"], "ok", None)
        conn.execute("INSERT INTO audit (tenant, at, entry) VALUES ('t', 1.0, ?)", (old.to_json(),))
    store = SqliteStore(path)
    try:
        opened = AuditEntry(2.0, "t", "send_sms", 1, 1, 1.0, "token", "sending", [], "", None, "a-1")
        await store.append_audit(opened)
        await store.settle_audit(AuditEntry(**{**opened.__dict__, "outcome": "submitted"}))
        assert [(e.at, e.outcome) for e in await store.list_audit("t")] == [
            (2.0, "submitted"),
            (1.0, "submitted"),
        ]
    finally:
        await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone() == (SCHEMA_VERSION,)


async def test_a_version_5_state_file_gains_the_oauth_tables_in_place(tmp_path: Path) -> None:
    from letexto_mcp.store.base import OAuthGrant

    path = tmp_path / "state.db"
    await SqliteStore(path).close()
    with sqlite3.connect(path) as conn:  # as a file written by the version before remote connectors
        for table in ("oauth_clients", "oauth_connections", "oauth_grants"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE schema_version SET version = 5")
    upgraded = SqliteStore(path)
    try:
        await upgraded.oauth_save_client("c-1", {"client_name": "Claude"}, 1.0)
        await upgraded.oauth_save_grant(OAuthGrant("d" * 64, "code", "con-1", "c-1", 100.0), 1.0)
        assert await upgraded.oauth_use_grant("d" * 64, 2.0) is True
    finally:
        await upgraded.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone() == (SCHEMA_VERSION,)
