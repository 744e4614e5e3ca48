"""The approval pages' parts on their own: languages, sessions, CSRF, keys, limits, sign-in links, CSV."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest
from pydantic import SecretStr

from letexto_mcp.config import ApproverKey
from letexto_mcp.store.memory import MemoryStore
from letexto_mcp.web import ApprovalWebContext, SignInLinks
from letexto_mcp.web.export import neutral, recipients_csv
from letexto_mcp.web.i18n import CATALOGS, Words, negotiate
from letexto_mcp.web.keys import REFUSED, Keyring
from letexto_mcp.web.limits import FailureLimiter
from letexto_mcp.web.routes import safe_next
from letexto_mcp.web.sessions import SESSION_SECONDS, Sessions

SECRET = b"s" * 32


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("en-US,en;q=0.9,fr;q=0.8", "en"),
        ("de-DE,fr;q=0.5,en;q=0.4", "fr"),
        ("en;q=0.3,fr-CI;q=0.7", "fr"),
        ("fr;q=0,en", "en"),
        ("es, de", "en"),
        ("FR", "fr"),
        ("fr;q=abc,en;q=0.1", "en"),
    ],
)
def test_the_language_is_the_supported_one_the_browser_prefers(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_both_languages_say_everything_and_french_numbers_read_french() -> None:
    assert set(CATALOGS["en"]) == set(CATALOGS["fr"])
    fr, en = Words("fr"), Words("en")
    assert fr("approve") == "Approuver" and fr("decline") == "Refuser"
    assert fr("approver_key") == "Clé d'approbateur" and en("approver_key") == "Approver key"
    assert fr.number(12345) == "12\u202f345" and en.number(12345) == "12,345"
    assert fr.number(2.5) == "2,5" and en.number(2.5) == "2.5"
    assert fr.plural("gets_it", 1) == "envoyé à 1 destinataire"
    assert en.plural("gets_it", 0) == "sent to 0 recipients"


def test_a_session_is_signed_expires_and_cannot_be_altered() -> None:
    sessions = Sessions(SECRET)
    value, session = sessions.issue("awa", "key", "tag", now=100.0)
    assert sessions.read(value, 100.0 + SESSION_SECONDS - 1) == session
    assert sessions.read(value, 100.0 + SESSION_SECONDS) is None
    body, signature = value.split(".")
    forged = body.replace(body[3], "A" if body[3] != "A" else "B") + "." + signature
    assert sessions.read(forged, 100.0) is None
    assert sessions.read(value + "x", 100.0) is None
    assert Sessions(b"t" * 32).read(value, 100.0) is None  # another server's secret
    for junk in ("", "a.b", "...", "x" * 5000, "bm90IGpzb24.AAAA"):
        assert sessions.read(junk, 100.0) is None
    with pytest.raises(ValueError):
        Sessions(b"short")


def test_a_csrf_token_is_bound_to_the_session_the_record_and_the_button() -> None:
    sessions = Sessions(SECRET)
    _, one = sessions.issue("awa", "key", "tag", now=0.0)
    _, two = sessions.issue("awa", "key", "tag", now=0.0)
    token = sessions.csrf(one, "record-aaaaaaaaaaaaaaaa", "approve")
    assert sessions.csrf_ok(one, "record-aaaaaaaaaaaaaaaa", "approve", token)
    assert not sessions.csrf_ok(two, "record-aaaaaaaaaaaaaaaa", "approve", token)
    assert not sessions.csrf_ok(one, "record-bbbbbbbbbbbbbbbb", "approve", token)
    assert not sessions.csrf_ok(one, "record-aaaaaaaaaaaaaaaa", "decline", token)
    assert not sessions.csrf_ok(one, "record-aaaaaaaaaaaaaaaa", "approve", None)
    assert not sessions.csrf_ok(one, "record-aaaaaaaaaaaaaaaa", "approve", "")


def test_keys_name_an_approver_or_are_refused() -> None:
    awa = ApproverKey("awa", SecretStr("approver-awa-0123456789"))
    keyring = Keyring([awa], refused=["mcp-client-key-0123456789", "letexto-key"])
    assert keyring.identify("approver-awa-0123456789") == awa
    assert keyring.identify("mcp-client-key-0123456789") is REFUSED
    assert keyring.identify("letexto-key") is REFUSED
    assert keyring.identify("approver-awa-012345678") is None
    assert keyring.identify("") is None
    assert keyring.by_name("awa") == awa


def test_failures_past_the_limit_wait_until_the_minute_has_passed() -> None:
    clock = Clock(0.0)
    limiter = FailureLimiter(3, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("10.0.0.1") == 0
        limiter.fail("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 60
    assert limiter.retry_after("10.0.0.2") == 0  # per address
    clock.now = 59.5
    assert limiter.retry_after("10.0.0.1") == 1
    clock.now = 60.0
    assert limiter.retry_after("10.0.0.1") == 0


def test_a_sign_in_link_works_once_and_expires() -> None:
    clock = Clock(0.0)
    links = SignInLinks(ttl=600, clock=clock)
    path = links.issue("abcdefghijklmnop1234")
    assert path.startswith("/approvals/signin/")
    assert path.endswith("?next=/approvals/abcdefghijklmnop1234")
    secret = path.removeprefix("/approvals/signin/").split("?")[0]
    assert len(secret) >= 40
    assert links.redeem(secret) == "desktop"
    assert links.redeem(secret) is None  # once
    late = links.issue("abcdefghijklmnop1234").removeprefix("/approvals/signin/").split("?")[0]
    clock.now = 600.0
    assert links.redeem(late) is None  # expired
    assert links.redeem("") is None
    assert links.redeem("not-a-secret") is None


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("/approvals/abcdefghijklmnop1234", True),
        ("/approvals/abcdefghijklmnop1234?recipients=2&texts=3", True),
        ("https://evil.example/approvals/x", False),
        ("//evil.example/approvals/x", False),
        ("/approvals/../mcp", False),
        ("/approvals/x/approve\r\nSet-Cookie: a=b", False),
        ("/mcp", False),
        ("/approvals/\\evil.example", False),
        ("", False),
        (None, False),
    ],
)
def test_next_is_only_ever_a_local_approval_page(value: str | None, ok: bool) -> None:
    assert (safe_next(value) is not None) is ok


def test_the_host_check_accepts_this_server_names_only() -> None:
    ctx = ApprovalWebContext(desk=None, approvers=[], refused_keys=[], session_secret=SECRET)  # type: ignore[arg-type]
    assert (
        ctx.host_allowed("127.0.0.1:8000") and ctx.host_allowed("localhost") and ctx.host_allowed("[::1]:1")
    )
    assert not ctx.host_allowed("evil.example") and not ctx.host_allowed("127.0.0.1:80x")
    assert not ctx.host_allowed(None) and not ctx.host_allowed("127.0.0.1.evil.example:80")
    public = ApprovalWebContext(
        desk=None,  # type: ignore[arg-type]
        approvers=[],
        refused_keys=[],
        session_secret=SECRET,
        allowed_hosts=["approve.example.com", "approve.example.com:*"],
    )
    assert public.host_allowed("approve.example.com") and public.host_allowed("APPROVE.example.com:443")
    assert not public.host_allowed("127.0.0.1:8000")
    with pytest.raises(ValueError):
        ApprovalWebContext(desk=None, approvers=[], refused_keys=[], session_secret=b"short")  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_the_csv_streams_every_row_and_no_cell_is_a_formula() -> None:
    from letexto_mcp.store.base import ApprovalRecord

    store = MemoryStore()
    rows = [(f"22507{i:08d}", f"Bonjour n°{i}") for i in range(2500)]
    rows += [
        ("2250700000001", '=HYPERLINK("http://x")'),
        ("2250700000002", "+1"),
        ("a@b.ci", "-2"),
        ("x", "@SUM(A1)"),
    ]
    record = ApprovalRecord("r" * 24, "t", "create_sms_campaign", "f", {}, len(rows), len(rows), 0.0, 600.0)
    await store.create_approval(record, rows)
    data = b"".join([chunk async for chunk in recipients_csv(store, record.id)])
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[0] == ["recipient", "text"]
    assert [tuple(row) for row in parsed[1:2501]] == rows[:2500]
    assert parsed[2501:] == [
        ["2250700000001", '\'=HYPERLINK("http://x")'],
        ["2250700000002", "'+1"],
        ["a@b.ci", "'-2"],
        ["x", "'@SUM(A1)"],
    ]
    assert neutral("\tcmd") == "'\tcmd" and neutral("Bonjour") == "Bonjour"


def test_importing_the_pages_loads_no_template_engine() -> None:
    """Jinja2 loads with the first page rendered, not with the package (stdio start-up stays light)."""
    code = "import sys, letexto_mcp.web\nprint('jinja2' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_stdio_server_does_not_import_the_pages() -> None:
    code = (
        "import sys\nfrom letexto_mcp.server.app import build_server\n"
        "print([m for m in sys.modules if m == 'letexto_mcp.web' or m.startswith(('letexto_mcp.web.', 'jinja2'))])"  # noqa: E501
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
