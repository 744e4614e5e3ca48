"""How the guard asks for approval, without knowing MCP: an `Approver` the caller hands in.

The approval stage runs after every check that could refuse the send (caps, allow-list, balance,
sender, budget, duplicates), so a person is never asked to approve what would be refused. The
approver is the transport's business. Two ways to reach a person:

- the client's own dialog (`can_ask`/`ask`: MCP form elicitation, either protocol era);
- the approval page (`can_show_page`/`show_page`): the guard opens an approval record and the
  approver puts its page in front of a person — opened by the client (URL elicitation), opened
  on the user's screen (stdio), or returned as `approval_url` for the caller to pass on.

A caller with no way to reach a person passes `NO_DIALOG`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from letexto_mcp.guard.outcome import Suspended
from letexto_mcp.guard.plan import SendPlan
from letexto_mcp.states import ApprovalPath
from letexto_mcp.store.base import ApprovalRecord


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


@dataclass(frozen=True)
class PageShown:
    """The approval page is out: the caller waits for the person's decision and calls again."""

    url: str
    opened: bool = False
    """True when the server itself put the page on the user's screen (stdio opens the browser)."""


PageAnswer = Approved | Declined | Suspended | PageShown


class Approver(Protocol):
    """The person-facing side of approval for one call."""

    def can_ask(self) -> bool:
        """Whether a person can be asked during this call (the client shows a dialog)."""
        ...

    async def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        """Ask the person; `Suspended` when the answer comes back on the client's retry."""
        ...

    def can_show_page(self) -> bool:
        """Whether an approval page can reach a person from this call (served, and someone can sign in)."""
        ...

    async def show_page(self, record: ApprovalRecord) -> PageAnswer:
        """Put the record's page before a person; a decision if one came while waiting."""
        ...

    async def page_url(self, record: ApprovalRecord) -> str | None:
        """Where the record's page is, for this caller."""
        ...

    def resumed_approval(self) -> str | None:
        """The record this call comes back for, when the client's retry carries it (not the model)."""
        ...


class _NoDialog:
    """For callers that cannot reach a person: approval goes through tokens (or the policy)."""

    def can_ask(self) -> bool:
        return False

    async def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        raise RuntimeError("this caller cannot ask a person; check can_ask() first")

    def can_show_page(self) -> bool:
        return False

    async def show_page(self, record: ApprovalRecord) -> PageAnswer:
        raise RuntimeError("this caller cannot show a page; check can_show_page() first")

    async def page_url(self, record: ApprovalRecord) -> str | None:
        return None

    def resumed_approval(self) -> str | None:
        return None


NO_DIALOG: Approver = _NoDialog()
