"""The built-in authorization server and the resource server over real HTTP: every refusal the MCP
authorization spec (and OAuth 2.1, RFC 8707, RFC 7009) asks for, and nothing sent when refused.

The flow runs through the consent page's form as a browser would post it (`tests.oauth_helpers`); the
same flow in a real browser with the SDK's own OAuth client is in test_oauth_flow.py.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

import httpx
import jwt
import pytest

from letexto_mcp.oauth.signing import STORE_SECRET_NAME, SigningKey
from tests.http_helpers import mcp_client
from tests.oauth_helpers import (
    AWA_CONNECT_KEY,
    BOB_APPROVER_KEY,
    CALLBACK,
    STATIC_KEY,
    OAuthServer,
    authorize,
    code_of,
    connect_with_forms,
    hidden,
    oauth_server,
    pkce_pair,
    register,
    token,
)

pytestmark = pytest.mark.anyio

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}


@pytest.fixture
async def server(simulator: Any) -> Any:
    async with oauth_server(simulator) as served:
        yield served


async def call(server: OAuthServer, access_token: str, tool: str, arguments: dict[str, Any]) -> Any:
    async with mcp_client(server.mcp, key=access_token) as client:
        return await client.call_tool(tool, arguments)


async def bare_401(url: str, access_token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
    async with httpx.AsyncClient() as http:
        return await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=headers)


async def test_discovery_starts_from_a_bare_401(server: OAuthServer) -> None:
    answer = await bare_401(server.mcp)
    assert answer.status_code == 401
    metadata_url = server.url + "/.well-known/oauth-protected-resource/mcp"
    assert f'resource_metadata="{metadata_url}"' in answer.headers["www-authenticate"]
    async with httpx.AsyncClient() as http:
        resource = (await http.get(metadata_url)).json()
        assert resource["resource"] == server.mcp
        assert resource["authorization_servers"] == [server.url]
        assert resource["scopes_supported"] == ["letexto.read", "letexto.send"]
        api = await http.get(server.url + "/api/v1/balance")
        assert api.status_code == 401 and api.headers["content-type"] == "application/problem+json"
        assert "/.well-known/oauth-protected-resource/api/v1" in api.headers["www-authenticate"]
        root = (await http.get(server.url + "/.well-known/oauth-protected-resource")).json()
        assert root["resource"] == server.url
        issuer = (await http.get(server.url + "/.well-known/oauth-authorization-server")).json()
        assert issuer["issuer"] == server.url
        assert issuer["code_challenge_methods_supported"] == ["S256"]
        assert issuer["registration_endpoint"] == server.url + "/register"
        assert issuer["revocation_endpoint"] == server.url + "/revoke"
        jwks = (await http.get(issuer["jwks_uri"])).json()
        assert [key["alg"] for key in jwks["keys"]] == ["ES256"] and "d" not in jwks["keys"][0]


async def test_a_token_calls_tools_and_sends_and_static_keys_still_work(server: OAuthServer) -> None:
    connected = await connect_with_forms(server.url)
    assert connected.scope == "letexto.read letexto.send" and connected.expires_in == 3600
    balance = await call(server, connected.access_token, "get_balance", {})
    assert not balance.is_error and balance.structured_content["balance"] > 0
    sent = await call(server, connected.access_token, "send_sms", AWA)
    assert sent.structured_content["status"] == "submitted", sent
    assert [m.to for m in server.simulator.state.messages] == ["2250707123456"]
    async with mcp_client(server.mcp, key=STATIC_KEY) as client:  # n8n and bots, side by side
        assert not (await client.call_tool("get_balance", {})).is_error
    audit = await server.store().list_audit(connected_tenant(connected.access_token))
    assert [entry.tool for entry in audit] == ["send_sms"]


def connected_tenant(access_token: str) -> str:
    return str(jwt.decode(access_token, options={"verify_signature": False})["sub"])


async def test_a_read_only_token_may_not_send_over_mcp_or_rest(server: OAuthServer) -> None:
    reader = await connect_with_forms(server.url, scope="letexto.read")
    assert reader.scope == "letexto.read"
    assert not (await call(server, reader.access_token, "preview_sms", AWA)).is_error
    refused = await call(server, reader.access_token, "send_sms", AWA)
    assert refused.is_error
    text = refused.content[0].text
    assert "letexto.send" in text and "Nothing was done" in text
    async with httpx.AsyncClient() as http:
        rest = await http.post(
            server.url + "/api/v1/sms", json=AWA, headers={"Authorization": f"Bearer {reader.access_token}"}
        )
    # A token minted for /mcp is not one for /api/v1: audience first.
    assert rest.status_code == 401
    api_reader = await connect_with_forms(server.url, scope="letexto.read", resource=server.url + "/api/v1")
    async with httpx.AsyncClient() as http:
        headers = {"Authorization": f"Bearer {api_reader.access_token}"}
        rest = await http.post(server.url + "/api/v1/sms", json=AWA, headers=headers)
        assert rest.status_code == 403, rest.text
        assert rest.headers["content-type"] == "application/problem+json"
        assert "letexto.send" in rest.json()["detail"]
        assert 'error="insufficient_scope"' in rest.headers["www-authenticate"]
        assert (await http.get(server.url + "/api/v1/balance", headers=headers)).status_code == 200
    assert server.simulator.state.messages == []


async def test_a_send_only_token_may_not_read_resources(server: OAuthServer) -> None:
    sender = await connect_with_forms(server.url, scope="letexto.send")
    async with mcp_client(server.mcp, key=sender.access_token) as client:
        with pytest.raises(Exception, match=r"letexto\.read"):
            await client.read_resource("letexto://account/balance")
        assert (await client.call_tool("get_balance", {})).is_error


async def test_a_wrong_pkce_verifier_is_refused_and_the_code_still_unused(server: OAuthServer) -> None:
    async with httpx.AsyncClient() as http:
        client = await register(http, server.url)
        verifier, challenge = pkce_pair()
        code = code_of(await authorize(http, server.url, client["client_id"], challenge))
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": client["client_id"],
            "code_verifier": pkce_pair()[0],
        }
        wrong = await token(http, server.url, form, client["client_secret"])
        assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
        right = await token(http, server.url, {**form, "code_verifier": verifier}, client["client_secret"])
        assert right.status_code == 200


async def test_a_redirect_uri_not_registered_is_refused_without_redirecting(server: OAuthServer) -> None:
    async with httpx.AsyncClient() as http:
        client = await register(http, server.url)
        _, challenge = pkce_pair()
        params = {
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": "https://attacker.example/callback",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "s",
        }
        answer = await http.get(server.url + "/authorize", params=params)
        assert answer.status_code == 400 and "location" not in answer.headers
        assert answer.json()["error"] == "invalid_request"
        near = await http.get(server.url + "/authorize", params={**params, "redirect_uri": CALLBACK + "/"})
        assert near.status_code == 400, "exact matching: a trailing slash is another URI"
        plain = await http.post(server.url + "/register", json={"redirect_uris": ["http://app.example/cb"]})
        assert plain.status_code == 400 and plain.json()["error"] == "invalid_redirect_uri"


async def test_pkce_is_required_and_only_s256(server: OAuthServer) -> None:
    async with httpx.AsyncClient() as http:
        client = await register(http, server.url)
        params = {
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": CALLBACK,
            "state": "s",
        }
        missing = await http.get(server.url + "/authorize", params=params)
        plain = await http.get(
            server.url + "/authorize",
            params={**params, "code_challenge": "x" * 43, "code_challenge_method": "plain"},
        )
    for answer in (missing, plain):  # errors go back to the registered redirect URI
        assert answer.status_code == 302 and "error=invalid_request" in answer.headers["location"]


async def test_a_reused_code_is_refused_and_revokes_what_it_gave(server: OAuthServer) -> None:
    async with httpx.AsyncClient() as http:
        client = await register(http, server.url)
        verifier, challenge = pkce_pair()
        code = code_of(await authorize(http, server.url, client["client_id"], challenge))
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": client["client_id"],
            "code_verifier": verifier,
        }
        first = await token(http, server.url, form, client["client_secret"])
        assert first.status_code == 200
        again = await token(http, server.url, form, client["client_secret"])
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert (await bare_401(server.mcp, first.json()["access_token"])).status_code == 401
    connections = await server.store().oauth_list_connections(include_revoked=True)
    assert [c.active for c in connections] == [False]


async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(server: OAuthServer) -> None:
    connected = await connect_with_forms(server.url)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": connected.refresh_token,
        "client_id": connected.client_id,
    }
    async with httpx.AsyncClient() as http:
        rotated = await token(http, server.url, form, connected.client_secret)
        assert rotated.status_code == 200
        fresh = rotated.json()
        assert (
            fresh["refresh_token"] != connected.refresh_token
            and fresh["access_token"] != connected.access_token
        )
        assert not (await call(server, fresh["access_token"], "get_balance", {})).is_error
        narrower = await token(
            http,
            server.url,
            {**form, "refresh_token": fresh["refresh_token"], "scope": "letexto.read"},
            connected.client_secret,
        )
        assert narrower.status_code == 200 and narrower.json()["scope"] == "letexto.read"
        replay = await token(http, server.url, form, connected.client_secret)  # the first, already used
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
        latest = {**form, "refresh_token": narrower.json()["refresh_token"]}
        assert (await token(http, server.url, latest, connected.client_secret)).status_code == 400
    assert (await bare_401(server.mcp, narrower.json()["access_token"])).status_code == 401


async def test_revocation_stops_the_next_call(server: OAuthServer) -> None:
    connected = await connect_with_forms(server.url)
    assert not (await call(server, connected.access_token, "get_balance", {})).is_error
    async with httpx.AsyncClient() as http:
        revoked = await http.post(
            server.url + "/revoke",
            data={
                "token": connected.access_token,
                "client_id": connected.client_id,
                "client_secret": connected.client_secret,
            },
        )
        assert revoked.status_code == 200
        answer = await bare_401(server.mcp, connected.access_token)
        assert answer.status_code == 401 and 'error="invalid_token"' in answer.headers["www-authenticate"]
        form = {
            "grant_type": "refresh_token",
            "refresh_token": connected.refresh_token,
            "client_id": connected.client_id,
        }
        assert (await token(http, server.url, form, connected.client_secret)).status_code == 400


async def test_expired_and_foreign_tokens_are_refused(server: OAuthServer, simulator: Any) -> None:
    connected = await connect_with_forms(server.url)
    claims = jwt.decode(connected.access_token, options={"verify_signature": False})
    key = SigningKey.from_pem(await server.store().get_or_create_secret(STORE_SECRET_NAME, lambda: b""))
    expired = key.sign({**claims, "exp": int(time.time()) - 120, "iat": int(time.time()) - 3720})
    assert (await bare_401(server.mcp, expired)).status_code == 401
    other_audience = key.sign({**claims, "aud": "https://another-server.example/mcp"})
    assert (await bare_401(server.mcp, other_audience)).status_code == 401
    other_issuer = key.sign({**claims, "iss": "https://idp.example"})
    assert (await bare_401(server.mcp, other_issuer)).status_code == 401
    tampered = connected.access_token[:-6] + (
        "AAAAAA" if not connected.access_token.endswith("AAAAAA") else "BBBBBB"
    )
    assert (await bare_401(server.mcp, tampered)).status_code == 401
    header = (
        base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    )
    unsigned = header + "." + connected.access_token.split(".")[1] + "."
    assert (await bare_401(server.mcp, unsigned)).status_code == 401
    async with oauth_server(simulator) as second:  # another deployment: its own signing key
        theirs = await connect_with_forms(second.url)
        assert (await bare_401(server.mcp, theirs.access_token)).status_code == 401
    assert (await bare_401(server.mcp, connected.access_token)).status_code != 401, "the real one still works"
    assert server.simulator.state.messages == []


async def test_a_resource_of_another_server_cannot_be_asked_for(server: OAuthServer) -> None:
    async with httpx.AsyncClient() as http:
        client = await register(http, server.url)
        _, challenge = pkce_pair()
        params = {
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": CALLBACK,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "s",
            "resource": "https://another-server.example/mcp",
        }
        answer = await http.get(server.url + "/authorize", params=params)
    assert answer.status_code == 302 and "error=invalid_target" in answer.headers["location"]


async def test_the_consent_page_refuses_wrong_and_client_keys_and_refusing_says_access_denied(
    server: OAuthServer,
) -> None:
    async with httpx.AsyncClient() as http:
        client = await register(http, server.url)
        _, challenge = pkce_pair()
        wrong = await authorize(
            http, server.url, client["client_id"], challenge, key="not-a-key-of-anyone-here"
        )
        assert wrong.status_code == 401 and "not a connect or approver key" in wrong.text
        static = await authorize(http, server.url, client["client_id"], challenge, key=STATIC_KEY)
        assert static.status_code == 403
        approver = await authorize(http, server.url, client["client_id"], challenge, key=BOB_APPROVER_KEY)
        assert approver.status_code == 303 and "code=" in approver.headers["location"]
        answer = await http.get(
            server.url + "/authorize",
            params={
                "response_type": "code",
                "client_id": client["client_id"],
                "redirect_uri": CALLBACK,
                "code_challenge": challenge,
                "state": "refuse-me",
            },
        )
        consent = await http.get(answer.headers["location"])
        form = {
            "request": hidden(consent.text, "request"),
            "csrf": hidden(consent.text, "csrf"),
            "action": "refuse",
        }
        refused = await http.post(server.url + "/oauth/consent", data=form)
        assert refused.status_code == 303
        assert (
            "error=access_denied" in refused.headers["location"]
            and "state=refuse-me" in refused.headers["location"]
        )
        forged = await http.post(
            server.url + "/oauth/consent",
            data={**form, "action": "allow", "csrf": "x", "key": AWA_CONNECT_KEY},
        )
        assert forged.status_code == 403
        cross = await http.post(
            server.url + "/oauth/consent",
            data={**form, "action": "allow", "key": AWA_CONNECT_KEY},
            headers={"Sec-Fetch-Site": "cross-site"},
        )
        assert cross.status_code == 403


async def test_no_secret_reaches_the_logs(simulator: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with oauth_server(simulator, access_log=True) as served:  # request lines logged, as `serve` does
        connected = await connect_with_forms(served.url)
        await call(served, connected.access_token, "send_sms", AWA)
        async with httpx.AsyncClient() as http:
            await http.post(
                served.url + "/revoke",
                data={
                    "token": connected.refresh_token,
                    "client_id": connected.client_id,
                    "client_secret": connected.client_secret,
                },
            )
        await bare_401(served.mcp, connected.access_token)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "connection" in text  # the log does say what happened
    for secret in (connected.access_token, connected.refresh_token, connected.client_secret, AWA_CONNECT_KEY):
        assert secret and secret not in text
    for part in connected.access_token.split("."):
        assert part not in text


async def test_a_client_name_cannot_forge_log_lines_or_page_text(
    server: OAuthServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient() as http:
        client = await register(http, server.url, client_name="Claude\nINFO forged line\x1b[31m")
        answer = await http.get(
            server.url + "/authorize",
            params={
                "response_type": "code",
                "client_id": client["client_id"],
                "redirect_uri": CALLBACK,
                "code_challenge": pkce_pair()[1],
                "state": "s",
            },
        )
        page = await http.get(answer.headers["location"])
    assert "Claude INFO forged line" in page.text and "\x1b" not in page.text
    registered = [r.getMessage() for r in caplog.records if "registered" in r.getMessage()]
    assert registered and all("\n" not in line and "\x1b" not in line for line in registered)


async def test_a_token_holder_is_rate_limited_like_a_client_key(simulator: Any) -> None:
    """LETEXTO_MCP_RATE_LIMIT holds for OAuth callers too, per connection: another connection still passes."""
    async with oauth_server(simulator, rate_limit=3) as limited:
        api = limited.url + "/api/v1"
        first = await connect_with_forms(limited.url, scope="letexto.read", resource=api)
        second = await connect_with_forms(limited.url, scope="letexto.read", resource=api)
        async with httpx.AsyncClient() as http:

            async def balance(access_token: str) -> httpx.Response:
                return await http.get(api + "/balance", headers={"Authorization": f"Bearer {access_token}"})

            answers = [await balance(first.access_token) for _ in range(4)]
            assert [a.status_code for a in answers] == [200, 200, 200, 429]
            assert int(answers[3].headers["retry-after"]) >= 1
            assert (await balance(second.access_token)).status_code == 200
