"""Delivery reports in both state backends: per tenant, newest first, kept as received, old ones dropped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from letexto_mcp.store import DeliveryReport, MemoryStore, SqliteStore, StateStore
from letexto_mcp.store.base import REPORT_RETENTION

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateStore]:
    backend: StateStore = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "state.db")
    yield backend
    await backend.close()


def _report(tenant: str, message: str, status: str, at: float, **raw: object) -> DeliveryReport:
    return DeliveryReport(tenant, message, status, at, {"id": message, "status": status, **raw})


async def test_reports_come_back_newest_first_for_their_tenant_only(store: StateStore) -> None:
    await store.save_delivery_report(_report("a", "m1", "SENT", 100.0))
    await store.save_delivery_report(_report("a", "m1", "DELIVERED", 200.0, customData="x"))
    await store.save_delivery_report(_report("b", "m1", "FAILED", 300.0))
    await store.save_delivery_report(_report("a", "m2", "SENT", 150.0))
    mine = await store.delivery_reports("a", "m1")
    assert [(r.status, r.received_at) for r in mine] == [("DELIVERED", 200.0), ("SENT", 100.0)]
    assert mine[0].raw == {"id": "m1", "status": "DELIVERED", "customData": "x"}
    assert mine[0].is_final and not mine[1].is_final
    assert [r.status for r in await store.delivery_reports("b", "m1")] == ["FAILED"]
    assert await store.delivery_reports("c", "m1") == []
    assert len(await store.delivery_reports("a", "m1", limit=1)) == 1


async def test_reports_past_retention_are_dropped_when_new_ones_arrive(store: StateStore) -> None:
    await store.save_delivery_report(_report("a", "old", "DELIVERED", 1000.0))
    await store.save_delivery_report(_report("a", "new", "SENT", 1000.0 + REPORT_RETENTION + 1))
    assert await store.delivery_reports("a", "old") == []
    assert len(await store.delivery_reports("a", "new")) == 1


async def test_sqlite_reports_survive_a_restart_and_are_shared(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    first, second = SqliteStore(path), SqliteStore(path)
    try:
        await first.save_delivery_report(_report("a", "m1", "DELIVERED", 10.0, customData={"k": [1, 2]}))
        seen = await second.delivery_reports("a", "m1")
    finally:
        await first.close()
        await second.close()
    reopened = SqliteStore(path)
    try:
        again = await reopened.delivery_reports("a", "m1")
    finally:
        await reopened.close()
    assert seen == again
    assert again[0].raw["customData"] == {"k": [1, 2]}
