"""The approval page over real HTTP: who may sign in, what a decision takes, what GET never does.

The server is the real HTTP app under uvicorn on loopback, policy `approve`, the simulator behind it;
records are opened by real MCP calls, and the caller's retry shows what a decision let through.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from letexto_mcp.config import ApproverKey
from letexto_mcp.guard.approvals import ApprovalDesk
from letexto_mcp.sandbox import SANDBOX_API_KEY
from letexto_mcp.store.memory import MemoryStore
from letexto_mcp.web import ApprovalWebContext, SignInLinks, approval_routes
from letexto_mcp.web.render import EMAIL_BODY_CSP, PAGE_CSP
from letexto_mcp.web.sessions import Sessions
from tests.approval_helpers import (
    AWA,
    AWA_KEY,
    BOB_KEY,
    STATE_SECRET,
    ApprovalServer,
    approval_server,
    csrf_of,
    path_of,
)
from tests.http_helpers import KEY_A, KEY_B, serving

pytestmark = pytest.mark.anyio

SPEC_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


@pytest.fixture
async def server(simulator: Any, tmp_path: Path) -> AsyncIterator[ApprovalServer]:
    async with approval_server(simulator, tmp_path) as served:
        yield served


def assert_page_headers(response: Any) -> None:
    assert response.headers["content-security-policy"] == PAGE_CSP
    assert response.headers["content-security-policy"].startswith(SPEC_CSP)
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert "<script" not in response.text.lower()
    assert " on" + "click" not in response.text.lower()


async def test_a_person_signs_in_with_an_approver_key_and_sees_what_leaves(server: ApprovalServer) -> None:
    opened = await server.open()
    page = opened["approval_url"]
    async with server.browser() as http:
        login = await http.get(path_of(page))
        assert login.status_code == 401
        assert_page_headers(login)
        assert '<label for="key">Approver key</label>' in login.text
        assert 'action="/approvals/login"' in login.text
        assert f'name="next" value="{path_of(page)}"' in login.text
        assert "Bonjour Awa" not in login.text  # nothing of the send before signing in

        signed = await server.sign_in(http, AWA_KEY, page)
        assert signed.status_code == 303
        assert signed.headers["location"] == path_of(page)
        cookie = signed.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        assert "secure" not in cookie.lower()  # plain http on loopback
        assert "path=/approvals" in cookie.lower() and "max-age=43200" in cookie.lower()
        assert AWA_KEY not in cookie

        shown = await http.get(path_of(page))
    assert shown.status_code == 200
    assert_page_headers(shown)
    text = shown.text
    assert "Signed in as awa" in text
    assert "Waiting for your decision" in text
    assert "Bonjour Awa, la réunion est à 15h." in text
    assert "+225 07 07 12 34 56" in text
    assert "SMS INFO" in text and "GSM-7" in text
    assert re.search(r"<dt>Balance</dt><dd>1,000 → 999 credits</dd>", text), text
    assert f'action="{path_of(page)}/approve"' in text and f'action="{path_of(page)}/decline"' in text
    assert ">Approve</button>" in text and ">Decline</button>" in text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert (await server.record(page)).state == "pending"  # looking decided nothing


async def test_secure_cookie_behind_an_https_proxy(server: ApprovalServer) -> None:
    opened = await server.open()
    async with server.browser() as http:
        signed = await http.post(
            "/approvals/login",
            data={"key": AWA_KEY, "next": path_of(opened["approval_url"])},
            headers={"X-Forwarded-Proto": "https"},
        )
    assert signed.status_code == 303
    assert "secure" in signed.headers["set-cookie"].lower()


async def test_approve_on_the_page_lets_the_retry_send_exactly_once(server: ApprovalServer) -> None:
    opened = await server.open()
    page = opened["approval_url"]
    async with server.browser() as http:
        await server.sign_in(http, AWA_KEY, page)
        shown = await http.get(path_of(page))
        decided = await http.post(f"{path_of(page)}/approve", data={"csrf": csrf_of(shown.text, "approve")})
        assert decided.status_code == 303 and decided.headers["location"] == path_of(page)
        record = await server.record(page)
        assert (record.state, record.decided_by, record.decided_via) == ("approved", "awa", "page")
        assert record.decided_from == "127.0.0.1"
        assert server.simulator.state.messages == []  # approving sends nothing by itself

        sent = await server.retry(opened)
        again = await server.retry(opened)
        after = await http.get(path_of(page))
    assert sent["status"] == "submitted", sent
    assert again["status"] in ("duplicate", "refused"), again
    assert len(server.simulator.state.messages) == 1
    assert "and handed to LeTexto" in after.text
    assert sent["message_id"] in after.text
    assert "<form" not in after.text  # no buttons once decided


async def test_decline_on_the_page_sends_nothing(server: ApprovalServer) -> None:
    opened = await server.open()
    page = opened["approval_url"]
    async with server.browser() as http:
        await server.sign_in(http, AWA_KEY, page)
        shown = await http.get(path_of(page))
        decided = await http.post(f"{path_of(page)}/decline", data={"csrf": csrf_of(shown.text, "decline")})
        assert decided.status_code == 303
        after = await http.get(path_of(page))
    record = await server.record(page)
    assert (record.state, record.decided_by) == ("declined", "awa")
    assert "Declined by awa" in after.text and "Nothing was sent." in after.text
    retried = await server.retry(opened)
    assert retried["status"] == "declined", retried
    assert server.simulator.state.messages == []


async def test_missing_wrong_or_borrowed_csrf_tokens_decide_nothing(server: ApprovalServer) -> None:
    opened = await server.open()
    page = path_of(opened["approval_url"])
    other = path_of((await server.open(arguments={**AWA, "content": "Un autre message"}))["approval_url"])
    async with server.browser() as http, server.browser() as second:
        await server.sign_in(http, AWA_KEY, page)
        await server.sign_in(second, AWA_KEY, page)
        mine = (await http.get(page)).text
        theirs = (await second.get(page)).text
        other_page = (await http.get(other)).text
        attempts = [
            await http.post(f"{page}/approve", data={}),
            await http.post(f"{page}/approve", data={"csrf": ""}),
            await http.post(f"{page}/approve", data={"csrf": "x" * 43}),
            await http.post(f"{page}/approve", data={"csrf": csrf_of(mine, "decline")}),  # the other button's
            await http.post(
                f"{page}/approve", data={"csrf": csrf_of(theirs, "approve")}
            ),  # another session's
            await http.post(
                f"{page}/approve", data={"csrf": csrf_of(other_page, "approve")}
            ),  # another record's
            await http.post(  # a valid token, but the form was posted from another site
                f"{page}/approve",
                data={"csrf": csrf_of(mine, "approve")},
                headers={"Sec-Fetch-Site": "cross-site"},
            ),
        ]
    for response in attempts:
        assert response.status_code == 403, response.text
        assert "Decision not taken" in response.text
    assert (await server.record(page)).state == "pending"
    assert (await server.record(other)).state == "pending"


async def test_get_on_the_decision_urls_changes_nothing(server: ApprovalServer) -> None:
    opened = await server.open()
    page = path_of(opened["approval_url"])
    async with server.browser() as http:
        await server.sign_in(http, AWA_KEY, page)
        csrf = csrf_of((await http.get(page)).text, "approve")
        answers = [
            await http.get(f"{page}/approve"),
            await http.get(f"{page}/decline"),
            await http.get(f"{page}/approve", params={"csrf": csrf}),
            await http.get(f"{page}/approve", headers={"Authorization": f"Bearer {AWA_KEY}"}),
            await http.head(f"{page}/decline"),
            await http.get("/approvals/login", params={"key": AWA_KEY, "next": page}),
        ]
    for answer in answers:
        assert answer.status_code == 405
        assert answer.headers["allow"] == "POST"
    assert (await server.record(page)).state == "pending"


async def test_a_double_submit_or_two_tabs_give_one_decision(server: ApprovalServer) -> None:
    opened = await server.open()
    page = path_of(opened["approval_url"])
    async with server.browser() as http:
        await server.sign_in(http, AWA_KEY, page)
        shown = (await http.get(page)).text
        answers: list[Any] = []

        async def post(action: str) -> None:
            answers.append(await http.post(f"{page}/{action}", data={"csrf": csrf_of(shown, action)}))

        async with anyio.create_task_group() as tg:
            for action in ("approve", "approve", "decline", "approve", "decline"):
                tg.start_soon(post, action)
        after = (await http.get(page)).text
    assert [a.status_code for a in answers] == [303] * 5
    record = await server.record(page)
    assert record.state in ("approved", "declined")
    first = "Approved by awa" if record.state == "approved" else "Declined by awa"
    assert first in after and "<form" not in after
    retried = await server.retry(opened)
    expected = {"approved": "submitted", "declined": "declined"}[record.state]
    assert retried["status"] == expected
    assert len(server.simulator.state.messages) == (1 if record.state == "approved" else 0)


async def test_a_client_key_or_the_letexto_key_can_never_sign_in(server: ApprovalServer) -> None:
    opened = await server.open()
    page = opened["approval_url"]
    async with server.browser() as http:
        for key in (KEY_A, KEY_B, SANDBOX_API_KEY):
            refused = await server.sign_in(http, key, page)
            assert refused.status_code == 403
            assert "Client keys cannot approve" in refused.text
            assert "set-cookie" not in refused.headers
            assert key not in refused.text
        # A client key sent the way MCP clients send it grants nothing either.
        as_client = await http.get(path_of(page), headers={"Authorization": f"Bearer {KEY_A}"})
    assert as_client.status_code == 401 and "Approver key" in as_client.text
    assert (await server.record(page)).state == "pending"


async def test_a_wrong_key_is_told_so_and_shown_the_form_again(server: ApprovalServer) -> None:
    opened = await server.open()
    async with server.browser() as http:
        wrong = await server.sign_in(http, AWA_KEY + "x", opened["approval_url"])
    assert wrong.status_code == 401
    assert "This is not an approver key" in wrong.text
    assert "set-cookie" not in wrong.headers
    assert AWA_KEY not in wrong.text


async def test_another_tenants_approver_can_neither_see_nor_decide(server: ApprovalServer) -> None:
    for_a = path_of((await server.open(key=KEY_A))["approval_url"])
    for_b = path_of((await server.open(key=KEY_B, arguments={**AWA, "content": "Pour B"}))["approval_url"])
    unknown = "/approvals/" + "Z" * 24
    async with server.browser() as bob:
        await server.sign_in(bob, BOB_KEY, for_b)
        assert (await bob.get(for_b)).status_code == 200  # bob decides B's sends
        hidden = await bob.get(for_a)
        missing = await bob.get(unknown)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.text == missing.text  # the same answer as an unknown record: nothing revealed
        assert "Bonjour Awa" not in hidden.text
        assert (await bob.get(f"{for_a}/recipients.csv")).status_code == 404
        assert (await bob.get(f"{for_a}/email-body")).status_code == 404
        # Even a CSRF token made with the server's own secret for bob's session does not let him decide.
        cookie = next(value for name, value in bob.cookies.items() if name.startswith("letexto_approver_"))
        secret = hmac.new(STATE_SECRET.encode(), b"letexto-mcp/approval-sessions/v1", hashlib.sha256).digest()
        sessions = Sessions(secret)
        session = sessions.read(cookie, 0.0)
        assert session is not None and session.name == "bob"
        record_id = for_a.rsplit("/", 1)[-1]
        forced = await bob.post(
            f"{for_a}/approve", data={"csrf": sessions.csrf(session, record_id, "approve")}
        )
    assert forced.status_code == 403
    assert "Not yours to decide" in forced.text
    assert (await server.record(for_a)).state == "pending"


async def test_login_brute_force_waits_after_the_limit_and_successes_do_not_count(
    server: ApprovalServer,
) -> None:
    opened = await server.open()
    page = opened["approval_url"]
    async with server.browser() as http:
        for _ in range(3):
            assert (await server.sign_in(http, AWA_KEY, page)).status_code == 303
        for attempt in range(5):
            wrong = await server.sign_in(http, f"guess-number-{attempt:04d}-xxxxxx", page)
            assert wrong.status_code == 401
        blocked = await server.sign_in(http, "guess-number-0005-xxxxxx", page)
        right_but_late = await server.sign_in(http, AWA_KEY, page)
        bot = await http.post(f"{path_of(page)}/approve", headers={"Authorization": f"Bearer {AWA_KEY}"})
        french = await http.post(
            "/approvals/login",
            data={"key": "guess", "next": path_of(page)},
            headers={"Accept-Language": "fr-CI,fr;q=0.9"},
        )
    for response in (blocked, right_but_late, bot, french):
        assert response.status_code == 429
        assert 1 <= int(response.headers["retry-after"]) <= 60
    assert "Too many failed sign-in attempts" in blocked.text and "Wait" in blocked.text
    assert "Trop de tentatives" in french.text and "Attendez" in french.text
    assert "set-cookie" not in right_but_late.headers
    assert (await server.record(page)).state == "pending"


async def test_the_csv_lists_every_recipient_with_their_text(server: ApprovalServer) -> None:
    contacts = [{"phone": f"07 08 {i // 100:02d} {i % 100:02d} 11", "prenom": f"Ama{i}"} for i in range(120)]
    contacts.append({"phone": "07 09 00 00 01", "prenom": "=1+1"})
    contacts.append({"phone": "07 09 00 00 02", "prenom": "@Kofi"})
    arguments = {
        "label": "Rappel",
        "contacts": contacts,
        "content": "{{prenom}}, votre rendez-vous est demain.",
    }
    opened = await server.open("create_sms_campaign", arguments)
    page = path_of(opened["approval_url"])
    async with server.browser() as http:
        unsigned = await http.get(f"{page}/recipients.csv")
        await server.sign_in(http, AWA_KEY, page)
        exported = await http.get(f"{page}/recipients.csv")
    assert unsigned.status_code == 303 and unsigned.headers["location"] == page
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["recipient", "text"]
    assert len(rows) == 1 + 122
    expected = {
        f"2250708{i // 100:02d}{i % 100:02d}11": f"Ama{i}, votre rendez-vous est demain." for i in range(120)
    }
    got = dict(rows[1:])
    assert {k: v for k, v in got.items() if k in expected} == expected
    assert got["2250709000001"] == "'=1+1, votre rendez-vous est demain."
    assert got["2250709000002"] == "'@Kofi, votre rendez-vous est demain."


async def test_the_email_body_is_served_sandboxed(server: ApprovalServer) -> None:
    body = "<h1>Promo</h1><script>document.title='pwned'</script><img src='http://203.0.113.9/t.png'>"
    arguments = {
        "label": "Promo",
        "from_email": "news@example.ci",
        "recipients": ["awa@example.ci", "kofi@example.ci"],
        "subject": "Nos offres de la semaine",
        "content": body,
    }
    opened = await server.open("create_email_campaign", arguments)
    page = path_of(opened["approval_url"])
    async with server.browser() as http:
        unsigned = await http.get(f"{page}/email-body")
        await server.sign_in(http, AWA_KEY, page)
        shown = await http.get(page)
        served = await http.get(f"{page}/email-body")
    assert unsigned.status_code == 404 and body not in unsigned.text
    assert f'<iframe sandbox src="{page}/email-body"' in shown.text
    assert "Nos offres de la semaine" in shown.text
    assert "awa@example.ci" in shown.text and "kofi@example.ci" in shown.text
    assert "&lt;script&gt;" not in shown.text and "<script" not in shown.text  # the body is only in the frame
    assert served.status_code == 200 and served.text == body
    assert served.headers["content-security-policy"] == EMAIL_BODY_CSP
    assert served.headers["content-security-policy"].startswith(
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-type"].startswith("text/html")


async def test_french_for_a_french_browser(server: ApprovalServer) -> None:
    opened = await server.open()
    page = path_of(opened["approval_url"])
    french = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
    async with server.browser(headers=french) as http:
        login = await http.get(page)
        await server.sign_in(http, AWA_KEY, page)
        shown = await http.get(page)
    assert "Clé d&#39;approbateur" in login.text and 'lang="fr"' in login.text
    assert ">Approuver</button>" in shown.text and ">Refuser</button>" in shown.text
    assert "En attente de votre décision" in shown.text
    assert re.search(r"<dt>Solde</dt><dd>1\u202f000 → 999 crédits</dd>", shown.text)


async def test_the_pages_own_files_and_nothing_else(server: ApprovalServer) -> None:
    async with server.browser() as http:
        css = await http.get("/approvals/static/approval.css")
        icon = await http.get("/approvals/static/favicon.svg")
        other = await http.get("/approvals/static/..%2Fsessions.py")
        odd_id = await http.get("/approvals/not%20an%20id")
        cross = await http.post(
            "/approvals/login",
            data={"key": AWA_KEY, "next": "/approvals/" + "a" * 24},
            headers={"Sec-Fetch-Site": "cross-site"},
        )
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ".button.approve" in css.text and css.headers["x-content-type-options"] == "nosniff"
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert other.status_code == 404
    assert odd_id.status_code == 404
    assert cross.status_code == 403 and "set-cookie" not in cross.headers


async def test_requests_for_another_host_are_refused(server: ApprovalServer) -> None:
    opened = await server.open()
    async with server.browser() as http:
        rebound = await http.get(path_of(opened["approval_url"]), headers={"Host": "evil.example"})
    assert rebound.status_code == 421


async def test_sign_in_refuses_a_next_that_is_not_an_approval_page(server: ApprovalServer) -> None:
    async with server.browser() as http:
        for target in ("https://evil.example/", "//evil.example/approvals/x", "/mcp", ""):
            answer = await http.post("/approvals/login", data={"key": AWA_KEY, "next": target})
            assert answer.status_code == 400
            assert "set-cookie" not in answer.headers
        not_a_form = await http.post("/approvals/login", json={"key": AWA_KEY, "next": "/approvals/x"})
    assert not_a_form.status_code == 400


async def test_sign_in_links_are_404_on_the_http_server(server: ApprovalServer) -> None:
    async with server.browser() as http:
        answer = await http.get("/approvals/signin/whatever?next=/approvals/abcdefghijklmnopqrst")
    assert answer.status_code == 404


# -- the pages over a desk of their own (stdio's shape): sign-in links, expiry, not started ------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def open_record(desk: ApprovalDesk, tenant: str = "local") -> str:
    record = await desk.open(
        tenant=tenant,
        tool="send_sms",
        fingerprint="f" * 64,
        summary={"tool": "send_sms", "channel": "sms", "sender": "SMS INFO", "warnings": ["Heads up"]},
        messages=[("2250707123456", "Bonjour du bureau")],
    )
    return record.id


@pytest.fixture
async def desktop() -> AsyncIterator[tuple[str, ApprovalDesk, SignInLinks, Clock]]:
    clock = Clock()
    desk = ApprovalDesk(MemoryStore(), ttl=600, clock=clock)
    links = SignInLinks(ttl=600, clock=clock)
    context = ApprovalWebContext(
        desk=desk,
        approvers=[ApproverKey("awa", SecretStr(AWA_KEY))],
        refused_keys=[],
        session_secret=b"k" * 32,
        sign_in_links=links,
    )
    async with serving(Starlette(routes=approval_routes(lambda: context))) as url:
        yield url, desk, links, clock


async def test_a_one_time_link_signs_the_desktop_user_in_once(
    desktop: tuple[str, ApprovalDesk, SignInLinks, Clock],
) -> None:
    url, desk, links, _ = desktop
    approval_id = await open_record(desk)
    link = links.issue(approval_id)
    async with ApprovalServer(url, None, None).browser() as http:
        first = await http.get(link)
        assert first.status_code == 303 and first.headers["location"] == f"/approvals/{approval_id}"
        assert "samesite=strict" in first.headers["set-cookie"].lower()
        shown = await http.get(f"/approvals/{approval_id}")
        assert "Signed in as desktop" in shown.text and "Bonjour du bureau" in shown.text
        decided = await http.post(
            f"/approvals/{approval_id}/approve", data={"csrf": csrf_of(shown.text, "approve")}
        )
        assert decided.status_code == 303
    async with ApprovalServer(url, None, None).browser() as other:
        reused = await other.get(link)
        unknown = await other.get("/approvals/signin/not-a-link?next=/approvals/" + approval_id)
    assert reused.status_code == unknown.status_code == 403
    assert "set-cookie" not in reused.headers
    record = await desk.get(approval_id)
    assert record is not None and (record.state, record.decided_by, record.decided_via) == (
        "approved",
        "desktop",
        "page",
    )


async def test_an_expired_link_and_an_expired_record(
    desktop: tuple[str, ApprovalDesk, SignInLinks, Clock],
) -> None:
    url, desk, links, clock = desktop
    approval_id = await open_record(desk)
    late_link = links.issue(approval_id)
    live_link = links.issue(approval_id)
    async with ApprovalServer(url, None, None).browser() as http:
        signed = await http.get(live_link)
        assert signed.status_code == 303
        csrf = csrf_of((await http.get(f"/approvals/{approval_id}")).text, "approve")
        clock.now += 601
        assert (await http.get(late_link)).status_code == 403
        after = await http.post(f"/approvals/{approval_id}/approve", data={"csrf": csrf})
        shown = await http.get(f"/approvals/{approval_id}")
        bot = await http.post(
            f"/approvals/{approval_id}/approve", headers={"Authorization": f"Bearer {AWA_KEY}"}
        )
    assert after.status_code == 303
    assert "Expired: nobody decided in time" in shown.text and "<form" not in shown.text
    assert bot.status_code == 410 and bot.json() == {"status": "expired"}
    record = await desk.get(approval_id)
    assert record is not None and record.state == "pending" and record.decided_by is None


async def test_before_start_up_the_pages_answer_503() -> None:
    def not_started() -> ApprovalWebContext:
        raise RuntimeError("not started")

    async with (
        serving(Starlette(routes=approval_routes(not_started))) as url,
        ApprovalServer(url, None, None).browser() as http,
    ):
        answer = await http.get("/approvals/" + "a" * 24)
    assert answer.status_code == 503


async def test_no_key_cookie_or_sign_in_secret_reaches_a_log_line(
    desktop: tuple[str, ApprovalDesk, SignInLinks, Clock], caplog: Any
) -> None:
    from letexto_mcp.server.logs import SecretLogFilter

    url, desk, links, _ = desktop
    approval_id = await open_record(desk)
    link = links.issue(approval_id)
    secret = link.removeprefix("/approvals/signin/").split("?")[0]
    caplog.set_level("DEBUG")
    async with ApprovalServer(url, None, None).browser() as http:
        await http.get(link)
        shown = await http.get(f"/approvals/{approval_id}")
        await http.post(f"/approvals/{approval_id}/approve", data={"csrf": csrf_of(shown.text, "approve")})
        await http.post(
            "/approvals/login", data={"key": "wrong-key-" + AWA_KEY, "next": f"/approvals/{approval_id}"}
        )
        await http.post("/approvals/login", data={"key": AWA_KEY, "next": f"/approvals/{approval_id}"})
        cookies = [value for name, value in http.cookies.items() if name.startswith("letexto_approver_")]
    # The server's own lines, and its access log as `serve --transport http` writes it (through the
    # filter on its handlers); the test's own HTTP client logs URLs and is left out.
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("letexto_mcp", "starlette"))]
    access = [SecretLogFilter().clean(r.getMessage()) for r in caplog.records if r.name.startswith("uvicorn")]
    assert any("/approvals/signin/" in line for line in access)
    logged = "\n".join(ours + access)
    assert "signed in" in logged and "approved by desktop" in logged
    for secret_value in (AWA_KEY, secret, *cookies, csrf_of(shown.text, "approve")):
        assert secret_value not in logged
