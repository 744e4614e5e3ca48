"""An outside issuer (LETEXTO_OAUTH_ISSUER), played by a second instance of our own authorization server
on another loopback port: its JWT access tokens are verified against its JWKS (found through its
metadata, kept, fetched again for a key it does not hold), for our resource, and mapped to a tenant.

And multi-tenant mode: the person pastes their own LeTexto key on the consent page; it is checked with
LeTexto, stored sealed, used for that connection's calls, and forgotten on revocation.
"""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from letexto_mcp.oauth.external import ExternalIssuer, external_tenant
from letexto_mcp.oauth.signing import SigningKey
from letexto_mcp.server.tenants import tenant_client_id
from tests.http_helpers import base_url, loopback_socket, mcp_client
from tests.oauth_helpers import connect_with_forms, oauth_server

pytestmark = pytest.mark.anyio

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}
STATE_SECRET = "state-secret-for-the-tests-6a1f0c"
SECOND_KEY = "lt_second_account_4d8e2a7c1b9f"


async def status(url: str, access_token: str) -> int:
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={"Authorization": f"Bearer {access_token}"},
        )
    return answer.status_code


async def test_tokens_of_an_outside_issuer_are_accepted_for_our_resource_only(simulator: Any) -> None:
    ours = loopback_socket()
    our_mcp = base_url(ours) + "/mcp"
    async with (
        oauth_server(simulator, oauth_resources=our_mcp) as issuer,
        oauth_server(
            simulator,
            ours,
            connect_keys="",
            approver_keys="",
            mcp_api_keys="",
            oauth_issuer=issuer.url,
            send_policy="allow",
        ) as server,
    ):
        async with httpx.AsyncClient() as http:
            resource = (await http.get(server.url + "/.well-known/oauth-protected-resource/mcp")).json()
            assert resource["authorization_servers"] == [issuer.url]
            assert (await http.get(server.url + "/.well-known/oauth-authorization-server")).status_code == 404
            assert (await http.get(server.url + "/authorize")).status_code == 404

        connected = await connect_with_forms(issuer.url, resource=our_mcp)
        async with mcp_client(server.mcp, key=connected.access_token) as client:
            assert not (await client.call_tool("get_balance", {})).is_error
            assert (await client.call_tool("send_sms", AWA)).structured_content["status"] == "submitted"
        claims = jwt.decode(connected.access_token, options={"verify_signature": False})
        tenant = external_tenant(server.app.state.runtime.tenant_secret, issuer.url, claims["sub"])
        assert [e.tool for e in await server.store().list_audit(tenant)] == ["send_sms"]

        own = await connect_with_forms(issuer.url)  # minted for the issuer's own /mcp: not ours
        assert await status(server.mcp, own.access_token) == 401
        reader = await connect_with_forms(issuer.url, resource=our_mcp, scope="letexto.read")
        async with mcp_client(server.mcp, key=reader.access_token) as client:
            refused = await client.call_tool("send_sms", {**AWA, "content": "Deuxième"})
            assert refused.is_error and "letexto.send" in refused.content[0].text
        assert len(simulator.state.messages) == 1


async def test_the_outside_issuers_keys_are_fetched_again_for_an_unknown_kid(simulator: Any) -> None:
    ours = loopback_socket()
    our_mcp = base_url(ours) + "/mcp"
    issuer_sock = loopback_socket()
    issuer_port = issuer_sock.getsockname()[1]
    now = [1000.0]
    secret = b"s" * 32
    async with oauth_server(simulator, issuer_sock, oauth_resources=our_mcp) as first:
        issuer_url = first.url
        checker = ExternalIssuer(issuer_url, lambda: secret, clock=lambda: now[0])
        before = await connect_with_forms(first.url, resource=our_mcp)
        found = await checker.verify(before.access_token, [our_mcp])
        assert found is not None and found.scopes == ["letexto.read", "letexto.send"]
    # The issuer comes back with another signing key (its keys rotated): the same address, a new kid.
    again = loopback_socket_at(issuer_port)
    async with oauth_server(simulator, again, oauth_resources=our_mcp) as second:
        after = await connect_with_forms(second.url, resource=our_mcp)
        assert (
            jwt.get_unverified_header(after.access_token)["kid"]
            != jwt.get_unverified_header(before.access_token)["kid"]
        )
        assert await checker.verify(after.access_token, [our_mcp]) is None, (
            "fetched a moment ago: not again yet"
        )
        now[0] += 61
        assert await checker.verify(after.access_token, [our_mcp]) is not None
        assert await checker.verify(before.access_token, [our_mcp]) is None, "the old key is gone"


