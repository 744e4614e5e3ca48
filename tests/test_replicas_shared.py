"""Two replicas (two HTTP apps, each with its own services) on one PostgreSQL schema.

What must hold across replicas, in process: a delivery report received by A reaches a watcher on
B; one HTTP request window per client; an approval opened on A, decided on B's page and consumed
through A. The subprocess tests behind a load balancer are in test_replicas_lb.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest

from letexto_mcp.server.http import build_http_app
from tests.approval_clients import APPROVER, APPROVER_KEY, decide
from tests.conftest import sandbox_settings
from tests.http_helpers import KEY_A, base_url, loopback_socket, mcp_client, serving
from tests.mcp_helpers import ok
from tests.postgres_helpers import fresh_schema

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

STATE_SECRET = "replicas-share-this-state-secret-0123"
AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}


@asynccontextmanager
async def two_replicas(simulator: Any, **settings: Any) -> AsyncIterator[tuple[str, str]]:
    """Replicas A and B: the same schema, secret and keys; their own services, buses and caches."""
    with fresh_schema() as url:
        options: dict[str, Any] = {
            "state_url": url,
            "state_secret": STATE_SECRET,
            "mcp_api_keys": [KEY_A],
            **settings,
        }
        async with AsyncExitStack() as stack:
            bases = []
            for _ in range(2):
                sock = loopback_socket()
                app = build_http_app(
                    sandbox_settings(public_url=base_url(sock), **options), simulator=simulator
                )
                bases.append(await stack.enter_async_context(serving(app, sock)))
            yield bases[0], bases[1]


@asynccontextmanager
async def connected(simulator: Any, **settings: Any) -> AsyncIterator[tuple[str, str, Any, Any]]:
    """The two replicas' addresses, and an MCP client of each."""
    async with (
        two_replicas(simulator, **settings) as (a, b),
        mcp_client(f"{a}/mcp", key=KEY_A) as on_a,
        mcp_client(f"{b}/mcp", key=KEY_A) as on_b,
    ):
        yield a, b, on_a, on_b


async def test_a_report_received_by_one_replica_reaches_a_watcher_on_the_other(simulator: Any) -> None:
    async with connected(simulator, send_policy="allow") as (a, _, on_a, on_b):
        sent = await ok(on_a, "send_sms", AWA)  # its report URL names replica A
        uri = f"letexto://messages/{sent['message_id']}"
        dlr_url = simulator.state.messages[0].dlr_url
        assert dlr_url.startswith(a)
        heard: list[str] = []
        async with on_b.listen(resource_subscriptions=[uri]) as watching:
            report = {"id": sent["message_id"], "status": "DELIVERED"}
            async with httpx.AsyncClient() as http:
                assert (await http.post(dlr_url, json=report)).status_code == 200
            with anyio.fail_after(10):
                async for event in watching:
                    heard.append(getattr(event, "uri", ""))
                    if heard[-1] == uri:
                        break
        status = await ok(on_b, "get_message_status", {"message_id": sent["message_id"]})
    assert heard[-1] == uri
    assert status["source"] == "delivery_report" and status["status"] == "DELIVERED"


async def test_one_request_window_per_client_across_replicas(simulator: Any) -> None:
    async with two_replicas(simulator, rate_limit=4) as (a, b), httpx.AsyncClient() as http:
        headers = {"Authorization": f"Bearer {KEY_A}"}
        answers = [
            (await http.get(f"{base}/api/v1/balance", headers=headers)).status_code for base in (a, b, a, b)
        ]
        over_a = await http.get(f"{a}/api/v1/balance", headers=headers)
        over_b = await http.get(f"{b}/api/v1/balance", headers=headers)
    assert answers == [200, 200, 200, 200]
    assert over_a.status_code == over_b.status_code == 429, (
        "the fifth request of the minute, wherever it lands"
    )
    assert int(over_b.headers["Retry-After"]) >= 1


async def test_an_approval_opened_on_one_replica_is_decided_on_the_other_and_sent_once(
    simulator: Any,
) -> None:
    approvers = [f"{APPROVER}:{APPROVER_KEY}"]
    async with connected(simulator, send_policy="approve", approver_keys=approvers) as (a, b, on_a, on_b):
        first = await ok(on_a, "send_sms", AWA)
        on_b_page = first["approval_url"].replace(a, b)
        assert (await decide(on_b_page)).json() == {"status": "approved"}
        token = first["confirmation_token"]
        sent = await ok(on_a, "send_sms", {**AWA, "confirmation_token": token})
        again = await ok(on_b, "send_sms", {**AWA, "confirmation_token": token})
    assert sent["status"] == "submitted"
    assert again["status"] == "duplicate"
    assert len(simulator.state.messages) == 1
