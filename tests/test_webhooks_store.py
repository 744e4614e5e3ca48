"""The webhook queue in every StateStore backend: enqueue, leased claims, finish, the log, retention.

Runs on every backend of `tests.test_store_behaviour.BACKENDS`, so the PostgreSQL store is held
to the same semantics the moment it is added there.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import pytest

from letexto_mcp.store import SqliteStore, StateStore
from letexto_mcp.store.sqlite import SCHEMA_VERSION
from tests.test_store_behaviour import store as behaviour_store

pytestmark = pytest.mark.anyio

T0 = 1_800_000_000.0
PAYLOAD = (
    '{"type":"message.delivered","timestamp":"2027-01-15T08:00:00.000Z","data":{"tenant":"t","note":"é"}}'
)
A, B = "https://a.example/hook", "https://b.example/hook"


# The behaviour suite's own fixture: every backend of BACKENDS, each in its own file or schema.
store = behaviour_store


async def _enqueue(
    store: StateStore, event_id: str, at: float = T0, targets: tuple[str, ...] = (A, B)
) -> int:
    return await store.webhook_enqueue(event_id, "message.delivered", "t", PAYLOAD, list(targets), at)


async def test_an_event_is_queued_once_per_target_and_only_once(store: StateStore) -> None:
    assert await _enqueue(store, "msg_1") == 2
    assert await _enqueue(store, "msg_1") == 0, "the same event again changes nothing"
    rows = await store.webhook_deliveries()
    assert sorted((r.event_id, r.target) for r in rows) == [("msg_1", A), ("msg_1", B)]
    for row in rows:
        assert (row.state, row.attempts, row.next_attempt_at, row.created_at) == ("pending", 0, T0, T0)
        assert row.payload == PAYLOAD, "the exact text that is signed comes back, accents included"
        assert (row.event_type, row.tenant, row.lease_id, row.finished_at) == (
            "message.delivered",
            "t",
            None,
            None,
        )


async def test_a_claim_leases_what_is_due_and_hides_it_until_the_lease_lapses(store: StateStore) -> None:
    await _enqueue(store, "msg_1", targets=(A,))
    await _enqueue(store, "msg_2", at=T0 + 100, targets=(A,))

    assert await store.webhook_claim("early", T0 - 1, T0 + 60, 10) == [], "nothing is due before its time"
    first = await store.webhook_claim("w1", T0, T0 + 60, 10)
    assert [(d.event_id, d.attempts, d.lease_id, d.lease_until, d.last_attempt_at) for d in first] == [
        ("msg_1", 1, "w1", T0 + 60, T0)
    ]
    assert await store.webhook_claim("w2", T0 + 59, T0 + 119, 10) == [], "leased: invisible to other workers"

    # The first worker died: once its lease lapses the delivery is claimed again, one more attempt.
    again = await store.webhook_claim("w2", T0 + 60, T0 + 120, 10)
    assert [(d.event_id, d.attempts, d.lease_id) for d in again] == [("msg_1", 2, "w2")]

    both = await store.webhook_claim("w3", T0 + 200, T0 + 260, 1)
    assert [d.event_id for d in both] == ["msg_1"], "limit respected, the earliest due first"


async def test_finish_needs_the_lease_and_records_how_the_attempt_went(store: StateStore) -> None:
    await _enqueue(store, "msg_1")
    claimed = await store.webhook_claim("w1", T0, T0 + 60, 10)
    assert len(claimed) == 2

    assert not await store.webhook_finish("msg_1", A, "someone-else", "delivered", T0 + 1, status_code=200)
    assert await store.webhook_finish("msg_1", A, "w1", "delivered", T0 + 1, status_code=204)
    assert not await store.webhook_finish("msg_1", A, "w1", "given_up", T0 + 2), "the lease is released"
    assert await store.webhook_finish(
        "msg_1", B, "w1", "pending", T0 + 1, status_code=503, error="HTTP 503", next_attempt_at=T0 + 31
    )
    rows = {r.target: r for r in await store.webhook_deliveries()}
    delivered, retrying = rows[A], rows[B]
    assert (delivered.state, delivered.last_status, delivered.finished_at, delivered.next_attempt_at) == (
        "delivered",
        204,
        T0 + 1,
        None,
    )
    assert (retrying.state, retrying.last_status, retrying.last_error, retrying.next_attempt_at) == (
        "pending",
        503,
        "HTTP 503",
        T0 + 31,
    )
    assert (retrying.lease_id, retrying.lease_until, retrying.finished_at, retrying.attempts) == (
        None,
        None,
        None,
        1,
    )
    assert await store.webhook_claim("w2", T0 + 30, T0 + 90, 10) == [], "not before the retry time"
    assert [d.target for d in await store.webhook_claim("w2", T0 + 31, T0 + 91, 10)] == [B]


async def test_finish_refuses_states_the_queue_does_not_know(store: StateStore) -> None:
    await _enqueue(store, "msg_1", targets=(A,))
    await store.webhook_claim("w1", T0, T0 + 60, 10)
    with pytest.raises(ValueError, match="state"):
        await store.webhook_finish("msg_1", A, "w1", "failed", T0)
    with pytest.raises(ValueError, match="next_attempt_at"):
        await store.webhook_finish("msg_1", A, "w1", "pending", T0)
    with pytest.raises(ValueError, match="next_attempt_at"):
        await store.webhook_finish("msg_1", A, "w1", "given_up", T0, next_attempt_at=T0 + 5)


async def test_the_log_is_newest_first_and_can_show_one_event(store: StateStore) -> None:
    for index in range(5):
        await _enqueue(store, f"msg_{index}", at=T0 + index)
    log = await store.webhook_deliveries(limit=3)
    assert [(r.event_id, r.target) for r in log] == [("msg_4", A), ("msg_4", B), ("msg_3", A)]
    assert [(r.event_id, r.target) for r in await store.webhook_deliveries(event_id="msg_1")] == [
        ("msg_1", A),
        ("msg_1", B),
    ]


async def test_prune_forgets_ended_deliveries_and_keeps_pending_ones(store: StateStore) -> None:
    await _enqueue(store, "old")
    await _enqueue(store, "new", at=T0 + 500)
    await store.webhook_claim("w", T0, T0 + 60, 10)
    await store.webhook_finish("old", A, "w", "delivered", T0 + 1, status_code=200)
    await store.webhook_finish("old", B, "w", "given_up", T0 + 2, status_code=410, error="410 Gone")
    await store.webhook_claim("w2", T0 + 500, T0 + 560, 10)
    await store.webhook_finish("new", A, "w2", "delivered", T0 + 501, status_code=200)
    # `new`/B stays leased (in flight) and pending

    pruned = await store.prune(T0 + 400, "2000-01-01")
    assert pruned.webhook_deliveries == 2
    assert pruned.total == 2
    assert sorted((r.event_id, r.target) for r in await store.webhook_deliveries()) == [
        ("new", A),
        ("new", B),
    ]
    assert (await store.prune(T0 + 10_000, "2000-01-01")).webhook_deliveries == 1, "pending rows are kept"


async def test_concurrent_claims_on_one_sqlite_file_never_share_a_delivery(tmp_path: Path) -> None:
    """Four stores (four workers, as four processes would be) claim at once: each delivery once."""
    path = tmp_path / "state.db"
    stores = [SqliteStore(path) for _ in range(4)]
    try:
        for index in range(60):
            await stores[0].webhook_enqueue(f"msg_{index:02d}", "message.sent", "t", "{}", [A], T0)
        taken: dict[str, list[str]] = {}

        async def worker(number: int, store: StateStore) -> None:
            while batch := await store.webhook_claim(f"w{number}", T0, T0 + 60, 3):
                for delivery in batch:
                    taken.setdefault(delivery.event_id, []).append(f"w{number}")
                await anyio.sleep(0)

        async with anyio.create_task_group() as group:
            for number, store in enumerate(stores):
                group.start_soon(worker, number, store)
        assert len(taken) == 60
        assert all(len(workers) == 1 for workers in taken.values()), taken
        assert len({w for workers in taken.values() for w in workers}) > 1, "the work was shared"
    finally:
        for store in stores:
            await store.close()


async def test_a_version_4_state_file_gains_the_queue_in_place(tmp_path: Path) -> None:
    path = tmp_path / "v4.db"
    store = SqliteStore(path)
    await store.close()
    with sqlite3.connect(path) as conn:  # as a file written by the version before the queue
        conn.execute("DROP TABLE webhook_deliveries")
        conn.execute("UPDATE schema_version SET version = 4")
    upgraded = SqliteStore(path)
    try:
        assert await upgraded.webhook_enqueue("msg_1", "message.sent", "t", "{}", [A], T0) == 1
        assert [r.event_id for r in await upgraded.webhook_claim("w", T0, T0 + 60, 5)] == ["msg_1"]
    finally:
        await upgraded.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone() == (SCHEMA_VERSION,)
        assert SCHEMA_VERSION >= 5  # later versions add tables of their own


async def test_the_queue_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = SqliteStore(path)
    await first.webhook_enqueue("msg_1", "message.sent", "t", PAYLOAD, [A], T0)
    await first.webhook_claim("w", T0, T0 + 60, 5)
    await first.close()  # killed mid-delivery: the lease was never released
    second = SqliteStore(path)
    try:
        assert await second.webhook_claim("w2", T0 + 30, T0 + 90, 5) == []
        [again] = await second.webhook_claim("w2", T0 + 60, T0 + 120, 5)
        assert (again.event_id, again.payload, again.attempts) == ("msg_1", PAYLOAD, 2)
    finally:
        await second.close()
