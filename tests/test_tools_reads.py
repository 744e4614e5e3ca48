"""The read tools end to end: a real MCP client, the server, the client library and the simulator."""

from __future__ import annotations

from typing import Any

import pytest

from letexto_mcp.sandbox import SANDBOX_API_KEY
from tests.mcp_helpers import call, ok

pytestmark = pytest.mark.anyio

EXPECTED_TOOLS = {
    "send_sms",
    "create_sms_campaign",
    "create_email_campaign",
    "preview_sms",
    "get_message_status",
    "get_campaign_status",
    "get_balance",
    "list_senders",
    "create_sender",
}


async def test_lists_every_tool_with_schemas_and_annotations(mcp: Any) -> None:
    tools = {t.name: t for t in (await mcp.list_tools()).tools}
    assert set(tools) == EXPECTED_TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 80
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema is not None
        assert tool.annotations is not None
    for name in ("send_sms", "create_sms_campaign", "create_email_campaign"):
        hints = tools[name].annotations
        assert (
            hints.destructive_hint is True
            and hints.idempotent_hint is False
            and hints.open_world_hint is True
        )
    for name in ("get_balance", "get_message_status", "get_campaign_status", "list_senders", "preview_sms"):
        assert tools[name].annotations.read_only_hint is True
    assert "approval" not in tools["send_sms"].input_schema["properties"]
    assert set(tools["send_sms"].input_schema["required"]) == {"to", "content"}


async def test_get_balance_matches_the_simulator(mcp: Any, simulator: Any) -> None:
    data = await ok(mcp, "get_balance")
    assert data["balance"] == simulator.state.balance(SANDBOX_API_KEY)
    assert data["low"] is False


async def test_list_senders_marks_the_approved_one(mcp: Any) -> None:
    data = await ok(mcp, "list_senders")
    assert "SMS INFO" in data["usable"]
    assert data["count"] == len(data["senders"]) >= 1
    filtered = await ok(mcp, "list_senders", {"query": "INFO"})
    assert all("INFO" in s["name"] for s in filtered["senders"])


async def test_create_sender_is_pending_and_says_what_next(mcp: Any, clock: Any) -> None:
    data = await ok(mcp, "create_sender", {"name": "ACME"})
    assert data["sender"]["name"] == "ACME"
    assert data["sender"]["approved"] is False
    assert "list_senders" in data["next_step"]
    listed = await ok(mcp, "list_senders", {"query": "ACME"})
    assert listed["senders"][0]["approved"] is False
    clock.advance(61)
    listed = await ok(mcp, "list_senders", {"query": "ACME"})
    assert listed["senders"][0]["approved"] is True


async def test_create_sender_rejects_a_long_name_without_calling_letexto(mcp: Any, simulator: Any) -> None:
    before = len(simulator.state.requests)
    outcome = await call(mcp, "create_sender", {"name": "MUCH TOO LONG NAME"})
    assert outcome.is_error
    assert "name" in outcome.text and "11" in outcome.text
    assert len(simulator.state.requests) == before


async def test_unknown_campaign_is_a_readable_error(mcp: Any) -> None:
    outcome = await call(mcp, "get_campaign_status", {"campaign_id": "000000000000000000000000"})
    assert outcome.is_error
    assert "not found" in outcome.text.lower()
    outcome = await call(
        mcp, "get_campaign_status", {"campaign_id": "000000000000000000000000", "channel": "email"}
    )
    assert outcome.is_error and "not found" in outcome.text.lower()


async def test_unknown_message_is_a_readable_error(mcp: Any) -> None:
    outcome = await call(mcp, "get_message_status", {"message_id": "ffffffffffffffffffffffff"})
    assert outcome.is_error
    assert "not found" in outcome.text.lower()


async def test_path_traversal_in_an_id_is_refused(mcp: Any, simulator: Any) -> None:
    outcome = await call(mcp, "get_message_status", {"message_id": "../users/balance"})
    assert outcome.is_error
    assert "message_id" in outcome.text
    assert all("/users/balance" not in r.path for r in simulator.state.requests)


