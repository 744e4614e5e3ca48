"""A 2025-era client that subscribes to a message's resource hears when its delivery report lands.

The 2026-07-28 side (`subscriptions/listen`) is covered in test_http_dlr.py; this is the same story
for clients that speak the handshake era (`resources/subscribe`), over Streamable HTTP and SSE.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
import httpx2
import mcp.types as types
import pytest

from letexto_mcp.server.http import build_http_app
from tests.conftest import sandbox_settings
from tests.http_helpers import KEY_A, base_url, loopback_socket, mcp_client, serving, sse_mcp_client
from tests.mcp_helpers import ok

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning"),
]

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}


async def heard_until(heard: list[str], uri: str) -> None:
    """Wait until `uri` was heard (a guard against hanging, not a timing assertion)."""
    with anyio.fail_after(10):
        while uri not in heard:
            await anyio.sleep(0.02)


def _client(transport: str, url: str, on_message: Any) -> AbstractAsyncContextManager[Any]:
    if transport == "sse":
        return sse_mcp_client(f"{url}/sse", key=KEY_A, message_handler=on_message)
    return mcp_client(f"{url}/mcp", key=KEY_A, mode="legacy", message_handler=on_message)


@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
async def test_legacy_subscriber_is_told_when_a_delivery_report_arrives(
    simulator: Any, transport: str
) -> None:
    sock = loopback_socket()
    url = base_url(sock)
    settings = sandbox_settings(mcp_api_keys=[KEY_A], send_policy="allow", public_url=url)
    heard: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            heard.append(message.params.uri)

    async with (
        serving(build_http_app(settings, simulator=simulator), sock),
        _client(transport, url, on_message) as client,
    ):
        sent = await ok(client, "send_sms", AWA)
        marker = await ok(client, "send_sms", {**AWA, "content": "Un autre message."})
        uri, marker_uri = (f"letexto://messages/{m['message_id']}" for m in (sent, marker))
        await client.subscribe_resource(uri)
        await client.subscribe_resource(marker_uri)
        dlr_url, marker_url = (m.dlr_url for m in simulator.state.messages)
        report = {"id": sent["message_id"], "status": "DELIVERED", "customData": None}
        marker_report = {"id": marker["message_id"], "status": "SENT", "customData": None}
        async with httpx2.AsyncClient() as http:
            assert (await http.post(dlr_url, json=report)).status_code == 200
        await heard_until(heard, uri)
        assert heard == [uri]

        await client.unsubscribe_resource(uri)
        async with httpx2.AsyncClient() as http:
            assert (await http.post(dlr_url, json=report)).status_code == 200
            # Updates reach the connection in the order the reports arrived: once the marker's is
            # heard, an update for the report before it would have been heard too.
            assert (await http.post(marker_url, json=marker_report)).status_code == 200
        await heard_until(heard, marker_uri)
        assert heard == [uri, marker_uri]
        status = await ok(client, "get_message_status", {"message_id": sent["message_id"]})
        assert status["source"] == "delivery_report" and status["status"] == "DELIVERED"
