"""LeTexto failing every way the simulator can make it fail, seen through the MCP tools.

For each fault: reads give the right error text and are retried within their bound (the
simulator counts the attempts), sends are never retried (one request), report `outcome_unknown`
when the message may have gone and `failed` when LeTexto clearly refused or never got it, every
send attempt is audited, and the server serves the next call normally.

In process the simulator raises httpx's own errors for resets and timeouts; over a loopback
socket it cuts the connection, as a real network would (see sandbox/faults.py).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from mcp import Client

from bench.procs import refusing_port
from letexto_mcp.config import Settings
from letexto_mcp.sandbox import SANDBOX_API_KEY, Fault
from letexto_mcp.server.app import build_server
from tests.conftest import sandbox_settings
from tests.mcp_helpers import call, ok
from tests.reliability_helpers import LoopbackSimulator

pytestmark = pytest.mark.anyio

TIMEOUT = 0.3
READ_RETRIES = 2
SLOW = 1.0  # seconds a latency or timeout fault holds the answer: beyond TIMEOUT
BALANCE = "/v1/users/balance"
SEND = "/v1/messages/send"
CAMPAIGN = "/v1/campaigns/sms"
AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}
KOFFI = {"to": "05 05 12 34 56", "content": "Bonjour Koffi, votre colis est arrivé."}

# kind and options -> (words in the read's error, whether a read retries it)
READ_FAULTS: dict[str, tuple[dict[str, Any], str, bool]] = {
    "500": ({"kind": "status", "status": 500}, "LeTexto had a server error (HTTP 500", True),
    "502": ({"kind": "status", "status": 502}, "LeTexto had a server error (HTTP 502", True),
    "503": ({"kind": "status", "status": 503}, "LeTexto had a server error (HTTP 503", True),
    "429": ({"kind": "status", "status": 429}, "LeTexto is limiting the request rate (HTTP 429", True),
    "latency": ({"kind": "latency", "delay": SLOW}, f"did not answer within {TIMEOUT:g} s", True),
    "stall": ({"kind": "stall", "delay": SLOW}, f"did not answer within {TIMEOUT:g} s", True),
    "timeout": ({"kind": "timeout", "delay": SLOW}, f"did not answer within {TIMEOUT:g} s", True),
    "malformed": ({"kind": "malformed"}, "LeTexto answered HTTP 200 with a body that is not JSON", False),
    "truncated": ({"kind": "truncated"}, "LeTexto answered HTTP 200 with a body that is not JSON", False),
    "reset_before": ({"kind": "reset_before"}, "could not reach LeTexto", True),
    "reset_after": ({"kind": "reset_after"}, "the connection to LeTexto broke before an answer came", True),
}

# kind and options -> the send's status: `outcome_unknown` whenever the message may have left
SEND_FAULTS: dict[str, tuple[dict[str, Any], str]] = {
    "500": ({"kind": "status", "status": 500}, "outcome_unknown"),
    "502": ({"kind": "status", "status": 502}, "outcome_unknown"),
    "503": ({"kind": "status", "status": 503}, "outcome_unknown"),
    "429": ({"kind": "status", "status": 429}, "failed"),
    "400": ({"kind": "status", "status": 400}, "failed"),
    "latency": ({"kind": "latency", "delay": SLOW}, "outcome_unknown"),
    "stall": ({"kind": "stall", "delay": SLOW}, "outcome_unknown"),
    "timeout": ({"kind": "timeout", "delay": SLOW}, "outcome_unknown"),
    "malformed": ({"kind": "malformed"}, "outcome_unknown"),
    "truncated": ({"kind": "truncated"}, "outcome_unknown"),
    "reset_before": ({"kind": "reset_before"}, "failed"),
    "reset_after": ({"kind": "reset_after"}, "outcome_unknown"),
}
# Faults after which the vendor has the message although the client got no usable answer.
VENDOR_SENT = {"truncated", "reset_after", "stall"}


def fault_settings(**overrides: Any) -> Settings:
    """Short timeouts, sends allowed without approval (so each call is one send attempt)."""
    values: dict[str, Any] = {
        "timeout_seconds": TIMEOUT,
        "read_retries": READ_RETRIES,
        "send_policy": "allow",
    }
    values.update(overrides)
    return sandbox_settings(**values)


def fault(spec: dict[str, Any], path: str, count: int) -> Fault:
    options = dict(spec)
    return Fault(options.pop("kind"), path=path, count=count, **options)


async def audit_outcomes(client: Any) -> list[str]:
    """Outcomes in the server's audit log today, oldest first, read through its MCP resource."""
    result = await client.read_resource("letexto://sends/today")
    body = json.loads(result.contents[0].text)
    return [entry["outcome"] for entry in reversed(body["entries"])]


