"""What the approval pages need from the server that serves them, given by the transport."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from letexto_mcp.config import ApproverKey
from letexto_mcp.guard.approvals import ApprovalDesk
from letexto_mcp.web.sessions import MIN_SECRET_BYTES
from letexto_mcp.web.signin import SignInLinks

LOOPBACK_HOSTS = ("127.0.0.1", "127.0.0.1:*", "localhost", "localhost:*", "[::1]", "[::1]:*")


@dataclass
class ApprovalWebContext:
    """The desk, who may sign in, the keys that never approve, and the secret sessions are signed with.

    `allowed_hosts` are the Host header values the pages answer (DNS rebinding), as `name` or
    `name:*` for any port; None means loopback names only, which is right for stdio's local page.
    """

    desk: ApprovalDesk
    approvers: Sequence[ApproverKey]
    refused_keys: Sequence[str]
    session_secret: bytes
    sign_in_links: SignInLinks | None = None
    login_attempts_per_minute: int = 5
    allowed_hosts: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if len(self.session_secret) < MIN_SECRET_BYTES:
            raise ValueError(f"session_secret must be at least {MIN_SECRET_BYTES} bytes")

    def host_allowed(self, host: str | None) -> bool:
        """Whether a request's Host header names this server (exact, or `name:*` for any port)."""
        if not host:
            return False
        host = host.strip().lower()
        for allowed in LOOPBACK_HOSTS if self.allowed_hosts is None else self.allowed_hosts:
            allowed = allowed.strip().lower()
            if host == allowed:
                return True
            if allowed.endswith(":*"):
                base = allowed[:-2]
                if host.startswith(base + ":") and host[len(base) + 1 :].isdigit():
                    return True
        return False
