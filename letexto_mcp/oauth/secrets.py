"""The OAuth parts' secrets: derived from LETEXTO_MCP_STATE_SECRET (every replica the same), else kept
in the state store, and the digests that stand for codes and tokens in the store."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from letexto_mcp.config import Settings
from letexto_mcp.store.base import StateStore

STORE_SECRET_NAME = "oauth"


async def oauth_secret(settings: Settings, store: StateStore) -> bytes:
    """The root of every OAuth key here (request sealing, client secrets): one per deployment."""
    ring = settings.state_secrets()
    if ring:
        return hmac.new(ring[0], b"letexto-mcp/oauth/v1", hashlib.sha256).digest()
    return await store.get_or_create_secret(STORE_SECRET_NAME, lambda: secrets.token_bytes(32))


def derive(secret: bytes, purpose: str) -> bytes:
    """A key for one purpose, from a root secret."""
    return hmac.new(secret, b"letexto-mcp/oauth/" + purpose.encode(), hashlib.sha256).digest()


def digest(token: str) -> str:
    """What the store keeps for a code or a refresh token: its SHA-256 (the tokens carry 256 random
    bits, so no salt or slow hash is needed), never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A code or refresh token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)
