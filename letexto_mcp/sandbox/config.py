"""How a simulator instance behaves: timings, starting balance, clock, allowed report hosts."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from letexto_mcp.sandbox.clock import Clock, ManualClock

DEFAULT_DLR_ALLOW_HOSTS: tuple[str, ...] = ("127.0.0.0/8", "::1", "localhost")


@dataclass
class SandboxConfig:
    """Knobs of one simulator. Durations are seconds of `clock`, which tests replace by a ManualClock."""

    sender_approval_delay: float = 30.0
    """Seconds a new PENDING sender waits before it becomes ACTIVE; 0 approves at once."""
    sent_after: float = 1.0
    """Seconds from a send's start until its message is SENT."""
    delivered_after: float = 3.0
    """Seconds from a send's start until its message is DELIVERED or FAILED (never before SENT)."""
    initial_balance: float = 1000.0
    """Credits (SMS parts) of the seeded sandbox account."""
    clock: Clock = field(default=time.monotonic)
    dlr_allow_hosts: tuple[str, ...] = DEFAULT_DLR_ALLOW_HOSTS
    """Hosts delivery reports may reach: networks in CIDR form, addresses or exact host names."""
    latency: float = 0.0
    """Real seconds waited before answering every /v1 request."""
    wall_origin: datetime | None = None
    """The UTC date the clock's first reading stands for; None means now."""
    auto_reports: bool | None = None
    """Deliver reports from background tasks as they fall due; None: yes unless the clock is manual."""
    fault_seed: int | None = None
    """Seed for probabilistic faults, for repeatable runs."""
    request_log_limit: int = 10_000
    """API requests kept in `state.requests` (the newest); older ones are counted, then dropped."""

    def __post_init__(self) -> None:
        for name in ("sender_approval_delay", "sent_after", "delivered_after", "latency"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")
        if self.request_log_limit < 1:
            raise ValueError("request_log_limit must be at least 1")
        self.delivered_after = max(self.delivered_after, self.sent_after)
        self.dlr_allow_hosts = tuple(self.dlr_allow_hosts)

    @property
    def reports_in_background(self) -> bool:
        if self.auto_reports is not None:
            return self.auto_reports
        return not isinstance(self.clock, ManualClock)
