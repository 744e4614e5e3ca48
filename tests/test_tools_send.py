"""Guarded sends end to end: every assertion is on the simulator's record of what was sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import mcp_types as types
import pytest
from mcp import Client

from letexto_mcp.sandbox import SANDBOX_API_KEY
from letexto_mcp.server.app import build_server
from tests.conftest import sandbox_settings
from tests.mcp_helpers import call, ok, sent_to

pytestmark = pytest.mark.anyio

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}


def approver(action: str, approve: bool = True) -> Any:
    """An elicitation callback that answers like a user would, and records the question."""
    questions: list[str] = []

    async def callback(context: Any, params: Any) -> types.ElicitResult:
        questions.append(params.message)
        if action == "accept":
            return types.ElicitResult(action="accept", content={"approve": approve})
        return types.ElicitResult(action=action)

    callback.questions = questions  # type: ignore[attr-defined]
    return callback


@pytest.fixture
async def confirm_client(simulator: Any, era: str) -> AsyncIterator[Any]:
    async with Client(build_server(sandbox_settings(), simulator=simulator), mode=era) as client:
        yield client


async def test_without_elicitation_the_first_call_only_previews(confirm_client: Any, simulator: Any) -> None:
    first = await ok(confirm_client, "send_sms", AWA)
    assert first["status"] == "confirmation_required"
    assert first["confirmation_token"]
    assert first["preview"]["recipients"]["sample"] == ["2250707123456"]
    assert first["preview"]["cost"]["credits"] == 1
    assert simulator.state.messages == []

    second = await ok(confirm_client, "send_sms", {**AWA, "confirmation_token": first["confirmation_token"]})
    assert second["status"] == "submitted", second
    assert second["message_id"]
    assert sent_to(simulator) == ["2250707123456"]
    assert simulator.state.messages[0].content == AWA["content"]
    assert simulator.state.messages[0].sender == "SMS INFO"


async def test_a_token_works_once_and_only_for_the_previewed_request(
    confirm_client: Any, simulator: Any
) -> None:
    token = (await ok(confirm_client, "send_sms", AWA))["confirmation_token"]
    changed_text = await ok(
        confirm_client, "send_sms", {**AWA, "content": "Autre texte", "confirmation_token": token}
    )
    assert changed_text["status"] == "refused"
    changed_number = await ok(
        confirm_client, "send_sms", {**AWA, "to": "0505123456", "confirmation_token": token}
    )
    assert changed_number["status"] == "refused"
    changed_sender = await ok(
        confirm_client, "send_sms", {**AWA, "sender": "ACME", "confirmation_token": token}
    )
    assert changed_sender["status"] in {"refused"}
    assert simulator.state.messages == []
    used = await ok(confirm_client, "send_sms", {**AWA, "confirmation_token": token})
    assert used["status"] == "submitted"
    replay = await ok(
        confirm_client, "send_sms", {**AWA, "confirmation_token": token, "allow_duplicate": True}
    )
    assert replay["status"] == "refused"
    assert len(simulator.state.messages) == 1


async def test_a_forged_token_is_refused(confirm_client: Any, simulator: Any) -> None:
    token = (await ok(confirm_client, "send_sms", AWA))["confirmation_token"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    outcome = await ok(confirm_client, "send_sms", {**AWA, "confirmation_token": forged})
    assert outcome["status"] == "refused"
    assert simulator.state.messages == []


async def test_elicitation_accept_sends_and_decline_does_not(simulator: Any, era: str) -> None:
    server = build_server(sandbox_settings(), simulator=simulator)
    yes = approver("accept")
    async with Client(server, mode=era, elicitation_callback=yes) as client:
        result = await ok(client, "send_sms", AWA)
    assert result["status"] == "submitted"
    assert len(yes.questions) == 1
    assert "2250707123456" in yes.questions[0] and "1 part" in yes.questions[0]
    assert sent_to(simulator) == ["2250707123456"]

    for callback in (approver("decline"), approver("cancel"), approver("accept", approve=False)):
        async with Client(server, mode=era, elicitation_callback=callback) as client:
            result = await ok(client, "send_sms", {**AWA, "content": "Un autre message"})
        assert result["status"] == "declined"
    assert len(simulator.state.messages) == 1


async def test_dry_run_policy_never_sends(simulator: Any, era: str) -> None:
    server = build_server(sandbox_settings(send_policy="dry-run"), simulator=simulator)
    async with Client(server, mode=era, elicitation_callback=approver("accept")) as client:
        result = await ok(client, "send_sms", AWA)
        campaign = await ok(
            client,
            "create_sms_campaign",
            {"label": "x", "content": "Hi", "contacts": [{"phone": "0707123456"}]},
        )
    assert result["status"] == "dry_run" and campaign["status"] == "dry_run"
    assert result["preview"]["cost"]["credits"] == 1
    assert simulator.state.messages == [] and simulator.state.sms_campaigns == []


async def test_allow_policy_sends_without_asking_but_caps_still_apply(simulator: Any, era: str) -> None:
    server = build_server(sandbox_settings(send_policy="allow", max_parts_per_message=1), simulator=simulator)
    async with Client(server, mode=era) as client:
        sent = await ok(client, "send_sms", AWA)
        too_long = await ok(client, "send_sms", {**AWA, "content": "x" * 161})
    assert sent["status"] == "submitted"
    assert too_long["status"] == "refused"
    assert too_long["refusal"]["setting"] == "LETEXTO_MAX_PARTS_PER_MESSAGE"
    assert len(simulator.state.messages) == 1


async def test_idempotency_key_returns_the_first_result(simulator: Any, era: str) -> None:
    server = build_server(sandbox_settings(send_policy="allow"), simulator=simulator)
    async with Client(server, mode=era) as client:
        first = await ok(client, "send_sms", {**AWA, "idempotency_key": "rdv-awa-1"})
        again = await ok(client, "send_sms", {**AWA, "idempotency_key": "rdv-awa-1"})
    assert first["status"] == "submitted"
    assert again["status"] == "duplicate"
    assert again["message_id"] == first["message_id"]
    assert len(simulator.state.messages) == 1


async def test_same_send_twice_without_key_is_refused_as_duplicate(simulator: Any, era: str) -> None:
    server = build_server(sandbox_settings(send_policy="allow"), simulator=simulator)
    async with Client(server, mode=era) as client:
        await ok(client, "send_sms", AWA)
        again = await ok(client, "send_sms", AWA)
        intended = await ok(client, "send_sms", {**AWA, "allow_duplicate": True})
    assert again["status"] == "duplicate"
    assert intended["status"] == "submitted"
    assert len(simulator.state.messages) == 2


async def test_unapproved_sender_is_refused_before_anything_leaves(simulator: Any, era: str) -> None:
    server = build_server(sandbox_settings(send_policy="allow"), simulator=simulator)
    async with Client(server, mode=era) as client:
        await ok(client, "create_sender", {"name": "ACME"})
        result = await ok(client, "send_sms", {**AWA, "sender": "ACME"})
    assert result["status"] == "refused"
    assert "SMS INFO" in result["message"]
    assert simulator.state.messages == []


async def test_campaign_is_rendered_per_contact(simulator: Any, era: str) -> None:
    server = build_server(sandbox_settings(), simulator=simulator)
    contacts = [{"phone": "0707123456", "name": "Awa"}, {"numero": "+225 05 05 12 34 56", "name": "Koffi"}]
    args = {"label": "Rappel", "content": "Bonjour {{name}}, RDV à 15h.", "contacts": contacts}
    async with Client(server, mode=era) as client:
        first = await ok(client, "create_sms_campaign", args)
        assert first["status"] == "confirmation_required"
        assert simulator.state.sms_campaigns == []
        done = await ok(
            client, "create_sms_campaign", {**args, "confirmation_token": first["confirmation_token"]}
        )
    assert done["status"] == "submitted", done
    assert done["recipients"] == 2 and done["parts"] == 2
    campaign = simulator.state.sms_campaigns[0]
    assert campaign.id == done["campaign_id"]
    balance = simulator.state.balance(SANDBOX_API_KEY)
    assert balance == first["preview"]["cost"]["balance_after"]


async def test_email_campaign_merges_duplicates(simulator: Any, era: str) -> None:
    server = build_server(sandbox_settings(send_policy="allow"), simulator=simulator)
    args = {
        "label": "News",
        "from_email": "news@example.ci",
        "recipients": ["a@example.ci", "A@Example.ci", "b@example.ci"],
        "subject": "Bonjour",
        "content": "<p>Salut</p>",
    }
    async with Client(server, mode=era) as client:
        result = await ok(client, "create_email_campaign", args)
        status = await ok(
            client, "get_campaign_status", {"campaign_id": result["campaign_id"], "channel": "email"}
        )
    assert result["status"] == "submitted"
    assert result["duplicates_merged"] == 1
    assert simulator.state.email_campaigns[0].recipients == ["a@example.ci", "b@example.ci"]
    assert status["channel"] == "email"


async def test_status_progresses_after_a_send(simulator: Any, clock: Any, era: str) -> None:
    server = build_server(sandbox_settings(send_policy="allow"), simulator=simulator)
    async with Client(server, mode=era) as client:
        sent = await ok(client, "send_sms", AWA)
        pending = await ok(client, "get_message_status", {"message_id": sent["message_id"]})
        clock.advance(3600)
        delivered = await ok(client, "get_message_status", {"message_id": sent["message_id"]})
    assert pending["status"] == "PENDING" and pending["final"] is False
    assert delivered["status"] == "DELIVERED" and delivered["final"] is True


async def test_scheduled_send(simulator: Any, era: str) -> None:
    server = build_server(sandbox_settings(send_policy="allow"), simulator=simulator)
    async with Client(server, mode=era) as client:
        result = await ok(client, "send_sms", {**AWA, "send_at": _next_month()})
        past = await call(client, "send_sms", {**AWA, "content": "x", "send_at": "2001-01-01T09:00:00Z"})
    assert past.is_error and "past" in past.text
    assert result["status"] == "scheduled"
    assert simulator.state.messages[0].send_at is not None


def _next_month() -> str:
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
