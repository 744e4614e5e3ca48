"""The states a send can be in, named once and shared by the guard, the store and the tool schemas.

No dependencies on purpose: `schemas/` (what clients see), `guard/` (what decides) and `store/`
(what is remembered) all speak this vocabulary, and none of them may import another to get it.
`str` enums so that the values are the wire values (JSON, SQL, audit rows) with no translation.
"""

from __future__ import annotations

from enum import Enum


class SendStatus(str, Enum):
    """What a send tool answers: the `status` of every send result."""

    SUBMITTED = "submitted"
    SCHEDULED = "scheduled"
    CONFIRMATION_REQUIRED = "confirmation_required"
    APPROVAL_PENDING = "approval_pending"
    DECLINED = "declined"
    DRY_RUN = "dry_run"
    DUPLICATE = "duplicate"
    REFUSED = "refused"
    OUTCOME_UNKNOWN = "outcome_unknown"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


class AttemptState(str, Enum):
    """Where one attempt to send stands, as its duplicate mark and idempotency record remember it."""

    IN_FLIGHT = "in_flight"
    """Claimed; the request may be on its way. Blocks the same send at any age."""
    SENT = "sent"
    """LeTexto accepted it. Blocks the same send within the duplicate window."""
    OUTCOME_UNKNOWN = "outcome_unknown"
    """It may have reached LeTexto; nobody knows. Blocks the same send until someone decides."""
    FAILED = "failed"
    """LeTexto clearly did not send it."""
    RESOLVED = "resolved"
    """Someone decided about an unknown outcome (sent again on purpose): blocks nothing any more."""

    def __str__(self) -> str:
        return self.value


UNRESOLVED: frozenset[AttemptState] = frozenset({AttemptState.IN_FLIGHT, AttemptState.OUTCOME_UNKNOWN})
"""Attempts that block a resend whatever their age: nobody knows whether the message left."""


class ApprovalPath(str, Enum):
    """How a send that left was approved, as the audit log records it."""

    DIALOG = "dialog"
    """The person answered the client's own dialog (form elicitation)."""
    PAGE = "page"
    """A person holding an approver key pressed Approve on the approval page."""
    BOT = "bot"
    """A chat-ops bot holding an approver key approved through the bot endpoint."""
    TOKEN = "token"
    """The caller brought back a confirmation token (policy `confirm`: the caller approves)."""
    POLICY_ALLOW = "policy-allow"
    """Policy `allow`: trusted automation, no approval asked."""
    DRY_RUN = "dry-run"
    """Policy `dry-run`: nothing is ever sent."""
    NONE = "none"
    """Not approved (yet): a refusal, a preview, a decline."""

    def __str__(self) -> str:
        return self.value


class SendFailure(str, Enum):
    """What a failed send attempt means: the only two answers the guard accepts."""

    NOT_SENT = "not_sent"
    """LeTexto positively did not get or refused it: claims may be released, the budget refunded."""
    UNKNOWN = "unknown"
    """Anything else: it may have left. Claims are kept and the same send is blocked."""

    def __str__(self) -> str:
        return self.value
