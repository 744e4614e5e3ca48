"""Small helpers for calling tools through a real MCP client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ToolCall:
    is_error: bool
    data: dict[str, Any] | None
    text: str


async def call(client: Any, name: str, arguments: dict[str, Any] | None = None, **kwargs: Any) -> ToolCall:
    result = await client.call_tool(name, arguments or {}, **kwargs)
    text = "\n".join(getattr(block, "text", "") for block in result.content)
    return ToolCall(is_error=bool(result.is_error), data=result.structured_content, text=text)


async def ok(
    client: Any, name: str, arguments: dict[str, Any] | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured content."""
    outcome = await call(client, name, arguments, **kwargs)
    assert not outcome.is_error, outcome.text
    assert outcome.data is not None
    return outcome.data


def sent_to(simulator: Any) -> list[str]:
    """Every number the simulator recorded a single SMS for."""
    return [m.to for m in simulator.state.messages]


def initialize_request(protocol: str = "2025-11-25") -> dict[str, Any]:
    """A raw JSON-RPC `initialize` (id 1), for tests that speak the wire without the SDK's client."""
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": protocol,
            "capabilities": {},
            "clientInfo": {"name": "raw-test", "version": "0"},
        },
    }