@pytest.fixture
async def faulty(simulator: Any) -> AsyncIterator[Any]:
    async with Client(build_server(fault_settings(), simulator=simulator)) as client:
        yield client


# ---- in process ---------------------------------------------------------------------------------


def test_every_fault_the_simulator_can_inject_is_covered() -> None:
    from letexto_mcp.sandbox.faults import FAULT_KINDS

    assert {spec["kind"] for spec, _, _ in READ_FAULTS.values()} == set(FAULT_KINDS)
    assert {spec["kind"] for spec, _ in SEND_FAULTS.values()} == set(FAULT_KINDS)


@pytest.mark.parametrize("name", list(READ_FAULTS))
async def test_a_failing_read_says_why_after_its_bounded_retries(
    faulty: Any, simulator: Any, name: str
) -> None:
    spec, words, retried = READ_FAULTS[name]
    simulator.faults.inject(fault(spec, BALANCE, count=10))
    outcome = await call(faulty, "get_balance")
    assert outcome.is_error
    assert words in outcome.text
    assert SANDBOX_API_KEY not in outcome.text
    attempts = simulator.state.count_requests("GET", BALANCE)
    assert attempts == (1 + READ_RETRIES if retried else 1)
    simulator.faults.clear()
    assert (await ok(faulty, "get_balance"))["balance"] > 0
    assert simulator.state.count_requests("GET", BALANCE) == attempts + 1


@pytest.mark.parametrize("name", [name for name, (_, _, retried) in READ_FAULTS.items() if retried])
async def test_a_read_hit_once_succeeds_on_its_retry(faulty: Any, simulator: Any, name: str) -> None:
    spec, _, _ = READ_FAULTS[name]
    simulator.faults.inject(fault(spec, BALANCE, count=1))
    assert (await ok(faulty, "get_balance"))["balance"] > 0
    assert simulator.state.count_requests("GET", BALANCE) == 2


async def test_a_preview_survives_failing_reads_and_says_what_it_could_not_check(
    faulty: Any, simulator: Any
) -> None:
    simulator.faults.inject(fault({"kind": "status", "status": 500}, BALANCE, count=10))
    simulator.faults.inject(fault({"kind": "reset_after"}, "/v1/senders", count=10))
    preview = await ok(faulty, "preview_sms", AWA)
    assert preview["cost"]["credits"] == 1
    assert preview["cost"]["balance"] is None and preview["cost"]["sufficient"] is None
    assert preview["sender"]["approved"] is None
    assert "could not be checked" in preview["sender"]["note"]
    simulator.faults.clear()
    assert (await ok(faulty, "preview_sms", AWA))["cost"]["balance"] > 0


