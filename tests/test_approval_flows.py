"""Policy `approve`: no send leaves without a person's decision, in every kind of client.

Each test checks the simulator's own record of what was sent. The person approves through the
real approval page's bot endpoint (an approver key over HTTP); browser tests of the page itself are
in test_web_*.py. Clients: none that can show anything (the model's own token), form dialogs, and
URL-only clients in both protocol eras.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import Client

from letexto_mcp.server.app import build_server
from tests.approval_clients import (
    APPROVER,
    APPROVER_KEY,
    OTHER_APPROVER_KEY,
    UrlOnlyClient,
    decide,
    url_params,
)
from tests.conftest import sandbox_settings
from tests.mcp_helpers import ok

pytestmark = pytest.mark.anyio

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}


def approve_server(simulator: Any, **overrides: Any) -> Any:
    settings: dict[str, Any] = {
        "send_policy": "approve",
        "approver_keys": [f"{APPROVER}:{APPROVER_KEY}"],
        "approval_browser": False,
        "approval_wait_seconds": 5,
    }
    settings.update(overrides)
    return build_server(sandbox_settings(**settings), simulator=simulator)


async def test_the_models_own_token_never_sends_until_a_person_approves(simulator: Any, era: str) -> None:
    async with Client(approve_server(simulator), mode=era) as client:
        first = await ok(client, "send_sms", AWA)
        assert first["status"] == "confirmation_required"
        assert (
            first["approval_url"].startswith("http://127.0.0.1:") and "/approvals/" in first["approval_url"]
        )
        assert first["confirmation_token"].startswith("apr_")
        assert first["preview"]["recipients"]["sample"] == ["2250707123456"]
        token = first["confirmation_token"]
        for _ in range(3):  # the model insists: nothing leaves
            again = await ok(client, "send_sms", {**AWA, "confirmation_token": token})
            assert again["status"] == "approval_pending", again
        assert simulator.state.messages == []

        assert (await decide(first["approval_url"])).json() == {"status": "approved"}
        sent = await ok(client, "send_sms", {**AWA, "confirmation_token": token})
        replay = await ok(client, "send_sms", {**AWA, "confirmation_token": token})
        audit = json.loads((await client.read_resource("letexto://sends/today")).contents[0].text)
    assert sent["status"] == "submitted"
    assert replay["status"] == "duplicate"
    assert len(simulator.state.messages) == 1
    submitted = next(e for e in audit["entries"] if e["outcome"] == "submitted")
    assert submitted["approval"] == f"bot:{APPROVER}"


async def test_a_decline_sends_nothing_ever(simulator: Any) -> None:
    async with Client(approve_server(simulator)) as client:
        first = await ok(client, "send_sms", AWA)
        assert (await decide(first["approval_url"], approve=False)).json() == {"status": "declined"}
        after = await ok(client, "send_sms", {**AWA, "confirmation_token": first["confirmation_token"]})
        late = await decide(first["approval_url"], approve=True)
    assert after["status"] == "declined" and APPROVER in after["message"]
    assert late.status_code == 409 and late.json() == {"status": "declined"}
    assert simulator.state.messages == []


@pytest.mark.parametrize(
    "changed",
    [
        {"content": "Bonjour Awa, la réunion est à 16h."},
        {"to": "05 05 12 34 56"},
        {"allow_duplicate": True},
        {"idempotency_key": "later-added"},
    ],
    ids=["one-character", "recipient", "allow_duplicate", "idempotency_key"],
)
async def test_an_approval_covers_exactly_the_approved_request(
    simulator: Any, changed: dict[str, Any]
) -> None:
    async with Client(approve_server(simulator)) as client:
        first = await ok(client, "send_sms", AWA)
        await decide(first["approval_url"])
        other = await ok(
            client, "send_sms", {**AWA, **changed, "confirmation_token": first["confirmation_token"]}
        )
        still = await ok(client, "send_sms", {**AWA, "confirmation_token": first["confirmation_token"]})
    assert other["status"] == "refused" and other["message"].startswith("refused: the request changed")
    assert still["status"] == "submitted", "the approved request itself still goes"
    assert [m.content for m in simulator.state.messages] == [AWA["content"]]


async def test_a_token_from_another_policy_or_forged_never_sends(simulator: Any) -> None:
    async with Client(approve_server(simulator)) as client:
        forged = await ok(client, "send_sms", {**AWA, "confirmation_token": "apr_" + "A" * 24})
        other_kind = await ok(client, "send_sms", {**AWA, "confirmation_token": "c2lnbmVkLWJ5LWEtbW9kZWw"})
    assert forged["status"] == "refused" and "names no approval" in forged["message"]
    assert other_kind["status"] == "refused" and "not one a person's approval gave" in other_kind["message"]
    assert simulator.state.messages == []


async def test_with_no_way_to_reach_a_person_the_send_is_refused_naming_the_setting(simulator: Any) -> None:
    async with Client(approve_server(simulator, approver_keys=[])) as client:
        refused = await ok(client, "send_sms", AWA)
    assert refused["status"] == "refused"
    assert refused["refusal"]["setting"] == "LETEXTO_APPROVER_KEYS"
    assert "LETEXTO_SEND_POLICY" in refused["message"]
    assert simulator.state.messages == []


async def test_the_clients_own_dialog_is_the_persons_approval(simulator: Any, era: str) -> None:
    questions: list[str] = []

    async def person(context: Any, params: Any) -> types.ElicitResult:
        questions.append(params.message)
        return types.ElicitResult(action="accept", content={"approve": True})

    async with Client(approve_server(simulator), mode=era, elicitation_callback=person) as client:
        sent = await ok(client, "send_sms", AWA)
        audit = json.loads((await client.read_resource("letexto://sends/today")).contents[0].text)
    assert sent["status"] == "submitted" and len(questions) == 1
    assert AWA["content"] in questions[0]
    assert audit["entries"][0]["approval"] == "dialog"
    assert len(simulator.state.messages) == 1


async def test_url_elicitation_round_trip_in_the_2026_era(simulator: Any) -> None:
    """The client opens the page (URL mode); the person approves there; the client's retry sends once."""
    opened: list[str] = []

    async def open_page(context: Any, params: Any) -> types.ElicitResult:
        url = url_params(params)
        assert url is not None, "a URL-only client is never shown a form"
        opened.append(url)
        await decide(url)  # the person, on the page the client opened
        return types.ElicitResult(action="accept")

    async with UrlOnlyClient(approve_server(simulator), elicitation_callback=open_page) as client:
        sent = await ok(client, "send_sms", AWA)
    assert sent["status"] == "submitted", sent
    assert len(opened) == 1 and "/approvals/" in opened[0]
    assert len(simulator.state.messages) == 1


