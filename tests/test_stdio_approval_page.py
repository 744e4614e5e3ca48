"""A desktop client over stdio with no dialog at all (as Claude Desktop): the server opens the page.

The stdio server runs as a subprocess, as a desktop client starts it, under the default policy. Its
`BROWSER` is a small script that hands the link it is asked to open to this test, which opens it
in headless Chromium (Playwright): the one-time link signs the desktop user in, the page shows the
send, the user presses Approve, and the assistant's next call sends — once.
"""

from __future__ import annotations

from tests.browser_helpers import require_browser

require_browser()

# ruff: noqa: E402 - the imports below need the browser (and playwright) checked first
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from playwright.async_api import expect

from tests.browser_helpers import STEP_TIMEOUT_MS, chromium
from tests.mcp_helpers import ok

pytestmark = pytest.mark.anyio

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}
HAND_OVER = "import sys, pathlib; pathlib.Path(sys.argv[1]).open('a').write(sys.argv[2] + '\\n')"


def _stdio_server(tmp_path: Path, links: Path) -> StdioServerParameters:
    opener = tmp_path / "browser.sh"  # what `webbrowser` runs: `BROWSER` with the URL for %s
    opener.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "{HAND_OVER}" "{links}" "$1"\n')
    opener.chmod(0o755)
    env = {
        "LETEXTO_SANDBOX": "1",
        "LETEXTO_STATE_URL": f"sqlite:///{tmp_path / 'state.sqlite3'}",
        "BROWSER": f"{opener} %s",
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    return StdioServerParameters(
        command=sys.executable, args=["-m", "letexto_mcp", "serve", "--sandbox"], env=env
    )


async def _handed_link(links: Path) -> str:
    with anyio.fail_after(30):
        while not links.exists() or not links.read_text().strip():
            await anyio.sleep(0.05)
    return links.read_text().strip().splitlines()[-1]


async def test_the_page_opens_on_the_users_screen_and_approve_sends_once(tmp_path: Path) -> None:
    links = tmp_path / "opened-links.txt"
    async with Client(_stdio_server(tmp_path, links), mode="legacy") as client:
        first = await ok(client, "send_sms", AWA)
        assert first["status"] == "confirmation_required"
        assert "opened on the user's screen" in first["message"]
        link = await _handed_link(links)
        secret = link.split("/approvals/signin/", 1)[1].split("?", 1)[0]
        assert first["approval_url"].startswith("http://127.0.0.1:") and secret not in str(first)

        pending = await ok(client, "send_sms", {**AWA, "confirmation_token": first["confirmation_token"]})
        assert pending["status"] == "approval_pending"

        async with chromium() as browser:
            context = await browser.new_context(locale="fr-FR")
            context.set_default_timeout(STEP_TIMEOUT_MS)
            page = await context.new_page()
            await page.goto(link)  # signs the desktop user in, then shows the page
            await expect(page.get_by_text("Bonjour Awa, la réunion est à 15h.")).to_be_visible()
            await page.get_by_role("button", name="Approuver").click()
            await expect(page.get_by_role("button", name="Approuver")).to_have_count(0)
            reused = await (await browser.new_context()).new_page()
            answer = await reused.goto(link)  # a one-time link: a second use signs nobody in
            assert answer is not None and answer.status == 403

        sent = await ok(client, "send_sms", {**AWA, "confirmation_token": first["confirmation_token"]})
        again = await ok(client, "send_sms", {**AWA, "confirmation_token": first["confirmation_token"]})
        history = await client.read_resource("letexto://sends/today")
    assert sent["status"] == "submitted"
    assert again["status"] == "duplicate"
    assert '"page:desktop"' in history.contents[0].text
    assert secret not in history.contents[0].text
