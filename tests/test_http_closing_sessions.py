"""A notification that races its session's DELETE: answered 202, dropped, one warning, no crash in the log.

The race is made certain, not hoped for: the test serves the app behind a thin layer standing for
a slow network, which holds the notification's 202 until the same client's DELETE has closed the
session. Under the SDK alone (mcp 2.3.0) that is a traceback, a second response refused by
uvicorn ("Exception in ASGI application") and another traceback. The load test met it by chance.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import httpx2
import pytest
from starlette.types import Message, Receive, Scope, Send

from letexto_mcp.server.closing_sessions import DROPPED_MESSAGE
from letexto_mcp.server.http import build_http_app
from tests.conftest import sandbox_settings
from tests.http_helpers import KEY_A, headers_for, mcp_client, serving
from tests.mcp_helpers import initialize_request

pytestmark = pytest.mark.anyio

RACE_HEADER = "x-test-race-delete"
PROTOCOL = "2025-06-18"
INITIALIZE = initialize_request(PROTOCOL)


class DeleteDuringNotification:
    """Stands for the network: a marked POST's response completes only after its session is deleted."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.base_url = ""
        self.deletes: list[int] = []
        self.raced = anyio.Event()  # set once the app has returned from the raced POST

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        session = headers.get(RACE_HEADER.encode())
        if session is None:
            await self.app(scope, receive, send)
            return

        async def send_then_delete(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                async with httpx2.AsyncClient(timeout=10) as http:
                    deleted = await http.delete(
                        f"{self.base_url}/mcp",
                        headers=headers_for(
                            KEY_A, **{"Mcp-Session-Id": session.decode(), "MCP-Protocol-Version": PROTOCOL}
                        ),
                    )
                self.deletes.append(deleted.status_code)

        try:
            await self.app(scope, receive, send_then_delete)
        finally:
            self.raced.set()


def _problems(records: list[logging.LogRecord]) -> list[str]:
    return [
        f"{r.name} {r.levelname}: {r.getMessage()}"
        for r in records
        if r.levelno >= logging.ERROR or r.exc_info or "Traceback" in r.getMessage()
    ]


async def test_notification_racing_its_sessions_delete(
    simulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = DeleteDuringNotification(
        build_http_app(sandbox_settings(mcp_api_keys=[KEY_A]), simulator=simulator)
    )
    caplog.set_level(logging.DEBUG)
    async with serving(app) as base:
        app.base_url = base
        headers = headers_for(KEY_A, Accept="application/json, text/event-stream")
        async with httpx2.AsyncClient(base_url=base, headers=headers, timeout=10) as http:
            opened = await http.post("/mcp", json=INITIALIZE)
            assert opened.status_code == 200, opened.text
            session = opened.headers["mcp-session-id"]
            notified = await http.post(
                "/mcp",
                json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                headers={"Mcp-Session-Id": session, "MCP-Protocol-Version": PROTOCOL, RACE_HEADER: session},
            )
            with anyio.fail_after(10):
                await app.raced.wait()
            # The client was answered once, 202, and its DELETE went through while the 202 was in flight.
            assert notified.status_code == 202
            assert app.deletes == [200]
            # The session is gone for good: the next message to it is told so.
            gone = await http.post(
                "/mcp",
                json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                headers={"Mcp-Session-Id": session, "MCP-Protocol-Version": PROTOCOL},
            )
            assert gone.status_code == 404

        # The server goes on serving new sessions normally.
        async with mcp_client(f"{base}/mcp", key=KEY_A, mode="legacy") as client:
            balance = await client.call_tool("get_balance", {})
            assert not balance.is_error

    assert _problems(caplog.records) == []
    warnings = [r for r in caplog.records if r.getMessage() == DROPPED_MESSAGE]
    assert warnings and all(r.levelno == logging.WARNING for r in warnings)
