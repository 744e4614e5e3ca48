"""The API key never surfaces: not in exceptions (text, args, repr, chain), logs or the client's repr."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bench.procs import refusing_port
from letexto_mcp.letexto import (
    AuthenticationError,
    InsufficientBalanceError,
    InvalidRequestError,
    LetextoClient,
    LetextoError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RequestNotSentError,
    SenderNotAuthorizedError,
    ServerError,
    UnexpectedResponseError,
    redact,
    redact_url,
)
from letexto_mcp.letexto.redact import RedactingFilter, excerpt
from letexto_mcp.sandbox import SANDBOX_API_KEY, Fault, ManualClock, SandboxConfig, create_app
from letexto_mcp.sandbox.constants import SANDBOX_APPROVED_SENDER, SANDBOX_BASE_URL_IN_PROCESS

pytestmark = pytest.mark.anyio

NUMBER = "2250707123456"
WRONG_KEY = "lt_live_S3cr3t+/key=&more"
"""A key with characters that URL encoding changes, so its encoded forms must be masked too."""


# --- the functions -----------------------------------------------------------------------------


def test_redact_masks_the_secret_and_its_encoded_forms() -> None:
    text = f"a {WRONG_KEY} b lt_live_S3cr3t%2B%2Fkey%3D%26more c lt_live_S3cr3t%2B%2Fkey%3D%26more"
    cleaned = redact(text, [WRONG_KEY])
    assert "S3cr3t" not in cleaned
    assert cleaned.count("***") == 3


def test_redact_masks_token_queries_and_bearer_even_for_unlisted_keys() -> None:
    cleaned = redact("GET /v1/users/balance?token=other-key&x=1 Authorization: Bearer abc.def", [])
    assert "other-key" not in cleaned and "abc.def" not in cleaned
    assert "token=***&x=1" in cleaned and "Bearer ***" in cleaned


def test_redact_ignores_empty_secrets() -> None:
    assert redact("nothing to hide", ["", ""]) == "nothing to hide"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://apis.letexto.com/v1/users/balance?token=abc123",
            "https://apis.letexto.com/v1/users/balance?token=***",
        ),
        (
            "https://h/v1/messages/x/status?a=1&token=abc&b=2",
            "https://h/v1/messages/x/status?a=1&token=***&b=2",
        ),
        ("https://h/v1/x?TOKEN=abc#frag", "https://h/v1/x?TOKEN=***#frag"),
        ("https://user:pa55@h/v1/x", "https://user:***@h/v1/x"),
        ("https://h/v1/senders?query=token", "https://h/v1/senders?query=token"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert redact_url(httpx.URL(url)) == str(httpx.URL(shown)).replace("%2A%2A%2A", "***")


def test_excerpt_is_short_single_line_and_redacted() -> None:
    body = "<html>\n" + f"token {WRONG_KEY} " * 40 + "</html>"
    sample = excerpt(body, [WRONG_KEY], limit=80)
    assert "\n" not in sample and len(sample) <= 81
    assert WRONG_KEY not in sample and sample.endswith("…")


def test_filter_rewrites_a_record_with_a_token() -> None:
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "HTTP Request: GET %s", ("http://h/?token=abc",), None
    )
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "HTTP Request: GET http://h/?token=***"


async def test_client_repr_hides_the_key() -> None:
    for key in (WRONG_KEY, SecretStr(WRONG_KEY)):
        async with LetextoClient(key, "https://apis.letexto.com") as client:
            assert "S3cr3t" not in repr(client) and "S3cr3t" not in str(client)
            assert "apis.letexto.com" in repr(client)


# --- every failure, end to end -----------------------------------------------------------------


def exception_texts(error: BaseException) -> list[str]:
    """Everything an exception could print: text, repr, args, attributes, and its whole chain."""
    texts: list[str] = []
    seen: set[int] = set()
    stack: list[BaseException | None] = [error]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args), repr(vars(current))]
        stack += [current.__cause__, current.__context__]
    return texts


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port where connections are refused, held for the test so no server can take it."""
    with refusing_port() as port:
        yield port


