"""Who may use the HTTP server, and what one client can see of another's: keys, tenants, limits, hosts."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from letexto_mcp.config import Settings
from letexto_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_SUBACCOUNT_KEY
from letexto_mcp.server.auth import ApiKeys, bind_refusal
from letexto_mcp.server.http import build_http_app
from tests.conftest import sandbox_settings
from tests.http_helpers import KEY_A, KEY_B, headers_for, mcp_client, serving, sse_mcp_client
from tests.mcp_helpers import call, initialize_request, ok

pytestmark = pytest.mark.anyio

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}
INITIALIZE = initialize_request()
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
async def base(simulator: Any) -> AsyncIterator[str]:
    settings = sandbox_settings(
        mcp_api_keys=[KEY_A, KEY_B], allowed_origins=["https://app.example.com"], max_body_bytes=64 * 1024
    )
    async with serving(build_http_app(settings, simulator=simulator)) as url:
        yield url


async def test_no_key_and_a_wrong_key_get_401_with_a_challenge(base: str, era: str) -> None:
    async with httpx2.AsyncClient() as http:
        missing = await http.post(f"{base}/mcp", json=INITIALIZE, headers=ACCEPT)
        wrong = await http.post(
            f"{base}/mcp", json=INITIALIZE, headers={**ACCEPT, **headers_for(KEY_A + "x")}
        )
        not_bearer = await http.post(
            f"{base}/mcp", json=INITIALIZE, headers={**ACCEPT, "Authorization": f"Basic {KEY_A}"}
        )
        sse = await http.get(f"{base}/sse", headers=headers_for("nope"))
        messages = await http.post(f"{base}/messages/?session_id=00", json={}, headers=ACCEPT)
    for response in (missing, wrong, not_bearer, sse, messages):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith('Bearer realm="letexto-mcp"')
        assert KEY_A not in response.text
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]

    with pytest.raises(Exception):  # noqa: B017 - the SDK client gives up on the 401, whatever it raises
        async with mcp_client(f"{base}/mcp", key="not-a-key", mode=era) as client:
            await client.list_tools()


async def test_tenant_a_cannot_confirm_tenant_b_token_nor_read_b_audit(
    base: str, simulator: Any, era: str
) -> None:
    async with mcp_client(f"{base}/mcp", key=KEY_B, mode=era) as b:
        b_token = (await ok(b, "send_sms", AWA))["confirmation_token"]
    async with mcp_client(f"{base}/mcp", key=KEY_A, mode=era) as a:
        stolen = await ok(a, "send_sms", {**AWA, "confirmation_token": b_token})
        assert stolen["status"] == "refused", stolen
        assert simulator.state.messages == []
        a_audit = json.loads((await a.read_resource("letexto://sends/today")).contents[0].text)
    async with mcp_client(f"{base}/mcp", key=KEY_B, mode=era) as b:
        # B's token still works for B: A's attempt neither used nor spoiled it.
        sent = await ok(b, "send_sms", {**AWA, "confirmation_token": b_token})
        assert sent["status"] == "submitted", sent
        b_audit = json.loads((await b.read_resource("letexto://sends/today")).contents[0].text)
    async with mcp_client(f"{base}/mcp", key=KEY_A, mode=era) as a:
        a_after = json.loads((await a.read_resource("letexto://sends/today")).contents[0].text)
    assert len(simulator.state.messages) == 1
    b_ids = [i for e in b_audit["entries"] for i in e["letexto_ids"]]
    assert sent["message_id"] in b_ids
    a_ids = [i for e in a_audit["entries"] + a_after["entries"] for i in e["letexto_ids"]]
    assert sent["message_id"] not in a_ids
    assert all(e["outcome"] != "submitted" for e in a_after["entries"])


async def test_tenants_are_separate_over_sse_too(simulator: Any) -> None:
    settings = sandbox_settings(mcp_api_keys=[KEY_A, KEY_B], send_policy="allow")
    async with serving(build_http_app(settings, simulator=simulator)) as url:
        async with sse_mcp_client(f"{url}/sse", key=KEY_B) as b:
            sent = await ok(b, "send_sms", AWA)
            b_audit = json.loads((await b.read_resource("letexto://sends/today")).contents[0].text)
        async with sse_mcp_client(f"{url}/sse", key=KEY_A) as a:
            a_audit = json.loads((await a.read_resource("letexto://sends/today")).contents[0].text)
            again = await ok(a, "send_sms", AWA)  # not B's duplicate: A's own first send
    assert sent["status"] == "submitted" and again["status"] == "submitted"
    assert b_audit["count"] == 1 and a_audit["count"] == 0


async def test_a_session_opened_with_one_key_is_not_usable_with_another(base: str) -> None:
    async with httpx2.AsyncClient() as http:
        opened = await http.post(f"{base}/mcp", json=INITIALIZE, headers={**ACCEPT, **headers_for(KEY_A)})
        session = opened.headers["mcp-session-id"]
        listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
        hijack = await http.post(
            f"{base}/mcp",
            json=listing,
            headers={
                **ACCEPT,
                **headers_for(KEY_B),
                "Mcp-Session-Id": session,
                "Mcp-Protocol-Version": "2025-11-25",
            },
        )
    assert opened.status_code == 200
    assert hijack.status_code == 404


async def test_foreign_host_gets_421_and_foreign_origin_403(base: str) -> None:
    auth = {**ACCEPT, **headers_for(KEY_A)}
    async with httpx2.AsyncClient() as http:
        host = await http.post(f"{base}/mcp", json=INITIALIZE, headers={**auth, "Host": "evil.example"})
        origin = await http.post(
            f"{base}/mcp", json=INITIALIZE, headers={**auth, "Origin": "https://evil.example"}
        )
        sse_host = await http.get(f"{base}/sse", headers={**headers_for(KEY_A), "Host": "evil.example"})
        allowed = await http.post(
            f"{base}/mcp", json=INITIALIZE, headers={**auth, "Origin": "https://app.example.com"}
        )
    assert host.status_code == 421 and sse_host.status_code == 421
    assert origin.status_code == 403
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "mcp-session-id" in allowed.headers["access-control-expose-headers"].lower()


async def test_cors_preflight_allows_configured_origins_only(base: str) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, mcp-session-id",
    }
    async with httpx2.AsyncClient() as http:
        good = await http.options(f"{base}/mcp", headers={**preflight, "Origin": "https://app.example.com"})
        local = await http.options(f"{base}/mcp", headers={**preflight, "Origin": "http://localhost:5173"})
        bad = await http.options(f"{base}/mcp", headers={**preflight, "Origin": "https://evil.example"})
    assert good.status_code == 200
    assert good.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "authorization" in good.headers["access-control-allow-headers"].lower()
    assert local.status_code == 200
    assert bad.status_code == 400
    assert "access-control-allow-origin" not in bad.headers


async def test_oversized_body_gets_413(base: str) -> None:
    big = {**INITIALIZE, "params": {**INITIALIZE["params"], "padding": "x" * 100_000}}
    async with httpx2.AsyncClient() as http:
        response = await http.post(f"{base}/mcp", json=big, headers={**ACCEPT, **headers_for(KEY_A)})
    assert response.status_code == 413


async def test_default_body_limit_fits_a_100000_contact_campaign(simulator: Any) -> None:
    contacts = [{"numero": f"22507{i:08d}", "name": f"Client {i}"} for i in range(100_000)]
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {**INITIALIZE["params"], "padding": contacts},
    }
    raw = json.dumps(body).encode()
    assert len(raw) > 4 * 1024 * 1024  # over the SDK's own default limit
    settings = sandbox_settings(mcp_api_keys=[KEY_A])
    async with serving(build_http_app(settings, simulator=simulator)) as url, httpx2.AsyncClient() as http:
        response = await http.post(f"{url}/mcp", content=raw, headers={**ACCEPT, **headers_for(KEY_A)})
    assert response.status_code == 200


async def test_rate_limit_gets_429_with_retry_after_per_key(simulator: Any) -> None:
    settings = sandbox_settings(mcp_api_keys=[KEY_A, KEY_B], rate_limit=3)
    async with serving(build_http_app(settings, simulator=simulator)) as url, httpx2.AsyncClient() as http:
        codes = []
        for _ in range(4):
            response = await http.post(
                f"{url}/mcp", json=INITIALIZE, headers={**ACCEPT, **headers_for(KEY_A)}
            )
            codes.append(response.status_code)
        other = await http.post(f"{url}/mcp", json=INITIALIZE, headers={**ACCEPT, **headers_for(KEY_B)})
        health = await http.get(f"{url}/healthz")
    assert codes == [200, 200, 200, 429]
    assert int(response.headers["retry-after"]) >= 1
    assert other.status_code == 200
    assert health.status_code == 200


async def test_multi_tenant_clients_bring_their_own_letexto_key(simulator: Any, era: str) -> None:
    settings = sandbox_settings(mcp_api_keys=[KEY_A], multi_tenant=True)
    async with serving(build_http_app(settings, simulator=simulator)) as url:
        async with mcp_client(f"{url}/mcp", key=KEY_A, letexto_key=SANDBOX_API_KEY, mode=era) as main:
            main_balance = (await ok(main, "get_balance"))["balance"]
            token = (await ok(main, "send_sms", AWA))["confirmation_token"]
        async with mcp_client(f"{url}/mcp", key=KEY_A, letexto_key=SANDBOX_SUBACCOUNT_KEY, mode=era) as sub:
            sub_balance = (await ok(sub, "get_balance"))["balance"]
            stolen = await ok(sub, "send_sms", {**AWA, "confirmation_token": token})
        async with httpx2.AsyncClient() as http:
            no_letexto_key = await http.post(
                f"{url}/mcp", json=INITIALIZE, headers={**ACCEPT, **headers_for(KEY_A)}
            )
            spaced = await http.post(
                f"{url}/mcp", json=INITIALIZE, headers={**ACCEPT, **headers_for(KEY_A, letexto_key="a b")}
            )
    assert main_balance == simulator.state.balance(SANDBOX_API_KEY)
    assert sub_balance == simulator.state.balance(SANDBOX_SUBACCOUNT_KEY)
    assert main_balance != sub_balance
    assert stolen["status"] == "refused"
    assert simulator.state.messages == []
    assert no_letexto_key.status_code == 401 and spaced.status_code == 401
    assert "X-LeTexto-Key" in no_letexto_key.json()["error_description"]


async def test_unknown_letexto_key_is_refused_by_letexto_not_leaked(simulator: Any) -> None:
    settings = sandbox_settings(mcp_api_keys=[KEY_A], multi_tenant=True)
    bogus = "lt_live_NotARealKey000111222333"
    app = build_http_app(settings, simulator=simulator)
    async with serving(app) as url, mcp_client(f"{url}/mcp", key=KEY_A, letexto_key=bogus) as client:
        outcome = await call(client, "get_balance")
    assert outcome.is_error
    assert bogus not in outcome.text


async def test_no_key_or_token_in_logs_or_responses(simulator: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    settings = sandbox_settings(mcp_api_keys=[KEY_A], multi_tenant=True)
    async with serving(build_http_app(settings, simulator=simulator), access_log=True) as url:
        async with mcp_client(f"{url}/mcp", key=KEY_A, letexto_key=SANDBOX_API_KEY) as client:
            first = await call(client, "send_sms", AWA)
            token = first.data["confirmation_token"]  # type: ignore[index]
            texts += [first.text, json.dumps(first.data)]
            sent = await call(client, "send_sms", {**AWA, "confirmation_token": token})
            texts += [sent.text, json.dumps(sent.data)]
            audit = await client.read_resource("letexto://sends/today")
            texts.append(audit.contents[0].text)
        async with httpx2.AsyncClient() as http:
            wrong = await http.post(
                f"{url}/mcp", json=INITIALIZE, headers={**ACCEPT, **headers_for(KEY_A + "1")}
            )
            texts.append(wrong.text)
    assert sent.data is not None and sent.data["status"] == "submitted"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (KEY_A, SANDBOX_API_KEY):
        assert secret not in logged
        assert all(secret not in text for text in texts)
    # The test's own client logs what it sends at DEBUG; the server must not log the token.
    client_side = ("mcp.client", "httpx2", "httpcore2")
    server_logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(client_side))
    assert "uvicorn.access" in {r.name for r in caplog.records}
    assert token not in server_logged


def test_bind_refusal_beyond_loopback() -> None:
    assert bind_refusal(Settings(), "127.0.0.1") is None
    assert bind_refusal(Settings(), "::1") is None
    refusal = bind_refusal(Settings(), "0.0.0.0")
    assert refusal is not None and "LETEXTO_MCP_API_KEYS" in refusal and "--trusted-proxy" in refusal
    assert bind_refusal(Settings(mcp_api_keys=[KEY_A]), "0.0.0.0") is None
    assert bind_refusal(Settings(trusted_proxy=True), "10.0.0.5") is None


def test_api_keys_match_exactly() -> None:
    keys = ApiKeys([KEY_A, KEY_B])
    assert keys.match(KEY_A) == KEY_A and keys.match(KEY_B) == KEY_B
    assert keys.match(KEY_A[:-1]) is None and keys.match(KEY_A + " ") is None and keys.match("") is None
