"""The nine operations end to end against the LeTexto simulator, in process over ASGI.

Each test checks what the simulator recorded of the wire form (method, path, where the key
went, which JSON keys arrived) as well as what the client returned; and how reads are retried
while writes never are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import httpx
import pytest

from letexto_mcp import __version__
from letexto_mcp.letexto import (
    Balance,
    LetextoClient,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RequestNotSentError,
    Sender,
    ServerError,
    default_user_agent,
)
from letexto_mcp.letexto.redact import active_secret_count
from letexto_mcp.sandbox import SANDBOX_API_KEY, Fault, ManualClock, SandboxConfig, create_app
from letexto_mcp.sandbox.constants import SANDBOX_APPROVED_SENDER, SANDBOX_BASE_URL_IN_PROCESS

pytestmark = pytest.mark.anyio

NUMBER = "2250707123456"


@pytest.fixture
def sim() -> Any:
    return create_app(SandboxConfig(clock=ManualClock(), sender_approval_delay=0))


@pytest.fixture
async def client(sim: Any) -> AsyncIterator[LetextoClient]:
    async with LetextoClient(
        SANDBOX_API_KEY,
        SANDBOX_BASE_URL_IN_PROCESS,
        transport=httpx.ASGITransport(app=sim),
        backoff=0.001,
        timeout=5.0,
    ) as client:
        yield client


def api_requests(sim: Any, path: str) -> list[Any]:
    """The simulator's records of requests to `path`."""
    return [r for r in sim.state.requests if r.path == path]


# --- the nine operations -----------------------------------------------------------------------


async def test_send_sms_posts_json_with_bearer(sim: Any, client: LetextoClient) -> None:
    before = sim.state.balance(SANDBOX_API_KEY)
    result = await client.send_sms(sender=SANDBOX_APPROVED_SENDER, to=NUMBER, content="Bonjour Awa")
    assert result.status == "submitted"
    assert result.part_count == 1
    (message,) = sim.state.messages
    assert (message.id, message.sender, message.to, message.content) == (
        result.id,
        SANDBOX_APPROVED_SENDER,
        NUMBER,
        "Bonjour Awa",
    )
    assert message.via == "POST"
    assert message.custom_data is None and message.dlr_url is None and message.send_at is None
    (record,) = api_requests(sim, "/v1/messages/send")
    assert (record.method, record.auth) == ("POST", "bearer")
    assert "token" not in record.query
    assert sim.state.balance(SANDBOX_API_KEY) == before - 1
    assert result.raw["id"] == result.id


async def test_send_sms_optional_fields_and_send_at(sim: Any, client: LetextoClient) -> None:
    when = datetime.now(timezone(timedelta(hours=2))).replace(microsecond=0) + timedelta(days=1)
    result = await client.send_sms(
        sender=SANDBOX_APPROVED_SENDER,
        to=NUMBER,
        content="Rappel",
        dlr_url="http://127.0.0.1:9/dlr",
        dlr_method="GET",
        custom_data="order-42",
        send_at=when,
    )
    (message,) = sim.state.messages
    assert message.id == result.id
    assert (message.dlr_url, message.dlr_method, message.custom_data) == (
        "http://127.0.0.1:9/dlr",
        "GET",
        "order-42",
    )
    assert message.send_at == when.astimezone(timezone.utc)  # arrived as `sendAt`, converted to UTC


async def test_send_sms_rejects_a_naive_send_at_before_any_request(sim: Any, client: LetextoClient) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await client.send_sms(
            sender=SANDBOX_APPROVED_SENDER, to=NUMBER, content="x", send_at=datetime(2030, 1, 1)
        )
    assert sim.state.requests == []


async def test_create_sms_campaign_sends_numero_contacts_and_sent_at(sim: Any, client: LetextoClient) -> None:
    when = datetime(2031, 5, 4, 8, 30, tzinfo=timezone.utc)
    campaign = await client.create_sms_campaign(
        label="Rentrée",
        sender=SANDBOX_APPROVED_SENDER,
        contacts=[{"numero": NUMBER, "name": "Awa"}, {"phone": "2250505123456", "name": "Koffi"}],
        content="Hello {{name}}",
        sent_at=when,
    )
    assert (campaign.label, campaign.sender, campaign.contact_count, campaign.part_count) == (
        "Rentrée",
        SANDBOX_APPROVED_SENDER,
        2,
        2,
    )
    assert campaign.status == "CREATED"  # the documented `statut` of a create answer
    assert campaign.raw["statut"] == "CREATED"
    (stored,) = sim.state.sms_campaigns
    assert stored.id == campaign.id
    assert stored.contacts == [
        {"numero": NUMBER, "name": "Awa"},
        {"numero": "2250505123456", "name": "Koffi"},
    ]
    assert [m.content for m in stored.messages] == ["Hello Awa", "Hello Koffi"]
    assert stored.sent_at == when  # arrived as `sentAt` (a `sendAt` would have been ignored)
    (record,) = api_requests(sim, "/v1/campaigns/sms")
    assert (record.method, record.auth) == ("POST", "bearer")


