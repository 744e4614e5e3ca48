"""Races between real processes on one PostgreSQL schema: 4 processes x 25 concurrent calls each.

Each process (tests/postgres_race_worker.py) has its own store and pool, like a replica; all start
each scenario at the same wall-clock instant. Whatever the interleaving, a single-use thing is used
once, a claim has one winner, and the budget is never exceeded by a single part.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from letexto_mcp.store.base import ApprovalRecord, Decision
from letexto_mcp.store.postgres import PostgresStore
from tests.reliability_helpers import PROJECT_ROOT

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]
PROCESSES = 4
CALLS = 25


class Racers:
    """The worker processes, driven scenario by scenario."""

    def __init__(self, url: str) -> None:
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.postgres_race_worker", url, str(i), str(CALLS)],
                cwd=PROJECT_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for i in range(PROCESSES)
        ]
        for proc in self.procs:
            assert proc.stdout is not None
            assert "ready" in json.loads(proc.stdout.readline() or "{}"), "a worker could not start"

    def race(self, scenario: str) -> list[Any]:
        """Every process's results for one scenario started by all at the same instant."""
        order = json.dumps({"scenario": scenario, "start_at": time.time() + 0.3}) + "\n"
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.write(order)
            proc.stdin.flush()
        results: list[Any] = []
        for proc in self.procs:
            assert proc.stdout is not None
            results += json.loads(proc.stdout.readline())["results"]
        assert len(results) == PROCESSES * CALLS
        return results

    def close(self) -> None:
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.close()
        for proc in self.procs:
            assert proc.wait(timeout=30) == 0


@pytest.fixture
def racers(postgres_url: str) -> Iterator[Racers]:
    racing = Racers(postgres_url)
    try:
        yield racing
    finally:
        racing.close()


def _approval(approval_id: str) -> ApprovalRecord:
    return ApprovalRecord(approval_id, "t", "send_sms", "fp-1", {}, 1, 1, 100.0, 1000.0)


async def test_single_use_things_are_used_once_across_processes(postgres_url: str, racers: Racers) -> None:
    claims = racers.race("idempotency_claim")
    assert claims.count(None) == 1, "one idempotency claim wins"
    assert len({record["fingerprint"] for record in claims if record is not None}) == 1, "losers see it"

    assert racers.race("consume_once").count(True) == 1, "a nonce is consumed once"

    marks = racers.race("claim_send")
    assert marks.count(None) == 1, "one send-mark claim wins"
    assert {mark["state"] for mark in marks if mark is not None} == {"in_flight"}
    assert len({mark["attempt"] for mark in marks if mark is not None}) == 1, "all blocked by the winner"

    store = PostgresStore(postgres_url)
    await store.create_approval(_approval("apr-decide"), [("2250707123456", "Bonjour")])
    await store.create_approval(_approval("apr-consume"), [("2250707123456", "Bonjour")])
    assert await store.decide_approval("apr-consume", Decision(True, "awa", "page", 150.0)) is not None
    decided = [record for record in racers.race("decide_approval") if record is not None]
    assert len(decided) == 1, "an approval is decided once"
    stored = await store.get_approval("apr-decide")
    assert stored is not None and stored.decided_by == decided[0]["decided_by"]
    consumed = [record for record in racers.race("consume_approval") if record is not None]
    assert len(consumed) == 1 and consumed[0]["state"] == "consumed", "an approval is consumed once"
    await store.close()


async def test_budget_and_rate_hold_their_limits_across_processes(postgres_url: str, racers: Racers) -> None:
    store = PostgresStore(postgres_url)
    one_part = racers.race("reserve_one_part")
    allowed = [result for result in one_part if result["allowed"]]
    assert len(allowed) == 37, "exactly the limit, not one part more"
    assert sorted(result["used"] for result in allowed) == list(range(1, 38)), "each took its own part"
    assert await store.budget_used("t", "2026-01-01") == 37

    mixed = racers.race("reserve_mixed_parts")
    taken = [result for result in mixed if result["allowed"]]
    used = await store.budget_used("t", "2026-01-02")
    assert used <= 50 and all(result["used"] <= 50 for result in mixed)
    assert len({result["used"] for result in taken}) == len(taken), "no two reservations saw one total"
    assert max(result["used"] for result in taken) == used

    hits = racers.race("hit_rate")
    assert sum(hit["allowed"] for hit in hits) == 30, "the rate window lets exactly its limit in"
    assert all(hit["count"] == 30 for hit in hits if not hit["allowed"])
    await store.close()


async def test_audit_entries_are_appended_and_settled_by_every_process(
    postgres_url: str, racers: Racers
) -> None:
    attempts = racers.race("audit")
    store = PostgresStore(postgres_url)
    entries = await store.list_audit("t", limit=1000)
    await store.close()
    assert sorted(entry.attempt for entry in entries) == sorted(attempts), "one entry per attempt"
    assert {entry.outcome for entry in entries} == {"submitted"}, "every sending entry settled"