def loopback_socket_at(port: int) -> Any:
    """A new socket on the port another (closed) one had: the issuer restarts at the same address."""
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


async def test_forged_tokens_signed_with_another_key_are_refused(simulator: Any) -> None:
    ours = loopback_socket()
    our_mcp = base_url(ours) + "/mcp"
    async with (
        oauth_server(simulator, oauth_resources=our_mcp) as issuer,
        oauth_server(
            simulator, ours, connect_keys="", approver_keys="", mcp_api_keys="", oauth_issuer=issuer.url
        ) as server,
    ):
        real = await connect_with_forms(issuer.url, resource=our_mcp)
        claims = jwt.decode(real.access_token, options={"verify_signature": False})
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        forger = SigningKey.from_pem(pem)
        assert await status(server.mcp, forger.sign(claims)) == 401
        kid = jwt.get_unverified_header(real.access_token)["kid"]
        same_kid = jwt.encode(claims, forger.private, algorithm="ES256", headers={"kid": kid})
        assert await status(server.mcp, same_kid) == 401
        hmac_token = jwt.encode(
            claims, "a-shared-secret-an-attacker-chose", algorithm="HS256", headers={"kid": kid}
        )
        assert await status(server.mcp, hmac_token) == 401
        assert await status(server.mcp, real.access_token) != 401


async def test_multi_tenant_people_connect_with_their_own_letexto_key(simulator: Any) -> None:
    simulator.state.add_account(SECOND_KEY, balance=42, senders=["SMS INFO"], name="Second")
    async with oauth_server(
        simulator,
        connect_keys="",
        multi_tenant=True,
        oauth=True,
        state_secret=STATE_SECRET,
        mcp_api_keys="",
    ) as server:
        connected = await connect_with_forms(server.url, key=SECOND_KEY)
        async with mcp_client(server.mcp, key=connected.access_token) as client:
            balance = await client.call_tool("get_balance", {})
            assert balance.structured_content["balance"] == 42, "the pasted key's account, not the server's"
        [connection] = await server.store().oauth_list_connections()
        assert connection.sealed_key is not None and SECOND_KEY not in connection.sealed_key
        assert SECOND_KEY not in connection.record_json() and connection.person.startswith("account-")
        secret = server.app.state.runtime.tenant_secret
        assert connection.tenant == "http:" + tenant_client_id(secret, "", SECOND_KEY)
        async with mcp_client(server.mcp, letexto_key=SECOND_KEY) as by_header:
            # Without client keys, an X-LeTexto-Key caller is the same tenant: one budget, one audit log.
            await by_header.call_tool("send_sms", AWA)
        assert [e.tool for e in await server.store().list_audit(connection.tenant)] == ["send_sms"]

        bad = await _consent_with(server.url, "lt_not_an_account_at_letexto_0000")
        assert bad.status_code == 401 and "did not accept" in bad.text

        async with httpx.AsyncClient() as http:
            form = {"token": connected.refresh_token, "client_id": connected.client_id}
            if connected.client_secret:
                form["client_secret"] = connected.client_secret
            await http.post(server.url + "/revoke", data=form)
        revoked = await server.store().oauth_get_connection(connection.id)
        assert revoked is not None and revoked.sealed_key is None, "revoking forgets the key"
        assert await status(server.mcp, connected.access_token) == 401


async def _consent_with(base: str, key: str) -> httpx.Response:
    from tests.oauth_helpers import authorize, pkce_pair, register

    async with httpx.AsyncClient() as http:
        client = await register(http, base)
        return await authorize(http, base, client["client_id"], pkce_pair()[1], key=key)
