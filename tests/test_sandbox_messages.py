"""The simulator's single-SMS endpoints: both send forms, auth, errors, debits, status by the clock."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from letexto_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_SUBACCOUNT_KEY, ManualClock, SandboxApp
from letexto_mcp.sandbox.clock import format_iso
from tests.sandbox_fixtures import BEARER, TOKEN, send_body

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.sandbox_fixtures"]

UNAUTHORIZED = {"statusCode": 401, "message": "Invalide username / password", "errors": "Unauthorized"}


async def send(client: httpx.AsyncClient, **overrides: object) -> httpx.Response:
    return await client.post("/v1/messages/send", json=send_body(**overrides), headers=BEARER)


async def test_post_send_answers_submitted_with_an_objectid_and_records_the_message(
    client: httpx.AsyncClient, sim: SandboxApp
) -> None:
    r = await send(client, customData="order-42")
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "submitted" and body["partCount"] == 1
    assert re.fullmatch(r"[0-9a-f]{24}", body["id"])
    [message] = sim.state.messages
    assert (message.id, message.via, message.to, message.sender) == (
        body["id"],
        "POST",
        "2250707123456",
        "SMS INFO",
    )
    assert message.custom_data == "order-42" and message.encoding == "GSM-7"
    assert SANDBOX_API_KEY not in message.account_key_hint
    assert sim.state.requests[-1].auth == "bearer"


async def test_legacy_get_send_with_token_in_query(client: httpx.AsyncClient, sim: SandboxApp) -> None:
    r = await client.get("/v1/messages/send", params={**TOKEN, **send_body(content="Hello API!")})
    assert r.status_code == 200
    assert r.json()["status"] == "submitted"
    assert sim.state.messages[0].via == "GET"
    record = sim.state.requests[-1]
    assert (record.method, record.path, record.auth) == ("GET", "/v1/messages/send", "query")
    assert SANDBOX_API_KEY not in str(record.query)


async def test_either_auth_form_is_accepted_everywhere_and_recorded(
    client: httpx.AsyncClient, sim: SandboxApp
) -> None:
    by_query = await client.post("/v1/messages/send", json=send_body(), params=TOKEN)
    by_bearer = await client.get("/v1/users/balance", headers=BEARER)
    assert (by_query.status_code, by_bearer.status_code) == (201, 200)
    assert [r.auth for r in sim.state.requests] == ["query", "bearer"]


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({}, {}),
        ({"Authorization": "Bearer nope"}, {}),
        ({}, {"token": "nope"}),
        ({"Authorization": "Basic x"}, {}),
    ],
)
async def test_missing_or_wrong_key_is_401_in_the_vendor_shape(
    client: httpx.AsyncClient, sim: SandboxApp, headers: dict[str, str], params: dict[str, str]
) -> None:
    r = await client.post("/v1/messages/send", json=send_body(), headers=headers, params=params)
    assert r.status_code == 401
    assert r.json() == UNAUTHORIZED
    assert sim.state.messages == []


async def test_sender_longer_than_11_characters(client: httpx.AsyncClient) -> None:
    r = await send(client, **{"from": "SMS INFO PLUS"})
    assert r.status_code == 400
    assert r.json() == {
        "statusCode": 400,
        "message": "from must be shorter than or equal to 11 characters",
        "errors": "Bad Request",
    }


@pytest.mark.parametrize(
    "number",
    [
        "+2250707123456",  # a plus sign
        "225707123456",  # 225 + 9 digits: the leading 0 dropped
        "22507123456",  # 225 + 8 digits: an old number
        "0707123456",  # national form
        "2250707123456,2250707123457",  # two numbers
        "225 07 07 12 34 56",  # spaces
        "1234567",  # too short for any country
        "1234567890123456",  # too long
    ],
)
async def test_invalid_numbers_use_the_vendor_message(client: httpx.AsyncClient, number: str) -> None:
    r = await send(client, to=number)
    assert r.status_code == 400
    assert r.json()["message"] == (
        f"to contains invalid phone number (s) : {number}. \n Phone number must be in international format"
    )


@pytest.mark.parametrize("number", ["2250707123456", "2250102030405", "33612345678", "14155550123"])
async def test_valid_numbers_are_accepted(client: httpx.AsyncClient, number: str) -> None:
    assert (await send(client, to=number)).status_code == 201


async def test_several_wrong_fields_give_a_list_of_messages(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/messages/send", json={"to": "2250707123456"}, headers=BEARER)
    assert r.status_code == 400
    assert r.json()["message"] == ["from should not be empty", "content should not be empty"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sendAt", "demain", "sendAt must be a valid ISO 8601 date string"),
        ("sendAt", "", "sendAt must be a valid ISO 8601 date string"),
        ("dlrMethod", "PUT", "dlrMethod must be one of the following values: GET, POST"),
        ("dlrUrl", "not a url", "dlrUrl must be a URL address"),
        ("customData", {"a": 1}, "customData must be a string"),
        ("to", 2250707123456, "to must be a string"),
    ],
)
async def test_field_validation_messages(
    client: httpx.AsyncClient, sim: SandboxApp, field: str, value: object, message: str
) -> None:
    r = await send(client, **{field: value})
    assert (r.status_code, r.json()["message"]) == (400, message)
    assert sim.state.messages == []


async def test_unparsable_json_is_400_with_the_parser_message(client: httpx.AsyncClient) -> None:
    headers = {**BEARER, "Content-Type": "application/json"}
    r = await client.post("/v1/messages/send", content=b'{"from": "SMS INFO",}', headers=headers)
    assert r.status_code == 400
    assert r.json() == {
        "statusCode": 400,
        "message": "Unexpected token } in JSON at position 20",
        "errors": "Bad Request",
    }
    cut = await client.post("/v1/messages/send", content=b'{"from": "SMS', headers=headers)
    assert cut.json()["message"] == "Unexpected end of JSON input"


async def test_a_body_without_json_content_type_is_ignored_like_nestjs(client: httpx.AsyncClient) -> None:
    raw = httpx.Request("POST", "/", json=send_body()).content
    r = await client.post("/v1/messages/send", content=raw, headers=BEARER)
    assert r.status_code == 400
    assert r.json()["message"] == [
        "from should not be empty",
        "to should not be empty",
        "content should not be empty",
    ]


async def test_a_form_encoded_body_is_read(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/messages/send", data=send_body(), headers=BEARER)
    assert r.status_code == 201


@pytest.mark.parametrize("sender", ["EN ATTENTE", "INCONNU", "BOUTIQUE"])
async def test_pending_unknown_or_foreign_senders_are_refused(
    client: httpx.AsyncClient, sim: SandboxApp, sender: str
) -> None:
    r = await send(client, **{"from": sender})
    assert r.status_code == 400
    assert r.json() == {"statusCode": 400, "message": "Expéditeur non autorisé", "errors": "Bad Request"}
    assert sim.state.messages == [] and sim.state.balance(SANDBOX_API_KEY) == 1000.0


@pytest.mark.parametrize(
    ("content", "parts", "encoding"),
    [
        ("a" * 160, 1, "GSM-7"),
        ("a" * 161, 2, "GSM-7"),
        ("é" * 160, 1, "GSM-7"),
        ("ê" * 70, 1, "UCS-2"),
        ("ê" * 71, 2, "UCS-2"),
        ("Ça coûte " + "x" * 60, 1, "UCS-2"),
        ("Ça coûte " + "x" * 62, 2, "UCS-2"),
    ],
)
async def test_balance_is_debited_by_parts(
    client: httpx.AsyncClient, sim: SandboxApp, content: str, parts: int, encoding: str
) -> None:
    r = await send(client, content=content)
    assert r.json()["partCount"] == parts
    assert sim.state.messages[0].encoding == encoding
    assert sim.state.balance(SANDBOX_API_KEY) == 1000.0 - parts
    balance = await client.get("/v1/users/balance", params=TOKEN)
    assert balance.json() == {"balance": 1000.0 - parts, "currency": "SMS"}


async def test_insufficient_balance_sends_nothing(client: httpx.AsyncClient, sim: SandboxApp) -> None:
    sim.state.add_account("poor-key-0123456789", balance=1, senders=["PAUVRE"])
    headers = {"Authorization": "Bearer poor-key-0123456789"}
    body = send_body(**{"from": "PAUVRE", "content": "a" * 161})
    r = await client.post("/v1/messages/send", json=body, headers=headers)
    assert r.status_code == 400
    assert r.json()["message"] == "Solde insuffisant"
    assert sim.state.messages == [] and sim.state.balance("poor-key-0123456789") == 1
    ok = await client.post("/v1/messages/send", json={**body, "content": "court"}, headers=headers)
    assert ok.status_code == 201 and sim.state.balance("poor-key-0123456789") == 0


async def test_status_moves_pending_sent_delivered_with_the_clock(
    client: httpx.AsyncClient, sim: SandboxApp, clock: ManualClock
) -> None:
    message_id = (await send(client)).json()["id"]

    async def status() -> dict[str, object]:
        r = await client.get(f"/v1/messages/{message_id}/status", params=TOKEN)
        assert r.status_code == 200
        return r.json()

    first = await status()
    assert first["status"] == "PENDING" and first["updatedAt"] == first["createdAt"]
    assert (first["id"], first["to"], first["from"], first["partCount"]) == (
        message_id,
        "2250707123456",
        "SMS INFO",
        1,
    )
    clock.advance(0.99)
    assert (await status())["status"] == "PENDING"
    clock.advance(0.01)
    sent = await status()
    assert sent["status"] == "SENT" and sent["updatedAt"] != first["updatedAt"]
    clock.advance(2.0)
    assert (await status())["status"] == "DELIVERED"
    assert sim.state.messages[0].status == "DELIVERED"


@pytest.mark.parametrize("number", ["2250700000099", "2250500000099", "2250100000099"])
async def test_failing_test_numbers_end_failed(
    client: httpx.AsyncClient, clock: ManualClock, number: str
) -> None:
    message_id = (await send(client, to=number)).json()["id"]
    clock.advance(1.5)
    assert (await client.get(f"/v1/messages/{message_id}/status", params=TOKEN)).json()["status"] == "SENT"
    clock.advance(5)
    assert (await client.get(f"/v1/messages/{message_id}/status", params=TOKEN)).json()["status"] == "FAILED"


async def test_a_future_send_at_keeps_the_message_pending_until_then(
    client: httpx.AsyncClient, sim: SandboxApp, clock: ManualClock
) -> None:
    when = format_iso(sim.state.wall_now() + timedelta(minutes=10))
    assert when.endswith("Z") and len(when) == len("2026-02-13T21:40:00.000Z")
    r = await send(client, sendAt=when)
    assert r.status_code == 201
    message_id = r.json()["id"]
    clock.advance(599)
    body = (await client.get(f"/v1/messages/{message_id}/status", params=TOKEN)).json()
    assert (body["status"], body["sendAt"]) == ("PENDING", when)
    clock.advance(2)
    assert (await client.get(f"/v1/messages/{message_id}/status", params=TOKEN)).json()["status"] == "SENT"


async def test_a_past_send_at_sends_at_once(client: httpx.AsyncClient, clock: ManualClock) -> None:
    message_id = (await send(client, sendAt="2023-02-13T21:40:00.000Z")).json()["id"]
    clock.advance(1)
    assert (await client.get(f"/v1/messages/{message_id}/status", params=TOKEN)).json()["status"] == "SENT"


async def test_unknown_or_foreign_message_ids_are_404(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/v1/messages/0123456789abcdef01234567/status", params=TOKEN)
    assert unknown.status_code == 404
    assert unknown.json() == {"statusCode": 404, "message": "message not found", "errors": "Not Found"}
    message_id = (await send(client)).json()["id"]
    other = await client.get(f"/v1/messages/{message_id}/status", params={"token": SANDBOX_SUBACCOUNT_KEY})
    assert other.status_code == 404


async def test_unknown_paths_and_methods_answer_like_nestjs(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/users/balance", headers=BEARER)
    assert r.status_code == 404
    assert r.json() == {"statusCode": 404, "message": "Cannot POST /v1/users/balance", "errors": "Not Found"}
