"""What a send tool hands the guard: the normalised request and the figures of its preview."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SendPlan:
    """One send, fully worked out before anything leaves.

    `request` is the normalised request an approval is bound to (with `allow_duplicate` and the
    idempotency key, which the guard adds); `meaning` identifies what reaches whom for the
    duplicate window (see `fingerprint.meaning_fingerprint`: the same messages to the same people,
    in any order and through any tool, are one send); `preview` is the JSON-able summary the user sees;
    `usable_senders` lets a refusal of an unapproved sender list the ones that work; `balance`
    (credits, when known) lets a send that LeTexto would refuse for want of credit stop here.
    """

    tool: str
    tenant: str
    request: Mapping[str, object]
    recipients: list[str]
    parts_per_message_max: int
    total_parts: int
    credits: float
    sender: str | None
    sender_approved: bool | None
    preview: Mapping[str, object]
    usable_senders: tuple[str, ...] = field(default=())
    balance: float | None = None
    meaning: str | None = None
    question: str = ""
    """The approval question shown in the client's dialog: everything that leaves, in words."""
    messages: Sequence[tuple[str, str]] = ()
    """Every (recipient, text) that would leave: what the approval page lists."""
    page: Mapping[str, object] = field(default_factory=dict)
    """What the approval page shows besides the messages (sender, schedule, cost, warnings, body…)."""
