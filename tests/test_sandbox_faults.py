"""Fault injection in process: each kind, its filters and counts, and what the vendor recorded."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest

from letexto_mcp.sandbox import SANDBOX_API_KEY, Fault, ManualClock, SandboxApp, SandboxConfig, create_app
from tests.sandbox_fixtures import BEARER, TOKEN, in_process_client, send_body

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.sandbox_fixtures"]


async def send(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post("/v1/messages/send", json=send_body(), headers=BEARER)


async def test_status_fault_answers_a_vendor_error_then_wears_off(
    client: httpx.AsyncClient, sim: SandboxApp
) -> None:
    sim.faults.inject(Fault("status", status=503, count=2))
    for _ in range(2):
        r = await send(client)
        assert r.status_code == 503
        assert r.json() == {
            "statusCode": 503,
            "message": "Service Unavailable",
            "errors": "Service Unavailable",
        }
        assert r.headers["retry-after"] == "1"
    assert sim.state.messages == []
    assert (await send(client)).status_code == 201
    assert [(r.fault, r.status) for r in sim.state.requests] == [
        ("status", 503),
        ("status", 503),
        (None, 201),
    ]
    assert sim.state.count_requests("POST", "/v1/messages/send") == 3


async def test_status_fault_defaults_to_500(client: httpx.AsyncClient, sim: SandboxApp) -> None:
    sim.faults.inject(Fault("status"))
    r = await client.get("/v1/users/balance", params=TOKEN)
    assert (r.status_code, r.json()["errors"]) == (500, "Internal Server Error")


async def test_path_and_method_filters(client: httpx.AsyncClient, sim: SandboxApp) -> None:
    sim.faults.inject(Fault("status", status=502, path="/v1/messages", method="post"))
    assert (await client.get("/v1/users/balance", params=TOKEN)).status_code == 200
    assert (await client.get("/v1/messages/abc/status", params=TOKEN)).status_code == 404
    assert (await send(client)).status_code == 502
    assert sim.faults.active == []


async def test_latency_waits_then_answers_normally(client: httpx.AsyncClient, sim: SandboxApp) -> None:
    sim.faults.inject(Fault("latency", delay=0.01))
    assert (await send(client)).status_code == 201
    assert len(sim.state.messages) == 1 and sim.state.requests[0].fault == "latency"


async def test_stall_sends_first_then_holds_the_answer(client: httpx.AsyncClient, sim: SandboxApp) -> None:
    sim.faults.inject(Fault("stall", delay=0.5))
    answered: list[int] = []

    async def send_and_note() -> None:
        answered.append((await send(client)).status_code)

    async with anyio.create_task_group() as group:
        group.start_soon(send_and_note)
        with anyio.fail_after(5):
            while not sim.state.messages:
                await anyio.sleep(0.01)
        assert answered == [], "the send is recorded while its answer is still held"
    assert answered == [201]
    assert sim.state.requests[0].fault == "stall" and sim.state.requests[0].status == 201


async def test_timeout_raises_read_timeout_and_handles_nothing(
    client: httpx.AsyncClient, sim: SandboxApp
) -> None:
    sim.faults.inject(Fault("timeout", delay=0.01))
    with pytest.raises(httpx.ReadTimeout):
        await send(client)
    assert sim.state.messages == [] and sim.state.balance(SANDBOX_API_KEY) == 1000


async def test_malformed_body_is_not_json_and_handles_nothing(
    client: httpx.AsyncClient, sim: SandboxApp
) -> None:
    sim.faults.inject(Fault("malformed"))
    r = await send(client)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert sim.state.messages == []


async def test_truncated_body_is_cut_json_after_the_send_was_handled(
    client: httpx.AsyncClient, sim: SandboxApp
) -> None:
    sim.faults.inject(Fault("truncated"))
    r = await send(client)
    assert r.status_code == 201 and r.headers["content-type"] == "application/json"
    assert r.text.startswith('{"status":"submitted"')
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert len(sim.state.messages) == 1 and sim.state.balance(SANDBOX_API_KEY) == 999


async def test_reset_before_never_reaches_the_vendor(client: httpx.AsyncClient, sim: SandboxApp) -> None:
    sim.faults.inject(Fault("reset_before"))
    with pytest.raises(httpx.ConnectError):
        await send(client)
    assert sim.state.messages == [] and sim.state.balance(SANDBOX_API_KEY) == 1000
    assert sim.state.requests[0].fault == "reset_before"


async def test_reset_after_sends_but_loses_the_answer(client: httpx.AsyncClient, sim: SandboxApp) -> None:
    sim.faults.inject(Fault("reset_after"))
    with pytest.raises(httpx.RemoteProtocolError):
        await send(client)
    assert len(sim.state.messages) == 1 and sim.state.balance(SANDBOX_API_KEY) == 999


async def test_probability_one_hits_every_request_until_cleared(
    client: httpx.AsyncClient, sim: SandboxApp
) -> None:
    sim.faults.inject(Fault("status", status=429, probability=1.0))
    assert [(await send(client)).status_code for _ in range(3)] == [429, 429, 429]
    assert sim.faults.clear() == 1
    assert (await send(client)).status_code == 201


async def test_probability_is_repeatable_with_a_seed() -> None:
    async def pattern() -> list[int]:
        sim = create_app(SandboxConfig(clock=ManualClock(), fault_seed=7))
        sim.faults.inject(Fault("status", status=500, probability=0.5))
        async with in_process_client(sim) as client:
            return [(await client.get("/v1/users/balance", params=TOKEN)).status_code for _ in range(20)]

    first = await pattern()
    assert first == await pattern()
    assert {200, 500} == set(first)


async def test_configured_latency_still_answers(clock: ManualClock) -> None:
    sim = create_app(SandboxConfig(clock=clock, latency=0.005))
    async with in_process_client(sim) as client:
        assert (await client.get("/v1/users/balance", params=TOKEN)).status_code == 200


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "explode"},
        {"kind": "status", "status": 42},
        {"kind": "latency", "delay": -1},
        {"kind": "status", "count": 0},
        {"kind": "status", "probability": 1.5},
    ],
)
def test_bad_faults_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Fault.from_json(kwargs)
