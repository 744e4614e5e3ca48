"""State store latency: PostgreSQL beside SQLite, in one run, operation by operation and per send.

Each operation is timed on both backends in alternating blocks of calls (SQLite, then PostgreSQL,
then SQLite…), so the machine's noise hits both alike while neither waits for the other's disk
flushes (one call after the other made each backend's fsync queue behind the other's).
"A whole send" is every store statement one guarded send makes, in the guard's order, timed
together: idempotency get, duplicate check, budget check, idempotency claim, rate hit, budget
reservation, send-mark claim, audit append (`sending`), then after the request idempotency finish,
send-mark settle and audit settle; its details give each statement's own median. Every call does
real work: fresh keys, fingerprints and attempts each time.

PostgreSQL is the server of `LETEXTO_BENCH_POSTGRES_URL` (or `LETEXTO_TEST_POSTGRES_URL`), over
loopback, in a schema made for the run and dropped after; without one those figures are skipped.
SQLite is a file in the run's scratch folder (WAL, synchronous=FULL: each write waits for the disk).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from bench.config import BenchConfig
from bench.report import Figure
from bench.stats import Latency, ratio
from letexto_mcp.store.base import ApprovalRecord, AuditEntry, Decision, StateStore
from letexto_mcp.store.sqlite import SqliteStore

SECTION = "state store (PostgreSQL over loopback vs SQLite file)"
URL_VARIABLES = ("LETEXTO_BENCH_POSTGRES_URL", "LETEXTO_TEST_POSTGRES_URL")
SEND_TARGET_MS = 5.0
DAY = "2026-01-01"
Op = Callable[[StateStore, int], Awaitable[Any]]


def postgres_url() -> str | None:
    for name in URL_VARIABLES:
        if os.environ.get(name, "").strip():
            return os.environ[name].strip()
    return None


def _entry(i: int, outcome: str) -> AuditEntry:
    return AuditEntry(float(i), "t", "send_sms", 1, 1, 1.0, "token", outcome, [], "", f"k-{i}", f"a-{i}")


async def _audit(store: StateStore, i: int) -> None:
    await store.append_audit(_entry(i, "sending"))
    await store.settle_audit(_entry(i, "submitted"))


async def whole_send(store: StateStore, i: int, steps: dict[str, list[float]] | None = None) -> None:
    """Every statement of one guarded send with an idempotency key, in the guard's order.

    With `steps`, each statement's own time is added to it under the statement's name.
    """
    key, fingerprint, attempt, now = f"send-key-{i}", f"send-fp-{i}", f"send-a-{i}", 1000.0 + i
    opened = AuditEntry(now, "t", "send_sms", 1, 1, 1.0, "token", "sending", [], "", key, attempt)
    settled = AuditEntry(**{**opened.__dict__, "outcome": "submitted", "letexto_ids": ["m"]})
    statements: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("idempotency_get", lambda: store.idempotency_get("t", key)),
        ("recent_send", lambda: store.recent_send("t", fingerprint, now - 600)),
        ("budget_used", lambda: store.budget_used("t", DAY)),
        ("idempotency_claim", lambda: store.idempotency_claim("t", key, fingerprint, now)),
        ("hit_rate", lambda: store.hit_rate("t", now, 60.0, 1_000_000)),
        ("reserve_budget", lambda: store.reserve_budget("t", DAY, 1, 1_000_000_000)),
        ("claim_send", lambda: store.claim_send("t", fingerprint, attempt, now - 600, now)),
        ("append_audit", lambda: store.append_audit(opened)),
        # (the request to LeTexto leaves here)
        ("idempotency_finish", lambda: store.idempotency_finish("t", key, "succeeded", {"status": "sent"})),
        ("settle_send", lambda: store.settle_send("t", fingerprint, attempt, "sent", now, "m")),
        ("settle_audit", lambda: store.settle_audit(settled)),
    ]
    for name, statement in statements:
        started = time.perf_counter()
        await statement()
        if steps is not None:
            steps.setdefault(name, []).append(time.perf_counter() - started)


OPS: dict[str, Op] = {
    "claim_send": lambda store, i: store.claim_send("t", f"fp-{i}", f"a-{i}", 0.0, float(i)),
    "reserve_budget": lambda store, i: store.reserve_budget("t", DAY, 1, 1_000_000_000),
    "append_audit + settle_audit": _audit,
    "idempotency_claim": lambda store, i: store.idempotency_claim("t", f"k-{i}", "fp", float(i)),
    "consume_approval": lambda store, i: store.consume_approval(f"apr-{i}", "t", "fp", 150.0),
    "a whole send (11 statements)": whole_send,
}


async def _approvals(store: StateStore, count: int) -> None:
    """Approved records for `consume_approval` to consume (not timed)."""
    for i in range(count):
        record = ApprovalRecord(f"apr-{i}", "t", "send_sms", "fp", {}, 1, 1, 100.0, 1e12)
        await store.create_approval(record, [("2250707123456", "Bonjour")])
        await store.decide_approval(record.id, Decision(True, "bench", "page", 120.0))


BLOCK = 25
WARM_UP = 20


async def measure(stores: dict[str, StateStore], count: int) -> dict[str, dict[str, Latency]]:
    """Latency of each operation on each store, in alternating blocks of BLOCK calls."""
    for store in stores.values():
        await _approvals(store, count + WARM_UP)
    found: dict[str, dict[str, Latency]] = {}
    for name, op in OPS.items():
        times: dict[str, list[float]] = {backend: [] for backend in stores}
        for store in stores.values():  # warm-up (pool, prepared statements): not kept
            for i in range(WARM_UP):
                await op(store, count + i)
        for first in range(0, count, BLOCK):
            for backend, store in stores.items():
                for i in range(first, min(first + BLOCK, count)):
                    started = time.perf_counter()
                    await op(store, i)
                    times[backend].append(time.perf_counter() - started)
        found[name] = {backend: Latency.of(values) for backend, values in times.items()}
    return found


async def send_breakdown(store: StateStore, count: int) -> dict[str, float]:
    """Each statement's median (ms) within whole sends."""
    steps: dict[str, list[float]] = {}
    for i in range(count):
        await whole_send(store, 10_000_000 + i, steps)
    return {name: round(Latency.of(values).p50, 3) for name, values in steps.items()}


