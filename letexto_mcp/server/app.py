"""`build_server()`: one MCPServer with every LeTexto tool, for every transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from mcp.server.mcpserver import MCPServer

from letexto_mcp import __version__
from letexto_mcp.config import Settings, load_settings
from letexto_mcp.server.instructions import INSTRUCTIONS
from letexto_mcp.server.services import open_services
from letexto_mcp.tools import all_specs
from letexto_mcp.tools.registry import build_tool
from letexto_mcp.tools.services import Services

SERVER_NAME = "letexto"


def build_server(
    settings: Settings | None = None,
    *,
    simulator: Any | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> MCPServer[Services]:
    """The LeTexto MCP server. `simulator` (an ASGI app) is used in sandbox mode; `transport` otherwise."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(_: MCPServer[Services]) -> AsyncIterator[Services]:
        async with open_services(settings, simulator=simulator, transport=transport) as services:
            yield services

    server: MCPServer[Services] = MCPServer(
        SERVER_NAME,
        title="LeTexto SMS & email campaigns",
        version=__version__,
        instructions=INSTRUCTIONS,
        website_url="https://www.letexto.com",
        lifespan=lifespan,
        log_level=settings.log_level,
        tools=[build_tool(spec) for spec in all_specs()],
    )
    from letexto_mcp.server.extras import register_extras

    register_extras(server)
    return server
