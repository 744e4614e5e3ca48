"""The server's signing keys, one purpose each: never stored readable when LETEXTO_MCP_STATE_SECRET is set.

Confirmation tokens, delivery-report URLs, approver sessions and tenant ids are each signed with a
key of their own. With LETEXTO_MCP_STATE_SECRET (required with PostgreSQL, where several replicas
share one database), every key is derived from it by HMAC with the purpose's label, so the
database holds none of them and every replica derives the same ones. Rotation: the setting is
comma-separated, newest first; a signer signs with the newest key and accepts every listed one.
Without the setting (one machine, SQLite or memory), one random key per purpose is created once
and kept in the state store, as before.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from letexto_mcp.config import Settings
from letexto_mcp.store.base import StateStore

KEY_BYTES = 32


def derived_keys(settings: Settings, purpose: str) -> list[bytes]:
    """The purpose's keys from LETEXTO_MCP_STATE_SECRET, newest first ([] when it is not set)."""
    label = f"letexto-mcp/{purpose}/v1".encode()
    return [hmac.new(secret, label, hashlib.sha256).digest() for secret in settings.state_secrets()]


async def signing_keys(settings: Settings, store: StateStore, purpose: str) -> list[bytes]:
    """The purpose's keys, newest first: derived from the state secret, else one kept in the store."""
    derived = derived_keys(settings, purpose)
    if derived:
        return derived
    return [await store.get_or_create_secret(purpose, lambda: secrets.token_bytes(KEY_BYTES))]
