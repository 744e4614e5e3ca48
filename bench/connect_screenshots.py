"""Screenshots of the sign-in and consent page a person sees when connecting a hosted assistant by OAuth,
desktop (1280 wide, English) and phone (390 wide, French).

    python -m bench.connect_screenshots [OUT_DIR]     # default: docs/ (make screenshots takes them too)

Serves the real HTTP app on loopback (sandbox, the built-in authorization server), registers a client
the way Claude.ai would, follows /authorize to the page, and lets Debian's Chromium take the pictures:
first as a person not signed in yet (the key field), then signed in (the Allow and Refuse buttons only).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import uvicorn

from bench.screenshots import CHROMIUM, CHROMIUM_ARGS, DOCS
from letexto_mcp.config import Settings
from letexto_mcp.server.http import build_http_app

CONNECT_KEY = "screenshot-connect-key-0123456789"
SIGN_IN_DESKTOP = "connect-signin-desktop.png"
SIGN_IN_PHONE = "connect-signin-phone.png"
CONSENT_DESKTOP = "connect-consent-desktop.png"
CONSENT_PHONE = "connect-consent-phone.png"
REDIRECT = "https://claude.ai/api/mcp/auth_callback"


@asynccontextmanager
async def serving_oauth() -> AsyncIterator[str]:
    """The app with the built-in authorization server, its public URL being its loopback address."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings.model_validate(
        {
            "sandbox": True,
            "state_url": "memory://",
            "default_sender": "SMS INFO",
            "public_url": url,
            "connect_keys": [f"awa.kone:{CONNECT_KEY}"],
            "state_secret": "screenshot-state-secret-0123456789",
        }
    )
    server = uvicorn.Server(
        uvicorn.Config(build_http_app(settings), lifespan="on", log_config=None, access_log=False)
    )
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        with anyio.fail_after(20):
            while not server.started:
                await anyio.sleep(0.01)
        try:
            yield url
        finally:
            server.should_exit = True


async def consent_url(url: str) -> str:
    """Register a client as Claude.ai does and start an authorization: the consent page's address."""
    async with httpx.AsyncClient() as http:
        registered = await http.post(
            url + "/register",
            json={"client_name": "Claude", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"},
        )
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        answer = await http.get(
            url + "/authorize",
            params={
                "response_type": "code",
                "client_id": registered.json()["client_id"],
                "redirect_uri": REDIRECT,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "state": secrets.token_urlsafe(16),
                "scope": "letexto.read letexto.send",
                "resource": url + "/mcp",
            },
        )
    return answer.headers["location"]


async def take(out_dir: Path) -> list[Path]:
    """Take the four pictures into `out_dir`; returns their paths."""
    from playwright.async_api import async_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    desktop: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"}
    phone: dict[str, Any] = {
        "viewport": {"width": 390, "height": 844},
        "locale": "fr-FR",
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    }
    taken = []
    async with serving_oauth() as url, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for options, sign_in, consent in (
                (desktop, SIGN_IN_DESKTOP, CONSENT_DESKTOP),
                (phone, SIGN_IN_PHONE, CONSENT_PHONE),
            ):
                context = await browser.new_context(**options)
                page = await context.new_page()
                await page.goto(await consent_url(url))
                await page.locator("#key").wait_for()
                await page.screenshot(path=str(out_dir / sign_in), full_page=True)
                await page.goto(url + "/oauth/connections")  # sign in (the connections page's form) ...
                await page.locator("#key").fill(CONNECT_KEY)
                await page.locator("form button[type=submit]").click()
                await page.goto(await consent_url(url))  # ... then the consent page asks nothing more
                await page.locator("button[value=allow]").wait_for()
                await page.screenshot(path=str(out_dir / consent), full_page=True)
                await context.close()
                taken += [out_dir / sign_in, out_dir / consent]
        finally:
            await browser.close()
    return taken


def main(argv: list[str]) -> None:
    out_dir = Path(argv[0]) if argv else DOCS
    for path in anyio.run(take, out_dir):
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
