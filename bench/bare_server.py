"""The floor: a bare `MCPServer` with one echo tool, on the same SDK as ours.

Every benchmark compares our server with this one in the same run, so what the SDK, Python and
the machine cost is measured once and subtracted. Run it over stdio or Streamable HTTP:

    python bench/bare_server.py                       # stdio
    python bench/bare_server.py --http --port 8765    # Streamable HTTP at /mcp

It imports nothing from this project (run as a file, it could not), so its start-up is the SDK's.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mcp.server.mcpserver import MCPServer


def build_bare_server() -> MCPServer:
    """One tool, `echo(message) -> str`: the least a tools/call can do."""
    server = MCPServer("bare-echo", version="1.0.0", log_level="WARNING")

    @server.tool(name="echo", description="Echo the message back.")
    def echo(message: str) -> str:
        return message

    return server


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bare MCPServer with one echo tool")
    parser.add_argument("--http", action="store_true", help="serve Streamable HTTP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    server = build_bare_server()
    if args.http:
        server.run("streamable-http", host=args.host, port=args.port)
    else:
        server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
