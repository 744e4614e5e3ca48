"""The REST face (/api/v1) over real HTTP: every route, keys and tenants, idempotency, errors, approval.

The server is the whole HTTP app under uvicorn on a loopback socket, on the simulator; each test
checks the simulator's own record of what was sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from letexto_mcp.api.problems import (
    CANNOT_PROCEED,
    IDEMPOTENCY_KEY_REUSED,
    INVALID_ARGUMENTS,
    LETEXTO_KEY_REFUSED,
    LETEXTO_UNREACHABLE,
    NOT_FOUND_AT_LETEXTO,
)
from letexto_mcp.config import Settings
from letexto_mcp.guard.approvals import ApprovalDesk, approval_id_of
from letexto_mcp.server.http import build_http_app
from letexto_mcp.store.factory import open_store
from tests.approval_clients import APPROVER, APPROVER_KEY
from tests.http_helpers import KEY_A, KEY_B, mcp_client, serving
from tests.mcp_helpers import ok
from tests.rest_helpers import (
    AWA,
    CAMPAIGN,
    CONTACTS,
    EMAIL,
    conforms,
    problem,
    rest_client,
    rest_server,
)

pytestmark = pytest.mark.anyio


def created(response: httpx.Response, component: str) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    conforms(body, component)
    return body


def answered(response: httpx.Response, component: str) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    conforms(body, component)
    return body


async def test_every_read_answers_what_the_mcp_tool_answers(simulator: Any) -> None:
    async with rest_server(simulator) as base, rest_client(base) as http:
        balance = answered(await http.get("/balance"), "get_balance_output")
        senders = answered(await http.get("/senders", params={"status": "ACTIVE"}), "list_senders_output")
        everyone = answered(await http.get("/senders"), "list_senders_output")
        preview = answered(await http.post("/sms/preview", json=AWA), "preview_sms_output")
        async with mcp_client(f"{base}/mcp", key=KEY_A) as mcp:
            assert await ok(mcp, "get_balance") == balance
            assert await ok(mcp, "list_senders", {"status": "ACTIVE"}) == senders
            assert await ok(mcp, "preview_sms", AWA) == preview
    assert senders["usable"] == ["SMS INFO"] and all(s["status"] == "ACTIVE" for s in senders["senders"])
    assert everyone["count"] > senders["count"]
    assert preview["ready"] is True and preview["recipients"]["sample"] == ["2250707123456"]
    assert preview["cost"]["credits"] == 1.0
    assert simulator.state.messages == []


async def test_send_status_and_sender_routes_with_a_real_key(simulator: Any) -> None:
    async with rest_server(simulator) as base, rest_client(base) as http:
        first = answered(await http.post("/sms", json=AWA), "send_sms_output")
        assert first["status"] == "confirmation_required" and first["approval_url"] is None
        assert first["preview"]["recipients"]["sample"] == ["2250707123456"]
        assert simulator.state.messages == [], "nothing leaves before the confirmation"
        sent = created(
            await http.post("/sms", json={**AWA, "confirmation_token": first["confirmation_token"]}),
            "send_sms_output",
        )
        status = answered(await http.get(f"/sms/{sent['message_id']}"), "get_message_status_output")
        sender = created(await http.post("/senders", json={"name": "ACME"}), "create_sender_output")
        again = await http.post("/senders", json={"name": "ACME"})
    assert sent["status"] == "submitted" and sent["parts"] == 1
    assert [m.content for m in simulator.state.messages] == [AWA["content"]]
    assert status["message_id"] == sent["message_id"] and status["status"] in {"PENDING", "SENT", "DELIVERED"}
    assert sender["sender"] == {**sender["sender"], "name": "ACME", "status": "PENDING", "approved": False}
    assert "already exists" in problem(again, 409)["detail"]


async def test_campaign_and_preview_round_trip(simulator: Any) -> None:
    async with rest_server(simulator) as base, rest_client(base) as http:
        preview = answered(
            await http.post("/sms/preview", json={"content": CAMPAIGN["content"], "contacts": CONTACTS}),
            "preview_sms_output",
        )
        first = answered(await http.post("/campaigns/sms", json=CAMPAIGN), "create_sms_campaign_output")
        assert simulator.state.sms_campaigns == []
        campaign = created(
            await http.post(
                "/campaigns/sms", json={**CAMPAIGN, "confirmation_token": first["confirmation_token"]}
            ),
            "create_sms_campaign_output",
        )
        status = answered(
            await http.get(f"/campaigns/{campaign['campaign_id']}"), "get_campaign_status_output"
        )

        mail = answered(await http.post("/campaigns/email", json=EMAIL), "create_email_campaign_output")
        assert simulator.state.email_campaigns == []
        mailed = created(
            await http.post(
                "/campaigns/email", json={**EMAIL, "confirmation_token": mail["confirmation_token"]}
            ),
            "create_email_campaign_output",
        )
        mail_status = answered(
            await http.get(f"/campaigns/{mailed['campaign_id']}", params={"channel": "email"}),
            "get_campaign_status_output",
        )
    assert preview["recipients"]["count"] == 2
    assert [s["text"][:11] for s in preview["samples"]] == ["Bonjour Awa", "Bonjour Kof"]
    assert first["status"] == "confirmation_required" and first["preview"]["cost"]["messages"] == 2
    assert campaign["status"] == "submitted" and campaign["recipients"] == 2
    assert status["campaign_id"] == campaign["campaign_id"] and status["channel"] == "sms"
    assert len(simulator.state.sms_campaigns) == 1
    assert mailed["status"] == "submitted" and mail_status["channel"] == "email"
    assert len(simulator.state.email_campaigns) == 1


async def test_no_key_or_a_wrong_key_is_a_401_problem_and_only_the_document_is_public(simulator: Any) -> None:
    async with rest_server(simulator) as base:
        async with rest_client(base, key=None) as anonymous:
            missing = await anonymous.get("/balance")
            document = await anonymous.get("/openapi.json")
            near = await anonymous.get("/openapi.jsonx")
            unknown = await anonymous.get("/nowhere")
        async with rest_client(base, key=KEY_A + "x") as wrong:
            refused = [await wrong.get("/balance"), await wrong.post("/sms", json=AWA)]
    for response in (missing, near, unknown, *refused):
        body = problem(response, 401)
        assert response.headers["www-authenticate"].startswith('Bearer realm="letexto-mcp"')
        assert KEY_A not in response.text and body["title"] == "Unauthorized"
    assert 'error="invalid_token"' in refused[0].headers["www-authenticate"]
    assert document.status_code == 200 and document.json()["openapi"] == "3.1.0"
    assert simulator.state.messages == []


async def test_the_per_client_rate_limit_answers_a_429_problem(simulator: Any) -> None:
    async with rest_server(simulator, rate_limit=2) as base, rest_client(base) as http:
        statuses = [(await http.get("/balance")).status_code for _ in range(2)]
        limited = await http.get("/balance")
        async with rest_client(base, key=KEY_B) as other:
            other_client = await other.get("/balance")
    assert statuses == [200, 200]
    assert int(limited.headers["retry-after"]) >= 1
    assert "too many requests" in problem(limited, 429)["detail"]
    assert other_client.status_code == 200, "each client key has its own budget"


async def test_idempotency_key_header_and_body_are_one_key(simulator: Any) -> None:
    async with rest_server(simulator, send_policy="allow") as base, rest_client(base) as http:
        key = {"Idempotency-Key": "order-1001"}
        first = created(await http.post("/sms", json=AWA, headers=key), "send_sms_output")
        replay = answered(await http.post("/sms", json=AWA, headers=key), "send_sms_output")
        in_body = answered(
            await http.post("/sms", json={**AWA, "idempotency_key": "order-1001"}), "send_sms_output"
        )
        quoted = answered(
            await http.post("/sms", json=AWA, headers={"Idempotency-Key": '"order-1001"'}), "send_sms_output"
        )
        both = answered(
            await http.post("/sms", json={**AWA, "idempotency_key": "order-1001"}, headers=key),
            "send_sms_output",
        )
        other_body = await http.post(
            "/sms", json={**AWA, "content": "Bonjour Awa, c'est à 16h."}, headers=key
        )
        disagree = await http.post("/sms", json={**AWA, "idempotency_key": "order-2002"}, headers=key)
        bad_key = await http.post("/sms", json=AWA, headers={"Idempotency-Key": "pas une cle!"})
    assert first["status"] == "submitted" and first["idempotency_key"] == "order-1001"
    for again in (replay, in_body, quoted, both):
        assert again["status"] == "duplicate" and again["message_id"] == first["message_id"]
    reused = problem(other_body, 422)
    assert reused["type"] == IDEMPOTENCY_KEY_REUSED
    assert reused["errors"][0]["field"] == "idempotency_key"
    assert "already used for another request" in reused["detail"]
    mismatch = problem(disagree, 422)
    assert mismatch["type"] == INVALID_ARGUMENTS and mismatch["errors"][0]["field"] == "idempotency_key"
    invalid = problem(bad_key, 422)
    assert [e["field"] for e in invalid["errors"]] == ["idempotency_key"]
    assert "pas une" not in bad_key.text
    assert len(simulator.state.messages) == 1, "one send, however often it is repeated"


async def test_idempotency_under_confirm_returns_the_first_result_after_the_token(simulator: Any) -> None:
    async with rest_server(simulator) as base, rest_client(base) as http:
        key = {"Idempotency-Key": "flow-run-7"}
        first = answered(await http.post("/sms", json=AWA, headers=key), "send_sms_output")
        confirmed = {**AWA, "confirmation_token": first["confirmation_token"]}
        sent = created(await http.post("/sms", json=confirmed, headers=key), "send_sms_output")
        retried = answered(await http.post("/sms", json=confirmed, headers=key), "send_sms_output")
    assert first["status"] == "confirmation_required"
    assert retried["status"] == "duplicate" and retried["message_id"] == sent["message_id"]
    assert len(simulator.state.messages) == 1


async def test_tenants_never_share_idempotency_results(simulator: Any) -> None:
    async with rest_server(simulator, send_policy="allow") as base:
        key = {"Idempotency-Key": "shared-name-42"}
        async with rest_client(base, KEY_A) as a:
            a_sent = created(await a.post("/sms", json=AWA, headers=key), "send_sms_output")
        async with rest_client(base, KEY_B) as b:
            b_sent = await b.post("/sms", json=AWA, headers=key)
            b_other = await b.post("/sms", json={**AWA, "to": "05 05 12 34 56"}, headers=key)
        async with rest_client(base, KEY_A) as a:
            a_again = answered(await a.post("/sms", json=AWA, headers=key), "send_sms_output")
            a_other = await a.post("/sms", json={**AWA, "to": "01 01 12 34 56"}, headers=key)
    # B's key of the same name is B's own: B never gets A's result, and B's reuse is judged on B's request.
    b_first = created(b_sent, "send_sms_output")
    assert b_first["status"] == "submitted" and b_first["message_id"] != a_sent["message_id"]
    assert problem(b_other, 422)["type"] == IDEMPOTENCY_KEY_REUSED
    assert a_again["status"] == "duplicate" and a_again["message_id"] == a_sent["message_id"]
    assert problem(a_other, 422)["type"] == IDEMPOTENCY_KEY_REUSED
    assert [m.to for m in simulator.state.messages] == ["2250707123456", "2250707123456"]


async def test_invalid_arguments_name_the_field_and_never_echo_the_value(simulator: Any) -> None:
    async with rest_server(simulator, max_body_bytes=16 * 1024) as base, rest_client(base) as http:
        not_text = await http.post("/sms", json={**AWA, "to": {"numero": "QQSECRETQQ"}, "send_at": 7})
        wrong = await http.post(
            "/sms",
            json={
                "to": "QQSECRETQQ",
                "content": "",
                "sender": "ZZSECRETZZ-TROP-LONG",
                "allow_duplicate": "x",
            },
        )
        empty = await http.post("/sms", json={})
        channel = await http.get("/campaigns/abc123", params={"channel": "FAXSECRET"})
        status_id = await http.get("/sms/id%20with%20SPACESECRET")
        not_a_number = await http.post("/sms", json={**AWA, "to": "07"})
        malformed = await http.post(
            "/sms", content=b'{"to": "0707', headers={"Content-Type": "application/json"}
        )
        array = await http.post("/sms", json=[AWA])
        form = await http.post("/sms", data={"to": "0707123456"})
        huge = await http.post("/sms", json={**AWA, "custom_data": "x" * 20_000})
        unknown = await http.get("/nowhere")
        method = await http.delete("/senders")
        concrete = await http.get("/sms/preview")
    texts = problem(not_text, 422)
    assert {(e["field"], e["message"]) for e in texts["errors"]} == {
        ("to", "must be text, got an object"),
        ("send_at", "must be text, got a number"),
    }
    body = problem(wrong, 422)
    assert body["type"] == INVALID_ARGUMENTS
    assert {e["field"] for e in body["errors"]} == {"content", "sender", "allow_duplicate"}
    assert body["detail"].startswith("Invalid arguments for send_sms: content: ")
    for secret in ("QQSECRETQQ", "ZZSECRETZZ"):
        assert secret not in wrong.text and secret not in not_text.text
    assert {(e["field"], e["message"]) for e in problem(empty, 422)["errors"]} == {
        ("to", "is required"),
        ("content", "is required"),
    }
    assert [e["field"] for e in problem(channel, 422)["errors"]] == [
        "channel"
    ] and "FAXSECRET" not in channel.text
    assert [e["field"] for e in problem(status_id, 422)["errors"]] == ["message_id"]
    assert "SPACESECRET" not in status_id.text
    cannot = problem(not_a_number, 422)
    assert cannot["type"] == CANNOT_PROCEED and cannot["detail"].startswith("Cannot send: no valid recipient")
    assert "not valid JSON" in problem(malformed, 400)["detail"]
    assert problem(array, 422)["errors"][0]["field"] == "body"
    problem(form, 415)
    assert "LETEXTO_MCP_MAX_BODY_BYTES" in problem(huge, 413)["detail"]
    assert "openapi.json" in problem(unknown, 404)["detail"]
    assert problem(method, 405) and method.headers["allow"] == "GET, POST"
    assert problem(concrete, 405) and concrete.headers["allow"] == "POST"
    assert simulator.state.messages == []


async def test_under_approve_nothing_leaves_until_a_person_approves(simulator: Any, tmp_path: Path) -> None:
    state_url = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    approve = {
        "send_policy": "approve",
        "approver_keys": [f"{APPROVER}:{APPROVER_KEY}"],
        "state_url": state_url,
        "approval_browser": False,
    }
    async with rest_server(simulator, **approve) as base, rest_client(base) as http:
        first = answered(await http.post("/sms", json=AWA), "send_sms_output")
        token = first["confirmation_token"]
        insisting = [
            answered(await http.post("/sms", json={**AWA, "confirmation_token": token}), "send_sms_output")
        ]
        insisting.append(
            answered(await http.post("/sms", json={**AWA, "confirmation_token": token}), "send_sms_output")
        )
        assert simulator.state.messages == []

        # The person's decision, taken the way the approval page takes it: through the approval desk on
        # the shared state store. (The page and its Approve button are another branch's; the click itself
        # is tested there.)
        store = open_store(state_url)
        try:
            approval_id = approval_id_of(token)
            assert approval_id is not None
            assert await ApprovalDesk(store, 600).decide(approval_id, approve=True, by=APPROVER, via="page")
        finally:
            await store.close()
        sent = created(await http.post("/sms", json={**AWA, "confirmation_token": token}), "send_sms_output")
        replay = answered(
            await http.post("/sms", json={**AWA, "confirmation_token": token}), "send_sms_output"
        )
    assert first["status"] == "confirmation_required" and token.startswith("apr_")
    assert first["approval_url"] == f"{base}/approvals/{approval_id}"
    assert first["approval_url"] in first["message"]
    assert [r["status"] for r in insisting] == ["approval_pending", "approval_pending"]
    assert sent["status"] == "submitted" and replay["status"] == "duplicate"
    assert len(simulator.state.messages) == 1


async def test_the_approval_url_follows_the_public_url(simulator: Any) -> None:
    settings = {
        "send_policy": "approve",
        "approver_keys": [f"{APPROVER}:{APPROVER_KEY}"],
        "public_url": "https://sms.example.ci",
    }
    async with rest_server(simulator, **settings) as base, rest_client(base) as http:
        first = answered(await http.post("/campaigns/email", json=EMAIL), "create_email_campaign_output")
        document = (await http.get("/openapi.json")).json()
    assert first["approval_url"].startswith("https://sms.example.ci/approvals/")
    assert document["servers"][0]["url"] == "https://sms.example.ci/api/v1"
    assert simulator.state.email_campaigns == []


async def test_under_approve_without_approvers_the_send_is_refused_naming_the_setting(simulator: Any) -> None:
    async with rest_server(simulator, send_policy="approve") as base, rest_client(base) as http:
        refused = answered(await http.post("/sms", json=AWA), "send_sms_output")
    assert refused["status"] == "refused" and refused["refusal"]["setting"] == "LETEXTO_APPROVER_KEYS"
    assert simulator.state.messages == []


async def test_letexto_failures_map_to_404_and_502(simulator: Any, loopback_sandbox: str) -> None:
    async with rest_server(simulator) as base, rest_client(base) as http:
        missing = await http.get("/sms/0123456789abcdef01234567")
    assert problem(missing, 404)["type"] == NOT_FOUND_AT_LETEXTO

    from bench.procs import refusing_port

    common: dict[str, Any] = {"state_url": "memory://", "mcp_api_keys": [KEY_A], "read_retries": 0}
    refused_key = Settings(api_token="lt_live_refusedKEY0123456789", base_url=loopback_sandbox, **common)
    async with serving(build_http_app(refused_key)) as base, rest_client(base) as http:
        wrong_key = await http.get("/balance")
    with refusing_port() as dead_port:
        dead = Settings(
            api_token="lt_live_0123456789abcdef", base_url=f"http://127.0.0.1:{dead_port}", **common
        )
        async with serving(build_http_app(dead)) as base, rest_client(base) as http:
            unreachable = await http.get("/balance")
    body = problem(wrong_key, 502)
    assert body["type"] == LETEXTO_KEY_REFUSED and "LETEXTO_API_TOKEN" in body["detail"]
    assert "refusedKEY" not in wrong_key.text
    assert problem(unreachable, 502)["type"] == LETEXTO_UNREACHABLE


async def test_multi_tenant_callers_bring_their_letexto_key(simulator: Any) -> None:
    from letexto_mcp.sandbox import SANDBOX_API_KEY

    async with rest_server(simulator, multi_tenant=True) as base, rest_client(base) as http:
        without = await http.get("/balance")
        with_key = await http.get("/balance", headers={"X-LeTexto-Key": SANDBOX_API_KEY})
    assert "X-LeTexto-Key" in problem(without, 401)["detail"]
    assert answered(with_key, "get_balance_output")["balance"] > 0
    assert SANDBOX_API_KEY not in without.text + with_key.text
