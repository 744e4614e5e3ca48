"""Command line: `serve` (stdio | http), `sandbox`, `doctor`, `migrate`, `demo`, `webhooks list | test`,
`connections list | revoke`.

Imports are lazy: `letexto-mcp` on stdio is started by desktop clients on every launch, so it
loads only what serving needs, and prints nothing on stdout but the protocol.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from letexto_mcp import __version__

if TYPE_CHECKING:
    from letexto_mcp.config import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="letexto-mcp",
        description="MCP server for LeTexto SMS and email campaigns. With no command: serve over stdio.",
    )
    parser.add_argument("--version", action="version", version=f"letexto-mcp {__version__}")
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser("serve", help="run the MCP server (stdio by default)")
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--sandbox", action="store_true", help="use the embedded LeTexto simulator (no key)")
    serve.add_argument(
        "--trusted-proxy",
        action="store_true",
        help="HTTP: an authenticating reverse proxy is in front; allow a non-loopback bind without "
        "LETEXTO_MCP_API_KEYS (LETEXTO_MCP_TRUSTED_PROXY=1)",
    )

    sandbox = commands.add_parser("sandbox", help="run the LeTexto simulator alone over HTTP")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8787)
    sandbox.add_argument(
        "--approval-delay",
        type=float,
        default=30.0,
        help="seconds before a new sender is approved (default 30)",
    )

    doctor = commands.add_parser("doctor", help="check the configuration and the key against LeTexto")
    doctor.add_argument("--sandbox", action="store_true", help="check against the embedded simulator")

    commands.add_parser(
        "migrate", help="create or upgrade the state store's schema (LETEXTO_STATE_URL) and print its version"
    )

    commands.add_parser(
        "tenant-id",
        help="print the tenant id of an MCP client key read from stdin (to scope an approver: name:key@id)",
    )

    demo = commands.add_parser(
        "demo", help="a scripted session against the simulator, through a real MCP client"
    )
    demo.add_argument("--quiet", action="store_true", help="print only the final line")

    webhooks = commands.add_parser("webhooks", help="outbound webhooks: the delivery log, a test event")
    actions = webhooks.add_subparsers(dest="webhooks_action", required=True)
    listing = actions.add_parser(
        "list", help="recent deliveries: target, attempts, last answer, next attempt"
    )
    listing.add_argument("--limit", type=int, default=50, help="how many (newest first, default 50)")
    actions.add_parser("test", help="send a webhook.test event to every LETEXTO_WEBHOOK_URLS target now")

    connections = commands.add_parser("connections", help="assistants connected by OAuth: list, revoke")
    connection_actions = connections.add_subparsers(dest="connections_action", required=True)
    listed = connection_actions.add_parser(
        "list", help="the connections: application, who allowed it, scopes"
    )
    listed.add_argument("--all", action="store_true", help="revoked ones too")
    revoke = connection_actions.add_parser("revoke", help="revoke one: its next call gets 401")
    revoke.add_argument("id", help="the connection's id (from `connections list`)")
    return parser


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _fail(message: str) -> int:
    print(f"letexto-mcp: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "serve"
    from letexto_mcp.config import ConfigError, load_settings

    try:
        settings = load_settings(
            sandbox=True if getattr(args, "sandbox", False) else None,
            trusted_proxy=True if getattr(args, "trusted_proxy", False) else None,
        )
    except ConfigError as error:
        return _fail(str(error))
    _configure_logging(settings.log_level)

    if command == "sandbox":
        from letexto_mcp.sandbox import SandboxConfig
        from letexto_mcp.sandbox.serve import run_sandbox

        run_sandbox(args.host, args.port, SandboxConfig(sender_approval_delay=args.approval_delay))
        return 0
    if command == "doctor":
        from letexto_mcp.doctor import run_doctor

        return run_doctor(settings)
    if command == "webhooks":
        from letexto_mcp.webhooks.commands import run_webhooks_command

        return run_webhooks_command(settings, args.webhooks_action, getattr(args, "limit", 50))
    if command == "connections":
        from letexto_mcp.oauth.commands import run_connections_command

        return run_connections_command(
            settings,
            args.connections_action,
            getattr(args, "id", None),
            include_revoked=getattr(args, "all", False),
        )
    if command == "migrate":
        from letexto_mcp.migrate import run_migrate

        return run_migrate(settings)
    if command == "tenant-id":
        from letexto_mcp.tenant_id import run_tenant_id

        return run_tenant_id(settings)
    if command == "demo":
        from letexto_mcp.demo import run_demo

        return run_demo(quiet=args.quiet)

    transport = getattr(args, "transport", "stdio")
    if transport == "http":
        return _serve_http(settings, args.host, args.port)
    if not settings.sandbox:
        try:
            settings.require_api_token()
        except ConfigError as error:
            return _fail(str(error))
    from letexto_mcp.server.app import build_server
    from letexto_mcp.server.stdio_exit import run_stdio

    return run_stdio(build_server(settings))


def _serve_http(settings: Settings, host: str, port: int) -> int:
    """HTTP: refuse an unauthenticated non-loopback bind, then serve with uvicorn until interrupted."""
    from letexto_mcp.config import ConfigError
    from letexto_mcp.server.auth import bind_refusal

    refusal = bind_refusal(settings, host)
    if refusal is not None:
        return _fail(refusal)
    if not settings.sandbox and not settings.multi_tenant:
        try:
            settings.require_api_token()
        except ConfigError as error:
            return _fail(str(error))
    from letexto_mcp.server.serve_http import serve_http

    serve_http(settings, host, port)
    return 0
