"""`build_server()`: one MCPServer with every LeTexto tool, for every transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.request_state import RequestStateSecurity
from mcp.server.subscriptions import SubscriptionBus

from letexto_mcp import __version__
from letexto_mcp.config import Settings, load_settings
from letexto_mcp.server.instructions import INSTRUCTIONS
from letexto_mcp.server.message_resource import register_message_resource
from letexto_mcp.services import Services, open_services
from letexto_mcp.tools import all_specs
from letexto_mcp.tools.registry import build_tool
from letexto_mcp.webhooks import run_deliveries

if TYPE_CHECKING:
    import httpx

SERVER_NAME = "letexto"


def build_server(
    settings: Settings | None = None,
    *,
    simulator: Any | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    services: Callable[[], Services] | None = None,
    request_state_security: RequestStateSecurity | None = None,
    subscriptions: SubscriptionBus | None = None,
) -> MCPServer[Services]:
    """The LeTexto MCP server. `simulator` (an ASGI app) is used in sandbox mode; `transport` otherwise.

    The HTTP app opens the services once and passes `services` (a getter) so that /mcp and every
    /sse connection (whose transport enters the lifespan per connection) share them; it also
    passes shared request-state keys and the bus it publishes delivery reports on.
    """
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(_: MCPServer[Services]) -> AsyncIterator[Services]:
        if services is not None:
            yield services()
            return
        async with (
            open_services(settings, simulator=simulator, transport=transport) as opened,
            anyio.create_task_group() as background,
        ):
            background.start_soon(run_deliveries, opened.publisher)  # outbound webhooks, if any
            yield opened
            background.cancel_scope.cancel()

    server: MCPServer[Services] = MCPServer(
        SERVER_NAME,
        title="LeTexto SMS & email campaigns",
        version=__version__,
        instructions=INSTRUCTIONS,
        website_url="https://www.letexto.com",
        lifespan=lifespan,
        log_level=settings.log_level,
        tools=[build_tool(spec) for spec in all_specs()],
        request_state_security=request_state_security,
        subscriptions=subscriptions,
    )
    from letexto_mcp.server.extras import register_extras
    from letexto_mcp.server.protocol import register_protocol

    register_extras(server)
    register_message_resource(server)
    register_protocol(server)
    return server