async def test_no_failure_reveals_the_key(caplog: pytest.LogCaptureFixture, closed_port: int) -> None:
    caplog.set_level(logging.DEBUG)
    sim = create_app(SandboxConfig(clock=ManualClock(), sender_approval_delay=0))
    poor = create_app(SandboxConfig(clock=ManualClock(), initial_balance=1))

    def client_for(app: Any, key: str | SecretStr = SANDBOX_API_KEY, **options: Any) -> LetextoClient:
        options = {"read_retries": 1, "backoff": 0.001, "timeout": 0.2, "max_retry_after": 0, **options}
        return LetextoClient(
            key, SANDBOX_BASE_URL_IN_PROCESS, transport=httpx.ASGITransport(app=app), **options
        )

    good = client_for(sim)
    good_secret = client_for(sim, SecretStr(SANDBOX_API_KEY))
    wrong = client_for(sim, WRONG_KEY)
    wrong_secret = client_for(sim, SecretStr(WRONG_KEY))
    broke = client_for(poor)
    unreachable = LetextoClient(WRONG_KEY, f"http://127.0.0.1:{closed_port}", read_retries=1, backoff=0.001)
    unreachable_good = LetextoClient(SANDBOX_API_KEY, f"http://127.0.0.1:{closed_port}", read_retries=0)

    def send(client: LetextoClient, **fields: str) -> Callable[[], Awaitable[object]]:
        body = {"sender": SANDBOX_APPROVED_SENDER, "to": NUMBER, "content": "Bonjour", **fields}
        return lambda: client.send_sms(**body)

    def faulty(fault: Fault, call: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
        async def run() -> object:
            sim.faults.clear()
            sim.faults.inject(fault)
            return await call()

        return run

    cases: list[tuple[type[LetextoError], Callable[[], Awaitable[object]]]] = [
        (AuthenticationError, wrong.get_balance),  # key in the query
        (AuthenticationError, wrong_secret.list_senders),  # key in the header
        (AuthenticationError, send(wrong)),
        (InvalidRequestError, send(good, to="0707123456")),
        (InvalidRequestError, send(good, to="0707123456", sender="BEAUCOUP TROP LONG")),
        (SenderNotAuthorizedError, send(good, sender="ACME")),
        (InsufficientBalanceError, send(broke, content="x" * 400)),
        (NotFoundError, lambda: good.get_sms_campaign_status("0123456789abcdef01234567")),
        (NotFoundError, lambda: good_secret.get_message_status(f"../{SANDBOX_API_KEY}")),
        (RateLimitedError, faulty(Fault("status", status=429, count=3), good.get_balance)),
        (ServerError, faulty(Fault("status", status=503, count=3), good.get_balance)),
        (ServerError, faulty(Fault("status", status=500, count=3), send(good))),
        (UnexpectedResponseError, faulty(Fault("malformed", count=3), good.get_balance)),
        (UnexpectedResponseError, faulty(Fault("truncated", count=3), good_secret.get_balance)),
        (UnexpectedResponseError, faulty(Fault("truncated"), send(good))),
        (RequestNotSentError, faulty(Fault("reset_before", count=3), good.get_balance)),
        (RequestNotSentError, faulty(Fault("reset_before"), send(good))),
        (OutcomeUnknownError, faulty(Fault("reset_after", count=3), good.get_balance)),
        (OutcomeUnknownError, faulty(Fault("reset_after"), send(good))),
        (OutcomeUnknownError, faulty(Fault("timeout", delay=30, count=3), good.get_balance)),
        (OutcomeUnknownError, faulty(Fault("timeout", delay=0.01, count=3), good_secret.get_balance)),
        (RequestNotSentError, unreachable.get_balance),
        (RequestNotSentError, send(unreachable)),
        (RequestNotSentError, lambda: unreachable_good.get_message_status("m1")),
    ]
    errors: list[LetextoError] = []
    for expected, call in cases:
        with pytest.raises(expected) as info:
            await call()
        errors.append(info.value)
    sim.faults.clear()
    await good.get_balance()  # a success is logged too

    clients = [good, good_secret, wrong, wrong_secret, broke, unreachable, unreachable_good]
    for client in clients:
        await client.aclose()

    texts = [text for error in errors for text in exception_texts(error)]
    texts += [repr(client) for client in clients] + [str(client) for client in clients]
    texts += [caplog.text] + [record.getMessage() for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records]
    assert len(errors) == len(cases)
    for secret in (SANDBOX_API_KEY, WRONG_KEY, "S3cr3t", "S3cr3t%2B"):
        leaks = [text for text in texts if secret in text]
        assert leaks == [], f"{secret!r} leaked in {leaks[:3]}"

    # The logs did describe the traffic, with the query key masked.
    ours = [r.getMessage() for r in caplog.records if r.name == "letexto_mcp.letexto"]
    assert any(line.startswith("GET /v1/users/balance?token=*** -> 200") for line in ours)
    assert any("retrying" in line for line in ours)
    assert any("token=***" in r.getMessage() for r in caplog.records if r.name == "httpx")
