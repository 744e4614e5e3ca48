"""The approval page in a real browser (Debian's Chromium through Playwright): what a person sees and does.

Each test serves the real HTTP app on loopback under policy `approve`, opens records with real MCP
calls, and drives the page with clicks and typing; the simulator shows what was sent.
"""

from __future__ import annotations

from tests.browser_helpers import require_browser

require_browser()

# ruff: noqa: E402 - the imports below need the browser (and playwright) checked first
import csv
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from playwright.async_api import Browser, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.approval_helpers import AWA, AWA_KEY, BOB_KEY, ApprovalServer, approval_server
from tests.browser_helpers import STEP_TIMEOUT_MS, chromium
from tests.http_helpers import KEY_A, KEY_B, serving

pytestmark = pytest.mark.anyio


@pytest.fixture
async def server(simulator: Any, tmp_path: Path) -> AsyncIterator[ApprovalServer]:
    async with approval_server(simulator, tmp_path) as served:
        yield served


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


async def new_page(browser: Browser, locale: str = "en-US") -> Page:
    context = await browser.new_context(locale=locale)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return await context.new_page()


async def sign_in(
    page: Page, url: str, key: str, *, label: str = "Approver key", button: str = "Sign in"
) -> None:
    await page.goto(url)
    await page.get_by_label(label).fill(key)
    # The form posts and the answer (a redirect, or the form again) replaces the page: wait for it,
    # or the test's next step races the navigation ("Not attached to an active page").
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()


async def test_sign_in_approve_and_the_retry_sends_exactly_once(
    server: ApprovalServer, browser: Browser
) -> None:
    opened = await server.open()
    page = await new_page(browser)
    await sign_in(page, opened["approval_url"], AWA_KEY)  # (the sign-in form itself answers 401)
    errors: list[str] = []
    page.on(
        "console", lambda m: errors.append(f"{m.location['url']}: {m.text}") if m.type == "error" else None
    )
    await page.reload()
    await expect(page.get_by_role("heading", name="Waiting for your decision")).to_be_visible()
    await expect(page.get_by_text("Bonjour Awa, la réunion est à 15h.")).to_be_visible()
    await expect(page.get_by_text("+225 07 07 12 34 56")).to_be_visible()
    approve = page.get_by_role("button", name="Approve")
    # The stylesheet loads under the page's CSP (style-src 'self'): the button is green and big.
    assert await approve.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(23, 128, 61)"
    assert (await approve.bounding_box() or {"height": 0})["height"] >= 48
    await approve.click()
    await expect(
        page.get_by_role("heading", name=re.compile(r"^Approved by awa on the page"))
    ).to_be_visible()
    await expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    record = await server.record(opened["approval_url"])
    assert (record.state, record.decided_by, record.decided_via) == ("approved", "awa", "page")
    assert server.simulator.state.messages == []

    sent = await server.retry(opened)
    again = await server.retry(opened)
    assert sent["status"] == "submitted", sent
    assert again["status"] == "duplicate", again  # the duplicate check comes before the spent approval
    assert [m.to for m in server.simulator.state.messages] == ["2250707123456"]
    await page.reload()
    await expect(page.get_by_text("and handed to LeTexto")).to_be_visible()
    await expect(page.get_by_text(sent["message_id"])).to_be_visible()
    assert errors == [], errors  # nothing the page asked for was refused by its own CSP


async def test_decline_sends_nothing(server: ApprovalServer, browser: Browser) -> None:
    opened = await server.open()
    page = await new_page(browser)
    await sign_in(page, opened["approval_url"], AWA_KEY)
    await page.get_by_role("button", name="Decline").click()
    await expect(page.get_by_role("heading", name=re.compile(r"^Declined by awa"))).to_be_visible()
    await expect(page.get_by_text("Nothing was sent.")).to_be_visible()
    assert (await server.record(opened["approval_url"])).state == "declined"
    assert (await server.retry(opened))["status"] == "declined"
    assert server.simulator.state.messages == []