def _figures(found: dict[str, dict[str, Latency]], breakdown: dict[str, dict[str, float]]) -> list[Figure]:
    figures = []
    for name, by_backend in found.items():
        pg, lite = by_backend.get("postgres"), by_backend["sqlite"]
        is_send = name.startswith("a whole send")
        if pg is None:
            figures.append(Figure.skipped(SECTION, f"{name}, PostgreSQL p50", "no PostgreSQL URL"))
            figures.append(
                Figure(SECTION, f"{name}, SQLite p50", lite.p50, "ms", note=f"p99 {lite.p99:.2f} ms")
            )
            continue
        figures.append(
            Figure(
                SECTION,
                f"{name}, PostgreSQL p50",
                pg.p50,
                "ms",
                reference=lite.p50,
                reference_name="SQLite",
                ratio=ratio(pg.p50, lite.p50),
                target=f"<= {SEND_TARGET_MS:g} ms" if is_send else "",
                met=pg.p50 <= SEND_TARGET_MS if is_send else None,
                note=f"p99 {pg.p99:.2f} ms (SQLite p99 {lite.p99:.2f} ms), {pg.count} calls"
                + (
                    "; PostgreSQL statements p50 (ms): "
                    + ", ".join(f"{k} {v:.2f}" for k, v in breakdown.get("postgres", {}).items())
                    if is_send
                    else ""
                ),
                details={"postgres": pg.as_dict(), "sqlite": lite.as_dict()}
                | ({"statements_p50_ms": breakdown} if is_send else {}),
            )
        )
    return figures


async def _run(count: int, sqlite_path: str, url: str | None) -> list[Figure]:
    stores: dict[str, StateStore] = {"sqlite": SqliteStore(sqlite_path)}
    schema = None
    try:
        if url is not None:
            from letexto_mcp.store.postgres import PostgresStore

            schema = _create_schema(url)
            postgres = PostgresStore(f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}")
            stores["postgres"] = postgres
            await postgres.open()
        found = await measure(stores, count)
        breakdown = {backend: await send_breakdown(store, count // 5) for backend, store in stores.items()}
        return _figures(found, breakdown)
    finally:
        for store in stores.values():
            await store.close()
        if schema is not None and url is not None:
            _drop_schema(url, schema)


def _create_schema(url: str) -> str:
    import psycopg
    from psycopg import sql

    name = f"lt_bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    return name


def _drop_schema(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def run(cfg: BenchConfig) -> list[Figure]:
    count = cfg.pick(1000, 100)
    return anyio.run(_run, count, str(cfg.workdir / "bench-state.sqlite3"), postgres_url())
