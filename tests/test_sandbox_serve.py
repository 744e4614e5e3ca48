"""The simulator served by uvicorn on a loopback port, as `letexto-mcp sandbox` runs it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

from letexto_mcp.sandbox import SANDBOX_API_KEY, Fault, ManualClock, SandboxApp, SandboxConfig
from letexto_mcp.sandbox.serve import RedactTokenFilter, make_server

pytestmark = pytest.mark.anyio


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, SandboxApp]]:
    server = make_server("127.0.0.1", 0, SandboxConfig(clock=ManualClock()))
    task = asyncio.get_running_loop().create_task(server.serve())
    with anyio.fail_after(5):
        while not server.started:
            await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    app = server.config.app
    assert isinstance(app, SandboxApp) and not app.in_process
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        await task


async def test_a_real_request_over_loopback(served: tuple[str, SandboxApp]) -> None:
    base_url, sim = served
    headers = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
    body = {"from": "SMS INFO", "to": "2250707123456", "content": "Bonjour"}
    async with httpx.AsyncClient(base_url=base_url, trust_env=False) as client:
        r = await client.post("/v1/messages/send", json=body, headers=headers)
        assert r.status_code == 201 and r.json()["status"] == "submitted"
        health = await client.get("/_sandbox/healthz")
        assert health.json()["status"] == "ok"
        state = await client.get("/_sandbox/state", headers=headers)
        assert state.json()["messages"][0]["id"] == r.json()["id"]
    assert sim.state.messages[0].via == "POST"


async def test_a_reset_over_a_socket_closes_the_connection(served: tuple[str, SandboxApp]) -> None:
    base_url, sim = served
    sim.faults.inject(Fault("reset_after"))
    sim.faults.inject(Fault("reset_before", method="GET"))
    body = {"from": "SMS INFO", "to": "2250707123456", "content": "Bonjour"}
    async with httpx.AsyncClient(base_url=base_url, trust_env=False) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/v1/messages/send", json=body, params={"token": SANDBOX_API_KEY})
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/v1/users/balance", params={"token": SANDBOX_API_KEY})
        after = await client.get("/v1/users/balance", params={"token": SANDBOX_API_KEY})
    assert after.json()["balance"] == 999.0
    assert len(sim.state.messages) == 1


def test_access_log_lines_never_show_a_query_key() -> None:
    args = ("127.0.0.1:1", "GET", f"/v1/users/balance?token={SANDBOX_API_KEY}&x=1", "1.1", 200)
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None
    )
    assert RedactTokenFilter().filter(record)
    assert SANDBOX_API_KEY not in record.getMessage()
    assert "token=***&x=1" in record.getMessage()
