"""`kill -9` of one replica while LeTexto holds its answer to a send, behind HAProxy on one PostgreSQL.

Two replicas each have a send on the wire (LeTexto took both and holds the answers). r1 is killed
and started again; r2 lives. What must hold:
- nothing is sent twice: the retry of r1's send, on either replica, answers `duplicate` while its
  lease may still be renewed, then `outcome_unknown` once it lapsed — never a new request;
- the restarted r1 does not take r2's live send for a dead one: it stays `in progress`, then ends
  `submitted` when LeTexto answers;
- the killed send's audit entry ends `outcome_unknown` (its lease lapsed), r2's `submitted`.
"""

from __future__ import annotations

import contextlib
from typing import Any

import anyio
import pytest

from tests.mcp_helpers import ok
from tests.replica_helpers import StartCluster, audit_entries, traced_client

pytestmark = [pytest.mark.anyio, pytest.mark.postgres, pytest.mark.lb]

SEND = "/v1/messages/send"
HOLD = 12.0  # seconds LeTexto holds each answer: past r1's restart and its lease lapsing
LEASE = 4  # LETEXTO_LEASE_SECONDS: beats every 4/3 s, a replica silent 4 s is dead
KILLED = {"to": "07 07 12 34 56", "content": "Réunion à 15h (r1).", "idempotency_key": "on-r1"}
LIVE = {"to": "05 05 12 34 56", "content": "Réunion à 16h (r2).", "idempotency_key": "on-r2"}


async def sends_at_letexto(cluster: Any) -> int:
    return len([r for r in (await cluster.simulator.state())["requests"] if r["path"].startswith(SEND)])


@pytest.mark.slow  # a kill, a restart, a lease lapsing and LeTexto's 12 s hold: about 25 s
async def test_a_replica_killed_mid_send_never_resends_and_leaves_the_other_replicas_sends_alone(
    start_cluster: StartCluster,
) -> None:
    with start_cluster(policy="allow", LETEXTO_LEASE_SECONDS=str(LEASE)) as cluster:
        await cluster.lb.wait_for({"r1": "UP", "r2": "UP"})
        r1, r2 = cluster.replica("r1"), cluster.replica("r2")
        await cluster.simulator.admin(
            "POST", "/faults", {"kind": "stall", "delay": HOLD, "path": SEND, "count": 2}
        )
        live: list[dict[str, Any]] = []
        answered_by_r1: list[Any] = []
        async with anyio.create_task_group() as group:

            async def send_on(replica: Any, arguments: dict[str, Any], answers: list[Any]) -> None:
                with contextlib.suppress(Exception):  # for r1: the connection to the killed replica breaks
                    async with traced_client(f"{replica.url}/mcp") as (client, _):
                        answers.append(await ok(client, "send_sms", arguments))

            group.start_soon(send_on, r2, LIVE, live)
            with anyio.fail_after(15):
                while await sends_at_letexto(cluster) < 1:
                    await anyio.sleep(0.05)
            killed_call = anyio.CancelScope()

            async def on_r1() -> None:
                with killed_call:
                    await send_on(r1, KILLED, answered_by_r1)

            group.start_soon(on_r1)
            with anyio.fail_after(15):
                while await sends_at_letexto(cluster) < 2:  # both requests are at LeTexto, answers held
                    await anyio.sleep(0.05)
            r1.kill()
            killed_at = anyio.current_time()
            await r1.restart()

            async with traced_client(f"{cluster.url}/mcp") as (client, _):
                retry = await ok(client, "send_sms", KILLED)
                if anyio.current_time() - killed_at < LEASE - 1:  # surely still within its lease
                    assert retry["status"] == "duplicate" and "in progress" in retry["message"], retry
                with anyio.fail_after(LEASE * 4):
                    while (retry := await ok(client, "send_sms", KILLED))["status"] == "duplicate":
                        await anyio.sleep(0.3)
                assert retry["status"] == "outcome_unknown", retry
                assert not live, "r2's send was still held while r1's lease lapsed"
                for replica in (r1, r2):  # the same answer on each replica, and nothing sent
                    async with traced_client(f"{replica.url}/mcp") as (direct, _):
                        assert (await ok(direct, "send_sms", KILLED))["status"] == "outcome_unknown"
                        other = await ok(direct, "send_sms", LIVE)
                        assert other["status"] == "duplicate" and "in progress" in other["message"], other
                same_text = await ok(client, "send_sms", {**KILLED, "idempotency_key": "another-key"})
                assert same_text["status"] == "duplicate", same_text
            killed_call.cancel()  # (if the client did not notice its server die)
        assert answered_by_r1 == [], "the killed replica answered nothing"
        assert live[0]["status"] == "submitted", live  # r2's send, untouched by r1's death and restart

        assert await sends_at_letexto(cluster) == 2, "each send reached LeTexto once"
        entries = {e["idempotency_key"]: e for e in audit_entries(cluster.state_url) if e.get("attempt")}
        assert entries["on-r1"]["outcome"] == "outcome_unknown"
        assert "lease lapsed" in entries["on-r1"]["detail"]
        assert entries["on-r2"]["outcome"] == "submitted"
