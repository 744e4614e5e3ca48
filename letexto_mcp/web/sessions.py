"""Signed, stateless approver sessions and the CSRF tokens of their forms.

A session is a cookie any worker can check without the store: base64url(JSON payload) + "." +
base64url(HMAC-SHA256). The payload names the approver (never the key), how they signed in
(`key` or a desktop sign-in `link`), a tag of their key (so changing a person's key ends their
sessions), a random nonce, and the expiry (12 h). A form's CSRF token is an HMAC over the nonce,
the approval id and the action: it only works for this session, this record and this button.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

SESSION_SECONDS = 12 * 3600
MIN_SECRET_BYTES = 32
_MAX_COOKIE_CHARS = 1024


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    """Who a valid cookie says the browser is."""

    name: str
    kind: str  # "key": signed in with an approver key; "link": the desktop user's one-time link
    key_tag: str
    nonce: str
    expires: float


class Sessions:
    """Issues and checks session cookies and CSRF tokens, from one server secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the approval session secret must be at least {MIN_SECRET_BYTES} bytes")
        self._session_key = self._derive(secret, b"session")
        self._csrf_key = self._derive(secret, b"csrf")
        self._tag_key = self._derive(secret, b"key-tag")
        # Servers with different secrets on one host (stdio's page and an HTTP server on loopback)
        # each get their own cookie: browsers share cookies across ports.
        self.cookie_name = "letexto_approver_" + self._derive(secret, b"cookie-name").hex()[:10]

    @staticmethod
    def _derive(secret: bytes, purpose: bytes) -> bytes:
        return hmac.new(secret, b"letexto-mcp/approval-pages/v1/" + purpose, hashlib.sha256).digest()

    def key_tag(self, key: str) -> str:
        """A short keyed digest of an approver key: binds a session to the key it was opened with."""
        return b64(hmac.new(self._tag_key, key.encode(), hashlib.sha256).digest()[:12])

    def issue(self, name: str, kind: str, key_tag: str, now: float) -> tuple[str, Session]:
        """A new cookie value and the session it carries."""
        session = Session(name, kind, key_tag, b64(secrets.token_bytes(18)), now + SESSION_SECONDS)
        payload = json.dumps(
            {"n": name, "k": kind, "t": key_tag, "s": session.nonce, "e": int(session.expires)},
            separators=(",", ":"),
        ).encode()
        mac = hmac.new(self._session_key, payload, hashlib.sha256).digest()
        return f"{b64(payload)}.{b64(mac)}", session

    def read(self, value: str | None, now: float) -> Session | None:
        """The session a cookie carries, or None when it is missing, forged, malformed or expired."""
        if not value or len(value) > _MAX_COOKIE_CHARS or value.count(".") != 1:
            return None
        body, _, signature = value.partition(".")
        try:
            payload, mac = unb64(body), unb64(signature)
        except (binascii.Error, ValueError):
            return None
        expected = hmac.new(self._session_key, payload, hashlib.sha256).digest()
        if not hmac.compare_digest(mac, expected):
            return None
        try:
            data = json.loads(payload)
            session = Session(
                str(data["n"]), str(data["k"]), str(data["t"]), str(data["s"]), float(data["e"])
            )
        except (ValueError, KeyError, TypeError):
            return None
        return session if now < session.expires else None

    def csrf(self, session: Session, approval_id: str, action: str) -> str:
        """The token the `action` form of this record carries in this session."""
        material = f"{session.nonce}\0{approval_id}\0{action}".encode()
        return b64(hmac.new(self._csrf_key, material, hashlib.sha256).digest())

    def csrf_ok(self, session: Session, approval_id: str, action: str, presented: str | None) -> bool:
        if not presented:
            return False
        return hmac.compare_digest(presented.encode(), self.csrf(session, approval_id, action).encode())
