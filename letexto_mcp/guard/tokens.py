"""Confirmation tokens: proof that the user saw this exact preview, valid minutes, usable once.

A token is base64url(payload + HMAC-SHA256(payload)). The payload is binary and holds nothing
readable but the tool name: a version byte, a keyed tag of the tenant, the expiry, a random
nonce, a keyed tag of the request fingerprint, then the tool. The tags are HMACs under the
server secret, so neither the caller's identity nor the request (phone numbers, text) can be
guessed back from a token. Single use is enforced by the store (`consume_once` on the nonce).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from letexto_mcp.guard import b64url
from letexto_mcp.guard.errors import TokenRefused
from letexto_mcp.store.base import StateStore

TOKEN_VERSION = 1
MAX_TOKEN_CHARS = 512
MAX_TOOL_BYTES = 64
_TENANT_TAG = 12
_FP_TAG = 16
_NONCE = 12
_MAC = 32
_HEAD = struct.Struct(f">B{_TENANT_TAG}sd{_NONCE}s{_FP_TAG}s")
_MIN_BYTES = _HEAD.size + 1 + _MAC

NEW_PREVIEW = "re-run the same call without confirmation_token to get a new preview and token"


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token stands for; `consume` turns it into a single use."""

    tenant: str
    nonce: str
    expires_at: float


class ConfirmationTokens:
    """Issue and redeem tokens bound to (tenant, tool, request fingerprint), signed with the server secret."""

    def __init__(
        self,
        store: StateStore,
        secret: bytes | list[bytes],
        ttl: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        ring = [secret] if isinstance(secret, bytes) else list(secret)
        if not ring or any(len(key) < 16 for key in ring):
            raise ValueError("the confirmation token secret must be at least 16 bytes")
        if ttl <= 0:
            raise ValueError("the confirmation token ttl must be positive")
        self._store = store
        # Newest first: a token is signed with the first key and accepted under any (rotation).
        self._keys = [
            (
                hmac.new(key, b"letexto-mcp/token/mac", hashlib.sha256).digest(),
                hmac.new(key, b"letexto-mcp/token/tags", hashlib.sha256).digest(),
            )
            for key in ring
        ]
        self.ttl = float(ttl)
        self._clock = clock

    def _tag(self, kind: bytes, value: str, size: int, tag_key: bytes | None = None) -> bytes:
        key = self._keys[0][1] if tag_key is None else tag_key
        return hmac.new(key, kind + b"\0" + value.encode("utf-8"), hashlib.sha256).digest()[:size]

    def _mac(self, payload: bytes, mac_key: bytes | None = None) -> bytes:
        key = self._keys[0][0] if mac_key is None else mac_key
        return hmac.new(key, payload, hashlib.sha256).digest()

    def issue(self, tenant: str, tool: str, fingerprint: str) -> str:
        """A fresh token for this tenant, tool and request, valid `ttl` seconds from now."""
        tool_bytes = tool.encode("utf-8")
        if not tool_bytes or len(tool_bytes) > MAX_TOOL_BYTES:
            raise ValueError(f"tool name must be 1 to {MAX_TOOL_BYTES} bytes, got {tool!r}")
        payload = (
            _HEAD.pack(
                TOKEN_VERSION,
                self._tag(b"tenant", tenant, _TENANT_TAG),
                self._clock() + self.ttl,
                secrets.token_bytes(_NONCE),
                self._tag(b"request", fingerprint, _FP_TAG),
            )
            + tool_bytes
        )
        return b64url.encode(payload + self._mac(payload))

    def verify(self, token: object, tenant: str, tool: str, fingerprint: str) -> TokenClaims:
        """Every check but single use; raises `TokenRefused` with what to do next."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise TokenRefused(
                "malformed", f"the confirmation_token is not one this server issued; {NEW_PREVIEW}"
            )
        raw = b64url.decode_strict(token)
        if raw is None or len(raw) < _MIN_BYTES or len(raw) > _MIN_BYTES - 1 + MAX_TOOL_BYTES:
            raise TokenRefused(
                "malformed", f"the confirmation_token is not one this server issued; {NEW_PREVIEW}"
            )
        if raw[0] != TOKEN_VERSION:
            raise TokenRefused(
                "malformed",
                f"the confirmation_token comes from another version of this server; {NEW_PREVIEW}",
            )
        payload, mac = raw[:-_MAC], raw[-_MAC:]
        signer = next(
            (keys for keys in self._keys if hmac.compare_digest(mac, self._mac(payload, keys[0]))), None
        )
        if signer is None:
            raise TokenRefused(
                "forged",
                "the confirmation_token failed its signature check (altered, truncated, or issued by another "
                f"server); {NEW_PREVIEW}",
            )
        _, tenant_tag, expires_at, nonce, fp_tag = _HEAD.unpack(payload[: _HEAD.size])
        token_tool = payload[_HEAD.size :].decode("utf-8", errors="replace")
        now = self._clock()
        if now >= expires_at:
            minutes = max(1, round(self.ttl / 60))
            raise TokenRefused(
                "expired",
                f"the confirmation_token expired {now - expires_at:.0f} s ago (tokens last about "
                f"{minutes} min); {NEW_PREVIEW}, show it to the user and confirm promptly",
            )
        tag_key = signer[1]
        if not hmac.compare_digest(tenant_tag, self._tag(b"tenant", tenant, _TENANT_TAG, tag_key)):
            raise TokenRefused(
                "wrong_tenant", f"the confirmation_token was issued to another caller; {NEW_PREVIEW}"
            )
        if token_tool != tool:
            raise TokenRefused(
                "wrong_tool",
                f"the confirmation_token was issued for {token_tool}, not {tool}; use it with "
                f"{token_tool}, or run {tool} without confirmation_token to get its own preview and token",
            )
        if not hmac.compare_digest(fp_tag, self._tag(b"request", fingerprint, _FP_TAG, tag_key)):
            raise TokenRefused(
                "request_changed",
                "the request changed since the preview: re-run it without confirmation_token to get a new "
                "preview, and show that preview to the user before confirming",
            )
        return TokenClaims(tenant=tenant, nonce=nonce.hex(), expires_at=expires_at)

    async def consume(self, claims: TokenClaims) -> None:
        """Spend a verified token; a second spend raises `TokenRefused("already_used")`."""
        if not await self._store.consume_once(
            claims.tenant, claims.nonce, claims.expires_at, now=self._clock()
        ):
            raise TokenRefused(
                "already_used",
                "the confirmation_token was already used (each works once): do not send again blindly; if "
                "the first send went through, check its status; otherwise re-run without confirmation_token "
                "to get a new preview and token",
            )

    async def redeem(self, token: object, tenant: str, tool: str, fingerprint: str) -> None:
        """Verify and spend in one step."""
        await self.consume(self.verify(token, tenant, tool, fingerprint))
