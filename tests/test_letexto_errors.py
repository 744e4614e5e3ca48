"""Every failure the simulator can produce maps to the right exception, with a useful message.

Shapes the simulator does not produce (a 402, a 403, NestJS's `error` key, an error inside a
200 body) are checked by calling the mapping function on decoded payloads: no HTTP is faked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from bench.procs import refusing_port
from letexto_mcp.letexto import (
    AuthenticationError,
    InsufficientBalanceError,
    InvalidRequestError,
    LetextoAPIError,
    LetextoClient,
    LetextoError,
    LetextoTransportError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RequestNotSentError,
    SenderNotAuthorizedError,
    ServerError,
    UnexpectedResponseError,
)
from letexto_mcp.letexto.responses import api_error, in_band_error_status
from letexto_mcp.letexto.retry import parse_retry_after
from letexto_mcp.sandbox import SANDBOX_API_KEY, Fault, ManualClock, SandboxConfig, create_app
from letexto_mcp.sandbox.constants import SANDBOX_APPROVED_SENDER, SANDBOX_BASE_URL_IN_PROCESS

pytestmark = pytest.mark.anyio

NUMBER = "2250707123456"


@pytest.fixture
def sim() -> Any:
    return create_app(SandboxConfig(clock=ManualClock(), sender_approval_delay=0))


def make_client(sim: Any, key: str = SANDBOX_API_KEY, **options: Any) -> LetextoClient:
    options = {"backoff": 0.001, "read_retries": 0, "timeout": 5.0, **options}
    return LetextoClient(key, SANDBOX_BASE_URL_IN_PROCESS, transport=httpx.ASGITransport(app=sim), **options)


@pytest.fixture
async def client(sim: Any) -> AsyncIterator[LetextoClient]:
    async with make_client(sim) as client:
        yield client


def test_hierarchy() -> None:
    for api in (
        AuthenticationError,
        InvalidRequestError,
        SenderNotAuthorizedError,
        InsufficientBalanceError,
        NotFoundError,
        RateLimitedError,
        ServerError,
        UnexpectedResponseError,
    ):
        assert issubclass(api, LetextoAPIError) and issubclass(api, LetextoError)
    for transport in (RequestNotSentError, OutcomeUnknownError):
        assert issubclass(transport, LetextoTransportError) and not issubclass(transport, LetextoAPIError)
    assert issubclass(LetextoError, Exception)


# --- produced by the simulator -----------------------------------------------------------------


@pytest.mark.parametrize("operation", ["get_balance", "list_senders", "send_sms"])
async def test_wrong_key_is_an_authentication_error(sim: Any, operation: str) -> None:
    async with make_client(sim, key="lt_wrong_key_0000000000") as client:
        call = {
            "get_balance": client.get_balance,
            "list_senders": client.list_senders,
            "send_sms": lambda: client.send_sms(sender=SANDBOX_APPROVED_SENDER, to=NUMBER, content="x"),
        }[operation]
        with pytest.raises(AuthenticationError) as info:
            await call()
    error = info.value
    assert error.status_code == 401
    assert error.operation == operation
    assert error.vendor_messages == ["Invalide username / password"]
    assert "Invalide username / password" in str(error)
    assert "LETEXTO_API_TOKEN" in str(error)


async def test_bad_number_is_an_invalid_request_with_the_vendor_words(client: LetextoClient) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await client.send_sms(sender=SANDBOX_APPROVED_SENDER, to="0707123456", content="x")
    error = info.value
    assert error.status_code == 400
    assert error.error_type == "Bad Request"
    (message,) = error.vendor_messages
    assert "to contains invalid phone number" in message and "0707123456" in message
    assert "Phone number must be in international format" in message
    assert "0707123456" in str(error)


async def test_several_problems_keep_every_vendor_message(sim: Any, client: LetextoClient) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await client.send_sms(sender="BEAUCOUP TROP LONG", to="0707123456", content="x")
    messages = info.value.vendor_messages
    assert len(messages) >= 2
    assert any("11 characters" in m for m in messages)
    assert any("invalid phone number" in m for m in messages)
    assert all(m in str(info.value) for m in messages)
    assert sim.state.messages == []


async def test_unapproved_sender(sim: Any, client: LetextoClient) -> None:
    with pytest.raises(SenderNotAuthorizedError) as info:
        await client.send_sms(sender="ACME", to=NUMBER, content="x")
    assert "Expéditeur non autorisé" in info.value.vendor_messages
    assert "approved by LeTexto" in str(info.value)
    assert sim.state.messages == []


async def test_insufficient_balance() -> None:
    sim = create_app(SandboxConfig(clock=ManualClock(), sender_approval_delay=0, initial_balance=1))
    async with make_client(sim) as client:
        with pytest.raises(InsufficientBalanceError) as info:
            await client.send_sms(sender=SANDBOX_APPROVED_SENDER, to=NUMBER, content="x" * 300)
    assert "Solde insuffisant" in info.value.vendor_messages
    assert "top up your letexto account" in str(info.value).lower()
    assert sim.state.balance(SANDBOX_API_KEY) == 1


@pytest.mark.parametrize("channel", ["sms", "email"])
async def test_unknown_campaign_is_not_found(client: LetextoClient, channel: str) -> None:
    get = client.get_sms_campaign_status if channel == "sms" else client.get_email_campaign_status
    with pytest.raises(NotFoundError) as info:
        await get("0123456789abcdef01234567")
    assert info.value.status_code == 404
    assert "campaign not found" in str(info.value)


async def test_unknown_message_is_not_found(client: LetextoClient) -> None:
    with pytest.raises(NotFoundError, match="message not found"):
        await client.get_message_status("0123456789abcdef01234567")


async def test_existing_sender_name_is_an_invalid_request(client: LetextoClient) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await client.create_sender(SANDBOX_APPROVED_SENDER)
    assert info.value.status_code == 409
    assert "already exists" in str(info.value)


async def test_fault_429_is_rate_limited_with_retry_after(sim: Any, client: LetextoClient) -> None:
    sim.faults.inject(Fault("status", status=429, path="/v1/users/balance"))
    with pytest.raises(RateLimitedError) as info:
        await client.get_balance()
    assert info.value.retry_after == 1.0
    assert info.value.status_code == 429
    assert "1 s" in str(info.value)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_fault_5xx_is_a_server_error(sim: Any, client: LetextoClient, status: int) -> None:
    sim.faults.inject(Fault("status", status=status))
    with pytest.raises(ServerError) as info:
        await client.send_sms(sender=SANDBOX_APPROVED_SENDER, to=NUMBER, content="x")
    assert info.value.status_code == status
    assert "check its status" in str(info.value)  # a write: say how to find out before repeating


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
async def test_unreadable_body_is_an_unexpected_response(sim: Any, client: LetextoClient, kind: str) -> None:
    sim.faults.inject(Fault(kind, path="/v1/users/balance"))
    with pytest.raises(UnexpectedResponseError) as info:
        await client.get_balance()
    text = str(info.value)
    assert "not JSON" in text
    assert 'expected a number, or a JSON object with a number under "balance"' in text
    assert "The body starts:" in text
    assert len(text) < 600


async def test_unreadable_body_after_a_send_says_it_was_accepted(sim: Any, client: LetextoClient) -> None:
    sim.faults.inject(Fault("truncated", path="/v1/messages/send"))
    with pytest.raises(UnexpectedResponseError) as info:
        await client.send_sms(sender=SANDBOX_APPROVED_SENDER, to=NUMBER, content="x")
    assert info.value.accepted and info.value.status_code == 201
    assert "do not repeat it" in str(info.value)
    assert len(sim.state.messages) == 1


async def test_reset_before_is_request_not_sent(sim: Any, client: LetextoClient) -> None:
    sim.faults.inject(Fault("reset_before"))
    with pytest.raises(RequestNotSentError) as info:
        await client.send_sms(sender=SANDBOX_APPROVED_SENDER, to=NUMBER, content="x")
    assert "Nothing was sent" in str(info.value)
    assert sim.state.messages == []


async def test_reset_after_is_outcome_unknown(sim: Any, client: LetextoClient) -> None:
    sim.faults.inject(Fault("reset_after"))
    with pytest.raises(OutcomeUnknownError) as info:
        await client.send_sms(sender=SANDBOX_APPROVED_SENDER, to=NUMBER, content="x")
    assert "may have reached LeTexto" in str(info.value)
    assert len(sim.state.messages) == 1


@pytest.mark.parametrize("delay", [0.01, 30.0], ids=["vendor-read-timeout", "client-deadline"])
async def test_timeout_is_outcome_unknown(sim: Any, delay: float) -> None:
    sim.faults.inject(Fault("timeout", delay=delay))
    async with make_client(sim, timeout=0.1) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.send_sms(sender=SANDBOX_APPROVED_SENDER, to=NUMBER, content="x")
    assert "Do not repeat it" in str(info.value)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port where connections are refused, held for the test so no server can take it."""
    with refusing_port() as port:
        yield port


