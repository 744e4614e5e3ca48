"""The bot endpoint: a chat-ops bot decides with `Authorization: Bearer <approver key>` and gets JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from letexto_mcp.sandbox import SANDBOX_API_KEY
from tests.approval_helpers import AWA, AWA_KEY, BOB_KEY, ApprovalServer, approval_server, path_of
from tests.http_helpers import KEY_A, KEY_B

pytestmark = pytest.mark.anyio


@pytest.fixture
async def server(simulator: Any, tmp_path: Path) -> AsyncIterator[ApprovalServer]:
    async with approval_server(simulator, tmp_path) as served:
        yield served


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_a_bot_approves_and_the_retry_sends_once(server: ApprovalServer) -> None:
    opened = await server.open()
    page = path_of(opened["approval_url"])
    async with server.browser() as http:
        approved = await http.post(f"{page}/approve", headers=bearer(AWA_KEY))
        again = await http.post(f"{page}/approve", headers=bearer(AWA_KEY))
        late_decline = await http.post(f"{page}/decline", headers=bearer(AWA_KEY))
        assert approved.status_code == 200 and approved.json() == {"status": "approved"}
        assert approved.headers["cache-control"] == "no-store"
        assert again.status_code == 409 and again.json() == {"status": "approved"}
        assert late_decline.status_code == 409 and late_decline.json() == {"status": "approved"}
        record = await server.record(page)
        assert (record.state, record.decided_by, record.decided_via) == ("approved", "awa", "bot")
        sent = await server.retry(opened)
        consumed = await http.post(f"{page}/decline", headers=bearer(AWA_KEY))
    assert sent["status"] == "submitted", sent
    assert len(server.simulator.state.messages) == 1
    assert consumed.status_code == 409 and consumed.json() == {"status": "consumed"}


async def test_a_bot_declines_and_nothing_is_sent(server: ApprovalServer) -> None:
    opened = await server.open()
    page = path_of(opened["approval_url"])
    async with server.browser() as http:
        declined = await http.post(f"{page}/decline", headers=bearer(AWA_KEY))
        approve_after = await http.post(f"{page}/approve", headers=bearer(AWA_KEY))
    assert declined.status_code == 200 and declined.json() == {"status": "declined"}
    assert approve_after.status_code == 409 and approve_after.json() == {"status": "declined"}
    assert (await server.retry(opened))["status"] == "declined"
    assert server.simulator.state.messages == []


async def test_unknown_records_are_404(server: ApprovalServer) -> None:
    async with server.browser() as http:
        unknown = await http.post("/approvals/" + "Q" * 24 + "/approve", headers=bearer(AWA_KEY))
        malformed = await http.post("/approvals/x/approve", headers=bearer(AWA_KEY))
    assert unknown.status_code == malformed.status_code == 404
    assert unknown.json() == {"error": "no such approval"}


async def test_missing_or_wrong_keys_are_401(server: ApprovalServer) -> None:
    opened = await server.open()
    page = path_of(opened["approval_url"])
    async with server.browser() as http:
        missing = await http.post(f"{page}/approve")
        empty = await http.post(f"{page}/approve", headers={"Authorization": "Bearer"})
        wrong = await http.post(f"{page}/approve", headers=bearer(AWA_KEY[:-1] + "x"))
        basic = await http.post(f"{page}/approve", headers={"Authorization": f"Basic {AWA_KEY}"})
    for response in (missing, empty, wrong, basic):
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert AWA_KEY not in response.text
    assert (await server.record(page)).state == "pending"


async def test_client_keys_and_the_letexto_key_cannot_approve(server: ApprovalServer) -> None:
    opened = await server.open()
    page = path_of(opened["approval_url"])
    async with server.browser() as http:
        answers = [
            await http.post(f"{page}/approve", headers=bearer(key)) for key in (KEY_A, KEY_B, SANDBOX_API_KEY)
        ]
    for answer in answers:
        assert answer.status_code == 403
        assert answer.json() == {"error": "client keys cannot approve"}
    assert (await server.record(page)).state == "pending"
    assert server.simulator.state.messages == []


async def test_another_tenants_approver_is_403_and_their_own_tenant_is_fine(server: ApprovalServer) -> None:
    for_a = path_of((await server.open(key=KEY_A))["approval_url"])
    opened_b = await server.open(key=KEY_B, arguments={**AWA, "content": "Pour B"})
    for_b = path_of(opened_b["approval_url"])
    async with server.browser() as http:
        refused = await http.post(f"{for_a}/approve", headers=bearer(BOB_KEY))
        allowed = await http.post(f"{for_b}/approve", headers=bearer(BOB_KEY))
    assert refused.status_code == 403 and "may not decide" in refused.json()["error"]
    assert allowed.status_code == 200 and allowed.json() == {"status": "approved"}
    assert (await server.record(for_a)).state == "pending"
    sent = await server.retry(opened_b, arguments={**AWA, "content": "Pour B"}, key=KEY_B)
    assert sent["status"] == "submitted"


async def test_wrong_bot_keys_share_the_sign_in_limit(server: ApprovalServer) -> None:
    opened = await server.open()
    page = path_of(opened["approval_url"])
    async with server.browser() as http:
        for attempt in range(5):
            wrong = await http.post(f"{page}/approve", headers=bearer(f"bot-guess-{attempt:02d}-xxxxxxxx"))
            assert wrong.status_code == 401
        blocked = await http.post(f"{page}/approve", headers=bearer(AWA_KEY))
        login = await server.sign_in(http, AWA_KEY, page)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
    assert login.status_code == 429
    assert (await server.record(page)).state == "pending"
