"""Screenshots of a pending approval page, desktop (1280 wide, English) and phone (390 wide, French), and
of the OAuth sign-in and consent page (`bench.connect_screenshots`).

    python -m bench.screenshots [OUT_DIR]      # default: docs/ (make screenshots)

Serves the real HTTP app on loopback against the embedded simulator under policy `approve`, opens a
personalised SMS campaign with a real MCP call, signs in on the page with an approver key and lets
Debian's Chromium (through Playwright) take the pictures. Nothing leaves the machine.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import uvicorn

from letexto_mcp.config import Settings
from letexto_mcp.server.http import build_http_app

DOCS = Path(__file__).resolve().parent.parent / "docs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
CLIENT_KEY = "screenshot-client-key-0123456789"
APPROVER_KEY = "screenshot-approver-key-0123456789"
DESKTOP = "approval-page-desktop.png"
PHONE = "approval-page-phone.png"

CONTACTS = [
    {"phone": "07 07 12 34 56", "prenom": "Awa", "heure": "9h30"},
    {"phone": "05 05 22 33 44", "prenom": "Kouassi", "heure": "10h00"},
    {"phone": "01 02 03 04 05", "prenom": "Adjoua", "heure": "10h30"},
    {"phone": "07 48 91 20 11", "prenom": "Yao", "heure": "11h00"},
    {"phone": "07 48 91 20 11", "prenom": "Yao", "heure": "11h00"},
    {"phone": "12 34 56", "prenom": "Koffi", "heure": "11h30"},
]
CONTENT = "Bonjour {{prenom}}, votre rendez-vous au centre de Cocody est confirmé demain à {{heure}}. Merci !"


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """`app` under uvicorn on a loopback socket bound here; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_config=None, access_log=False))
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        with anyio.fail_after(20):
            while not server.started:
                await anyio.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True


async def open_campaign(url: str) -> str:
    """A real MCP call that needs a person's approval: returns the approval page's address."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {CLIENT_KEY}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http), mode="legacy", cache=None) as client,
    ):
        result = await client.call_tool(
            "create_sms_campaign", {"label": "Rappels rendez-vous", "contacts": CONTACTS, "content": CONTENT}
        )
    data = result.structured_content or {}
    if data.get("status") != "confirmation_required" or not data.get("approval_url"):
        raise RuntimeError(f"the campaign did not wait for approval: {data}")
    return str(data["approval_url"])


async def take(out_dir: Path) -> list[Path]:
    """Take both screenshots into `out_dir`; returns their paths."""
    from playwright.async_api import async_playwright

    settings = Settings.model_validate(
        {
            "sandbox": True,
            "state_url": "memory://",
            "default_sender": "SMS INFO",
            "send_policy": "approve",
            "mcp_api_keys": [CLIENT_KEY],
            "approver_keys": [f"awa.kone:{APPROVER_KEY}"],
            "daily_budget_parts": 500,
            "state_secret": "screenshot-state-secret-0123456789",
        }
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    shots: list[tuple[Path, dict[str, Any]]] = [
        (out_dir / DESKTOP, {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"}),
        (
            out_dir / PHONE,
            {
                "viewport": {"width": 390, "height": 844},
                "locale": "fr-FR",
                "is_mobile": True,
                "has_touch": True,
                "device_scale_factor": 2,
            },
        ),
    ]
    async with serving(build_http_app(settings)) as url:
        page_url = await open_campaign(url)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for path, options in shots:
                    context = await browser.new_context(**options)
                    page = await context.new_page()
                    await page.goto(page_url)
                    await page.locator("#key").fill(APPROVER_KEY)
                    await page.locator("form button[type=submit]").click()
                    await page.locator("#decision").wait_for()
                    await page.screenshot(path=str(path), full_page=True)
                    await context.close()
            finally:
                await browser.close()
    return [path for path, _ in shots]


def main(argv: list[str]) -> None:
    from bench import connect_screenshots  # the OAuth sign-in and consent page, beside the approval page

    out_dir = Path(argv[0]) if argv else DOCS
    for path in [*anyio.run(take, out_dir), *anyio.run(connect_screenshots.take, out_dir)]:
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
