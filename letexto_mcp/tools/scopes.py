"""OAuth scopes, checked per tool before anything runs: `letexto.read` and `letexto.send`.

A hosted assistant connected by OAuth holds a token with the scopes its person allowed; a read-only
token must never send, whichever face it comes through (an MCP tool error, or a REST 403). Callers
without scopes of their own are not limited here: stdio's local user, and static client keys
(`LETEXTO_MCP_API_KEYS`), which the HTTP layer gives both scopes.
"""

from __future__ import annotations

from mcp.server.auth.provider import AccessToken

SCOPE_READ = "letexto.read"
SCOPE_SEND = "letexto.send"
ALL_SCOPES = (SCOPE_READ, SCOPE_SEND)

SEND_TOOLS = frozenset({"send_sms", "create_sms_campaign", "create_email_campaign", "create_sender"})
"""Tools that spend credits or change the account: `letexto.send`. Every other tool, and every
resource, is a read: `letexto.read`."""

SCOPE_PURPOSE = {
    SCOPE_READ: "preview messages, read statuses, the balance and the senders",
    SCOPE_SEND: "send SMS, create SMS and email campaigns and senders (each send still approved by a person)",
}


def required_scope(tool: str) -> str:
    """The scope a tool needs."""
    return SCOPE_SEND if tool in SEND_TOOLS else SCOPE_READ


def scope_refusal(token: AccessToken | None, scope: str, what: str) -> str | None:
    """Why this caller may not do `what` (a sentence naming the missing scope), or None when it may."""
    if token is None or scope in token.scopes:
        return None
    held = ", ".join(token.scopes) or "none"
    return (
        f"This connection may not {what}: it needs the OAuth scope '{scope}' and was granted {held}. "
        f"Nothing was done. Reconnect the assistant and allow '{scope}' to do this."
    )


def tool_refusal(token: AccessToken | None, tool: str) -> str | None:
    """Why this caller may not call `tool`, or None."""
    return scope_refusal(token, required_scope(tool), f"call {tool}")
