"""HAProxy in front of two replicas, running docs/deploy/haproxy.cfg as committed: who answers what.

- 2026-07-28 requests carry no session: they are spread round robin.
- A 2025-era session lives in the replica that answered its `initialize`: every later request of
  the session goes there (stick table on Mcp-Session-Id); the other replica does not know it.
- SSE clients (`/sse` + `/messages/`) stay on one replica (by client address).
- Health checks on /readyz: a replica that loses its database, or that was killed, leaves the
  rotation without a client seeing an error, and comes back once it answers again; one that
  cannot reach LeTexto stays (a LeTexto outage would otherwise take every replica out at once).

Real processes only (tests/replica_helpers.py, bench/cluster.py): the simulator, two `letexto-mcp
serve --transport http` on one PostgreSQL schema, HAProxy on loopback ports.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.shared._httpx_utils import create_mcp_http_client

from bench.procs import refusing_port
from tests.mcp_helpers import initialize_request, ok
from tests.replica_helpers import KEY_ONE, Hop, StartCluster, lb_requests, served_by, traced_client
from tests.tcp_link import cuttable_link

pytestmark = [pytest.mark.anyio, pytest.mark.postgres, pytest.mark.lb]


async def test_stateless_requests_are_spread_round_robin(start_cluster: StartCluster) -> None:
    with start_cluster() as cluster:
        await cluster.lb.wait_for({"r1": "UP", "r2": "UP"})
        async with traced_client(f"{cluster.url}/mcp", mode="auto") as (client, hops):
            for _ in range(20):
                assert (await ok(client, "get_balance"))["balance"] > 0
    assert len(served_by(hops)) == 20
    replicas = Counter(hop.replica for hop in hops)  # every request, the client's own included
    assert set(replicas) == {"r1", "r2"}, hops
    assert abs(replicas["r1"] - replicas["r2"]) <= 1, replicas  # one after the other
    assert {hop.status for hop in hops} == {200}


async def test_a_2025_session_stays_on_the_replica_that_opened_it(start_cluster: StartCluster) -> None:
    with start_cluster() as cluster:
        await cluster.lb.wait_for({"r1": "UP", "r2": "UP"})
        opened_on: list[str | None] = []
        for n in range(4):
            async with traced_client(f"{cluster.url}/mcp", mode="legacy") as (client, hops):
                for i in range(5):
                    await ok(client, "preview_sms", {"to": "07 07 12 34 56", "content": f"Session {n}, {i}"})
            session_hops = [hop for hop in hops if hop.method != "DELETE"]
            assert len({hop.replica for hop in hops}) == 1, hops  # the DELETE that closes it, too
            assert {hop.status for hop in session_hops} <= {200, 202}, hops
            opened_on.append(hops[0].replica)
        # Sessions opened one after the other alternate, as any request without a session does.
        assert set(opened_on) == {"r1", "r2"}, opened_on

        # Why the stickiness: a session exists in one replica only; the other does not know its id.
        r1, r2 = cluster.replicas
        headers = {
            "Authorization": f"Bearer {KEY_ONE}",
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
        }
        async with httpx.AsyncClient(headers=headers, timeout=30) as http:
            opened = await http.post(f"{r1.url}/mcp", json=initialize_request())
            session = opened.headers["mcp-session-id"]
            listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
            elsewhere = await http.post(f"{r2.url}/mcp", json=listing, headers={"Mcp-Session-Id": session})
            same = await http.post(f"{r1.url}/mcp", json=listing, headers={"Mcp-Session-Id": session})
        assert opened.status_code == 200
        assert elsewhere.status_code == 404, elsewhere.text
        assert same.status_code == 200, same.text


async def test_sse_clients_stay_on_one_replica(start_cluster: StartCluster) -> None:
    hops: list[Hop] = []

    async def record(response: httpx2.Response) -> None:
        hops.append(Hop(response.request.url.path, response.headers.get("x-served-by"), response.status_code))

    def factory(
        headers: dict[str, str] | None = None, timeout: httpx2.Timeout | None = None, auth: Any = None
    ) -> httpx2.AsyncClient:
        http = create_mcp_http_client(headers=headers, timeout=timeout, auth=auth)
        http.event_hooks["response"].append(record)
        return http

    with start_cluster() as cluster:
        await cluster.lb.wait_for({"r1": "UP", "r2": "UP"})
        headers = {"Authorization": f"Bearer {KEY_ONE}"}

        async def one_client(n: int) -> None:
            transport = sse_client(f"{cluster.url}/sse", headers=headers, httpx_client_factory=factory)
            async with Client(transport, mode="legacy") as client:
                for i in range(4):
                    await ok(client, "preview_sms", {"to": "05 05 12 34 56", "content": f"SSE {n}, {i}"})

        async with anyio.create_task_group() as group:
            for n in range(3):
                group.start_soon(one_client, n)
    streams = [hop for hop in hops if hop.method == "/sse"]
    messages = [hop for hop in hops if hop.method.startswith("/messages/")]
    assert len(streams) == 3 and len(messages) >= 3 * 5, hops  # initialize, initialized, 4 calls each
    assert len({hop.replica for hop in hops}) == 1, Counter(hop.replica for hop in hops)
    assert {hop.status for hop in messages} == {202}


async def _calls_until(client: Any, hops: list[Hop], condition: Any, limit: float = 30.0) -> None:
    """Stateless reads through HAProxy until `condition(hops)` holds; every one must succeed."""
    deadline = time.monotonic() + limit
    while not condition(hops):
        assert time.monotonic() < deadline, Counter(served_by(hops))
        assert (await ok(client, "get_balance"))["balance"] > 0
        await anyio.sleep(0.05)


@pytest.mark.slow  # two restarts, a cut and HAProxy's checks: about 25 s
async def test_readiness_follows_the_database_not_letexto(start_cluster: StartCluster) -> None:
    """A replica that cannot reach LeTexto stays in the rotation (every replica would fail alike, and
    its errors say what is wrong); one that loses its database leaves it, and comes back by itself."""
    with start_cluster() as cluster, refusing_port() as dead:
        await cluster.lb.wait_for({"r1": "UP", "r2": "UP"})
        r1 = cluster.replica("r1")
        r1.stop()
        await r1.restart(LETEXTO_BASE_URL=f"http://127.0.0.1:{dead}")
        async with httpx.AsyncClient(timeout=30) as http:
            ready = await http.get(f"{r1.url}/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ready", "store": "ok", "letexto": "unreachable"}
        await cluster.lb.wait_for({"r1": "UP", "r2": "UP"})

        database = urlsplit(cluster.state_url)
        async with cuttable_link(database.hostname or "127.0.0.1", database.port or 5432) as link:
            r1.stop()
            await r1.restart(LETEXTO_STATE_URL=link.url_through(cluster.state_url))
            await cluster.lb.wait_for({"r1": "UP", "r2": "UP"})
            link.cut()  # r1 alone loses its database
            async with httpx.AsyncClient(timeout=30) as http:
                with anyio.fail_after(30):
                    while (answer := await http.get(f"{r1.url}/readyz")).status_code != 503:
                        await anyio.sleep(0.5)
            assert answer.json()["store"] == "unavailable"
            await cluster.lb.wait_for({"r1": "DOWN", "r2": "UP"})
            async with traced_client(f"{cluster.url}/mcp") as (client, hops):
                for _ in range(10):
                    await ok(client, "get_balance")
                assert set(served_by(hops)) == {"r2"}, hops
                link.mend()  # r1 is not restarted: its pool reconnects
                await cluster.lb.wait_for({"r1": "UP", "r2": "UP"}, limit=60)
                hops.clear()
                await _calls_until(client, hops, lambda seen: "r1" in served_by(seen))


@pytest.mark.slow  # a kill, a restart and HAProxy's checks: about 15 s
async def test_a_killed_replica_is_routed_around_and_rejoins_after_a_restart(
    start_cluster: StartCluster,
) -> None:
    with start_cluster() as cluster:
        await cluster.lb.wait_for({"r1": "UP", "r2": "UP"})
        r2 = cluster.replica("r2")
        async with traced_client(f"{cluster.url}/mcp") as (client, hops):
            await _calls_until(client, hops, lambda seen: {"r1", "r2"} <= set(served_by(seen)))
            r2.kill()
            # Until its check fails twice HAProxy still picks it: the refused connection is tried
            # on r1 (retry-on conn-failure, redispatch), so no client sees the dead replica.
            hops.clear()
            with anyio.fail_after(30):
                while (await cluster.lb.servers())["r2"] != "DOWN":
                    assert (await ok(client, "get_balance"))["balance"] > 0
            assert set(served_by(hops)) <= {"r1"}, hops
            await r2.restart()
            await cluster.lb.wait_for({"r1": "UP", "r2": "UP"})
            hops.clear()
            await _calls_until(client, hops, lambda seen: "r2" in served_by(seen))
        assert {hop.status for hop in hops} == {200}
    logged = lb_requests(cluster.lb.log_text())
    assert {line.status for line in logged} == {200}
    # Some request was sent to the dead replica before its checks failed, and went to r1 instead.
    assert any(line.redispatched and line.server == "r1" for line in logged)
