"""One-time sign-in links for the local desktop user (stdio): the server opens the page already signed in.

A stdio server runs on the user's own machine and opens the approval page in their browser; asking
them for a key they never set would be pointless. The link's secret is random, kept in memory
(only its digest), usable once, and expires; it never travels in an MCP message or a log line.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable

SIGNIN_PATH = "/approvals/signin/"
_MAX_OPEN = 1000


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class SignInLinks:
    """One-time sign-in links for the local desktop user (stdio). In memory; single use; expire."""

    def __init__(self, name: str = "desktop", ttl: float = 600.0, clock: Callable[[], float] = time.time):
        self.name = name
        self.epoch = secrets.token_urlsafe(12)
        """Names this set of links: sessions opened with them end with it (a new process, new links)."""
        self.ttl = float(ttl)
        self._clock = clock
        self._open: dict[bytes, float] = {}  # digest of the secret -> expiry
        self._lock = threading.Lock()

    def issue(self, approval_id: str) -> str:
        """A path that signs the desktop user in once, then shows this approval's page."""
        secret = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            for digest in [d for d, expiry in self._open.items() if expiry <= now]:
                del self._open[digest]
            if len(self._open) >= _MAX_OPEN:
                del self._open[min(self._open, key=self._open.__getitem__)]
            self._open[_digest(secret)] = now + self.ttl
        return f"{SIGNIN_PATH}{secret}?next=/approvals/{approval_id}"

    def redeem(self, secret: str) -> str | None:
        """The approver name, the first time a live link's secret is presented; None otherwise."""
        if not secret or len(secret) > 256:
            return None
        with self._lock:
            expiry = self._open.pop(_digest(secret), None)
        if expiry is None or self._clock() >= expiry:
            return None
        return self.name
