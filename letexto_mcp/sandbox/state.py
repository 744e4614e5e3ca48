"""The simulator's memory and the few rules that change it (debits, sender approval, reports).

Handlers validate requests and call these methods; tests read the same object directly
(`sim.state`) to check what the "vendor" saw, without any mock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from datetime import datetime

from letexto_mcp.sandbox import assumptions as A
from letexto_mcp.sandbox.clock import WallClock
from letexto_mcp.sandbox.config import SandboxConfig
from letexto_mcp.sandbox.constants import SANDBOX_API_KEY, SANDBOX_APPROVED_SENDER, SANDBOX_SUBACCOUNT_KEY
from letexto_mcp.sandbox.records import (
    Account,
    DlrDelivery,
    EmailCampaign,
    ReportJob,
    RequestRecord,
    Sender,
    SentMessage,
    SmsCampaign,
    Timeline,
    new_id,
)
from letexto_mcp.sandbox.reports import deliver


class SimulatorState:
    """Accounts, what was sent, reports delivered and requests received, for one simulator."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.wall = WallClock(config.clock, config.wall_origin)
        self._tasks: set[asyncio.Task[None]] = set()
        self._clear()

    def _clear(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.messages: list[SentMessage] = []
        self.sms_campaigns: list[SmsCampaign] = []
        self.email_campaigns: list[EmailCampaign] = []
        self.dlr_deliveries: list[DlrDelivery] = []
        self.requests: list[RequestRecord] = []
        self.requests_dropped = 0  # the oldest entries let go to keep the log within its limit
        self.pending_reports: list[ReportJob] = []
        self._seed()

    def _seed(self) -> None:
        main = self.add_account(
            SANDBOX_API_KEY,
            balance=self.config.initial_balance,
            senders=[SANDBOX_APPROVED_SENDER],
            name=A.MAIN_ACCOUNT_NAME,
        )
        self.add_sender(main.key, A.SEEDED_PENDING_SENDER, status=A.PENDING_SENDER_STATUS)
        self.add_account(
            SANDBOX_SUBACCOUNT_KEY,
            balance=A.SUBACCOUNT_BALANCE,
            senders=[A.SUBACCOUNT_SENDER],
            name=A.SUBACCOUNT_NAME,
            parent=SANDBOX_API_KEY,
        )

    # -- time -------------------------------------------------------------------------------

    def now(self) -> float:
        """The simulator's clock reading."""
        return self.wall.now()

    def wall_now(self) -> datetime:
        """The UTC date the clock stands at now (what `sendAt` values are compared with)."""
        return self.wall.wall_now()

    def timeline(self, scheduled_for: datetime | None) -> Timeline:
        """A send's timeline, starting now or at `scheduled_for` when that is later."""
        now = self.now()
        start = now if scheduled_for is None else max(now, self.wall.to_reading(scheduled_for))
        return Timeline(self.wall, start, self.config.sent_after, self.config.delivered_after, start > now)

    # -- accounts and senders ---------------------------------------------------------------

    def add_account(
        self,
        api_key: str,
        *,
        balance: float | None = None,
        senders: Iterable[str] = (),
        name: str | None = None,
        parent: str | None = None,
    ) -> Account:
        """Open an account for `api_key` whose `senders` are approved already."""
        if api_key in self.accounts:
            raise ValueError("an account with that key exists already")
        credits = self.config.initial_balance if balance is None else balance
        account = Account(api_key, name or f"Compte {len(self.accounts) + 1}", float(credits), parent)
        self.accounts[api_key] = account
        for sender in senders:
            self.add_sender(api_key, sender)
        return account

    def add_sender(self, api_key: str, name: str, *, status: str = A.APPROVED_SENDER_STATUS) -> Sender:
        """Give an account a sender in `status` now; a PENDING one added this way never gets approved."""
        account = self.accounts[api_key]
        decided_at = None if status == A.PENDING_SENDER_STATUS else self.now()
        sender = Sender(new_id(), name, account.name, self.wall_now(), decided_at, status, self.wall)
        account.senders.append(sender)
        return sender

    def create_sender(self, account: Account, name: str) -> Sender:
        """A sender made through the API: PENDING, decided after `sender_approval_delay`."""
        rejected = name.upper().startswith(A.REJECTED_SENDER_PREFIX)
        decision = A.REJECTED_SENDER_STATUS if rejected else A.APPROVED_SENDER_STATUS
        decided_at = self.now() + self.config.sender_approval_delay
        sender = Sender(new_id(), name, account.name, self.wall_now(), decided_at, decision, self.wall)
        account.senders.append(sender)
        return sender

    @property
    def senders(self) -> dict[str, list[Sender]]:
        """Senders per account key."""
        return {key: account.senders for key, account in self.accounts.items()}

    def account(self, api_key: str | None) -> Account | None:
        return self.accounts.get(api_key) if api_key else None

    def balance(self, api_key: str) -> float:
        return self.accounts[api_key].balance

    def sub_accounts(self, account: Account) -> list[Account]:
        return [a for a in self.accounts.values() if a.parent == account.key]

    # -- sends ------------------------------------------------------------------------------

    def record_message(self, account: Account, message: SentMessage) -> None:
        """Debit the parts, keep the message and plan its delivery reports (caller checked the balance)."""
        account.balance -= message.parts
        self.messages.append(message)
        if message.dlr_url:
            timeline = message.timeline
            for stage, status in ((2, "SENT"), (3, message.final_status)):
                self._plan_report(ReportJob(message, status, timeline.stage_reading(stage)))

    def find_message(self, message_id: str, account: Account) -> SentMessage | None:
        return next((m for m in self.messages if m.id == message_id and m.account_key == account.key), None)

    def find_sms_campaign(self, campaign_id: str, account: Account) -> SmsCampaign | None:
        found = (c for c in self.sms_campaigns if c.id == campaign_id and c.account_key == account.key)
        return next(found, None)

    def find_email_campaign(self, campaign_id: str, account: Account) -> EmailCampaign | None:
        found = (c for c in self.email_campaigns if c.id == campaign_id and c.account_key == account.key)
        return next(found, None)

    def log_request(self, record: RequestRecord) -> None:
        """Keep `record`, and at most `config.request_log_limit` records (trimmed in batches, cheaply)."""
        self.requests.append(record)
        limit = self.config.request_log_limit
        if len(self.requests) > limit + limit // 10:
            excess = len(self.requests) - limit
            del self.requests[:excess]
            self.requests_dropped += excess

    def count_requests(self, method: str | None = None, path: str | None = None) -> int:
        """How many logged API requests matched `method` and started with `path` (retries included)."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper()) and (path is None or r.path.startswith(path))
        )

    # -- delivery reports -------------------------------------------------------------------

    def _plan_report(self, job: ReportJob) -> None:
        self.pending_reports.append(job)
        if self.config.reports_in_background:
            task = asyncio.get_running_loop().create_task(self._deliver_when_due(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver_when_due(self, job: ReportJob) -> None:
        while (wait := job.due - self.now()) > 0:
            await asyncio.sleep(wait)
        if not job.claimed:
            job.claimed = True
            await self._deliver(job)

    async def _deliver(self, job: ReportJob) -> DlrDelivery:
        record = await deliver(job.message, job.status, self.config.dlr_allow_hosts, self.wall_now())
        self.dlr_deliveries.append(record)
        with contextlib.suppress(ValueError):
            self.pending_reports.remove(job)
        return record

    async def run_due_reports(self) -> list[DlrDelivery]:
        """Deliver, in order, every report whose time has come by the clock; return the attempts."""
        now = self.now()
        due = sorted((j for j in self.pending_reports if not j.claimed and j.due <= now), key=lambda j: j.due)
        for job in due:
            job.claimed = True
        return [await self._deliver(job) for job in due]

    # -- lifecycle --------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Cancel report tasks still waiting (call when a test or server is done with the simulator)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def reset(self) -> None:
        """Back to the seeded accounts, forgetting every send, report and request."""
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
        self._clear()