async def test_create_email_campaign(sim: Any, client: LetextoClient) -> None:
    campaign = await client.create_email_campaign(
        label="Newsletter",
        from_email="news@example.ci",
        recipients=["a@example.ci", "b@example.ci"],
        subject="Février",
        content="<p>Bonjour</p>",
    )
    assert (
        campaign.label,
        campaign.subject,
        campaign.from_email,
        campaign.recipients_count,
        campaign.status,
    ) == (
        "Newsletter",
        "Février",
        "news@example.ci",
        2,
        "Created",
    )
    (stored,) = sim.state.email_campaigns
    assert (stored.id, stored.from_email, stored.recipients) == (
        campaign.id,
        "news@example.ci",
        ["a@example.ci", "b@example.ci"],
    )
    (record,) = api_requests(sim, "/v1/campaigns/emails")
    assert (record.method, record.auth) == ("POST", "bearer")


async def test_sms_campaign_status_uses_the_query_token(sim: Any, client: LetextoClient) -> None:
    campaign = await client.create_sms_campaign(
        label="L", sender=SANDBOX_APPROVED_SENDER, contacts=[{"numero": NUMBER}], content="Hi"
    )
    status = await client.get_sms_campaign_status(campaign.id)
    assert (status.id, status.status, status.label, status.sender) == (
        campaign.id,
        "CREATED",
        "L",
        SANDBOX_APPROVED_SENDER,
    )
    (record,) = api_requests(sim, f"/v1/campaigns/sms/{campaign.id}/status")
    assert (record.method, record.auth) == ("GET", "query")


async def test_email_campaign_status_uses_the_query_token(sim: Any, client: LetextoClient) -> None:
    campaign = await client.create_email_campaign(
        label="E", from_email="news@example.ci", recipients=["a@example.ci"], subject="S", content="C"
    )
    status = await client.get_email_campaign_status(campaign.id)
    assert (status.id, status.status, status.label) == (campaign.id, "Created", "E")
    (record,) = api_requests(sim, f"/v1/campaigns/emails/{campaign.id}/status")
    assert (record.method, record.auth) == ("GET", "query")


async def test_create_sender_then_list(sim: Any, client: LetextoClient) -> None:
    created = await client.create_sender("NOUVEAU")
    assert isinstance(created, Sender)
    assert created.name == "NOUVEAU" and created.id
    (record,) = api_requests(sim, "/v1/senders/create")
    assert (record.method, record.auth) == ("POST", "bearer")

    senders = await client.list_senders()
    by_name = {s.name: s for s in senders}
    assert by_name[SANDBOX_APPROVED_SENDER].is_approved
    assert by_name["EN ATTENTE"].is_approved is False
    assert by_name["NOUVEAU"].is_approved  # sender_approval_delay=0
    assert "BOUTIQUE" not in by_name  # a sub-account's sender, only with all_accounts
    (listing,) = api_requests(sim, "/v1/senders")
    assert (listing.method, listing.auth) == ("GET", "bearer")
    assert "allAccounts" not in listing.query and "query" not in listing.query


async def test_list_senders_filters_and_all_accounts(sim: Any, client: LetextoClient) -> None:
    everyone = await client.list_senders(all_accounts=True)
    assert {"SMS INFO", "EN ATTENTE", "BOUTIQUE"} <= {s.name for s in everyone}
    pending = await client.list_senders(query="att", status="PENDING")
    assert [s.name for s in pending] == ["EN ATTENTE"]
    first, second = api_requests(sim, "/v1/senders")
    assert first.query.get("allAccounts") == "true"
    assert second.query.get("query") == "att" and second.query.get("status") == "PENDING"
    assert "allAccounts" not in second.query


async def test_get_balance_uses_the_query_token(sim: Any, client: LetextoClient) -> None:
    balance = await client.get_balance()
    assert isinstance(balance, Balance)
    assert balance.balance == sim.state.balance(SANDBOX_API_KEY)
    assert balance.unit == "SMS"
    (record,) = api_requests(sim, "/v1/users/balance")
    assert (record.method, record.auth) == ("GET", "query")


async def test_get_message_status(sim: Any, client: LetextoClient) -> None:
    sent = await client.send_sms(sender=SANDBOX_APPROVED_SENDER, to=NUMBER, content="x" * 200)
    status = await client.get_message_status(sent.id)
    assert (status.id, status.status, status.part_count, status.to, status.sender) == (
        sent.id,
        "PENDING",
        2,
        NUMBER,
        SANDBOX_APPROVED_SENDER,
    )
    assert status.updated_at is not None
    (record,) = api_requests(sim, f"/v1/messages/{sent.id}/status")
    assert (record.method, record.auth) == ("GET", "query")