async def test_two_tabs_give_one_decision(server: ApprovalServer, browser: Browser) -> None:
    opened = await server.open()
    first = await new_page(browser)
    await sign_in(first, opened["approval_url"], AWA_KEY)
    second = await first.context.new_page()
    await second.goto(opened["approval_url"])
    await expect(second.get_by_role("button", name="Decline")).to_be_visible()

    await first.get_by_role("button", name="Approve").click()
    await expect(first.get_by_role("heading", name=re.compile(r"^Approved by awa"))).to_be_visible()
    await second.get_by_role("button", name="Decline").click()  # the stale tab's button
    await expect(second.get_by_role("heading", name=re.compile(r"^Approved by awa"))).to_be_visible()
    await (
        second.go_back()
    )  # the page is never cached (no-store): history shows the decision, no stale buttons
    await expect(second.get_by_role("heading", name=re.compile(r"^Approved by awa"))).to_be_visible()
    await expect(second.get_by_role("button", name="Decline")).to_have_count(0)

    double = await server.open(arguments={**AWA, "content": "Deuxième envoi"})
    await first.goto(double["approval_url"])
    await first.get_by_role("button", name="Decline").dblclick()  # a double submit
    await expect(first.get_by_role("heading", name=re.compile(r"^Declined by awa"))).to_be_visible()
    assert (await server.record(double["approval_url"])).state == "declined"

    record = await server.record(opened["approval_url"])
    assert (record.state, record.decided_by) == ("approved", "awa")
    assert (await server.retry(opened))["status"] == "submitted"
    assert len(server.simulator.state.messages) == 1


async def test_opening_the_decision_urls_changes_nothing(server: ApprovalServer, browser: Browser) -> None:
    opened = await server.open()
    page = await new_page(browser)
    await sign_in(page, opened["approval_url"], AWA_KEY)
    for action in ("approve", "decline"):
        response = await page.goto(f"{opened['approval_url']}/{action}")
        assert response is not None and response.status == 405
        await expect(page.get_by_role("heading", name="Use the buttons")).to_be_visible()
    assert (await server.record(opened["approval_url"])).state == "pending"


async def test_a_client_key_cannot_sign_in(server: ApprovalServer, browser: Browser) -> None:
    opened = await server.open()
    page = await new_page(browser)
    for key in (KEY_A, KEY_B):
        await sign_in(page, opened["approval_url"], key)
        await expect(page.get_by_role("heading", name="Client keys cannot approve")).to_be_visible()
        await expect(page.get_by_text("can never approve a send")).to_be_visible()
    assert await page.context.cookies() == []
    assert (await server.record(opened["approval_url"])).state == "pending"


async def test_another_tenants_approver_does_not_see_the_record(
    server: ApprovalServer, browser: Browser
) -> None:
    for_a = (await server.open(key=KEY_A))["approval_url"]
    for_b = (await server.open(key=KEY_B, arguments={**AWA, "content": "Pour le compte B"}))["approval_url"]
    page = await new_page(browser)
    await sign_in(page, for_b, BOB_KEY)
    await expect(page.get_by_text("Pour le compte B")).to_be_visible()
    response = await page.goto(for_a)
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", name="No such approval")).to_be_visible()
    assert "Bonjour Awa" not in await page.content()


async def test_login_brute_force_gets_429(server: ApprovalServer, browser: Browser) -> None:
    opened = await server.open()
    page = await new_page(browser)
    for attempt in range(5):
        await sign_in(page, opened["approval_url"], f"wrong-guess-{attempt}-xxxxxxxxxx")
        await expect(page.get_by_text("This is not an approver key")).to_be_visible()
    await sign_in(page, opened["approval_url"], AWA_KEY)
    await expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
    await expect(page.get_by_text(re.compile(r"Wait \d+ seconds"))).to_be_visible()
    assert (await server.record(opened["approval_url"])).state == "pending"


