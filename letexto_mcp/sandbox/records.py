"""What the simulator remembers: accounts, senders, messages, campaigns, reports and requests.

Statuses are not stored but read from a `Timeline` against the clock, so advancing a
ManualClock is all it takes to move every record forward.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from letexto_mcp.sandbox import assumptions as A
from letexto_mcp.sandbox.clock import WallClock

AuthForm = Literal["bearer", "query", "both", "none"]
Via = Literal["POST", "GET"]


def new_id() -> str:
    """24 hex characters, shaped like a MongoDB ObjectId: 8 of seconds, then 16 random."""
    return f"{int(time.time()) & 0xFFFFFFFF:08x}{secrets.token_hex(8)}"


def mask_key(key: str) -> str:
    """A hint that identifies a key to its owner without revealing it."""
    return f"{key[:4]}***{key[-4:]}" if len(key) >= 12 else "***"


@dataclass
class Timeline:
    """The life of a send: waiting until `start`, then queued, sent, and finished, by the clock."""

    wall: WallClock
    start: float
    sent_after: float
    delivered_after: float
    scheduled: bool = False

    def stage(self) -> int:
        """0 before the start, 1 queued, 2 sent, 3 finished."""
        now = self.wall.now()
        if now < self.start:
            return 0
        if now < self.start + self.sent_after:
            return 1
        if now < self.start + self.delivered_after:
            return 2
        return 3

    def stage_reading(self, stage: int) -> float:
        """The clock reading at which `stage` began."""
        return (self.start, self.start, self.start + self.sent_after, self.start + self.delivered_after)[
            stage
        ]


@dataclass
class Sender:
    """A sender name of one account; PENDING until the clock reaches `decided_at` (None: never)."""

    id: str
    name: str
    account_name: str
    created_at: datetime
    decided_at: float | None
    decision: str
    wall: WallClock = field(repr=False, compare=False)

    @property
    def status(self) -> str:
        if self.decided_at is None or self.wall.now() < self.decided_at:
            return A.PENDING_SENDER_STATUS
        return self.decision

    @property
    def approved(self) -> bool:
        return self.status == A.APPROVED_SENDER_STATUS


@dataclass
class Account:
    """One API key's account: its credits, its senders and, for sub-accounts, its parent key."""

    key: str = field(repr=False)
    name: str
    balance: float
    parent: str | None = field(default=None, repr=False)
    senders: list[Sender] = field(default_factory=list)

    @property
    def key_hint(self) -> str:
        return mask_key(self.key)

    def sender(self, name: str) -> Sender | None:
        return next((s for s in self.senders if s.name == name), None)


@dataclass
class SentMessage:
    """One SMS accepted by the send endpoint (POST or the legacy GET)."""

    id: str
    account_key_hint: str
    sender: str
    to: str
    content: str
    parts: int
    encoding: str
    custom_data: str | None
    dlr_url: str | None
    dlr_method: str | None
    send_at: datetime | None
    created_at: datetime
    via: Via
    timeline: Timeline = field(repr=False, compare=False)
    account_key: str = field(default="", repr=False, compare=False)

    @property
    def final_status(self) -> str:
        return "FAILED" if self.to in A.FAILING_TEST_NUMBERS else "DELIVERED"

    @property
    def status(self) -> str:
        stage = self.timeline.stage()
        return ("PENDING", "PENDING", "SENT", self.final_status)[stage]

    @property
    def updated_at(self) -> datetime:
        stage = self.timeline.stage()
        if stage <= 1:
            return self.created_at
        return self.timeline.wall.to_wall(self.timeline.stage_reading(stage))


@dataclass
class RenderedMessage:
    """One contact's message of an SMS campaign, after `{{field}}` rendering."""

    to: str
    content: str
    parts: int
    encoding: str


@dataclass
class SmsCampaign:
    """An SMS campaign and the messages it rendered."""

    id: str
    account_key_hint: str
    label: str
    sender: str
    content: str
    contacts: list[dict[str, Any]]
    messages: list[RenderedMessage]
    part_count: int
    sent_at: datetime | None
    created_at: datetime
    timeline: Timeline = field(repr=False, compare=False)
    account_key: str = field(default="", repr=False, compare=False)

    @property
    def contact_count(self) -> int:
        return len(self.contacts)

    @property
    def status(self) -> str:
        stage = self.timeline.stage()
        if stage == 0:
            return "SCHEDULED"
        return A.SMS_CAMPAIGN_STATUSES[stage]


@dataclass
class EmailCampaign:
    """An email campaign; it costs no SMS credit."""

    id: str
    account_key_hint: str
    label: str
    from_email: str
    recipients: list[str]
    subject: str
    content: str
    created_at: datetime
    timeline: Timeline = field(repr=False, compare=False)
    account_key: str = field(default="", repr=False, compare=False)

    @property
    def status(self) -> str:
        return A.EMAIL_CAMPAIGN_STATUSES[max(self.timeline.stage() - 1, 0)]


@dataclass
class DlrDelivery:
    """One delivery-report attempt: where, how, what, and the receiver's answer or the error."""

    message_id: str
    url: str
    method: str
    payload: dict[str, Any]
    reported_status: str
    at: datetime
    http_status: int | None = None
    error: str | None = None
    refused: bool = False


@dataclass
class ReportJob:
    """A delivery report waiting for its message to reach `status` at clock reading `due`."""

    message: SentMessage
    status: str
    due: float
    claimed: bool = False


@dataclass
class RequestRecord:
    """One request received on the API (admin paths excluded), to count attempts and check auth."""

    method: str
    path: str
    auth: AuthForm
    query: dict[str, str] = field(default_factory=dict)
    fault: str | None = None
    status: int | None = None