async def test_an_id_cannot_escape_its_path_segment(sim: Any, client: LetextoClient) -> None:
    with pytest.raises(NotFoundError):
        await client.get_message_status("../../users/balance")
    assert api_requests(sim, "/v1/users/balance") == []
    assert len(sim.state.requests) == 1


async def test_base_url_with_v1_and_trailing_slash_is_accepted(sim: Any) -> None:
    async with LetextoClient(
        SANDBOX_API_KEY, SANDBOX_BASE_URL_IN_PROCESS + "/v1/", transport=httpx.ASGITransport(app=sim)
    ) as client:
        assert client.base_url == SANDBOX_BASE_URL_IN_PROCESS
        await client.get_balance()
    assert [r.path for r in sim.state.requests] == ["/v1/users/balance"]


# --- retries -----------------------------------------------------------------------------------


async def test_read_retried_after_server_errors(sim: Any, client: LetextoClient) -> None:
    sim.faults.inject(Fault("status", status=503, count=2, path="/v1/users/balance"))
    balance = await client.get_balance()
    assert balance.balance == sim.state.balance(SANDBOX_API_KEY)
    assert len(api_requests(sim, "/v1/users/balance")) == 3


async def test_read_gives_up_after_one_plus_read_retries(sim: Any, client: LetextoClient) -> None:
    sim.faults.inject(Fault("status", status=500, count=10, path="/v1/senders"))
    with pytest.raises(ServerError):
        await client.list_senders()
    assert len(api_requests(sim, "/v1/senders")) == 3


@pytest.mark.parametrize("retries", [0, 1, 4])
async def test_read_retries_setting_is_respected(sim: Any, retries: int) -> None:
    sim.faults.inject(Fault("reset_before", count=10, path="/v1/users/balance"))
    async with LetextoClient(
        SANDBOX_API_KEY,
        SANDBOX_BASE_URL_IN_PROCESS,
        transport=httpx.ASGITransport(app=sim),
        read_retries=retries,
        backoff=0.001,
    ) as client:
        with pytest.raises(RequestNotSentError):
            await client.get_balance()
    assert len(api_requests(sim, "/v1/users/balance")) == 1 + retries


@pytest.mark.parametrize(
    "fault",
    [
        Fault("reset_before", count=1),
        Fault("reset_after", count=1),
        Fault("timeout", delay=0.01, count=1),
        Fault("status", status=502, count=1),
    ],
    ids=lambda f: f.kind + (str(f.status) if f.status else ""),
)
async def test_read_recovers_from_one_transient_failure(
    sim: Any, client: LetextoClient, fault: Fault
) -> None:
    campaign = await client.create_sms_campaign(
        label="L", sender=SANDBOX_APPROVED_SENDER, contacts=[{"numero": NUMBER}], content="Hi"
    )
    fault.path = "/v1/campaigns/sms/"
    sim.faults.inject(fault)
    status = await client.get_sms_campaign_status(campaign.id)
    assert status.id == campaign.id
    assert len(api_requests(sim, f"/v1/campaigns/sms/{campaign.id}/status")) == 2


async def test_rate_limit_retry_after_is_honoured(sim: Any, client: LetextoClient) -> None:
    sim.faults.inject(Fault("status", status=429, count=1, path="/v1/users/balance"))
    await client.get_balance()  # waits the simulator's Retry-After (1 s), then succeeds
    assert len(api_requests(sim, "/v1/users/balance")) == 2


async def test_rate_limit_with_a_retry_after_beyond_the_cap_is_not_retried(sim: Any) -> None:
    sim.faults.inject(Fault("status", status=429, count=5, path="/v1/users/balance"))
    async with LetextoClient(
        SANDBOX_API_KEY,
        SANDBOX_BASE_URL_IN_PROCESS,
        transport=httpx.ASGITransport(app=sim),
        max_retry_after=0.5,
    ) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.get_balance()
    assert info.value.retry_after == 1.0
    assert len(api_requests(sim, "/v1/users/balance")) == 1


async def test_a_deadline_bounds_each_attempt(sim: Any) -> None:
    sim.faults.inject(Fault("timeout", delay=30, count=10, path="/v1/users/balance"))
    async with LetextoClient(
        SANDBOX_API_KEY,
        SANDBOX_BASE_URL_IN_PROCESS,
        transport=httpx.ASGITransport(app=sim),
        timeout=0.05,
        read_retries=1,
        backoff=0.001,
    ) as client:
        with pytest.raises(OutcomeUnknownError, match=r"within 0\.05 s"):
            await client.get_balance()
    assert len(api_requests(sim, "/v1/users/balance")) == 2


