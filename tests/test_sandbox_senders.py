"""Senders in the simulator: creation, approval by the clock, listing filters, accounts."""

from __future__ import annotations

import httpx
import pytest

from letexto_mcp.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_SUBACCOUNT_KEY,
    ManualClock,
    SandboxApp,
    SandboxConfig,
    create_app,
)
from tests.sandbox_fixtures import BEARER, in_process_client, send_body

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.sandbox_fixtures"]


async def create(client: httpx.AsyncClient, name: object) -> httpx.Response:
    return await client.post("/v1/senders/create", json={"name": name}, headers=BEARER)


async def listing(client: httpx.AsyncClient, **params: str) -> list[dict[str, str]]:
    r = await client.get("/v1/senders", params=params, headers=BEARER)
    assert r.status_code == 200
    body = r.json()
    assert isinstance(body, list)
    return body


async def test_new_sender_is_pending_then_approved_by_the_clock(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    r = await create(client, "MA BOUTIK")
    assert r.status_code == 201
    assert r.json()["name"] == "MA BOUTIK" and r.json()["status"] == "PENDING"
    refused = await client.post("/v1/messages/send", json=send_body(**{"from": "MA BOUTIK"}), headers=BEARER)
    assert refused.json()["message"] == "Expéditeur non autorisé"
    clock.advance(29.9)
    assert [s["status"] for s in await listing(client, query="boutik")] == ["PENDING"]
    clock.advance(0.1)
    assert [s["status"] for s in await listing(client, query="boutik")] == ["ACTIVE"]
    sent = await client.post("/v1/messages/send", json=send_body(**{"from": "MA BOUTIK"}), headers=BEARER)
    assert sent.status_code == 201


async def test_zero_approval_delay_approves_at_once() -> None:
    sim = create_app(SandboxConfig(clock=ManualClock(), sender_approval_delay=0))
    async with in_process_client(sim) as client:
        assert (await create(client, "TOUT DE SUITE"[:11])).json()["status"] == "ACTIVE"


async def test_a_name_starting_with_reject_is_rejected(client: httpx.AsyncClient, clock: ManualClock) -> None:
    await create(client, "REJECT ME")
    clock.advance(60)
    assert [s["status"] for s in await listing(client, query="reject")] == ["REJECTED"]


@pytest.mark.parametrize(
    ("name", "status", "message"),
    [
        ("DOUZE CARACT", 400, "name must be shorter than or equal to 11 characters"),
        ("", 400, "name should not be empty"),
        ("   ", 400, "name should not be empty"),
        (42, 400, "name must be a string"),
        ("sms info", 409, "sender already exists"),
    ],
)
async def test_sender_creation_errors(
    client: httpx.AsyncClient, sim: SandboxApp, name: object, status: int, message: str
) -> None:
    r = await create(client, name)
    assert (r.status_code, r.json()["message"]) == (status, message)
    assert len(sim.state.senders[SANDBOX_API_KEY]) == 2


async def test_list_filters_by_query_status_and_sub_accounts(client: httpx.AsyncClient) -> None:
    mine = await listing(client)
    assert {(s["name"], s["status"]) for s in mine} == {("SMS INFO", "ACTIVE"), ("EN ATTENTE", "PENDING")}
    assert [s["name"] for s in await listing(client, query="info")] == ["SMS INFO"]
    assert [s["name"] for s in await listing(client, status="PENDING")] == ["EN ATTENTE"]
    assert await listing(client, status="VALIDATING") == []
    everyone = await listing(client, allAccounts="true")
    assert {s["name"] for s in everyone} == {"SMS INFO", "EN ATTENTE", "BOUTIQUE"}
    assert {s["account"] for s in everyone} == {"Compte sandbox", "Sous-compte sandbox"}
    assert {s["name"] for s in await listing(client, allAccounts="false")} == {"SMS INFO", "EN ATTENTE"}


async def test_a_sub_account_sees_only_its_own_senders(client: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {SANDBOX_SUBACCOUNT_KEY}"}
    r = await client.get("/v1/senders", params={"allAccounts": "true"}, headers=headers)
    assert [s["name"] for s in r.json()] == ["BOUTIQUE"]


async def test_accounts_are_separate_tenants(client: httpx.AsyncClient, sim: SandboxApp) -> None:
    sim.state.add_account("tenant-b-key-000000", balance=5, senders=["TENANT B"])
    headers = {"Authorization": "Bearer tenant-b-key-000000"}
    r = await client.post("/v1/messages/send", json=send_body(**{"from": "TENANT B"}), headers=headers)
    assert r.status_code == 201
    assert sim.state.balance("tenant-b-key-000000") == 4
    assert sim.state.balance(SANDBOX_API_KEY) == 1000
    foreign = await client.post("/v1/messages/send", json=send_body(**{"from": "TENANT B"}), headers=BEARER)
    assert foreign.json()["message"] == "Expéditeur non autorisé"
    with pytest.raises(ValueError):
        sim.state.add_account("tenant-b-key-000000")
