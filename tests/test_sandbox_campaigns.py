"""SMS and email campaigns in the simulator: rendering, counting, debits, statuses by the clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from letexto_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_SUBACCOUNT_KEY, ManualClock, SandboxApp
from letexto_mcp.sandbox.clock import format_iso
from tests.sandbox_fixtures import BEARER, TOKEN

pytestmark = pytest.mark.anyio
pytest_plugins = ["tests.sandbox_fixtures"]

CONTACTS = [
    {"numero": "2250707123456", "name": "Awa", "age": "12"},
    {"numero": "2250505123456", "name": "Kouassi", "age": "24"},
    {"numero": "2250101123456", "name": "Aïssata", "age": "32"},
]


def campaign(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "label": "Rentrée",
        "sender": "SMS INFO",
        "contacts": CONTACTS,
        "content": "Bonjour {{name}}, votre numéro est {{ numero }}",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


async def create(client: httpx.AsyncClient, **overrides: Any) -> httpx.Response:
    return await client.post("/v1/campaigns/sms", json=campaign(**overrides), headers=BEARER)


async def test_campaign_renders_each_contact_and_debits_the_total_parts(
    client: httpx.AsyncClient, sim: SandboxApp
) -> None:
    r = await create(client)
    assert r.status_code == 201
    body = r.json()
    assert {k: body[k] for k in ("label", "sender", "contactCount", "statut", "partCount")} == {
        "label": "Rentrée",
        "sender": "SMS INFO",
        "contactCount": 3,
        "statut": "CREATED",
        "partCount": 3,
    }
    [stored] = sim.state.sms_campaigns
    assert stored.id == body["id"]
    texts = [(m.to, m.content, m.encoding, m.parts) for m in stored.messages]
    assert texts[0] == ("2250707123456", "Bonjour Awa, votre numéro est 2250707123456", "GSM-7", 1)
    # "ï" is not GSM-7: that one message alone goes UCS-2 and, at 48 characters, still fits one part.
    assert texts[2][2:] == ("UCS-2", 1)
    assert sum(m.parts for m in stored.messages) == 3


async def test_part_count_is_the_sum_over_rendered_messages(
    client: httpx.AsyncClient, sim: SandboxApp
) -> None:
    long_name = "x" * 150
    contacts = [{"numero": "2250707123456", "name": long_name}, {"numero": "2250707123457", "name": "Awa"}]
    r = await create(client, contacts=contacts, content="Salut {{name}}!!!!!!!!!!")
    assert r.json()["partCount"] == 3
    assert sim.state.balance(SANDBOX_API_KEY) == 997


async def test_a_missing_field_is_400_naming_the_contact_and_field(
    client: httpx.AsyncClient, sim: SandboxApp
) -> None:
    contacts = [{"numero": "2250707123456", "name": "Awa"}, {"numero": "2250707123457"}]
    r = await create(client, contacts=contacts)
    assert r.status_code == 400
    assert r.json()["message"] == "contacts.1.name is missing: content uses {{name}}"
    assert sim.state.sms_campaigns == [] and sim.state.balance(SANDBOX_API_KEY) == 1000


async def test_invalid_numbers_are_all_listed(client: httpx.AsyncClient) -> None:
    contacts = [{"numero": "225707123456", "name": "a"}, {"numero": "2250707123456", "name": "b"}]
    contacts.append({"numero": "+2250707123456", "name": "c"})
    r = await create(client, contacts=contacts)
    assert r.status_code == 400
    assert r.json()["message"] == (
        "contacts contains invalid phone number (s) : 225707123456, +2250707123456. "
        "\n Phone number must be in international format"
    )


async def test_many_field_errors_come_as_a_list(client: httpx.AsyncClient) -> None:
    r = await create(client, label=None, contacts=[], sender="UN NOM TROP LONG")
    assert r.json()["message"] == [
        "label should not be empty",
        "sender must be shorter than or equal to 11 characters",
        "contacts should not be empty",
    ]


async def test_a_contact_without_numero(client: httpx.AsyncClient) -> None:
    r = await create(client, contacts=[{"name": "Awa"}])
    assert r.json()["message"] == "contacts.0.numero should not be empty"


async def test_insufficient_balance_records_no_campaign(client: httpx.AsyncClient, sim: SandboxApp) -> None:
    sim.state.add_account("small-key-000000000", balance=2, senders=["PETIT"])
    headers = {"Authorization": "Bearer small-key-000000000"}
    r = await client.post("/v1/campaigns/sms", json=campaign(sender="PETIT"), headers=headers)
    assert (r.status_code, r.json()["message"]) == (400, "Solde insuffisant")
    assert sim.state.sms_campaigns == [] and sim.state.balance("small-key-000000000") == 2


async def test_an_unapproved_sender_is_refused(client: httpx.AsyncClient) -> None:
    r = await create(client, sender="EN ATTENTE")
    assert (r.status_code, r.json()["message"]) == (400, "Expéditeur non autorisé")


async def test_status_moves_created_sending_sent(client: httpx.AsyncClient, clock: ManualClock) -> None:
    campaign_id = (await create(client)).json()["id"]

    async def status() -> dict[str, Any]:
        r = await client.get(f"/v1/campaigns/sms/{campaign_id}/status", params=TOKEN)
        assert r.status_code == 200
        return r.json()

    assert await status() == {
        "status": "CREATED",
        "sender": "SMS INFO",
        "id": campaign_id,
        "label": "Rentrée",
    }
    clock.advance(1)
    assert (await status())["status"] == "SENDING"
    clock.advance(2)
    assert (await status())["status"] == "SENT"


async def test_a_future_sent_at_is_scheduled(
    client: httpx.AsyncClient, sim: SandboxApp, clock: ManualClock
) -> None:
    when = format_iso(sim.state.wall_now() + timedelta(hours=1))
    r = await create(client, sentAt=when)
    assert r.json()["statut"] == "CREATED"
    url = f"/v1/campaigns/sms/{r.json()['id']}/status"
    assert (await client.get(url, params=TOKEN)).json()["status"] == "SCHEDULED"
    clock.advance(3600)
    assert (await client.get(url, params=TOKEN)).json()["status"] == "CREATED"


async def test_send_at_is_not_the_campaign_field_and_is_ignored(client: httpx.AsyncClient) -> None:
    r = await create(client, sendAt="2099-01-01T00:00:00.000Z")
    url = f"/v1/campaigns/sms/{r.json()['id']}/status"
    assert (await client.get(url, params=TOKEN)).json()["status"] == "CREATED"


async def test_unknown_or_foreign_campaign_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/campaigns/sms/0123456789abcdef01234567/status", params=TOKEN)
    assert r.status_code == 404
    assert r.json() == {"statusCode": 404, "message": "campaign not found", "errors": "Not Found"}
    campaign_id = (await create(client)).json()["id"]
    other = await client.get(
        f"/v1/campaigns/sms/{campaign_id}/status", params={"token": SANDBOX_SUBACCOUNT_KEY}
    )
    assert other.status_code == 404


EMAIL = {
    "label": "Newsletter",
    "from": "news@boutique.ci",
    "recipients": ["awa@example.ci", "kouassi@example.ci"],
    "subject": "Nouveautés",
    "content": "<p>Bonjour</p>",
}


async def test_email_campaign_costs_no_sms_credit_and_progresses(
    client: httpx.AsyncClient, sim: SandboxApp, clock: ManualClock
) -> None:
    r = await client.post("/v1/campaigns/emails", json=EMAIL, headers=BEARER)
    assert r.status_code == 201
    body = r.json()
    assert {k: body[k] for k in ("label", "subject", "from", "recipientsCount", "status")} == {
        "label": "Newsletter",
        "subject": "Nouveautés",
        "from": "news@boutique.ci",
        "recipientsCount": 2,
        "status": "Created",
    }
    assert sim.state.balance(SANDBOX_API_KEY) == 1000
    assert sim.state.email_campaigns[0].recipients == EMAIL["recipients"]
    url = f"/v1/campaigns/emails/{body['id']}/status"
    assert (await client.get(url, params=TOKEN)).json()["status"] == "Created"
    clock.advance(1)
    assert (await client.get(url, params=TOKEN)).json()["status"] == "Sending"
    clock.advance(2)
    status = (await client.get(url, params=TOKEN)).json()
    assert status == {
        "status": "Sent",
        "id": body["id"],
        "label": "Newsletter",
        "subject": "Nouveautés",
        "from": "news@boutique.ci",
        "recipientsCount": 2,
    }


async def test_email_addresses_are_validated(client: httpx.AsyncClient, sim: SandboxApp) -> None:
    bad = {**EMAIL, "from": "news-at-boutique", "recipients": ["awa@example.ci", "kouassi"], "subject": ""}
    r = await client.post("/v1/campaigns/emails", json=bad, headers=BEARER)
    assert r.status_code == 400
    assert r.json()["message"] == [
        "from must be an email",
        "subject should not be empty",
        "each value in recipients must be an email",
    ]
    assert sim.state.email_campaigns == []
    missing = await client.get("/v1/campaigns/emails/0123456789abcdef01234567/status", params=TOKEN)
    assert missing.json()["message"] == "campaign not found"
