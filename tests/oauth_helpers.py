"""A real HTTP app with OAuth on a loopback port, and ways to get its tokens the way clients do.

`connect_with_forms` completes the whole authorization-code flow over plain HTTP, as a person's browser
would (register, /authorize, the consent page's form with a connect key, /token): no browser needed, so
the error cases, the Inspector check and the benchmarks can use it. The browser flow (the SDK's own OAuth
client with Playwright on the consent page) is in tests/test_oauth_flow.py.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from letexto_mcp.server.http import build_http_app
from tests.conftest import sandbox_settings
from tests.http_helpers import base_url, loopback_socket, serving

AWA_CONNECT = "awa:connect-key-awa-5f1c9b2e7d3a"
AWA_CONNECT_KEY = AWA_CONNECT.split(":", 1)[1]
BOB_APPROVER = "bob:approver-key-bob-8e2d4c6a1f3b"
BOB_APPROVER_KEY = BOB_APPROVER.split(":", 1)[1]
STATIC_KEY = "static-client-key-n8n-4b7e1d9c2a"
CALLBACK = "http://127.0.0.1:9/callback"
"""A redirect URI nothing listens on: the helpers read the code from the redirect itself."""


@dataclass
class OAuthServer:
    url: str
    simulator: Any
    app: Any
    settings: Any

    @property
    def mcp(self) -> str:
        return self.url + "/mcp"

    def store(self) -> Any:
        return self.app.state.runtime.require_services().store


@asynccontextmanager
async def oauth_server(
    simulator: Any, sock: socket.socket | None = None, *, access_log: bool = False, **overrides: Any
) -> AsyncIterator[OAuthServer]:
    """The HTTP app with the built-in authorization server (a connect key, an approver key and a static
    client key by default), served on loopback; LETEXTO_PUBLIC_URL is its own address."""
    sock = sock or loopback_socket()
    values: dict[str, Any] = {
        "public_url": base_url(sock),
        "connect_keys": AWA_CONNECT,
        "approver_keys": BOB_APPROVER,
        "mcp_api_keys": STATIC_KEY,
        "send_policy": "allow",
    }
    values.update(overrides)
    settings = sandbox_settings(**values)
    app = build_http_app(settings, simulator=simulator)
    async with serving(app, sock, access_log=access_log) as url:
        yield OAuthServer(url, simulator, app, settings)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, f"no hidden {name} on the page"
    return html.unescape(found.group(1))


@dataclass
class Connected:
    """What a client holds after the flow: its registration and its tokens."""

    client_id: str
    client_secret: str | None
    access_token: str
    refresh_token: str
    scope: str
    expires_in: int
    extra: dict[str, Any] = field(default_factory=dict)


async def register(
    http: httpx.AsyncClient, base: str, redirect_uri: str = CALLBACK, **metadata: Any
) -> dict[str, Any]:
    body = {"client_name": "Test assistant", "redirect_uris": [redirect_uri], **metadata}
    answer = await http.post(base + "/register", json=body)
    assert answer.status_code == 201, answer.text
    registered: dict[str, Any] = answer.json()
    return registered


async def authorize(
    http: httpx.AsyncClient,
    base: str,
    client_id: str,
    challenge: str,
    *,
    key: str = AWA_CONNECT_KEY,
    scope: str = "letexto.read letexto.send",
    resource: str | None = None,
    redirect_uri: str = CALLBACK,
    state: str = "state-123",
) -> httpx.Response:
    """/authorize, then the consent page's form with `key` and Allow: the answer that redirects back."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": state,
        "scope": scope,
        "resource": resource or base + "/mcp",
    }
    answer = await http.get(base + "/authorize", params=params)
    assert answer.status_code == 302, answer.text
    consent = await http.get(answer.headers["location"])
    assert consent.status_code == 200, consent.text
    form = {
        "request": hidden(consent.text, "request"),
        "csrf": hidden(consent.text, "csrf"),
        "action": "allow",
    }
    if key:
        form["key"] = key
    return await http.post(base + "/oauth/consent", data=form)


def code_of(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return query["code"][0]


async def token(
    http: httpx.AsyncClient, base: str, form: dict[str, str], secret: str | None = None
) -> httpx.Response:
    data = dict(form)
    if secret is not None:
        data["client_secret"] = secret
    return await http.post(base + "/token", data=data)


async def connect_with_forms(
    base: str,
    *,
    key: str = AWA_CONNECT_KEY,
    scope: str = "letexto.read letexto.send",
    resource: str | None = None,
) -> Connected:
    """The whole flow over HTTP forms: a registered client holding an access and a refresh token."""
    async with httpx.AsyncClient(timeout=30) as http:
        client = await register(http, base)
        verifier, challenge = pkce_pair()
        code = code_of(
            await authorize(
                http, base, client["client_id"], challenge, key=key, scope=scope, resource=resource
            )
        )
        answer = await token(
            http,
            base,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "client_id": client["client_id"],
                "code_verifier": verifier,
            },
            client.get("client_secret"),
        )
        assert answer.status_code == 200, answer.text
        tokens = answer.json()
    return Connected(
        client["client_id"],
        client.get("client_secret"),
        tokens["access_token"],
        tokens["refresh_token"],
        tokens["scope"],
        tokens["expires_in"],
    )
