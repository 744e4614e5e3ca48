"""2025-era HTTP sessions that clients leave open are closed after LETEXTO_MCP_SESSION_IDLE_SECONDS,
and at most LETEXTO_MCP_MAX_SESSIONS are open at once.

n8n's MCP Client node opens a session for every run and never ends it (seen with n8n 2.35.7): a
flow sending 3,000 reminders one item at a time leaves 3,000 sessions behind, about 40 KB each.

The server runs in the test's event loop, whose clock the tests move forward (tests/loop_clock.py):
the idle time-out is the real one, of realistic length, and nothing sleeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest

from letexto_mcp.server.http import build_http_app
from tests.conftest import sandbox_settings
from tests.http_helpers import KEY_A, headers_for, serving
from tests.loop_clock import SETTABLE_CLOCK_BACKEND, advance_clock
from tests.mcp_helpers import initialize_request

pytestmark = pytest.mark.anyio

PROTOCOL = "2025-06-18"
BALANCE = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "tools/call",
    "params": {"name": "get_balance", "arguments": {}},
}


IDLE = 600  # seconds: the default of LETEXTO_MCP_SESSION_IDLE_SECONDS


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return SETTABLE_CLOCK_BACKEND


@asynccontextmanager
async def raw_http(simulator: Any, **settings: Any) -> AsyncIterator[httpx2.AsyncClient]:
    app = build_http_app(sandbox_settings(mcp_api_keys=[KEY_A], **settings), simulator=simulator)
    headers = headers_for(KEY_A, Accept="application/json, text/event-stream")
    # A connection per request: uvicorn closes idle keep-alive connections on the same moved clock.
    fresh = httpx2.Limits(max_keepalive_connections=0)
    async with (
        serving(app) as base,
        httpx2.AsyncClient(base_url=base, headers=headers, timeout=10, limits=fresh) as http,
    ):
        yield http


async def open_session_like_n8n(http: httpx2.AsyncClient) -> tuple[str, httpx2.Response]:
    """initialize, initialized, one tool call, and no DELETE: what one n8n node run does."""
    opened = await http.post("/mcp", json=initialize_request(PROTOCOL))
    assert opened.status_code == 200, opened.text
    session = opened.headers["mcp-session-id"]
    on_session = {"Mcp-Session-Id": session, "MCP-Protocol-Version": PROTOCOL}
    notified = await http.post(
        "/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=on_session
    )
    assert notified.status_code == 202
    return session, await http.post("/mcp", json=BALANCE, headers=on_session)


def on(session: str) -> dict[str, str]:
    return {"Mcp-Session-Id": session, "MCP-Protocol-Version": PROTOCOL}


async def test_an_abandoned_session_is_closed_after_the_idle_time(simulator: Any) -> None:
    async with raw_http(simulator, session_idle_seconds=IDLE) as http:
        session, called = await open_session_like_n8n(http)
        assert called.status_code == 200 and "1000" in called.text
        await advance_clock(IDLE + 1)
        later = await http.post("/mcp", json=BALANCE, headers=on(session))
        assert later.status_code == 404, "the idle session should be gone"
        _, fresh = await open_session_like_n8n(http)
        assert fresh.status_code == 200, "a new session works as before"


async def test_a_session_is_kept_until_the_idle_time_has_passed(simulator: Any) -> None:
    async with raw_http(simulator, session_idle_seconds=IDLE) as http:
        session, _ = await open_session_like_n8n(http)
        await advance_clock(IDLE - 1)
        assert (await http.post("/mcp", json=BALANCE, headers=on(session))).status_code == 200
        await advance_clock(IDLE + 1)  # counted from that last request
        assert (await http.post("/mcp", json=BALANCE, headers=on(session))).status_code == 404


async def test_a_busy_session_is_not_closed(simulator: Any) -> None:
    async with raw_http(simulator, session_idle_seconds=IDLE) as http:
        session, _ = await open_session_like_n8n(http)
        for _ in range(4):  # 4 x 400 s in all, never 600 s idle
            await advance_clock(IDLE * 2 / 3)
            assert (await http.post("/mcp", json=BALANCE, headers=on(session))).status_code == 200


async def test_sessions_beyond_the_limit_are_refused_until_one_closes(simulator: Any) -> None:
    async with raw_http(simulator, max_sessions=2) as http:
        first, _ = await open_session_like_n8n(http)
        await open_session_like_n8n(http)
        refused = await http.post("/mcp", json=initialize_request(PROTOCOL))
        assert refused.status_code == 503
        assert "Too many open sessions" in refused.text
        closed = await http.delete(
            "/mcp", headers={"Mcp-Session-Id": first, "MCP-Protocol-Version": PROTOCOL}
        )
        assert closed.status_code == 200
        _, called = await open_session_like_n8n(http)
        assert called.status_code == 200


def test_the_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from letexto_mcp.config import ConfigError, load_settings

    defaults = load_settings()
    assert (defaults.session_idle_seconds, defaults.max_sessions) == (600, 10_000)
    monkeypatch.setenv("LETEXTO_MCP_SESSION_IDLE_SECONDS", "120")
    monkeypatch.setenv("LETEXTO_MCP_MAX_SESSIONS", "50")
    assert (load_settings().session_idle_seconds, load_settings().max_sessions) == (120, 50)
    monkeypatch.setenv("LETEXTO_MCP_MAX_SESSIONS", "0")
    with pytest.raises(ConfigError, match="LETEXTO_MCP_MAX_SESSIONS"):
        load_settings()