async def test_url_elicitation_without_a_decision_sends_nothing(simulator: Any, era: str) -> None:
    async def open_page_and_walk_away(context: Any, params: Any) -> types.ElicitResult:
        return types.ElicitResult(action="accept")

    server = approve_server(simulator, approval_wait_seconds=1)
    async with UrlOnlyClient(server, mode=era, elicitation_callback=open_page_and_walk_away) as client:
        result = await ok(client, "send_sms", AWA)
    assert result["status"] in {"approval_pending", "confirmation_required"}
    assert result["confirmation_token"].startswith("apr_") and result["approval_url"]
    assert simulator.state.messages == []


async def test_url_elicitation_in_the_2025_era_waits_for_the_decision(simulator: Any) -> None:
    async def open_page(context: Any, params: Any) -> types.ElicitResult:
        url = url_params(params)
        assert url is not None

        async def person_decides_a_moment_later() -> None:
            await anyio.sleep(0.3)
            await decide(url)

        group.start_soon(person_decides_a_moment_later)
        return types.ElicitResult(action="accept")

    async with (
        anyio.create_task_group() as group,
        UrlOnlyClient(approve_server(simulator), mode="legacy", elicitation_callback=open_page) as client,
    ):
        sent = await ok(client, "send_sms", AWA)
    assert sent["status"] == "submitted", sent
    assert len(simulator.state.messages) == 1


async def test_an_approver_limited_to_another_tenant_cannot_decide(simulator: Any) -> None:
    server = approve_server(
        simulator, approver_keys=[f"{APPROVER}:{APPROVER_KEY}", f"kof:{OTHER_APPROVER_KEY}@http:someone-else"]
    )
    async with Client(server) as client:
        first = await ok(client, "send_sms", AWA)
        stranger = await decide(first["approval_url"], key=OTHER_APPROVER_KEY)
        pending = await ok(client, "send_sms", {**AWA, "confirmation_token": first["confirmation_token"]})
    assert stranger.status_code == 403
    assert pending["status"] == "approval_pending"
    assert simulator.state.messages == []


async def test_the_tenant_id_command_names_the_tenant_an_approver_can_be_limited_to(
    simulator: Any, tmp_path: Any
) -> None:
    """`letexto-mcp tenant-id` prints the id `name:key@<id>` scopes an approver to; it reads the key
    from stdin, never from its arguments."""
    import subprocess
    import sys

    from letexto_mcp.server.http import build_http_app
    from tests.http_helpers import KEY_A, mcp_client, serving

    secret = "approval-scopes-share-this-secret-01"
    env = {"LETEXTO_MCP_STATE_SECRET": secret, "LETEXTO_STATE_URL": "memory://", "HOME": str(tmp_path)}
    printed = subprocess.run(
        [sys.executable, "-m", "letexto_mcp", "tenant-id"],
        input=KEY_A + "\n",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert printed.startswith("http:") and KEY_A not in printed
    scoped = [f"mine:{APPROVER_KEY}@{printed}", f"other:{OTHER_APPROVER_KEY}@http:0123456789abcdef"]
    settings = sandbox_settings(
        send_policy="approve", approver_keys=scoped, mcp_api_keys=[KEY_A], state_secret=secret
    )
    async with (
        serving(build_http_app(settings, simulator=simulator)) as url,
        mcp_client(f"{url}/mcp", key=KEY_A) as client,
    ):
        first = await ok(client, "send_sms", AWA)
        assert (await decide(first["approval_url"], key=OTHER_APPROVER_KEY)).status_code == 403
        assert (await decide(first["approval_url"])).json() == {"status": "approved"}
        sent = await ok(client, "send_sms", {**AWA, "confirmation_token": first["confirmation_token"]})
    assert sent["status"] == "submitted"