def campaign(count: int) -> tuple[dict[str, Any], dict[str, str]]:
    """A personalised campaign of `count` contacts: its arguments, and each number's text in full."""
    contacts, expected = [], {}
    content = (
        "Bonjour {{prenom}},\nvotre rendez-vous au centre de santé de Cocody est confirmé pour le "
        "{{jour}} à {{heure}}. Merci d'arriver 15 minutes en avance avec votre carnet. Répondez STOP pour "
        "ne plus recevoir nos messages."
    )
    for i in range(count):
        fields = {
            "prenom": f"Adjoua-{i:03d}",
            "jour": f"{1 + i % 28} mars",
            "heure": f"{8 + i % 9}h{i % 60:02d}",
        }
        contacts.append({"phone": f"07 08 {i // 100:02d} {i % 100:02d} 22", **fields})
        text = content
        for name, value in fields.items():
            text = text.replace("{{" + name + "}}", value)
        expected[f"+225 07 08 {i // 100:02d} {i % 100:02d} 22"] = text
    return {"label": "Rappels mars", "contacts": contacts, "content": content}, expected


async def test_a_250_recipient_campaign_shows_every_recipient_and_every_text(
    server: ApprovalServer, browser: Browser, tmp_path: Path
) -> None:
    arguments, expected = campaign(250)
    opened = await server.open("create_sms_campaign", arguments)
    page = await new_page(browser)
    await sign_in(page, opened["approval_url"], AWA_KEY)
    await expect(page.get_by_role("heading", name="Recipients (250)")).to_be_visible()

    seen: dict[str, str] = {}
    pages = 0
    while True:
        pages += 1
        rows = page.locator("#recipients table.pairs tr")
        for row in await rows.all():
            seen[await row.locator("th").inner_text()] = await row.locator("td").text_content() or ""
        following = page.locator("#recipients nav.pager a[rel=next]")
        if await following.count() == 0:
            break
        await following.click()
    assert pages == 2
    assert seen == expected

    texts: list[str] = []
    text_pages = 0
    while True:
        text_pages += 1
        for item in await page.locator("#texts ol.texts li").all():
            texts.append(await item.locator(".text").text_content() or "")
            await expect(item.locator(".count")).to_have_text("sent to 1 recipient")
        following = page.locator("#texts nav.pager a[rel=next]")
        if await following.count() == 0:
            break
        await following.click()
    assert text_pages == 5
    assert sorted(texts) == sorted(expected.values())  # each in full, newline included
    assert all(len(text) > 160 for text in texts)

    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Download every recipient and text (CSV)").click()
    download = await waiting.value
    saved = tmp_path / "recipients.csv"
    await download.save_as(saved)
    with saved.open(encoding="utf-8-sig", newline="") as file:
        rows_out = list(csv.reader(file))
    assert rows_out[0] == ["recipient", "text"] and len(rows_out) == 251
    assert sorted(text for _, text in rows_out[1:]) == sorted(expected.values())


class Tracker:
    """A "remote" server on another loopback port: it records every request an email body makes."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.app = Starlette(routes=[Route("/{path:path}", self.hit, methods=["GET", "POST"])])

    async def hit(self, request: Request) -> Response:
        self.hits.append(request.url.path)
        return Response("", media_type="text/plain")


async def test_an_email_body_runs_no_script_and_loads_nothing_remote(
    server: ApprovalServer, browser: Browser
) -> None:
    tracker = Tracker()
    async with serving(tracker.app) as remote:
        body = f"""<html><head><title>Promo</title>
