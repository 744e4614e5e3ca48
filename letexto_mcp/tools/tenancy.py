"""Which tenant a call belongs to: the local user on stdio, the authenticated client over HTTP."""

from __future__ import annotations

import hashlib
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver import Context

from letexto_mcp.services import LOCAL_TENANT


def _request_token(ctx: Context) -> AccessToken | None:
    """The identity the HTTP layer put on this message's request, when the context var is not set."""
    try:
        request: Any = ctx.request_context.request
    except (ValueError, AttributeError):
        return None
    user = getattr(request, "scope", {}).get("user") if request is not None else None
    return user.access_token if isinstance(user, AuthenticatedUser) else None


def tenant_of(ctx: Context) -> str:
    """A stable tenant id: `local`, or `http:` + the id the HTTP layer derived (never the credential).

    The HTTP layer authenticates each request and attaches an `AccessToken` whose `client_id` is
    already an HMAC of the caller's keys; it reaches tools through the SDK's auth context variable,
    or through the request object the transport attached to the message.
    """
    return tenant_for_token(caller_token(ctx))


def caller_token(ctx: Context) -> AccessToken | None:
    """The identity the HTTP layer attached to this call (None on stdio): its tenant and scopes."""
    return get_access_token() or _request_token(ctx)


def tenant_for_token(token: AccessToken | None) -> str:
    """The tenant of the identity the HTTP layer attached (None: the local user); MCP and REST share it."""
    if token is None:
        return LOCAL_TENANT
    tenant = getattr(token, "tenant", None)  # an OAuth connection names its tenant (see oauth.identity)
    if isinstance(tenant, str) and tenant:
        return tenant
    client_id = getattr(token, "client_id", None) or hashlib.sha256(token.token.encode()).hexdigest()[:16]
    return f"http:{client_id}"
