"""The delivery worker inside the servers: the HTTP app's lifespan, and a stdio server's background."""

from __future__ import annotations

from pathlib import Path

import pytest

from letexto_mcp.store import SqliteStore
from letexto_mcp.webhooks import WebhookOptions, WebhookPublisher
from tests.http_helpers import serving
from tests.webhook_helpers import MESSAGE, SECRET, Receiver, wait_for

pytestmark = pytest.mark.anyio


async def test_the_worker_runs_inside_the_http_app(tmp_path: Path) -> None:
    """An event emitted through services.publisher while the HTTP app runs reaches the receiver."""
    from letexto_mcp.server.http import build_http_app
    from tests.conftest import sandbox_settings

    receiver = Receiver()
    async with serving(receiver.app) as receiver_url:
        settings = sandbox_settings(
            webhook_urls=[f"{receiver_url}/hook"],
            webhook_secret=SECRET,
            state_url=f"sqlite:///{tmp_path / 'state.db'}",
        )
        app = build_http_app(settings)
        async with serving(app):
            services = app.state.runtime.require_services()
            event_id = await services.publisher.emit(
                "approval.approved",
                "tenant-9",
                {"approval_id": "ap1", "decided_by": "awa", "decided_at": 1.0},
            )
            await wait_for(lambda: len(receiver.accepted) == 1)
    [seen] = receiver.accepted
    assert seen.headers["webhook-id"] == event_id
    assert seen.verified["data"] == {
        "tenant": "tenant-9",
        "approval_id": "ap1",
        "decided_by": "awa",
        "decided_at": "1970-01-01T00:00:01.000Z",
    }


async def test_a_stdio_server_delivers_what_another_process_queued(tmp_path: Path) -> None:
    """The stdio server's own worker polls the shared state file: an event queued by another
    publisher (another process, as far as the file knows) is delivered by it."""
    from mcp import Client

    from letexto_mcp.server.app import build_server
    from tests.conftest import sandbox_settings

    receiver, state = Receiver(), tmp_path / "state.db"
    async with serving(receiver.app) as url:
        settings = sandbox_settings(
            webhook_urls=[f"{url}/hook"], webhook_secret=SECRET, state_url=f"sqlite:///{state}"
        )
        async with Client(build_server(settings)) as client:
            await client.list_tools()
            other = SqliteStore(state)
            try:
                publisher = WebhookPublisher(other, WebhookOptions.from_settings(settings))
                event_id = await publisher.emit("message.delivered", "tenant-1", MESSAGE)
            finally:
                await other.close()
            await wait_for(lambda: len(receiver.accepted) == 1)
    assert receiver.accepted[0].headers["webhook-id"] == event_id
