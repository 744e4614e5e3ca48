"""The whole MCP authorization flow as a hosted assistant runs it: the SDK's own OAuth client against the
real HTTP app on loopback, with a person signing in and allowing on the consent page in headless Chromium.

The client starts from a bare 401, discovers the protected-resource and authorization-server metadata,
registers itself, sends the browser to /authorize with PKCE; Playwright signs in and presses Allow; a
tiny loopback callback server receives the code; the client exchanges it and calls tools; then a refresh,
a send approved on the approval page by the same signed-in person, and a revocation.
"""

from __future__ import annotations

from tests.browser_helpers import require_browser

require_browser()

# ruff: noqa: E402 - the imports below need the browser (and playwright) checked first
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from playwright.async_api import Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.browser_helpers import STEP_TIMEOUT_MS, chromium
from tests.oauth_helpers import AWA_CONNECT_KEY, OAuthServer, oauth_server

pytestmark = pytest.mark.anyio

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}


class MemoryTokens:
    """The SDK's TokenStorage, in memory (what a host keeps per user)."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Callback:
    """A loopback page the consent redirects to; it keeps what the redirect carried."""

    def __init__(self) -> None:
        self.url = ""
        self.received: list[dict[str, str]] = []

    async def endpoint(self, request: Request) -> Response:
        self.received.append(dict(request.query_params))
        return PlainTextResponse("You may close this window.")

    def result(self) -> AuthorizationCodeResult:
        last = self.received[-1]
        return AuthorizationCodeResult(code=last["code"], state=last.get("state"), iss=last.get("iss"))


@asynccontextmanager
async def callback_server() -> AsyncIterator[Callback]:
    from tests.http_helpers import serving

    callback = Callback()
    app = Starlette(routes=[Route("/callback", callback.endpoint)])
    async with serving(app) as url:
        callback.url = url + "/callback"
        yield callback


class Person:
    """The person at the browser: signs in on the consent page with their connect key and allows."""

    def __init__(self, page: Page, callback: Callback, key: str = AWA_CONNECT_KEY) -> None:
        self.page = page
        self.callback = callback
        self.key = key
        self.seen: list[str] = []

    async def open(self, authorization_url: str) -> None:
        self.seen.append(authorization_url)
        page = self.page
        await page.goto(authorization_url)
        await expect(page.get_by_role("heading", name="Connecter un assistant")).to_be_visible()
        await expect(page.get_by_text("Playwright assistant")).to_be_visible()
        await expect(page.get_by_text("letexto.send")).to_be_visible()
        await page.get_by_label("Votre clé de connexion").fill(self.key)
        await page.get_by_role("button", name="Autoriser").click()
        await page.wait_for_url(self.callback.url + "**")

    async def code(self) -> AuthorizationCodeResult:
        return self.callback.result()


def oauth_client(server: OAuthServer, person: Person, storage: MemoryTokens) -> OAuthClientProvider:
    metadata = OAuthClientMetadata(
        client_name="Playwright assistant",
        redirect_uris=[person.callback.url],  # type: ignore[list-item]
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
    )
    return OAuthClientProvider(server.mcp, metadata, storage, person.open, person.code)


@asynccontextmanager
async def connected_client(
    provider: OAuthClientProvider, url: str, mode: str = "auto"
) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(auth=provider, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode, cache=None) as client,
    ):
        yield client


async def test_the_sdk_client_connects_through_the_consent_page_calls_refreshes_and_is_revoked(
    simulator: Any,
) -> None:
    async with (
        oauth_server(simulator, send_policy="approve") as server,
        callback_server() as callback,
        chromium() as browser,
    ):
        context = await browser.new_context(locale="fr-FR")
        context.set_default_timeout(STEP_TIMEOUT_MS)
        page = await context.new_page()
        person, storage = Person(page, callback), MemoryTokens()
        provider = oauth_client(server, person, storage)

        async with connected_client(provider, server.mcp) as client:
            balance = await client.call_tool("get_balance", {})
            assert not balance.is_error and balance.structured_content["balance"] > 0
            assert len(person.seen) == 1, "one authorization, with PKCE S256 and the resource"
            assert "code_challenge_method=S256" in person.seen[0] and "resource=" in person.seen[0]
            assert storage.client is not None and storage.tokens is not None
            assert storage.tokens.scope == "letexto.read letexto.send"
            assert callback.received[-1]["iss"] == server.url

            # A send under policy `approve`: the same person, already signed in by the consent page,
            # approves it on the approval page.
            asked = await client.call_tool("send_sms", AWA)
            assert asked.structured_content["status"] == "confirmation_required", asked
            await page.goto(asked.structured_content["approval_url"])
            await expect(page.get_by_text("Connecté en tant que awa")).to_be_visible()
            await page.get_by_role("button", name="Approuver").click()
            await expect(
                page.get_by_role("heading", name="Approuvé par awa sur la page", exact=False)
            ).to_be_visible()
            assert server.simulator.state.messages == []
            token = asked.structured_content["confirmation_token"]
            sent = await client.call_tool("send_sms", {**AWA, "confirmation_token": token})
            assert sent.structured_content["status"] == "submitted", sent
            assert [m.to for m in server.simulator.state.messages] == ["2250707123456"]

            # The access token expires: the client refreshes, and the refresh token rotates.
            first = storage.tokens
            provider.context.token_expiry_time = time.time() - 1
            assert not (await client.call_tool("get_balance", {})).is_error
            assert storage.tokens is not None and storage.tokens.refresh_token != first.refresh_token
            assert storage.tokens.access_token != first.access_token
            assert len(person.seen) == 1, "refreshed without the person"

            # Revoked: the next call with the access token gets 401.
            latest = storage.tokens
            async with httpx.AsyncClient() as http:
                form = {"token": latest.refresh_token or "", "client_id": storage.client.client_id}
                if storage.client.client_secret:
                    form["client_secret"] = storage.client.client_secret
                assert (await http.post(server.url + "/revoke", data=form)).status_code == 200
                answer = await http.post(
                    server.mcp,
                    json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                    headers={"Authorization": f"Bearer {latest.access_token}"},
                )
                assert answer.status_code == 401
            connections = await server.store().oauth_list_connections(include_revoked=True)
            assert [(c.client_name, c.person, c.active) for c in connections] == [
                ("Playwright assistant", "awa", False)
            ]
        await context.close()


async def test_refusing_on_the_consent_page_gives_the_client_access_denied(simulator: Any) -> None:
    async with oauth_server(simulator) as server, callback_server() as callback, chromium() as browser:
        page = await browser.new_page(locale="en-US")
        page.set_default_timeout(STEP_TIMEOUT_MS)

        async def refuse(url: str) -> None:
            await page.goto(url)
            await expect(page.get_by_role("heading", name="Connect an assistant")).to_be_visible()
            await page.get_by_role("button", name="Refuse").click()
            await page.wait_for_url(callback.url + "**")

        async def code() -> AuthorizationCodeResult:
            last = callback.received[-1]
            if "code" not in last:
                raise RuntimeError(f"refused: {last.get('error')}")
            return callback.result()

        metadata = OAuthClientMetadata(client_name="Refused assistant", redirect_uris=[callback.url])  # type: ignore[list-item]
        provider = OAuthClientProvider(server.mcp, metadata, MemoryTokens(), refuse, code)
        with pytest.raises(Exception):  # noqa: B017 - the SDK wraps the callback's error
            with anyio.fail_after(60):
                async with connected_client(provider, server.mcp) as client:
                    await client.call_tool("get_balance", {})
        assert callback.received[-1]["error"] == "access_denied"
        assert await server.store().oauth_list_connections(include_revoked=True) == []


async def test_the_consent_page_screenshots_can_be_made(tmp_path: Any) -> None:
    """`make screenshots` also draws the sign-in and consent page (bench/connect_screenshots.py)."""
    from bench.connect_screenshots import take

    taken = await take(tmp_path)
    assert [path.name for path in taken] == [
        "connect-signin-desktop.png",
        "connect-consent-desktop.png",
        "connect-signin-phone.png",
        "connect-consent-phone.png",
    ]
    assert all(path.stat().st_size > 10_000 for path in taken)
