"""The same user scenario over every HTTP transport, with the SDK's real client, uvicorn on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from letexto_mcp.server.http import build_http_app
from tests.conftest import sandbox_settings
from tests.http_helpers import KEY_A, KEY_B, approver, mcp_client, serving, sse_mcp_client
from tests.mcp_helpers import ok, sent_to

pytestmark = pytest.mark.anyio

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}


@pytest.fixture
async def base(simulator: Any) -> AsyncIterator[str]:
    app = build_http_app(sandbox_settings(mcp_api_keys=[KEY_A, KEY_B]), simulator=simulator)
    async with serving(app) as url:
        yield url


async def _preview_approve_send_status(client: Any, simulator: Any) -> None:
    tools = {t.name for t in (await client.list_tools()).tools}
    assert {"preview_sms", "send_sms", "get_message_status"} <= tools
    preview = await ok(client, "preview_sms", AWA)
    assert preview["cost"]["credits"] == 1
    first = await ok(client, "send_sms", AWA)
    assert first["status"] == "confirmation_required"
    assert simulator.state.messages == []
    sent = await ok(client, "send_sms", {**AWA, "confirmation_token": first["confirmation_token"]})
    assert sent["status"] == "submitted", sent
    status = await ok(client, "get_message_status", {"message_id": sent["message_id"]})
    assert status["message_id"] == sent["message_id"]
    assert status["source"] == "letexto"
    assert status["status"] in {"PENDING", "SENT", "DELIVERED"}
    assert sent_to(simulator) == ["2250707123456"]


async def test_streamable_http_scenario_in_both_eras(base: str, simulator: Any, era: str) -> None:
    async with mcp_client(f"{base}/mcp", key=KEY_A, mode=era) as client:
        await _preview_approve_send_status(client, simulator)


async def test_sse_scenario(base: str, simulator: Any) -> None:
    async with sse_mcp_client(f"{base}/sse", key=KEY_A) as client:
        await _preview_approve_send_status(client, simulator)


async def test_elicitation_over_http_in_both_eras(base: str, simulator: Any, era: str) -> None:
    """2025 era: the question rides the stateful session's stream; 2026: an input-required round trip."""
    yes = approver(approve=True)
    async with mcp_client(f"{base}/mcp", key=KEY_A, mode=era, elicitation_callback=yes) as client:
        sent = await ok(client, "send_sms", AWA)
    assert sent["status"] == "submitted", sent
    assert len(yes.questions) == 1 and "2250707123456" in yes.questions[0]
    assert sent_to(simulator) == ["2250707123456"]

    no = approver(approve=False)
    async with mcp_client(f"{base}/mcp", key=KEY_A, mode=era, elicitation_callback=no) as client:
        declined = await ok(client, "send_sms", {**AWA, "content": "Un autre message"})
    assert declined["status"] == "declined"
    assert len(no.questions) == 1
    assert len(simulator.state.messages) == 1


async def test_elicitation_over_sse(base: str, simulator: Any) -> None:
    yes = approver(approve=True)
    async with sse_mcp_client(f"{base}/sse", key=KEY_A, elicitation_callback=yes) as client:
        sent = await ok(client, "send_sms", AWA)
    assert sent["status"] == "submitted" and len(yes.questions) == 1
    assert sent_to(simulator) == ["2250707123456"]


async def test_healthz_and_readyz_need_no_key_and_say_nothing_secret(base: str) -> None:
    async with httpx2.AsyncClient() as http:
        health = await http.get(f"{base}/healthz")
        ready = await http.get(f"{base}/readyz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "store": "ok", "letexto": "reachable"}
    for response in (health, ready):
        assert "lt_" not in response.text and "balance" not in response.text


async def test_a_letexto_outage_is_reported_but_leaves_the_replica_ready() -> None:
    """Every replica sees the same LeTexto: taking them all out of the balancer would help nobody."""
    from bench.procs import refusing_port
    from letexto_mcp.config import Settings

    with refusing_port() as dead_port:  # bound, never listening: connection refused
        settings = Settings(
            api_token="lt_live_readiness0123456789ab",
            base_url=f"http://127.0.0.1:{dead_port}",
            state_url="memory://",
            read_retries=0,
            timeout_seconds=2,
        )
        async with serving(build_http_app(settings)) as url, httpx2.AsyncClient() as http:
            ready = await http.get(f"{url}/readyz")
            health = await http.get(f"{url}/healthz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "store": "ok", "letexto": "unreachable"}
    assert "readiness0123" not in ready.text
    assert health.status_code == 200


async def test_a_replica_whose_store_does_not_answer_is_not_ready(tmp_path: Any) -> None:
    """A SQLite file that cannot be read stands for a database that is down."""
    import sqlite3

    path = tmp_path / "state.db"
    settings = sandbox_settings(state_url=f"sqlite:///{path}")
    async with serving(build_http_app(settings)) as url, httpx2.AsyncClient() as http:
        with sqlite3.connect(path) as conn:  # after start-up, before the first probe
            conn.execute("DROP TABLE budget")
        down = await http.get(f"{url}/readyz")
    assert down.status_code == 503
    assert down.json() == {"status": "not_ready", "store": "unavailable", "letexto": "reachable"}
