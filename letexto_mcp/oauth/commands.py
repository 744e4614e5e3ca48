"""`letexto-mcp connections list | revoke <id>`: the operator's view of the assistants connected by OAuth.

Reads the state store LETEXTO_STATE_URL names (run it with the server's environment). Revoking is
immediate for every replica sharing that store: the connection's next call gets 401, its refresh token
no longer works, and in multi-tenant mode the LeTexto key it held is forgotten.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from typing import TextIO

import anyio

from letexto_mcp.config import Settings
from letexto_mcp.store.base import OAuthConnection, StoreError
from letexto_mcp.store.factory import open_store


def _when(at: float | None) -> str:
    return "-" if at is None else datetime.fromtimestamp(at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def format_connections(rows: list[OAuthConnection]) -> str:
    """The connections as a table: id, application, where it returns, who allowed it, scopes, since, state."""
    header = ("ID", "APPLICATION", "RETURNS TO", "ALLOWED BY", "SCOPES", "SINCE", "STATE")
    table = [
        (
            row.id,
            row.client_name,
            row.redirect_host,
            row.person,
            " ".join(row.scopes),
            _when(row.created_at),
            "active" if row.active else f"revoked {_when(row.revoked_at)}",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *table]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *table]
    )


async def list_connections(settings: Settings, out: TextIO, *, include_revoked: bool = False) -> int:
    store = open_store(settings.state_url)
    try:
        rows = await store.oauth_list_connections(include_revoked=include_revoked, limit=1000)
    finally:
        await store.close()
    if settings.oauth_mode() != "builtin":
        print(
            "The built-in authorization server is off (LETEXTO_CONNECT_KEYS or LETEXTO_OAUTH=1 turn it on).",
            file=out,
        )
    if not rows:
        print("No connection in the state store.", file=out)
        return 0
    print(format_connections(rows), file=out)
    return 0


async def revoke_connection(settings: Settings, connection_id: str, out: TextIO) -> int:
    store = open_store(settings.state_url)
    try:
        found = await store.oauth_get_connection(connection_id)
        revoked = found is not None and await store.oauth_revoke_connection(connection_id, time.time())
    finally:
        await store.close()
    if found is None:
        print(f"No connection {connection_id!r}: `letexto-mcp connections list` shows them.", file=out)
        return 1
    if not revoked:
        print(f"{connection_id} was revoked already ({_when(found.revoked_at)}).", file=out)
        return 0
    print(
        f"{connection_id} revoked: {found.client_name}, allowed by {found.person}; its next call gets 401.",
        file=out,
    )
    return 0


def run_connections_command(
    settings: Settings,
    action: str,
    connection_id: str | None = None,
    *,
    include_revoked: bool = False,
    out: TextIO | None = None,
) -> int:
    """`letexto-mcp connections list|revoke`, with the server's own settings."""
    out = out or sys.stdout
    try:
        if action == "revoke":
            assert connection_id is not None
            return anyio.run(revoke_connection, settings, connection_id, out)
        return anyio.run(lambda: list_connections(settings, out, include_revoked=include_revoked))
    except StoreError as error:
        print(f"letexto-mcp: {error}", file=sys.stderr)
        return 2