async def test_connection_refused_is_request_not_sent(closed_port: int) -> None:
    async with LetextoClient(SANDBOX_API_KEY, f"http://127.0.0.1:{closed_port}", read_retries=0) as client:
        with pytest.raises(RequestNotSentError) as info:
            await client.get_balance()
    assert info.value.__cause__ is None and info.value.__context__ is None


# --- mapping of shapes the simulator does not produce ------------------------------------------


def map_error(status: int, payload: object, headers: dict[str, str] | None = None) -> LetextoAPIError:
    return api_error(status, payload, "", httpx.Headers(headers or {}), operation="send_sms", secrets=["k3y"])


@pytest.mark.parametrize(
    ("status", "payload", "expected"),
    [
        (
            400,
            {"statusCode": 400, "message": "Invalide username / password", "errors": "Unauthorized"},
            AuthenticationError,
        ),
        (
            403,
            {"statusCode": 403, "message": "Forbidden resource", "error": "Forbidden"},
            AuthenticationError,
        ),
        (401, {"statusCode": 401, "message": "Expéditeur non autorisé"}, SenderNotAuthorizedError),
        (403, {"message": "Sender MYBRAND is not approved"}, SenderNotAuthorizedError),
        (402, {"statusCode": 402, "message": "Payment Required"}, InsufficientBalanceError),
        (400, {"message": "Insufficient balance"}, InsufficientBalanceError),
        (400, {"message": "Votre crédit est insuffisant"}, InsufficientBalanceError),
        (422, {"message": ["content should not be empty", "to must be a string"]}, InvalidRequestError),
        (
            400,
            {"message": "Unexpected token } in JSON at position 345", "errors": "Bad Request"},
            InvalidRequestError,
        ),
        (405, None, InvalidRequestError),
        (404, {"message": "campaign not found", "errors": "Not Found"}, NotFoundError),
        (429, {"message": "Too Many Requests"}, RateLimitedError),
        (500, None, ServerError),
        (301, None, UnexpectedResponseError),
    ],
)
def test_status_and_words_choose_the_class(
    status: int, payload: object, expected: type[LetextoAPIError]
) -> None:
    error = map_error(status, payload)
    assert type(error) is expected
    assert error.status_code == status
    assert error.operation == "send_sms"
    assert str(error).startswith("Could not send the SMS")


