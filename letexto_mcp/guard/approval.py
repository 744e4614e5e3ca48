"""How the guard asks for approval, without knowing MCP: an `Approver` the caller hands in.

The approval stage runs after every check that could refuse the send (caps, allow-list, balance,
sender, budget, duplicates), so a person is never asked to approve what would be refused. The
approver is the transport's business: the MCP tools ask through the client's dialog (form
elicitation, either protocol era); a caller with no way to reach a person passes `NO_DIALOG`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from letexto_mcp.guard.outcome import Suspended
from letexto_mcp.guard.plan import SendPlan
from letexto_mcp.states import ApprovalPath


@dataclass(frozen=True)
class ApprovalRequest:
    """What a person approves: this plan, bound to the whole request by `fingerprint`."""

    plan: SendPlan
    fingerprint: str


@dataclass(frozen=True)
class Approved:
    """A decision to send, and how it was taken (the audit records both)."""

    path: ApprovalPath
    approver: str | None = None


@dataclass(frozen=True)
class Declined:
    """The person said no (or dismissed the question): nothing is sent."""

    cancelled: bool = False


ApprovalAnswer = Approved | Declined | Suspended


class Approver(Protocol):
    """The person-facing side of approval for one call."""

    def can_ask(self) -> bool:
        """Whether a person can be asked during this call (the client shows a dialog)."""
        ...

    async def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        """Ask the person; `Suspended` when the answer comes back on the client's retry."""
        ...


class _NoDialog:
    """For callers that cannot show a dialog: approval goes through tokens (or the policy)."""

    def can_ask(self) -> bool:
        return False

    async def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        raise RuntimeError("this caller cannot ask a person; check can_ask() first")


NO_DIALOG: Approver = _NoDialog()
