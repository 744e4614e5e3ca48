"""Where a tool call's time goes: cProfile of in-memory calls, own time summed by package.

Used when a per-call target is missed, so the report says which code to make cheaper.
"""

from __future__ import annotations

import cProfile
import pstats
from collections import defaultdict
from typing import Any

from mcp import Client

from bench.calls import sandbox_server, tool_call

_MARKERS = ("site-packages/", "/lib/python3")


def package_of(filename: str) -> str:
    """`letexto_mcp.tools`, `pydantic`, `jsonschema`... from a code object's file name."""
    path = filename.replace("\\", "/")
    if "letexto_mcp/" in path:
        parts = path.split("letexto_mcp/", 1)[1].split("/")
        return "letexto_mcp." + parts[0].removesuffix(".py") if len(parts) > 1 else "letexto_mcp"
    for marker in _MARKERS:
        if marker in path:
            rest = path.split(marker, 1)[1].split("/")
            rest = rest[1:] if marker == "/lib/python3" else rest
            name = rest[0].removesuffix(".py") if rest else "?"
            return name if marker == "site-packages/" else f"stdlib:{name}"
    return "builtins" if path.startswith(("~", "<")) else path.rsplit("/", 1)[-1]


async def profile_calls(name: str, arguments: dict[str, Any], count: int) -> dict[str, float]:
    """Own time per call (ms) by package, for `count` in-memory calls of `name` (2026-07-28 era)."""
    server, _ = sandbox_server()
    async with Client(server) as client:
        call = tool_call(client, name, arguments)
        for _ in range(20):
            await call()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            await call()
        profiler.disable()
    stats = pstats.Stats(profiler)
    totals: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, own, _, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if filename != "~" or not callers:
            totals[package_of(filename)] += own
            continue
        # A built-in (a C method such as pydantic-core's validate_python): its time goes to its callers.
        shares = {caller: timing[2] for caller, timing in callers.items()}
        whole = sum(shares.values()) or 1.0
        for (caller_file, _, _), share in shares.items():
            totals[package_of(caller_file)] += own * share / whole
    per_call = {package: seconds / count * 1000 for package, seconds in totals.items()}
    return dict(sorted(per_call.items(), key=lambda kv: -kv[1]))