def test_nest_style_list_and_error_key() -> None:
    error = map_error(
        400, {"statusCode": 400, "message": ["a is wrong", "b is wrong"], "error": "Bad Request"}
    )
    assert error.vendor_messages == ["a is wrong", "b is wrong"]
    assert error.error_type == "Bad Request"
    assert "a is wrong; b is wrong" in str(error)


def test_vendor_words_are_redacted() -> None:
    error = map_error(401, {"message": "token k3y is not valid"})
    assert "k3y" not in str(error) and "k3y" not in error.vendor_messages[0]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        ("0.5", 0.5),
        ("-2", 0.0),
        ("soon", None),
        ("", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_retry_after_parsing(header: str, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds
    error = map_error(429, None, {"Retry-After": header})
    assert isinstance(error, RateLimitedError) and error.retry_after == seconds


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"statusCode": 400, "message": "Expéditeur non autorisé", "errors": "Bad Request"}, 400),
        ({"statusCode": "401", "message": "nope"}, 401),
        ({"statusCode": 200, "message": "ok"}, None),
        ({"status": "submitted", "id": "x"}, None),
        ([1], None),
    ],
)
def test_errors_inside_a_success_body_are_detected(payload: object, status: int | None) -> None:
    assert in_band_error_status(payload) == status
