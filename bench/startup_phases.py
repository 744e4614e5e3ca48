"""Where a start goes, phase by phase, in a fresh interpreter: `python -m bench.startup_phases ours|bare`.

Prints one JSON object of milliseconds: the SDK import (paid by both servers), then what only ours
adds: its imports, the settings, building the server (tool schemas), opening its services (the
store, the client, the simulator in sandbox mode) and answering tools/list.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any


def _timed(phases: dict[str, float], name: str, step: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    value = step()
    phases[name] = round((time.perf_counter() - started) * 1000, 2)
    return value


def ours(phases: dict[str, float]) -> None:
    import anyio

    _timed(phases, "import SDK (mcp.server.mcpserver)", lambda: __import__("mcp.server.mcpserver"))
    _timed(phases, "import letexto_mcp.cli + config", lambda: __import__("letexto_mcp.config"))
    from letexto_mcp.config import load_settings

    settings = _timed(phases, "read settings", load_settings)
    _timed(phases, "import letexto_mcp.server.app", lambda: __import__("letexto_mcp.server.app"))
    from letexto_mcp.server.app import build_server

    server = _timed(phases, "build_server (tools, schemas)", lambda: build_server(settings))

    async def serve_once() -> None:
        started = time.perf_counter()
        async with server._lowlevel_server.lifespan(server._lowlevel_server):
            phases["open services (lifespan)"] = round((time.perf_counter() - started) * 1000, 2)
            await _list_tools(phases, server)

    anyio.run(serve_once)


def bare(phases: dict[str, float]) -> None:
    import anyio

    _timed(phases, "import SDK (mcp.server.mcpserver)", lambda: __import__("mcp.server.mcpserver"))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bare_server import build_bare_server

    server = _timed(phases, "build_server (tools, schemas)", build_bare_server)
    anyio.run(_list_tools, phases, server)


async def _list_tools(phases: dict[str, float], server: Any) -> None:
    started = time.perf_counter()
    await server.list_tools()
    phases["tools/list (first)"] = round((time.perf_counter() - started) * 1000, 2)


def main() -> int:
    which = sys.argv[1] if len(sys.argv) > 1 else "ours"
    phases: dict[str, float] = {}
    started = time.perf_counter()
    (ours if which == "ours" else bare)(phases)
    phases["total in process"] = round((time.perf_counter() - started) * 1000, 2)
    print(json.dumps(phases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