<link rel="stylesheet" href="{remote}/link.css">
<style>@import url("{remote}/import.css"); body {{ background: url("{remote}/background.png"); }}</style>
</head><body>
<h1 id="hello">Bonjour Awa</h1>
<p>Nos offres de la semaine.</p>
<script>document.title = 'pwned'; document.body.appendChild(document.createElement('x-pwned'));
try {{ parent.document.title = 'pwned'; }} catch (e) {{}}
new Image().src = '{remote}/script.png';</script>
<img src="{remote}/pixel.png" alt="pixel" onerror="document.body.setAttribute('data-pwned', 'onerror')">
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="inline">
<iframe src="{remote}/frame.html"></iframe>
<video src="{remote}/video.mp4" autoplay></video>
<meta http-equiv="refresh" content="0;url={remote}/refresh">
<form action="{remote}/form" method="post"><input name="q" value="x"></form>
</body></html>"""
        arguments = {
            "label": "Promo",
            "from_email": "news@example.ci",
            "recipients": ["awa@example.ci", "kofi@example.ci"],
            "subject": "Nos offres de la semaine",
            "content": body,
        }
        opened = await server.open("create_email_campaign", arguments)
        page = await new_page(browser)
        answered: list[str] = []  # every response the browser received, from anywhere
        page.on("response", lambda response: answered.append(response.url))
        await sign_in(page, opened["approval_url"], AWA_KEY)
        await expect(page.get_by_text("Nos offres de la semaine").first).to_be_visible()
        frame = page.frame_locator("iframe.email-body")
        await expect(frame.locator("#hello")).to_have_text("Bonjour Awa")
        await anyio.sleep(1.0)  # time for anything that would load or run to do so
        await expect(frame.locator("x-pwned")).to_have_count(0)
        assert await frame.locator("body").get_attribute("data-pwned") is None
        await expect(frame.locator("#hello")).to_have_text("Bonjour Awa")  # no refresh navigated away
        assert not (await page.title()).startswith("pwned")
        body_frame = next(f for f in page.frames if f.url.endswith("/email-body"))
        assert await body_frame.locator("title").text_content() == "Promo"
        await frame.locator("input[name=q]").press("Enter")  # a form in the body does not submit
        await anyio.sleep(0.5)
    assert tracker.hits == []  # the remote server was never reached
    assert answered and all(url.startswith(f"{server.url}/approvals/") for url in answered), answered


@pytest.mark.parametrize(
    ("locale", "label", "button", "approve", "decline", "waiting"),
    [
        (
            "fr-FR",
            "Clé d'approbateur",
            "Se connecter",
            "Approuver",
            "Refuser",
            "En attente de votre décision",
        ),
        ("en-US", "Approver key", "Sign in", "Approve", "Decline", "Waiting for your decision"),
    ],
)
async def test_the_page_speaks_the_browsers_language(
    server: ApprovalServer,
    browser: Browser,
    locale: str,
    label: str,
    button: str,
    approve: str,
    decline: str,
    waiting: str,
) -> None:
    opened = await server.open()
    page = await new_page(browser, locale)
    await page.goto(opened["approval_url"])
    await expect(page.get_by_label(label)).to_be_visible()
    await sign_in(page, opened["approval_url"], AWA_KEY, label=label, button=button)
    await expect(page.get_by_role("heading", name=waiting)).to_be_visible()
    await expect(page.get_by_role("button", name=approve, exact=True)).to_be_visible()
    await expect(page.get_by_role("button", name=decline, exact=True)).to_be_visible()
    assert await page.locator("html").get_attribute("lang") == locale[:2]


async def test_the_page_fits_a_phone(server: ApprovalServer, browser: Browser) -> None:
    arguments, _ = campaign(12)
    opened = await server.open("create_sms_campaign", arguments)
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, locale="fr-FR"
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = await context.new_page()
    await sign_in(page, opened["approval_url"], AWA_KEY, label="Clé d'approbateur", button="Se connecter")
    approve = page.get_by_role("button", name="Approuver")
    await expect(approve).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing overflows sideways
    box = await approve.bounding_box()
    assert box is not None and box["width"] >= 300 and box["height"] >= 48  # a big target for a thumb


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


async def test_the_documentation_screenshots_can_be_made(tmp_path: Path) -> None:
    """`make screenshots` (bench/screenshots.py) works: both pictures, at their widths."""
    from bench.screenshots import DESKTOP, PHONE, take

    made = await take(tmp_path)
    assert [path.name for path in made] == [DESKTOP, PHONE]
    desktop_width, desktop_height = png_size(tmp_path / DESKTOP)
    phone_width, phone_height = png_size(tmp_path / PHONE)
    assert desktop_width == 1280 and desktop_height > 900
    assert phone_width == 390 * 2 and phone_height > 844 * 2  # a 390-wide phone at 2× pixel density
