"""Blank messages never leave: through a real MCP client, checked on the simulator's record.

The server runs under policy `allow`, so anything that passes validation really is sent: a blank
text that slipped through would show up in `simulator.state`. A blank text is empty after
trimming or made only of invisible characters (zero-width, BOM, control, Hangul fillers…).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from letexto_mcp.server.app import build_server
from tests.conftest import sandbox_settings
from tests.mcp_helpers import call, ok

pytestmark = pytest.mark.anyio

AWA, KOFFI, MARIE = "2250707123456", "2250505123456", "2250101123456"
BLANK_TEXTS = {
    "spaces": "   ",
    "zero-width-spaces": "\u200b\u200b",
    "bom": "\ufeff",
    "tab-newline": "\t\n",
    "nbsp-and-joiner": "\u00a0\u200d\u2060",
    "hangul-filler": "\u3164",
    "braille-blank": " \u2800 ",
    "soft-hyphen-and-line-separator": "\u00ad\u2028",
}
EMAIL = {
    "label": "News",
    "from_email": "news@example.ci",
    "recipients": ["a@example.ci"],
    "subject": "Bonjour",
    "content": "<p>Salut</p>",
}


@pytest.fixture
async def client(simulator: Any, era: str) -> AsyncIterator[Any]:
    server = build_server(sandbox_settings(send_policy="allow"), simulator=simulator)
    async with Client(server, mode=era) as connected:
        yield connected


def nothing_sent(simulator: Any) -> bool:
    """No SMS, no campaign, and no POST reached the simulator at all."""
    state = simulator.state
    return (
        state.messages == []
        and state.sms_campaigns == []
        and state.email_campaigns == []
        and state.count_requests("POST") == 0
    )


def assert_readable_refusal(text: str, tool: str, field: str, blank: str) -> None:
    """The client sees the field, the problem and the fix, and never the text it sent."""
    assert f"Invalid arguments for {tool}: {field}: has no visible text" in text, text
    assert "Correct them and call again." in text
    assert "Traceback" not in text and "Value error" not in text
    for char in set(blank) - {" "}:
        assert char not in text, f"the error echoes U+{ord(char):04X}"


# ---- one text: send_sms, preview_sms, create_sms_campaign, create_email_campaign ------------------


@pytest.mark.parametrize("blank", BLANK_TEXTS.values(), ids=BLANK_TEXTS.keys())
async def test_send_sms_refuses_a_blank_text(client: Any, simulator: Any, blank: str) -> None:
    outcome = await call(client, "send_sms", {"to": "0707123456", "content": blank})
    assert outcome.is_error, outcome.text
    assert_readable_refusal(outcome.text, "send_sms", "content", blank)
    assert "write the message" in outcome.text
    assert nothing_sent(simulator)


async def test_the_refusal_names_the_invisible_character_found(client: Any) -> None:
    zero_width = await call(client, "send_sms", {"to": "0707123456", "content": " \u200b\u200b "})
    assert "U+200B ZERO WIDTH SPACE" in zero_width.text
    bom = await call(client, "send_sms", {"to": "0707123456", "content": "\ufeff"})
    assert "U+FEFF" in bom.text
    spaces = await call(client, "send_sms", {"to": "0707123456", "content": "  \t\n "})
    assert "only spaces, tabs or line breaks" in spaces.text


@pytest.mark.parametrize("blank", ["  ", "\u200b", "\ufeff\r\n"], ids=["spaces", "zero-width", "bom-crlf"])
async def test_preview_and_campaign_refuse_a_blank_template(client: Any, simulator: Any, blank: str) -> None:
    preview = await call(client, "preview_sms", {"content": blank, "to": "0707123456"})
    assert preview.is_error
    assert_readable_refusal(preview.text, "preview_sms", "content", blank)
    campaign = await call(
        client,
        "create_sms_campaign",
        {"label": "L", "content": blank, "contacts": [{"phone": "0707123456"}]},
    )
    assert campaign.is_error
    assert_readable_refusal(campaign.text, "create_sms_campaign", "content", blank)
    assert nothing_sent(simulator)


@pytest.mark.parametrize("blank", ["   ", "\u200b\u200b", "\ufeff", "\t\n"], ids=["sp", "zw", "bom", "tab"])
async def test_email_campaign_refuses_a_blank_subject(client: Any, simulator: Any, blank: str) -> None:
    outcome = await call(client, "create_email_campaign", {**EMAIL, "subject": blank})
    assert outcome.is_error
    assert_readable_refusal(outcome.text, "create_email_campaign", "subject", blank)
    assert "write a subject" in outcome.text
    assert nothing_sent(simulator)


@pytest.mark.parametrize("blank", ["   ", "\u200b\u200b", "\ufeff", "\t\n"], ids=["sp", "zw", "bom", "tab"])
async def test_email_campaign_refuses_a_blank_body(client: Any, simulator: Any, blank: str) -> None:
    outcome = await call(client, "create_email_campaign", {**EMAIL, "content": blank})
    assert outcome.is_error
    assert_readable_refusal(outcome.text, "create_email_campaign", "content", blank)
    assert "write the email body" in outcome.text
    assert nothing_sent(simulator)


LEGIT_TEXTS = {
    "padded": "  Bonjour Awa, RDV à 15h.  ",
    "emoji": "😀",
    "accents": "Café crème à 15h, ça va ?",
    "leading-zero-width": "\u200bBonjour",
    "bom-then-text": "\ufeffRappel",
    "arabic-end-of-ayah": "\u06dd",
    "one-dot": " . ",
}


@pytest.mark.parametrize("text", LEGIT_TEXTS.values(), ids=LEGIT_TEXTS.keys())
async def test_texts_with_something_visible_are_sent_as_written(
    client: Any, simulator: Any, text: str
) -> None:
    result = await ok(client, "send_sms", {"to": "0707123456", "content": text})
    assert result["status"] == "submitted", result
    assert [m.content for m in simulator.state.messages] == [text]


async def test_an_email_with_a_padded_subject_is_sent(client: Any, simulator: Any) -> None:
    result = await ok(client, "create_email_campaign", {**EMAIL, "subject": " Nouveautés 🎉 "})
    assert result["status"] == "submitted", result
    assert simulator.state.email_campaigns[0].subject == " Nouveautés 🎉 "


# ---- templates: a contact whose message renders blank is set aside ---------------------------------

CONTACTS = [
    {"phone": "0707123456", "msg": "Bonjour Awa"},
    {"phone": "0505123456", "msg": "\u200b\u200b"},
    {"phone": "0101123456", "msg": "Bonjour Marie"},
]


async def test_a_contact_whose_message_renders_blank_is_rejected_and_the_others_go(
    client: Any, simulator: Any
) -> None:
    result = await ok(
        client, "create_sms_campaign", {"label": "L", "content": "{{msg}}", "contacts": CONTACTS}
    )
    assert result["status"] == "submitted", result
    assert result["recipients"] == 2
    assert result["rejected"] == 1
    campaign = simulator.state.sms_campaigns[0]
    assert [c["numero"] for c in campaign.contacts] == [AWA, MARIE]
    assert [(m.to, m.content) for m in campaign.messages] == [(AWA, "Bonjour Awa"), (MARIE, "Bonjour Marie")]


async def test_the_preview_reports_the_blank_row_with_its_reason(client: Any, simulator: Any) -> None:
    data = await ok(client, "preview_sms", {"content": " {{msg}} ", "contacts": CONTACTS})
    assert data["recipients"]["count"] == 2
    assert data["cost"]["total_parts"] == 2
    assert data["ready"] is True
    [row] = data["missing_fields"]
    assert row["row"] == 2 and row["value"] == KOFFI
    assert "no visible text" in row["reason"] and "{{msg}}" in row["reason"]
    assert "\u200b" not in row["reason"]
    assert nothing_sent(simulator)


async def test_rows_are_the_callers_rows_even_after_an_invalid_number(client: Any, simulator: Any) -> None:
    contacts = [
        {"phone": "07071234", "msg": "old 8-digit number"},  # row 1: rejected as a number
        {"phone": "0707123456", "msg": "Bonjour"},
        {"phone": "0505123456", "msg": "\ufeff"},  # row 3: renders blank
        {"phone": "0707123456", "msg": "duplicate"},  # row 4: merged
        {"phone": "0101123456"},  # row 5: no msg at all
    ]
    data = await ok(client, "preview_sms", {"content": "{{msg}}", "contacts": contacts})
    assert data["recipients"]["rejected"][0]["row"] == 1
    rows = {r["row"]: r["reason"] for r in data["missing_fields"]}
    assert set(rows) == {3, 5}
    assert "no visible text" in rows[3]
    assert "no value for {{msg}}" in rows[5]
    assert data["recipients"]["count"] == 1
    assert nothing_sent(simulator)


async def test_csv_rows_are_line_numbers(client: Any) -> None:
    csv = "phone;msg\n0707123456;Bonjour\n0505123456;\u3164\n"
    data = await ok(client, "preview_sms", {"content": "{{msg}}", "contacts_csv": csv})
    assert [(r["row"], r["value"]) for r in data["missing_fields"]] == [(3, KOFFI)]


async def test_a_campaign_where_every_message_renders_blank_is_refused(client: Any, simulator: Any) -> None:
    contacts = [{"phone": "0707123456", "msg": "\u200b"}, {"phone": "0505123456", "msg": "\ufeff\u00ad"}]
    args = {"label": "L", "content": "{{msg}}\n", "contacts": contacts}
    outcome = await call(client, "create_sms_campaign", args)
    assert outcome.is_error, outcome.text
    assert "Cannot send: no valid recipient" in outcome.text, outcome.text
    assert "no visible text" in outcome.text
    assert "\u200b" not in outcome.text and "\ufeff" not in outcome.text
    preview = await ok(client, "preview_sms", {"content": "{{msg}}\n", "contacts": contacts})
    assert preview["ready"] is False
    assert len(preview["missing_fields"]) == 2
    assert nothing_sent(simulator)
