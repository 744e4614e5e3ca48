"""Delivery reports posted by the simulator to a real loopback receiver."""

from __future__ import annotations

import httpx
import pytest

from bench.procs import refusing_port
from letexto_mcp.sandbox import ManualClock, SandboxApp, SandboxConfig, create_app
from letexto_mcp.sandbox.reports import host_allowed
from tests.sandbox_fixtures import BEARER, LoopbackReceiver, in_process_client, send_body

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.sandbox_fixtures"]


async def send_with_report(client: httpx.AsyncClient, url: str, **extra: str) -> str:
    body = send_body(dlrUrl=url, customData="commande-7", **extra)
    r = await client.post("/v1/messages/send", json=body, headers=BEARER)
    assert r.status_code == 201
    return r.json()["id"]


async def test_post_reports_follow_the_clock(
    client: httpx.AsyncClient, sim: SandboxApp, clock: ManualClock, receiver: LoopbackReceiver
) -> None:
    message_id = await send_with_report(client, receiver.url)
    assert sim.state.messages[0].dlr_method == "POST"
    assert await sim.state.run_due_reports() == []
    clock.advance(1)
    [sent] = await sim.deliver_due_reports()
    assert (sent.reported_status, sent.http_status, sent.refused) == ("SENT", 200, False)
    clock.advance(2)
    await sim.state.run_due_reports()
    first, final = receiver.received
    assert (first.method, first.path) == ("POST", "/dlr")
    assert first.headers["content-type"] == "application/json"
    assert first.json() == {"id": message_id, "status": "SENT", "customData": "commande-7"}
    assert final.json() == {"id": message_id, "status": "DELIVERED", "customData": "commande-7"}
    assert [d.reported_status for d in sim.state.dlr_deliveries] == ["SENT", "DELIVERED"]
    assert sim.state.pending_reports == []
    assert await sim.state.run_due_reports() == []


async def test_get_reports_carry_query_parameters(
    client: httpx.AsyncClient, sim: SandboxApp, clock: ManualClock, receiver: LoopbackReceiver
) -> None:
    message_id = await send_with_report(client, receiver.url, dlrMethod="get", to="2250700000099")
    clock.advance(10)
    deliveries = await sim.state.run_due_reports()
    assert [(d.method, d.reported_status) for d in deliveries] == [("GET", "SENT"), ("GET", "FAILED")]
    assert [r.method for r in receiver.received] == ["GET", "GET"]
    assert receiver.received[1].query == {"id": message_id, "status": "FAILED", "customData": "commande-7"}
    assert receiver.received[1].body == b""


async def test_a_receiver_error_status_is_recorded(
    client: httpx.AsyncClient, sim: SandboxApp, clock: ManualClock, receiver: LoopbackReceiver
) -> None:
    receiver.reply_status = 500
    await send_with_report(client, receiver.url)
    clock.advance(1)
    [delivery] = await sim.state.run_due_reports()
    assert (delivery.http_status, delivery.error) == (500, None)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/dlr",
        "http://10.0.0.8/dlr",
        "http://169.254.169.254/latest",
        "http://localhost.evil.ci/",
    ],
)
async def test_reports_to_other_hosts_are_refused_not_sent(
    client: httpx.AsyncClient, sim: SandboxApp, clock: ManualClock, url: str
) -> None:
    await send_with_report(client, url)
    clock.advance(5)
    deliveries = await sim.state.run_due_reports()
    assert [(d.refused, d.http_status) for d in deliveries] == [(True, None), (True, None)]
    assert all("refused" in (d.error or "") for d in deliveries)


async def test_an_unreachable_receiver_is_recorded_as_an_error(
    client: httpx.AsyncClient, sim: SandboxApp, clock: ManualClock
) -> None:
    with refusing_port() as port:
        await send_with_report(client, f"http://127.0.0.1:{port}/dlr")
        clock.advance(1)
        [delivery] = await sim.state.run_due_reports()
    assert delivery.http_status is None and delivery.error is not None and not delivery.refused


async def test_a_message_without_dlr_url_reports_nothing(
    client: httpx.AsyncClient, sim: SandboxApp, clock: ManualClock
) -> None:
    await client.post("/v1/messages/send", json=send_body(), headers=BEARER)
    clock.advance(10)
    assert sim.state.pending_reports == [] and await sim.state.run_due_reports() == []


async def test_reports_are_delivered_in_the_background_with_a_real_clock(receiver: LoopbackReceiver) -> None:
    sim = create_app(SandboxConfig(sent_after=0.01, delivered_after=0.02))
    async with in_process_client(sim) as client:
        message_id = await send_with_report(client, receiver.url)
        received = await receiver.wait_for(2)
    assert [r.json()["status"] for r in received] == ["SENT", "DELIVERED"]
    assert {r.json()["id"] for r in received} == {message_id}


def test_allowed_hosts() -> None:
    loopback = ("127.0.0.0/8", "::1", "localhost")
    for url in ("http://127.0.0.1:9/x", "http://127.3.2.1/", "http://[::1]:80/", "http://LOCALHOST:1/"):
        assert host_allowed(url, loopback), url
    for url in (
        "http://192.168.1.1/",
        "http://[::2]/",
        "http://example.com/",
        "file:///etc/passwd",
        "nonsense",
    ):
        assert not host_allowed(url, loopback), url
    assert host_allowed("https://hooks.example.ci/dlr", ("hooks.example.ci",))
