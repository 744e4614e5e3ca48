"""LeTexto keys pasted on the consent page (multi-tenant mode), sealed before they reach the store.

AES-256-GCM under a key derived from LETEXTO_MCP_STATE_SECRET (the first of the ring seals, any opens:
rotating the secret keeps older connections working while the old secret stays in the ring). The
connection's id is the associated data: a sealed key copied onto another connection does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"
NONCE_BYTES = 12


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KeySealer:
    """Seals and opens LeTexto keys with keys derived from the state-secret ring."""

    def __init__(self, ring: list[bytes]) -> None:
        if not ring:
            raise ValueError("sealing LeTexto keys needs LETEXTO_MCP_STATE_SECRET")
        self._keys = [
            hmac.new(secret, b"letexto-mcp/oauth/sealed-letexto-keys/v1", hashlib.sha256).digest()
            for secret in ring
        ]

    @staticmethod
    def _tag(key: bytes) -> str:
        return hashlib.sha256(b"key-id\0" + key).hexdigest()[:8]

    def seal(self, letexto_key: str, connection_id: str) -> str:
        """`v1.<key id>.<nonce + ciphertext>`: what the store keeps."""
        key = self._keys[0]
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, letexto_key.encode(), connection_id.encode())
        return f"{VERSION}.{self._tag(key)}.{_b64(nonce + sealed)}"

    def open(self, sealed: str, connection_id: str) -> str | None:
        """The LeTexto key, or None when it cannot be opened (altered, another connection's, or a
        secret no longer in the ring)."""
        version, _, rest = sealed.partition(".")
        tag, _, body = rest.partition(".")
        if version != VERSION or not body:
            return None
        try:
            blob = _unb64(body)
        except (binascii.Error, ValueError):
            return None
        nonce, ciphertext = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        ordered = sorted(self._keys, key=lambda k: self._tag(k) != tag)  # the named key first
        for key in ordered:
            try:
                return AESGCM(key).decrypt(nonce, ciphertext, connection_id.encode()).decode()
            except (InvalidTag, ValueError, UnicodeDecodeError):
                continue
        return None
