"""The simulator's /_sandbox admin endpoints: state (keys masked), faults, reset, health."""

from __future__ import annotations

import httpx
import pytest

from letexto_mcp.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_SUBACCOUNT_KEY,
    Fault,
    ManualClock,
    SandboxApp,
    SandboxConfig,
    create_app,
)
from tests.sandbox_fixtures import BEARER, TOKEN, in_process_client, send_body

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.sandbox_fixtures"]


async def test_healthz_needs_no_key(client: httpx.AsyncClient) -> None:
    r = await client.get("/_sandbox/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


@pytest.mark.parametrize(
    ("headers", "params"),
    [({}, {}), ({}, TOKEN), ({"Authorization": f"Bearer {SANDBOX_SUBACCOUNT_KEY}"}, {})],
)
async def test_admin_needs_the_sandbox_key_as_bearer(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str]
) -> None:
    for method, path in (
        ("GET", "/_sandbox/state"),
        ("DELETE", "/_sandbox/faults"),
        ("POST", "/_sandbox/reset"),
    ):
        r = await client.request(method, path, headers=headers, params=params)
        assert r.status_code == 401 and r.json()["statusCode"] == 401


async def test_state_shows_everything_but_never_a_key(client: httpx.AsyncClient, sim: SandboxApp) -> None:
    await client.post("/v1/messages/send", json=send_body(dlrUrl="http://127.0.0.1:9/dlr"), params=TOKEN)
    campaign = {
        "label": "L",
        "sender": "SMS INFO",
        "contacts": [{"numero": "2250707123456"}],
        "content": "Hi",
    }
    await client.post("/v1/campaigns/sms", json=campaign, headers=BEARER)
    r = await client.get("/_sandbox/state", headers=BEARER)
    assert r.status_code == 200
    assert SANDBOX_API_KEY not in r.text and SANDBOX_SUBACCOUNT_KEY not in r.text
    state = r.json()
    assert [a["balance"] for a in state["accounts"]] == [998.0, 250.0]
    assert state["accounts"][0]["key"] == "lt_s***a5b4"
    [message] = state["messages"]
    assert (message["to"], message["content"], message["via"], message["dlrMethod"]) == (
        "2250707123456",
        "Bonjour Awa",
        "POST",
        "POST",
    )
    assert state["smsCampaigns"][0]["messages"] == [
        {"to": "2250707123456", "content": "Hi", "parts": 1, "encoding": "GSM-7"}
    ]
    assert [(q["path"], q["auth"]) for q in state["requests"]] == [
        ("/v1/messages/send", "query"),
        ("/v1/campaigns/sms", "bearer"),
    ]
    assert state["pendingReports"] == 2 and state["emailCampaigns"] == [] and state["dlrDeliveries"] == []


async def test_faults_over_http(client: httpx.AsyncClient, sim: SandboxApp) -> None:
    r = await client.post(
        "/_sandbox/faults", json={"kind": "status", "status": 500, "count": 3}, headers=BEARER
    )
    assert r.status_code == 201 and r.json()["fault"]["count"] == 3
    assert (await client.get("/_sandbox/faults", headers=BEARER)).json()[0]["kind"] == "status"
    assert (await client.get("/v1/users/balance", params=TOKEN)).status_code == 500
    assert (await client.get("/_sandbox/state", headers=BEARER)).status_code == 200
    cleared = await client.delete("/_sandbox/faults", headers=BEARER)
    assert cleared.json() == {"cleared": 1}
    assert (await client.get("/v1/users/balance", params=TOKEN)).status_code == 200


@pytest.mark.parametrize(
    "body", [b'{"kind": "nope"}', b'{"status": 500}', b"[1]", b'{"kind": "status", "x": 1}']
)
async def test_a_bad_fault_is_400(client: httpx.AsyncClient, sim: SandboxApp, body: bytes) -> None:
    r = await client.post("/_sandbox/faults", content=body, headers=BEARER)
    assert r.status_code == 400 and r.json()["message"].startswith("invalid fault")
    assert sim.faults.active == []


async def test_reset_restores_the_seeded_accounts(client: httpx.AsyncClient, sim: SandboxApp) -> None:
    await client.post("/v1/messages/send", json=send_body(), headers=BEARER)
    await client.post("/v1/senders/create", json={"name": "NOUVEAU"}, headers=BEARER)
    sim.faults.inject(Fault("malformed"))
    r = await client.post("/_sandbox/reset", headers=BEARER)
    assert r.status_code == 200
    assert sim.state.messages == [] and sim.state.requests == [] and sim.faults.active == []
    assert sim.state.balance(SANDBOX_API_KEY) == 1000
    assert [s.name for s in sim.state.senders[SANDBOX_API_KEY]] == ["SMS INFO", "EN ATTENTE"]


async def test_the_request_log_keeps_the_newest_and_counts_the_rest(clock: ManualClock) -> None:
    """A long sandbox session does not grow without bound: the log keeps `request_log_limit` requests."""
    sim = create_app(SandboxConfig(clock=clock, request_log_limit=20))
    async with in_process_client(sim) as client:
        for _ in range(50):
            await client.get("/v1/users/balance", params=TOKEN)
        await client.post("/v1/messages/send", json=send_body(), headers=BEARER)
        state = (await client.get("/_sandbox/state", headers=BEARER)).json()
    assert 20 <= len(sim.state.requests) <= 22
    assert sim.state.requests[-1].path == "/v1/messages/send"
    assert len(sim.state.requests) + sim.state.requests_dropped == 51
    assert state["requestsDropped"] == sim.state.requests_dropped
    assert len(state["requests"]) == len(sim.state.requests)
    assert len(sim.state.messages) == 1, "only the log is trimmed, never what was sent"
