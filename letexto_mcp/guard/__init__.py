"""Send safety, MCP-agnostic: policy, confirmation tokens, caps, budget, rate, duplicates, audit.

A send tool builds a `SendPlan`, asks its user if it can, and calls `SendGuard.run`.
"""

from __future__ import annotations

from letexto_mcp.guard.audit import AuditWriter
from letexto_mcp.guard.budget import DailyBudget, Reservation, utc_day
from letexto_mcp.guard.caps import AllowListError, Caps
from letexto_mcp.guard.errors import CapRefused, GuardRefusal, TokenRefused
from letexto_mcp.guard.fingerprint import canonical, request_fingerprint
from letexto_mcp.guard.pipeline import Approval, Policy, SendGuard, SendOutcome, Status, letexto_ids
from letexto_mcp.guard.plan import SendPlan
from letexto_mcp.guard.ratelimit import SendRateLimit
from letexto_mcp.guard.tokens import ConfirmationTokens, TokenClaims

__all__ = [
    "AllowListError",
    "Approval",
    "AuditWriter",
    "CapRefused",
    "Caps",
    "ConfirmationTokens",
    "DailyBudget",
    "GuardRefusal",
    "Policy",
    "Reservation",
    "SendGuard",
    "SendOutcome",
    "SendPlan",
    "SendRateLimit",
    "Status",
    "TokenClaims",
    "TokenRefused",
    "canonical",
    "letexto_ids",
    "request_fingerprint",
    "utc_day",
]