@pytest.mark.parametrize("name", list(SEND_FAULTS))
async def test_a_failing_send_is_tried_once_and_reported_honestly(
    faulty: Any, simulator: Any, name: str
) -> None:
    spec, expected = SEND_FAULTS[name]
    simulator.faults.inject(fault(spec, SEND, count=10))
    result = await ok(faulty, "send_sms", {**AWA, "idempotency_key": f"fault-{name}"})
    assert result["status"] == expected, result
    assert simulator.state.count_requests("POST", SEND) == 1
    assert len(simulator.state.messages) == (1 if name in VENDOR_SENT else 0)
    assert SANDBOX_API_KEY not in json.dumps(result)
    if expected == "outcome_unknown":
        assert "Do not resend blindly" in result["message"]
    else:
        assert "LeTexto did not send it" in result["message"]
    assert await audit_outcomes(faulty) == [expected]

    simulator.faults.clear()
    other = await ok(faulty, "send_sms", KOFFI)
    assert other["status"] == "submitted", other
    again = await ok(faulty, "send_sms", AWA)
    if expected == "outcome_unknown":
        assert again["status"] == "duplicate"  # blocked until someone decides: it may have gone
        assert simulator.state.count_requests("POST", SEND) == 2
    else:
        assert again["status"] == "submitted"  # nothing left: a plain retry is safe
        assert simulator.state.count_requests("POST", SEND) == 3
    retry = await ok(faulty, "send_sms", {**AWA, "idempotency_key": f"fault-{name}"})
    assert retry["status"] in {"duplicate", "outcome_unknown", "refused"}
    assert simulator.state.count_requests("POST", SEND) == (2 if expected == "outcome_unknown" else 3)


@pytest.mark.parametrize("name", ["503", "400", "reset_after", "truncated", "stall"])
async def test_a_failing_campaign_is_tried_once(faulty: Any, simulator: Any, name: str) -> None:
    spec, expected = SEND_FAULTS[name]
    simulator.faults.inject(fault(spec, CAMPAIGN, count=10))
    contacts = [{"phone": "07 07 12 34 56", "name": "Awa"}, {"phone": "05 05 12 34 56", "name": "Koffi"}]
    arguments = {"label": "Relance", "content": "Bonjour {{name}}, à demain.", "contacts": contacts}
    result = await ok(faulty, "create_sms_campaign", arguments)
    assert result["status"] == expected, result
    assert simulator.state.count_requests("POST", CAMPAIGN) == 1
    simulator.faults.clear()
    again = await ok(faulty, "create_sms_campaign", arguments)
    assert again["status"] == ("duplicate" if expected == "outcome_unknown" else "submitted")
    recorded = len(simulator.state.sms_campaigns)
    assert recorded == (1 if name in VENDOR_SENT or expected == "failed" else 0)


async def test_probabilistic_faults_never_make_a_send_twice(simulator: Any) -> None:
    """A flaky vendor (a third of requests fail some way): each distinct send reaches it at most once."""
    kinds = ["status", "reset_after", "malformed", "reset_before"]
    for kind in kinds:
        simulator.faults.inject(Fault(kind, path=SEND, probability=0.1))  # type: ignore[arg-type]
    settings = fault_settings(sends_per_minute=1000)
    async with Client(build_server(settings, simulator=simulator)) as client:
        statuses = []
        for i in range(30):
            number = f"07 07 12 {i // 10}{i % 10} 00"
            result = await ok(client, "send_sms", {"to": number, "content": f"Message {i}"})
            statuses.append(result["status"])
        assert set(statuses) <= {"submitted", "outcome_unknown", "failed"}
        assert simulator.state.count_requests("POST", SEND) == 30
        assert len({m.to for m in simulator.state.messages}) == len(simulator.state.messages)
        assert len(await audit_outcomes(client)) == 30
        simulator.faults.clear()
        assert (await ok(client, "get_balance"))["balance"] > 0


# ---- over a loopback socket ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def loopback() -> Any:
    with LoopbackSimulator() as sim:
        yield sim


@pytest.fixture
async def wire(loopback: LoopbackSimulator) -> AsyncIterator[Any]:
    """Our server with a key, against the simulator on a real port (faults set over its admin API)."""
    await loopback.reset()
    settings = fault_settings(sandbox=False, api_token=SANDBOX_API_KEY, base_url=loopback.url)
    async with Client(build_server(settings)) as client:
        yield client


# Over a socket the simulator cannot refuse a connection it already accepted: "reset_before" cuts
# it like "reset_after", and the client cannot tell them apart, so a send is "outcome_unknown".
WIRE_SENDS = {
    "503": "outcome_unknown",
    "400": "failed",
    "latency": "outcome_unknown",
    "stall": "outcome_unknown",
    "timeout": "outcome_unknown",
    "truncated": "outcome_unknown",
    "reset_before": "outcome_unknown",
    "reset_after": "outcome_unknown",
}


