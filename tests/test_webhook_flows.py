"""The events a flow reacts to, emitted by real sends: approval requested and decided, delivered,
outcome unknown, campaign status — each verified by a Standard Webhooks receiver.

The story of a chat-ops bot: `approval.requested` arrives with the page's address; the bot's
button approves through the bot endpoint; `approval.approved` arrives; the caller's retry sends
once; LeTexto's delivery report arrives; `message.delivered` arrives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from letexto_mcp.sandbox.faults import Fault
from letexto_mcp.server.http import build_http_app
from tests.approval_clients import APPROVER, APPROVER_KEY, decide
from tests.conftest import sandbox_settings
from tests.http_helpers import KEY_A, base_url, loopback_socket, mcp_client, serving
from tests.mcp_helpers import ok
from tests.webhook_helpers import SECRET, Receiver, wait_for

pytestmark = pytest.mark.anyio

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}


def _types(receiver: Receiver) -> list[str]:
    return [seen.verified["type"] for seen in receiver.accepted]


def _event(receiver: Receiver, kind: str) -> dict[str, Any]:
    return next(s.verified for s in receiver.accepted if s.verified["type"] == kind)


async def test_a_bot_approves_from_the_requested_event_and_hears_the_delivery(
    simulator: Any, tmp_path: Path
) -> None:
    receiver = Receiver()
    sock = loopback_socket()
    url = base_url(sock)
    async with serving(receiver.app) as hooks:
        settings = sandbox_settings(
            send_policy="approve",
            approver_keys=[f"{APPROVER}:{APPROVER_KEY}"],
            mcp_api_keys=[KEY_A],
            public_url=url,
            webhook_urls=[f"{hooks}/hook"],
            webhook_secret=SECRET,
            state_url=f"sqlite:///{tmp_path / 'state.db'}",
        )
        async with (
            serving(build_http_app(settings, simulator=simulator), sock),
            mcp_client(f"{url}/mcp", key=KEY_A) as client,
        ):
            first = await ok(client, "send_sms", AWA)
            await wait_for(lambda: "approval.requested" in _types(receiver))
            requested = _event(receiver, "approval.requested")["data"]
            assert requested["approval_url"] == first["approval_url"]
            assert requested["recipients"] == 1 and requested["tool"] == "send_sms"
            assert simulator.state.messages == [], "the event alone sends nothing"

            assert (await decide(requested["approval_url"])).json() == {"status": "approved"}
            await wait_for(lambda: "approval.approved" in _types(receiver))
            assert _event(receiver, "approval.approved")["data"]["decided_by"] == APPROVER

            sent = await ok(client, "send_sms", {**AWA, "confirmation_token": first["confirmation_token"]})
            assert sent["status"] == "submitted" and len(simulator.state.messages) == 1
            report = {"id": sent["message_id"], "status": "DELIVERED", "customData": None}
            async with httpx.AsyncClient() as http:
                assert (await http.post(simulator.state.messages[0].dlr_url, json=report)).status_code == 200
            await wait_for(lambda: "message.delivered" in _types(receiver))
    delivered = _event(receiver, "message.delivered")["data"]
    assert delivered["message_id"] == sent["message_id"] and delivered["status"] == "DELIVERED"
    assert all(s.error is None for s in receiver.seen), "every event verified"
    assert not any(KEY_A in s.body.decode() or APPROVER_KEY in s.body.decode() for s in receiver.seen)


async def test_an_unknown_outcome_and_a_new_campaign_are_told(simulator: Any, tmp_path: Path) -> None:
    receiver = Receiver()
    async with serving(receiver.app) as hooks:
        settings = sandbox_settings(
            send_policy="allow",
            mcp_api_keys=[KEY_A],
            webhook_urls=[f"{hooks}/hook"],
            webhook_secret=SECRET,
            state_url=f"sqlite:///{tmp_path / 'state.db'}",
        )
        async with (
            serving(build_http_app(settings, simulator=simulator)) as url,
            mcp_client(f"{url}/mcp", key=KEY_A) as client,
        ):
            simulator.faults.inject(Fault("status", status=502, path="/v1/messages/send", count=1))
            unknown = await ok(client, "send_sms", {**AWA, "idempotency_key": "run-7"})
            campaign = await ok(
                client,
                "create_sms_campaign",
                {
                    "label": "Rappel",
                    "content": "Bonjour {{nom}}",
                    "contacts": [{"phone": "0505123456", "nom": "K"}],
                },
            )
            await wait_for(lambda: {"send.outcome_unknown", "campaign.status"} <= set(_types(receiver)))
    assert unknown["status"] == "outcome_unknown"
    told = _event(receiver, "send.outcome_unknown")["data"]
    assert told["tool"] == "send_sms" and told["recipients"] == 1 and told["idempotency_key"] == "run-7"
    status = _event(receiver, "campaign.status")["data"]
    assert status["campaign_id"] == campaign["campaign_id"] and status["channel"] == "sms"


async def test_a_flow_without_mcp_previews_gets_approval_sends_and_hears_the_delivery(
    simulator: Any, tmp_path: Path
) -> None:
    """The whole loop a Make or Zapier flow builds from the OpenAPI document and webhooks alone."""
    receiver = Receiver()
    sock = loopback_socket()
    url = base_url(sock)
    headers = {"Authorization": f"Bearer {KEY_A}", "Idempotency-Key": "flow-run-12"}
    async with serving(receiver.app) as hooks:
        settings = sandbox_settings(
            send_policy="approve",
            approver_keys=[f"{APPROVER}:{APPROVER_KEY}"],
            mcp_api_keys=[KEY_A],
            public_url=url,
            webhook_urls=[f"{hooks}/hook"],
            webhook_secret=SECRET,
            state_url=f"sqlite:///{tmp_path / 'state.db'}",
        )
        async with serving(build_http_app(settings, simulator=simulator), sock), httpx.AsyncClient() as http:
            preview = (await http.post(f"{url}/api/v1/sms/preview", json=AWA, headers=headers)).json()
            assert preview["cost"]["credits"] == 1 and preview["ready"] is True
            first = (await http.post(f"{url}/api/v1/sms", json=AWA, headers=headers)).json()
            assert first["status"] == "confirmation_required" and first["approval_url"]
            await wait_for(lambda: "approval.requested" in _types(receiver))
            bot_url = _event(receiver, "approval.requested")["data"]["approval_url"]
            assert (await decide(bot_url)).json() == {"status": "approved"}  # the chat-ops button
            await wait_for(lambda: "approval.approved" in _types(receiver))
            body = {**AWA, "confirmation_token": first["confirmation_token"]}
            sent = await http.post(f"{url}/api/v1/sms", json=body, headers=headers)
            again = await http.post(f"{url}/api/v1/sms", json=body, headers=headers)
            assert sent.status_code == 201 and sent.json()["status"] == "submitted"
            assert again.json()["status"] == "duplicate", "the same Idempotency-Key: the first result"
            message_id = sent.json()["message_id"]
            report = {"id": message_id, "status": "DELIVERED"}
            assert (await http.post(simulator.state.messages[0].dlr_url, json=report)).status_code == 200
            await wait_for(lambda: "message.delivered" in _types(receiver))
    assert _event(receiver, "message.delivered")["data"]["message_id"] == message_id
    assert len(simulator.state.messages) == 1
