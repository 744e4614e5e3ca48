"""`letexto-mcp migrate`: create or upgrade the state store's schema now, and say which version it is at.

Every server migrates at start anyway; this lets an operator do it ahead of a rolling upgrade (or as
a user allowed to create tables, when the servers' user is not), and see the result.
"""

from __future__ import annotations

import sys

import anyio

from letexto_mcp.config import Settings
from letexto_mcp.state_url import mask_state_url


async def _migrate(settings: Settings) -> int:
    from letexto_mcp.services import effective_settings
    from letexto_mcp.store.factory import connect_store, schema_version

    url = effective_settings(settings).state_url
    shown = mask_state_url(url)
    store = await connect_store(settings.model_copy(update={"state_url": url}))
    try:
        version = await schema_version(store)
    finally:
        await store.close()
    if version is None:
        print(f"{shown} keeps nothing between runs: no schema to migrate")
    else:
        print(f"{shown}: schema version {version}")
    return 0


def run_migrate(settings: Settings) -> int:
    """Exit status 0 when the store is at this letexto-mcp's schema; 2 with a sentence otherwise."""
    from letexto_mcp.store.base import StoreError

    try:
        return anyio.run(_migrate, settings)
    except (StoreError, ValueError) as error:
        print(f"letexto-mcp migrate: {error}", file=sys.stderr)
        return 2
