"""Who is calling a tool, whatever the face they came through (MCP, or the REST API).

A tool needs two things from its caller: the tenant (whose budget, keys and audit log) and a way to
reach a person for approval. MCP calls get them from the MCP context (`registry`); REST calls from
the HTTP request (`api`). The tools themselves never see either transport.
"""

from __future__ import annotations

from dataclasses import dataclass

from letexto_mcp.guard.approval import Approver


@dataclass(frozen=True)
class Caller:
    """The tenant a call acts for, and how a person can be reached to approve its sends."""

    tenant: str
    approver: Approver
