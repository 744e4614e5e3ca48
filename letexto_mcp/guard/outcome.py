"""What the guard answers: a `SendOutcome` (the send is decided), or `Suspended` (waiting on a person)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from letexto_mcp.states import SendStatus


@dataclass(frozen=True)
class SendOutcome:
    """What the tool reports: a status, a sentence for the assistant, and the details that apply."""

    status: SendStatus
    message: str
    preview: Mapping[str, Any] | None = None
    confirmation_token: str | None = None
    result: Mapping[str, Any] | None = None
    refusal: Mapping[str, Any] | None = None
    reason: str | None = None  # a stable code for token refusals (expired, already_used, ...)
    approval_url: str | None = None  # where a person approves this send (policy `approve`)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form without the fields that do not apply."""
        data: dict[str, Any] = {"status": self.status.value, "message": self.message}
        for name in ("preview", "confirmation_token", "result", "refusal", "reason", "approval_url"):
            value = getattr(self, name)
            if value is not None:
                data[name] = dict(value) if isinstance(value, Mapping) else value
        return data


@dataclass(frozen=True)
class Suspended:
    """The approval question is out with the client (2026-07-28 input-required round trip).

    Nothing was claimed or sent. `payload` is whatever the approver built for its transport (an
    MCP `InputRequiredResult`); the tool returns it, and the client's retry runs the send again.
    """

    payload: Any


GuardAnswer = SendOutcome | Suspended