@pytest.mark.parametrize(
    ("fault", "error", "messages_recorded"),
    [
        (Fault("status", status=503, count=5), ServerError, 0),
        (Fault("status", status=429, count=5), RateLimitedError, 0),
        (Fault("reset_before", count=5), RequestNotSentError, 0),
        (Fault("reset_after", count=5), OutcomeUnknownError, 1),
        (Fault("timeout", delay=0.01, count=5), OutcomeUnknownError, 0),
    ],
    ids=["503", "429", "reset_before", "reset_after", "timeout"],
)
async def test_send_is_attempted_exactly_once(
    sim: Any, client: LetextoClient, fault: Fault, error: type[Exception], messages_recorded: int
) -> None:
    fault.path = "/v1/messages/send"
    sim.faults.inject(fault)
    with pytest.raises(error):
        await client.send_sms(sender=SANDBOX_APPROVED_SENDER, to=NUMBER, content="Une fois")
    assert len(api_requests(sim, "/v1/messages/send")) == 1
    # reset_after: LeTexto did send it, which is exactly why the client must not try again.
    assert len(sim.state.messages) == messages_recorded


@pytest.mark.parametrize("operation", ["create_sms_campaign", "create_email_campaign", "create_sender"])
async def test_other_writes_are_attempted_exactly_once(
    sim: Any, client: LetextoClient, operation: str
) -> None:
    sim.faults.inject(Fault("status", status=503, count=5))
    calls = {
        "create_sms_campaign": lambda: client.create_sms_campaign(
            label="L", sender=SANDBOX_APPROVED_SENDER, contacts=[{"numero": NUMBER}], content="Hi"
        ),
        "create_email_campaign": lambda: client.create_email_campaign(
            label="E", from_email="a@example.ci", recipients=["b@example.ci"], subject="S", content="C"
        ),
        "create_sender": lambda: client.create_sender("NOUVEAU"),
    }
    with pytest.raises(ServerError) as info:
        await calls[operation]()
    assert info.value.operation == operation
    assert len(sim.state.requests) == 1


# --- the client itself -------------------------------------------------------------------------


def test_user_agent_names_the_project_and_version() -> None:
    agent = default_user_agent()
    assert agent.startswith(f"letexto-mcp/{__version__} (+https://github.com/")
    assert "python-httpx" in agent


def test_empty_or_malformed_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="LETEXTO_API_TOKEN"):
        LetextoClient("  ")
    with pytest.raises(ValueError, match="LETEXTO_API_TOKEN") as info:
        LetextoClient("abc\ndef-secret")
    assert "def-secret" not in str(info.value)


async def test_key_with_surrounding_whitespace_is_trimmed(sim: Any) -> None:
    async with LetextoClient(
        f" {SANDBOX_API_KEY}\n", SANDBOX_BASE_URL_IN_PROCESS, transport=httpx.ASGITransport(app=sim)
    ) as client:
        assert (await client.get_balance()).balance > 0


async def test_client_is_reusable_across_many_calls_and_closes(sim: Any) -> None:
    client = LetextoClient(
        SANDBOX_API_KEY, SANDBOX_BASE_URL_IN_PROCESS, transport=httpx.ASGITransport(app=sim)
    )
    for _ in range(3):
        await client.get_balance()
    await client.aclose()
    assert client.closed
    # Used after closing (a tool still holding a dropped tenant's client): refused as not sent.
    with pytest.raises(RequestNotSentError, match="closed"):
        await client.get_balance()
    assert len(sim.state.requests) == 3


async def test_close_when_idle_waits_for_the_call_in_flight_then_forgets_the_key(sim: Any) -> None:
    key = "lt_live_InFlight0123456789abcd"
    sim.state.add_account(key, balance=42)
    before = active_secret_count()
    client = LetextoClient(key, SANDBOX_BASE_URL_IN_PROCESS, transport=httpx.ASGITransport(app=sim))
    assert active_secret_count() == before + 1
    sim.faults.inject(Fault("latency", delay=0.5, path="/v1/users/balance"))
    async with anyio.create_task_group() as tg:
        results: list[Balance] = []

        async def read() -> None:
            results.append(await client.get_balance())

        tg.start_soon(read)
        with anyio.fail_after(5):
            while not sim.state.requests:
                await anyio.sleep(0.01)
        await client.aclose_when_idle()
        assert not client.closed, "closing waits for the call in flight"
        assert active_secret_count() == before + 1, "the key stays masked while its call runs"
    assert [r.balance for r in results] == [42]
    assert client.closed
    assert active_secret_count() == before
    idle = LetextoClient(key, SANDBOX_BASE_URL_IN_PROCESS, transport=httpx.ASGITransport(app=sim))
    await idle.aclose_when_idle()
    assert idle.closed and active_secret_count() == before
