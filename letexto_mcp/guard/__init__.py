"""Send safety, MCP-agnostic: policy, approval, caps, budget, rate, duplicates, audit.

A send tool builds a `SendPlan`, hands in an `Approver` that can reach a person (or none), and
calls `SendGuard.run`; the stages are in `pipeline`, the words in `wording`.
"""

from __future__ import annotations

from letexto_mcp.guard.approval import NO_DIALOG, ApprovalRequest, Approved, Approver, Declined
from letexto_mcp.guard.audit import AuditWriter
from letexto_mcp.guard.budget import DailyBudget, Reservation, utc_day
from letexto_mcp.guard.caps import AllowListError, Caps
from letexto_mcp.guard.errors import CapRefused, GuardRefusal, TokenRefused
from letexto_mcp.guard.fingerprint import (
    MessageSetDigest,
    canonical,
    meaning_fingerprint,
    request_fingerprint,
)
from letexto_mcp.guard.outcome import GuardAnswer, SendOutcome, Suspended
from letexto_mcp.guard.pipeline import Policy, SendGuard, approval_fingerprint, letexto_ids
from letexto_mcp.guard.plan import SendPlan
from letexto_mcp.guard.ratelimit import SendRateLimit
from letexto_mcp.guard.tokens import ConfirmationTokens, TokenClaims

__all__ = [
    "NO_DIALOG",
    "AllowListError",
    "ApprovalRequest",
    "Approved",
    "Approver",
    "AuditWriter",
    "CapRefused",
    "Caps",
    "ConfirmationTokens",
    "DailyBudget",
    "Declined",
    "GuardAnswer",
    "GuardRefusal",
    "MessageSetDigest",
    "Policy",
    "Reservation",
    "SendGuard",
    "SendOutcome",
    "SendPlan",
    "SendRateLimit",
    "Suspended",
    "TokenClaims",
    "TokenRefused",
    "approval_fingerprint",
    "canonical",
    "letexto_ids",
    "meaning_fingerprint",
    "request_fingerprint",
    "utc_day",
]
