"""The MCP tools, one module per family: messages, campaigns, senders, account, status."""

from __future__ import annotations

from letexto_mcp.tools.registry import ToolSpec


def all_specs() -> list[ToolSpec]:
    """Every tool, in the order clients list them."""
    from letexto_mcp.tools import account, campaigns, messages, senders, status

    return [*messages.SPECS, *campaigns.SPECS, *status.SPECS, *account.SPECS, *senders.SPECS]
