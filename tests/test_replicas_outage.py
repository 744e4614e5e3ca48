"""The shared PostgreSQL goes away under two running replicas, then comes back.

While it is down every send is refused with "state store unavailable: nothing was sent" (the
guard fails closed: it cannot record the send, so it does not make it) and nothing reaches
LeTexto, whichever replica HAProxy picks; reads of LeTexto (get_balance, preview_sms) still
answer. Once the database is back, sends work again on both replicas, which were never restarted
(their connection pools reconnect by themselves, within a bounded wait polled for here).

The database is a private PostgreSQL cluster (tests/private_postgres.py), not the shared test
server: stopping that one would break whatever else uses it meanwhile.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from bench.cluster import Cluster
from tests.mcp_helpers import call
from tests.private_postgres import PrivatePostgres, private_postgres
from tests.replica_helpers import StartCluster, audit_entries, raised, traced_client

pytestmark = [pytest.mark.anyio, pytest.mark.slow, pytest.mark.lb]

REFUSED = "state store unavailable: nothing was sent"
STORE_ERROR = "letexto_mcp.store.base.StoreError"
RECOVERY_SECONDS = 90.0  # the pools' reconnection back-off; polled, never slept
REFUSALS_PER_REPLICA = 1


@pytest.fixture
def database() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        yield server


def _send(n: int) -> dict[str, Any]:
    return {
        "to": f"07 07 00 {n // 100:02d} {n % 100:02d}",
        "content": f"Rappel n°{n}",
        "idempotency_key": f"k-{n}",
    }


async def _sends_to_letexto(cluster: Cluster) -> int:
    state = await cluster.simulator.state()
    return sum(1 for r in state["requests"] if r["path"].startswith("/v1/messages/send"))


async def test_sends_are_refused_while_the_database_is_down_and_work_again_after(
    start_cluster: StartCluster, database: PrivatePostgres
) -> None:
    # Sends per minute unbounded for the test: while one replica's pool still reconnects, the loop
    # below keeps sending through the other, and the default 30/min cap would refuse them instead.
    with start_cluster(
        state_url=database.url, policy="allow", reports=False, LETEXTO_SENDS_PER_MINUTE="10000"
    ) as cluster:
        await cluster.lb.wait_for({"r1": "UP", "r2": "UP"})
        pids = {replica.name: replica.pid for replica in cluster.replicas}
        async with traced_client(f"{cluster.url}/mcp", mode="auto") as (client, hops):
            n = 0
            before = Counter[str]()
            while set(before) != {"r1", "r2"}:  # a send on each replica first
                n += 1
                first = await call(client, "send_sms", _send(n))
                assert first.data is not None and first.data["status"] == "submitted", first.text
                before[str(hops[-1].replica)] += 1
            sent_before = await _sends_to_letexto(cluster)
            assert sent_before == n

            database.stop()
            stopped = time.monotonic()
            refused = Counter[str]()
            while min(refused["r1"], refused["r2"]) < REFUSALS_PER_REPLICA:
                n += 1
                down = await call(client, "send_sms", _send(n))
                assert down.data is not None, down.text
                assert down.data["status"] == "refused" and REFUSED in down.data["message"], down.data
                assert down.data["refusal"]["cap"] == "state_store"
                refused[str(hops[-1].replica)] += 1
                balance = await call(client, "get_balance")
                assert not balance.is_error and balance.data is not None and balance.data["balance"] > 0
                preview = await call(client, "preview_sms", {"to": "05 05 12 34 56", "content": "Aperçu"})
                assert not preview.is_error, preview.text
                assert len(refused) <= 2 and n < 100
            assert await _sends_to_letexto(cluster) == sent_before  # nothing reached LeTexto

            database.start()
            started = time.monotonic()
            down_for = started - stopped
            after = Counter[str]()
            with anyio.fail_after(RECOVERY_SECONDS):
                while set(after) != {"r1", "r2"}:
                    n += 1
                    back = await call(client, "send_sms", _send(n))
                    assert back.data is not None, back.text
                    status = back.data["status"]
                    if status == "refused":  # a pool still reconnecting: refused, nothing sent
                        assert REFUSED in back.data["message"], back.data
                        await anyio.sleep(0.5)
                        continue
                    assert status == "submitted", back.data
                    after[str(hops[-1].replica)] += 1
            recovered_in = time.monotonic() - started

        assert {replica.name: replica.pid for replica in cluster.replicas} == pids  # never restarted
        assert all(replica.running() for replica in cluster.replicas)
        sent_after = sum(after.values())
        assert await _sends_to_letexto(cluster) == sent_before + sent_after
        state = await cluster.simulator.state()
        assert len(state["messages"]) == sent_before + sent_after
        outcomes = Counter(entry["outcome"] for entry in audit_entries(database.url))
        # Every send that went has its entry; a refusal while the database was down could not be written.
        assert outcomes["submitted"] == sent_before + sent_after, outcomes
        for replica in cluster.replicas:
            log = replica.log_text()
            assert "state store unavailable, send refused" in log
            # The best-effort writes that failed meanwhile (the refusal's audit entry, retention)
            # log their StoreError with its traceback; nothing else failed.
            assert {line.split(":", 1)[0] for line in raised(log)} <= {STORE_ERROR}, raised(log)
        print(
            f"\n{sent_before} sent, {sum(refused.values())} refused during {down_for:.0f} s down "
            f"{dict(refused)}, {sent_after} sent after; every replica sending again "
            f"{recovered_in:.1f} s after the restart"
        )