@pytest.mark.parametrize("name", ["502", "latency", "reset_after", "malformed"])
async def test_over_a_socket_reads_retry_and_recover(
    wire: Any, loopback: LoopbackSimulator, name: str
) -> None:
    spec, words, retried = READ_FAULTS[name]
    await loopback.inject({**spec, "path": BALANCE, "count": 10})
    outcome = await call(wire, "get_balance")
    assert outcome.is_error
    assert words in outcome.text or "the connection to LeTexto broke" in outcome.text
    assert await loopback.count(BALANCE) == (1 + READ_RETRIES if retried else 1)
    await loopback.clear_faults()
    assert (await ok(wire, "get_balance"))["balance"] > 0


@pytest.mark.parametrize("name", list(WIRE_SENDS))
async def test_over_a_socket_a_send_is_tried_once(wire: Any, loopback: LoopbackSimulator, name: str) -> None:
    spec, _ = SEND_FAULTS[name]
    await loopback.inject({**spec, "path": SEND, "count": 10})
    result = await ok(wire, "send_sms", AWA)
    assert result["status"] == WIRE_SENDS[name], result
    assert await loopback.count(SEND) == 1
    if name in VENDOR_SENT:  # the vendor did send it: "unknown" was the honest answer
        assert len((await loopback.state())["messages"]) == 1
    await loopback.clear_faults()
    assert (await ok(wire, "send_sms", KOFFI))["status"] == "submitted"
    assert await audit_outcomes(wire) == [WIRE_SENDS[name], "submitted"]


async def test_nothing_listening_means_nothing_sent(unused_tcp_port: int) -> None:
    """Connection refused: the request never left, so the send is `failed` and a retry is safe."""
    url = f"http://127.0.0.1:{unused_tcp_port}"
    settings = fault_settings(sandbox=False, api_token=SANDBOX_API_KEY, base_url=url)
    async with Client(build_server(settings)) as client:
        read = await call(client, "get_balance")
        assert read.is_error and "could not reach LeTexto" in read.text
        result = await ok(client, "send_sms", AWA)
        assert result["status"] == "failed", result
        assert await audit_outcomes(client) == ["failed"]


@pytest.fixture
def unused_tcp_port() -> Iterator[int]:
    with refusing_port() as port:
        yield port


async def test_admin_api_reports_the_faults_it_holds(loopback: LoopbackSimulator) -> None:
    await loopback.reset()
    await loopback.inject({"kind": "status", "status": 503, "path": SEND, "count": 2})
    async with httpx.AsyncClient(base_url=loopback.url, headers=loopback.admin_headers) as http:
        faults = (await http.get("/_sandbox/faults")).json()
    assert faults[0]["status"] == 503 and faults[0]["count"] == 2


# ---- through the HTTP transport -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_over_http_faults_reach_the_client_as_the_same_answers(simulator: Any, mode: str) -> None:
    from letexto_mcp.server.http import build_http_app
    from tests.http_helpers import KEY_A, mcp_client, serving

    app = build_http_app(fault_settings(mcp_api_keys=KEY_A), simulator=simulator)
    async with serving(app) as url, mcp_client(f"{url}/mcp", key=KEY_A, mode=mode) as client:
        simulator.faults.inject(fault({"kind": "status", "status": 503}, BALANCE, count=10))
        read = await call(client, "get_balance")
        assert read.is_error and "LeTexto had a server error (HTTP 503" in read.text
        assert simulator.state.count_requests("GET", BALANCE) == 1 + READ_RETRIES
        simulator.faults.clear()

        simulator.faults.inject(fault({"kind": "reset_after"}, SEND, count=10))
        sent = await ok(client, "send_sms", AWA)
        assert sent["status"] == "outcome_unknown"
        assert simulator.state.count_requests("POST", SEND) == 1
        simulator.faults.clear()
        assert (await ok(client, "send_sms", KOFFI))["status"] == "submitted"
        assert (await ok(client, "send_sms", AWA))["status"] == "duplicate"
        assert simulator.state.count_requests("POST", SEND) == 2
        assert await audit_outcomes(client) == ["outcome_unknown", "submitted", "duplicate"]
