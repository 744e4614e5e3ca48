"""Which tenant a call belongs to: the local user on stdio, the authenticated client over HTTP."""

from __future__ import annotations

import hashlib

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import Context

from letexto_mcp.tools.services import LOCAL_TENANT


def tenant_of(ctx: Context) -> str:
    """A stable tenant id: `local`, or a hash of the HTTP client's credential (never the credential)."""
    token = get_access_token()
    if token is None:
        return LOCAL_TENANT
    client_id = getattr(token, "client_id", None) or hashlib.sha256(token.token.encode()).hexdigest()[:16]
    return f"http:{client_id}"
