"""`letexto-mcp tenant-id`: the tenant id of an MCP client key, to scope an approver (`name:key@tenant`).

Tenant ids are HMACs of a client's keys (never the keys), so an operator cannot read them off a
configuration. This reads the client key from standard input (never an argument: it would show in
the process list and the shell's history) and prints `http:<id>`, the form `LETEXTO_APPROVER_KEYS`
and the approval pages use. In multi-tenant mode it asks for the client's LeTexto key too.
"""

from __future__ import annotations

import sys

import anyio

from letexto_mcp.config import Settings


async def _tenant_id(settings: Settings, mcp_key: str, letexto_key: str | None) -> str:
    from letexto_mcp.server.tenants import TENANT_PREFIX, tenant_client_id, tenant_secret
    from letexto_mcp.services import effective_settings
    from letexto_mcp.store.factory import connect_store

    settings = effective_settings(settings)
    store = await connect_store(settings)
    try:
        secret = await tenant_secret(settings, store)
    finally:
        await store.close()
    return TENANT_PREFIX + tenant_client_id(secret, mcp_key, letexto_key)


def run_tenant_id(settings: Settings) -> int:
    """Print the tenant id of the client key read from stdin (first line; a second, the LeTexto key)."""
    lines = [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
    if not lines:
        print("letexto-mcp tenant-id: give the client key on standard input", file=sys.stderr)
        return 2
    letexto_key = lines[1] if settings.multi_tenant and len(lines) > 1 else None
    if settings.multi_tenant and letexto_key is None:
        print(
            "letexto-mcp tenant-id: multi-tenant mode: give the LeTexto key on a second line", file=sys.stderr
        )
        return 2
    print(anyio.run(_tenant_id, settings, lines[0], letexto_key))
    return 0