async def test_preview_of_french_text_shows_ucs2_culprits_and_cheaper_rewrite(
    mcp: Any, simulator: Any
) -> None:
    text = (
        "Bonjour Awa, la réunion de l’équipe est à 15h. Prévoyez vos idées, on fêtera la clôture du projet !"
    )
    data = await ok(mcp, "preview_sms", {"content": text, "to": "07 07 12 34 56"})
    assert data["text"]["encoding"] == "UCS-2"
    assert data["text"]["parts"] == 2
    culprits = {c["character"] for c in data["text"]["non_gsm_characters"]}
    assert {"’", "ê", "ô"} <= culprits
    assert data["text"]["gsm7_rewrite_parts"] == 1
    assert data["recipients"]["sample"] == ["2250707123456"]
    assert data["cost"]["credits"] == 2
    assert data["cost"]["balance"] == simulator.state.balance(SANDBOX_API_KEY)
    assert data["cost"]["balance_after"] == data["cost"]["balance"] - 2
    assert data["sender"]["approved"] is True
    assert data["ready"] is True
    assert simulator.state.messages == []


async def test_preview_reports_rejected_numbers_and_merges_duplicates(mcp: Any) -> None:
    numbers = ["0707123456", "+225 07 07 12 34 56", "07071234", "hello", "0505123456"]
    data = await ok(mcp, "preview_sms", {"content": "Rappel: RDV demain 9h", "to": numbers})
    recipients = data["recipients"]
    assert recipients["count"] == 2
    assert recipients["duplicates_merged"] == 1
    assert recipients["rejected_count"] == 2
    reasons = " ".join(r["reason"] for r in recipients["rejected"])
    assert "10 digits" in reasons
    assert data["cost"]["total_parts"] == 2


async def test_preview_of_personalised_contacts_counts_each_rendered_message(mcp: Any) -> None:
    contacts = [
        {"phone": "0707123456", "name": "Awa"},
        {"numero": "0505123456", "name": "Jean-Baptiste Kouassi N'Guessan " * 5},
        {"phone": "0101123456"},
    ]
    data = await ok(
        mcp, "preview_sms", {"content": "Bonjour {{name}}, votre colis est prêt.", "contacts": contacts}
    )
    assert data["recipients"]["count"] == 2
    assert data["cost"]["parts_distribution"] == {"1": 1, "3": 1}
    assert data["missing_fields"][0]["row"] == 3
    assert data["samples"][0]["text"] == "Bonjour Awa, votre colis est prêt."


async def test_preview_reports_a_missing_field_at_the_callers_row(mcp: Any) -> None:
    contacts = [
        {"phone": "07071234", "name": "Old"},  # row 1: an old 8-digit number, rejected
        {"phone": "0707123456", "name": "Awa"},
        {"phone": "0505123456"},  # row 3: no name
    ]
    data = await ok(mcp, "preview_sms", {"content": "Bonjour {{name}}", "contacts": contacts})
    assert [r["row"] for r in data["recipients"]["rejected"]] == [1]
    assert [(r["row"], r["value"]) for r in data["missing_fields"]] == [(3, "2250505123456")]
    assert data["recipients"]["count"] == 1 and data["recipients"]["sample"] == ["2250707123456"]


async def test_preview_with_unapproved_sender_says_which_to_use(mcp: Any) -> None:
    data = await ok(mcp, "preview_sms", {"content": "Test", "to": "0707123456", "sender": "NOPE"})
    assert data["ready"] is False
    assert data["sender"]["approved"] is False
    assert any("SMS INFO" in b for b in data["blockers"])


async def test_preview_from_csv(mcp: Any) -> None:
    csv_text = "\ufeffnumero;prenom\n07 07 12 34 56;Awa\n05 05 12 34 56;Koffi\nbad;X\n"
    data = await ok(mcp, "preview_sms", {"content": "Salut {{prenom}}", "contacts_csv": csv_text})
    assert data["recipients"]["count"] == 2
    assert data["recipients"]["rejected"][0]["row"] == 4
    assert [s["text"] for s in data["samples"]] == ["Salut Awa", "Salut Koffi"]


async def test_resources_and_prompt(mcp: Any) -> None:
    balance = await mcp.read_resource("letexto://account/balance")
    assert '"balance"' in balance.contents[0].text
    prompt = await mcp.get_prompt("draft_sms", {"purpose": "la réunion est à 15h"})
    assert "160" in prompt.messages[0].content.text
