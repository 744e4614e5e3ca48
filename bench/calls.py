"""Timing tool calls through a real MCP client, and the servers they are made against."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from mcp import Client

Call = Callable[[], Awaitable[Any]]

PREVIEW_ARGS = {
    "content": "Bonjour Awa, votre colis est arrivé à l'agence de Cocody. Merci !",
    "to": "07 07 12 34 56",
}
ECHO_ARGS = {"message": "Bonjour Awa"}


class ToolFailed(RuntimeError):
    """A benchmarked call came back as an error: the figures would be meaningless."""


def tool_call(client: Client, name: str, arguments: Mapping[str, Any] | None = None) -> Call:
    """A zero-argument coroutine function that makes one call and insists it succeeded."""
    args = dict(arguments or {})

    async def call() -> Any:
        result = await client.call_tool(name, args)
        if result.is_error:
            text = " ".join(getattr(block, "text", "") for block in result.content)
            raise ToolFailed(f"{name} failed: {text[:300]}")
        return result

    return call


async def interleaved(calls: Mapping[str, Call], count: int, warmup: int = 20) -> dict[str, list[float]]:
    """Seconds per call for each named call, made in turn (a, b, c, a, b, c, ...) so noise hits all alike."""
    for _ in range(warmup):
        for call in calls.values():
            await call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(count):
        for name, call in calls.items():
            started = time.perf_counter()
            await call()
            times[name].append(time.perf_counter() - started)
    return times


def sandbox_server(*, initial_balance: float = 1e9, **settings: Any) -> tuple[Any, Any]:
    """(our server, its in-process simulator), state in memory, with `settings` overrides."""
    from letexto_mcp.config import Settings
    from letexto_mcp.sandbox import SandboxConfig, create_app
    from letexto_mcp.server.app import build_server

    simulator = create_app(SandboxConfig(initial_balance=initial_balance, sender_approval_delay=0))
    values: dict[str, Any] = {
        "sandbox": True,
        "state_url": "memory://",
        "default_sender": "SMS INFO",
        "log_level": "WARNING",
    }
    values.update(settings)
    return build_server(Settings(**values), simulator=simulator), simulator
