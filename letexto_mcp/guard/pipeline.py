"""The one path every send takes, as a row of small stages that each let it through or stop it.

    answered before → caps → dry run → duplicate → budget → approval → claim → write-ahead audit
    → one attempt → settle

No MCP in here: validation and pricing happen before (the tool builds a `SendPlan`), the tool
hands in an `Approver` that knows how to reach a person, and `perform` — the send itself — is
called at most once. A stage answers `None` (go on) or a `SendOutcome` (stop, with why and what to
do next; the words are in `wording`). Why this order:

- an idempotency record answers first: a retry must not need a new approval;
- every check that can refuse runs before the approval question, so a person is never asked to
  approve what would then be refused;
- claims (idempotency key, send rate, budget, duplicate mark, token) are taken only after approval,
  in that order, and undone if a later one refuses; the token is spent last;
- the audit entry is written before the request leaves (no entry, no send), then settled;
- fail closed: whatever is not positively "not sent" is "may have sent" (`SendFailure.UNKNOWN`),
  which keeps every claim and blocks the same send; a state store that does not answer refuses
  the send before anything leaves.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import anyio

from letexto_mcp.guard import wording
from letexto_mcp.guard.approval import (
    NO_DIALOG,
    ApprovalRequest,
    Approved,
    Approver,
    Declined,
    PageShown,
)
from letexto_mcp.guard.approvals import ApprovalDesk, Notify, approval_id_of, approval_token, tell
from letexto_mcp.guard.audit import AuditWriter, new_attempt_id
from letexto_mcp.guard.budget import DailyBudget
from letexto_mcp.guard.caps import Caps
from letexto_mcp.guard.errors import CapRefused, TokenRefused
from letexto_mcp.guard.fingerprint import request_fingerprint
from letexto_mcp.guard.outcome import GuardAnswer, SendOutcome
from letexto_mcp.guard.plan import SendPlan
from letexto_mcp.guard.ratelimit import SendRateLimit
from letexto_mcp.guard.retention import Retention
from letexto_mcp.guard.tokens import ConfirmationTokens, TokenClaims
from letexto_mcp.states import ApprovalPath, AttemptState, SendFailure, SendStatus
from letexto_mcp.store.base import (
    AuditEntry,
    IdempotencyRecord,
    OpenAttempt,
    SendMark,
    StateStore,
    StoreError,
)

logger = logging.getLogger("letexto_mcp.guard")

Policy = Literal["approve", "confirm", "dry-run", "allow"]
Perform = Callable[[], Awaitable[Mapping[str, Any]]]
ClassifyFailure = Callable[[BaseException], SendFailure]
Stage = Callable[["_Send"], Awaitable[SendOutcome | None]]

TOKEN_SECRET_NAME = "confirmation-tokens"
APPROVER_SETTING = "LETEXTO_APPROVER_KEYS"
MAX_IDEMPOTENCY_KEY = 255
_ID_LISTS = ("letexto_ids", "ids", "message_ids")
_ID_FIELDS = ("message_id", "campaign_id", "id")


def _identity(text: str) -> str:
    return text


def _always_unknown(error: BaseException) -> SendFailure:
    """The safe default: without a classifier that knows the error, it may have been sent."""
    return SendFailure.UNKNOWN


@dataclass(frozen=True)
class _Settlement:
    """The outcome of an attempt, as the store must record it."""

    key_state: str
    mark: AttemptState
    stored: dict[str, Any]
    ref: str | None


MAX_UNRECORDED = 1000
"""Sends whose outcome waits for the store in memory; beyond, the oldest is left to the lease reaper."""


@dataclass
class _Send:
    """One send on its way through the stages: what it is, and what it has taken so far."""

    plan: SendPlan
    key: str | None
    allow_duplicate: bool
    token: str | None
    approver: Approver
    approval_fingerprint: str
    meaning: str
    attempt: str = field(default_factory=new_attempt_id)
    approval: ApprovalPath = ApprovalPath.NONE
    approver_name: str | None = None  # who decided, for the audit (`page:awa`)
    approval_id: str | None = None  # the approval record this send spends
    claims: TokenClaims | None = None
    undo: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    letexto_ids: list[str] = field(default_factory=list)
    opened: AuditEntry | None = None  # the write-ahead `sending` entry
    interrupted: SendOutcome | None = None  # set when the attempt was cancelled mid-send
    # What a store failure kept from being recorded after the request left (see `record_unrecorded`).
    unrecorded: _Settlement | None = None

    @property
    def tenant(self) -> str:
        return self.plan.tenant

    def outcome(self, status: SendStatus, message: str, **details: Any) -> SendOutcome:
        return SendOutcome(status, message, preview=self.plan.preview, **details)

    async def rollback(self) -> None:
        """Undo the claims, newest first; a claim that cannot be undone stays (it blocks: safe)."""
        while self.undo:
            step = self.undo.pop()
            try:
                await step()
            except Exception:
                logger.exception("could not undo a send claim")


def letexto_ids(result: Mapping[str, Any] | None) -> list[str]:
    """The LeTexto ids in a perform() result: `letexto_ids`/`ids`/`message_ids` lists, or one id field."""
    if not isinstance(result, Mapping):
        return []
    found: list[str] = []
    for name in _ID_LISTS:
        value = result.get(name)
        if isinstance(value, (list, tuple)):
            found.extend(str(item) for item in value if item is not None and item != "")
    for name in _ID_FIELDS:
        value = result.get(name)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
            found.append(str(value))
    return list(dict.fromkeys(found))


def approval_fingerprint(plan: SendPlan, key: str | None, allow_duplicate: bool) -> str:
    """What an approval is bound to: the whole normalised request, `allow_duplicate` and key included."""
    return request_fingerprint(
        plan.tool, {"request": plan.request, "allow_duplicate": allow_duplicate, "idempotency_key": key}
    )


def _jsonable(value: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy, for the store (odd values become text rather than lose the record)."""
    result: dict[str, Any] = json.loads(json.dumps(dict(value), default=str, ensure_ascii=False))
    return result


def _refused(send: _Send, refusal: CapRefused) -> SendOutcome:
    return send.outcome(SendStatus.REFUSED, refusal.message, refusal=refusal.as_dict())


def _token_refused(send: _Send, refusal: TokenRefused) -> SendOutcome:
    return send.outcome(
        SendStatus.REFUSED,
        wording.token_refused(refusal.message),
        refusal={"cap": "confirmation_token", "figure": None, "limit": None, "setting": None},
        reason=refusal.reason_code,
    )


class SendGuard:
    """Composes the send-safety stages; `run` is the only entry point a send tool needs."""

    def __init__(
        self,
        *,
        store: StateStore,
        policy: Policy,
        caps: Caps,
        budget_limit: int | None,
        sends_per_minute: int,
        duplicate_window: float,
        token_ttl: float,
        clock: Callable[[], float] = time.time,
        redact: Callable[[str], str] = _identity,
        classify_failure: ClassifyFailure = _always_unknown,
        secret: bytes | list[bytes] | None = None,
        in_flight_stale_after: float = 900.0,
        replica: str | None = None,
        lease_seconds: float = 30.0,
        retention_days: float | None = None,
        notify: Notify | None = None,
    ) -> None:
        if policy not in get_args(Policy):
            raise ValueError(
                f"LETEXTO_SEND_POLICY must be one of approve, confirm, dry-run, allow; got {policy!r}"
            )
        self.policy: Policy = policy
        self._store = store
        self._caps = caps
        self._budget = DailyBudget(store, budget_limit, clock)
        self._rate = SendRateLimit(store, sends_per_minute, clock)
        self.duplicate_window = float(duplicate_window)
        self._token_ttl = float(token_ttl)
        self._clock = clock
        self._redact = redact
        self._classify = classify_failure
        self._in_flight_stale_after = in_flight_stale_after
        # Sends on the wire are owned by this replica's lease (see `keep_alive`, `reap`).
        self.replica = replica or secrets.token_hex(8)
        self.lease_seconds = float(lease_seconds)
        self._tokens = ConfirmationTokens(store, secret, token_ttl, clock) if secret is not None else None
        self._tokens_lock = anyio.Lock()
        self._audit_writer = AuditWriter(store, redact, clock)
        self._retention = Retention(store, retention_days, clock)
        self._notify = notify
        self.desk = ApprovalDesk(store, token_ttl, clock, notify)
        self._unrecorded: list[tuple[_Send, SendStatus, str]] = []
        self.budget_limit = budget_limit

    async def tokens(self) -> ConfirmationTokens:
        """The token issuer, keyed by the server secret kept in the store (created on first use)."""
        async with self._tokens_lock:
            if self._tokens is None:
                secret = await self._store.get_or_create_secret(
                    TOKEN_SECRET_NAME, lambda: secrets.token_bytes(32)
                )
                self._tokens = ConfirmationTokens(self._store, secret, self._token_ttl, self._clock)
            return self._tokens

    async def run(
        self,
        plan: SendPlan,
        *,
        perform: Perform,
        approver: Approver = NO_DIALOG,
        confirmation_token: str | None = None,
        idempotency_key: str | None = None,
        allow_duplicate: bool = False,
    ) -> GuardAnswer:
        """Take one send through every stage; calls `perform` at most once."""
        key = (idempotency_key.strip() if isinstance(idempotency_key, str) else None) or None
        token = (confirmation_token.strip() if isinstance(confirmation_token, str) else None) or None
        send = _Send(
            plan=plan,
            key=key,
            allow_duplicate=bool(allow_duplicate),
            token=token,
            approver=approver,
            approval_fingerprint=approval_fingerprint(plan, key, bool(allow_duplicate)),
            meaning=plan.meaning or request_fingerprint(plan.tool, plan.request),
        )
        if self.policy in ("dry-run", "allow"):  # the policy decides for every call, refused or not
            send.approval = ApprovalPath.DRY_RUN if self.policy == "dry-run" else ApprovalPath.POLICY_ALLOW
        try:
            answer = await self._run(send, perform)
        except StoreError as error:
            # Only reachable before the request left: after it, recording is best effort.
            logger.error("state store unavailable, send refused: %s", self._redact(str(error)))
            with anyio.CancelScope(shield=True):
                await send.rollback()
            answer = send.outcome(
                SendStatus.REFUSED,
                wording.STORE_UNAVAILABLE,
                refusal={"cap": "state_store", "figure": None, "limit": None, "setting": "LETEXTO_STATE_URL"},
            )
        except BaseException as error:
            with anyio.CancelScope(shield=True):
                await send.rollback()
                stopped = send.interrupted
                if stopped is None:
                    reason = "cancelled" if not isinstance(error, Exception) else type(error).__name__
                    stopped = send.outcome(SendStatus.FAILED, wording.stopped_before_sending(reason))
                await self._audit(send, stopped.status, stopped.message)
            raise
        if isinstance(answer, SendOutcome):
            await self._audit(send, answer.status, answer.message)
            await self._retention.maybe_prune()
        return answer

    async def _run(self, send: _Send, perform: Perform) -> GuardAnswer:
        checks: tuple[Stage, ...] = (
            self._answered_before,
            self._within_caps,
            self._dry_run,
            self._not_a_duplicate,
            self._within_budget,
        )
        for check in checks:
            stop = await check(send)
            if stop is not None:
                return stop
        decision = await self._approved(send)
        if decision is not None:
            return decision
        for claim in (self._claim, self._write_ahead):
            stop = await claim(send)
            if stop is not None:
                return stop
        return await self._attempt(send, perform)

    # -- checks: read only, nothing taken -----------------------------------------------------------

    async def _answered_before(self, send: _Send) -> SendOutcome | None:
        """A known idempotency key answers with its first result."""
        if send.key is None:
            return None
        if len(send.key) > MAX_IDEMPOTENCY_KEY:
            message = wording.idempotency_key_too_long(len(send.key), MAX_IDEMPOTENCY_KEY)
            return _refused(
                send, CapRefused("idempotency_key", len(send.key), MAX_IDEMPOTENCY_KEY, None, message)
            )
        record = await self._store.idempotency_get(send.tenant, send.key)
        return None if record is None else self._from_record(send, record)

    async def _within_caps(self, send: _Send) -> SendOutcome | None:
        try:
            self._caps.check(send.plan)
        except CapRefused as refusal:
            return _refused(send, refusal)
        return None

    async def _dry_run(self, send: _Send) -> SendOutcome | None:
        if self.policy != "dry-run":
            return None
        return send.outcome(SendStatus.DRY_RUN, wording.DRY_RUN)

    async def _not_a_duplicate(self, send: _Send) -> SendOutcome | None:
        if send.allow_duplicate:
            return None
        since = self._clock() - self.duplicate_window
        mark = await self._store.recent_send(send.tenant, send.meaning, since)
        return None if mark is None else self._duplicate(send, mark)

    async def _within_budget(self, send: _Send) -> SendOutcome | None:
        try:
            await self._budget.check(send.tenant, send.plan.total_parts)
        except CapRefused as refusal:
            return _refused(send, refusal)
        return None

    # -- approval -----------------------------------------------------------------------------------

    async def _approved(self, send: _Send) -> GuardAnswer | None:
        """None when the send may go (and how it was approved is on `send`), else why it waits or stops."""
        if self.policy == "allow":
            return None
        if self.policy == "approve":
            return await self._approved_by_person(send)
        tokens = await self.tokens()
        if send.token is not None:
            try:
                plan = send.plan
                send.claims = tokens.verify(send.token, send.tenant, plan.tool, send.approval_fingerprint)
            except TokenRefused as refusal:
                return _token_refused(send, refusal)
            send.approval = ApprovalPath.TOKEN
            return None
        if send.approver.can_ask():
            return await self._dialog(send)
        issued = tokens.issue(send.tenant, send.plan.tool, send.approval_fingerprint)
        return send.outcome(
            SendStatus.CONFIRMATION_REQUIRED,
            wording.confirmation_required(send.plan.tool, tokens.ttl),
            confirmation_token=issued,
        )

    async def _dialog(self, send: _Send) -> GuardAnswer | None:
        """The client's own dialog: the person's answer, or the question out with the client."""
        answer = await send.approver.ask(ApprovalRequest(send.plan, send.approval_fingerprint))
        if isinstance(answer, Approved):
            send.approval = answer.path
            return None
        if isinstance(answer, Declined):
            return send.outcome(SendStatus.DECLINED, wording.declined(answer.cancelled))
        return answer  # Suspended: the question is out with the client

    async def _approved_by_person(self, send: _Send) -> GuardAnswer | None:
        """Policy `approve`: a person decides, in the client's dialog or on the approval page.

        A token here only names an approval record; the record's state is what counts.
        """
        approval_id = approval_id_of(send.token) or send.approver.resumed_approval()
        if send.token is not None and approval_id is None:
            return _token_refused(send, TokenRefused("malformed", wording.NOT_AN_APPROVAL_TOKEN))
        if approval_id is not None:
            return await self._approved_record(send, approval_id)
        if send.approver.can_ask():
            return await self._dialog(send)
        if not send.approver.can_show_page():
            return send.outcome(
                SendStatus.REFUSED,
                wording.NO_PERSON_REACHABLE,
                refusal={
                    "cap": "approval",
                    "figure": None,
                    "limit": None,
                    "setting": "LETEXTO_APPROVER_KEYS",
                },
            )
        record = await self.desk.open(
            tenant=send.tenant,
            tool=send.plan.tool,
            fingerprint=send.approval_fingerprint,
            summary=await self._page_summary(send),
            messages=send.plan.messages,
        )
        await self.desk.announce(record, await send.approver.page_url(record))
        shown = await send.approver.show_page(record)
        if isinstance(shown, PageShown):
            return send.outcome(
                SendStatus.CONFIRMATION_REQUIRED,
                wording.approval_page(send.plan.tool, shown.url, opened=shown.opened),
                confirmation_token=approval_token(record),
                approval_url=shown.url,
            )
        if isinstance(shown, Approved):
            return await self._approved_record(send, record.id)  # decided while the call waited
        if isinstance(shown, Declined):
            return send.outcome(SendStatus.DECLINED, wording.declined(shown.cancelled))
        return shown  # Suspended: the page is out with the client (URL elicitation, 2026-07-28)

    async def _approved_record(self, send: _Send, approval_id: str) -> SendOutcome | None:
        """What the named record lets this call do; None when it is approved for exactly this request."""
        record = await self.desk.get(approval_id)
        refused = wording.ApprovalRefusal
        if record is None or record.tenant != send.tenant:
            return _token_refused(send, TokenRefused("unknown", refused.UNKNOWN))
        if record.fingerprint != send.approval_fingerprint:
            return _token_refused(send, TokenRefused("request_changed", refused.REQUEST_CHANGED))
        if record.state == "declined":
            return send.outcome(SendStatus.DECLINED, wording.declined_on_page(record.decided_by))
        if record.state == "consumed":
            return _token_refused(send, TokenRefused("already_used", refused.ALREADY_USED))
        if record.expired(self._clock()):
            return _token_refused(send, TokenRefused("expired", refused.EXPIRED))
        if record.state == "pending":
            url = await send.approver.page_url(record)
            return send.outcome(
                SendStatus.APPROVAL_PENDING,
                wording.approval_pending(url),
                confirmation_token=approval_token(record),
                approval_url=url,
            )
        send.approval = ApprovalPath.BOT if record.decided_via == "bot" else ApprovalPath.PAGE
        send.approver_name = record.decided_by
        send.approval_id = record.id
        return None

    async def _page_summary(self, send: _Send) -> dict[str, Any]:
        """What the page shows besides the messages: the tool's facts and today's budget."""
        summary: dict[str, Any] = {"tool": send.plan.tool, **send.plan.page}
        if self.budget_limit is not None:
            used = await self._store.budget_used(send.tenant, self._budget.today())
            summary["budget"] = {
                "limit": self.budget_limit,
                "used": used,
                "left_after": self.budget_limit - used - send.plan.total_parts,
            }
        return summary

    # -- claims: taken in order, undone on a later refusal ------------------------------------------

    async def _claim(self, send: _Send) -> SendOutcome | None:
        tenant, store, key = send.tenant, self._store, send.key
        if key is not None:
            existing = await store.idempotency_claim(tenant, key, send.approval_fingerprint, self._clock())
            if existing is not None:
                return self._from_record(send, existing)
            send.undo.append(lambda: store.idempotency_release(tenant, key))
        try:
            await self._rate.hit(tenant)
            reservation = await self._budget.reserve(tenant, send.plan.total_parts)
        except CapRefused as refusal:
            await send.rollback()
            return _refused(send, refusal)
        send.undo.append(lambda: self._budget.refund(reservation))
        now = self._clock()
        mark = await store.claim_send(
            tenant, send.meaning, send.attempt, now - self.duplicate_window, now, force=send.allow_duplicate
        )
        if mark is not None:
            await send.rollback()
            return self._duplicate(send, mark)
        send.undo.append(lambda: store.release_send(tenant, send.meaning, send.attempt))
        if send.claims is not None:
            try:
                await (await self.tokens()).consume(send.claims)
            except TokenRefused as refusal:
                await send.rollback()
                return _token_refused(send, refusal)
        spent = send.approval_id is None or await self.desk.consume(
            send.approval_id, tenant, send.approval_fingerprint
        )
        if not spent:
            await send.rollback()
            used = TokenRefused("already_used", wording.ApprovalRefusal.ALREADY_USED)
            return _token_refused(send, used)
        return None

    async def _write_ahead(self, send: _Send) -> SendOutcome | None:
        """No audit entry and no owner, no send: the `sending` entry and this replica's lease on the
        attempt are written before the request leaves."""
        try:
            with anyio.CancelScope(shield=True):  # written whole, or it could not be settled
                send.opened = await self._audit_writer.open(self._audit_fields(send), attempt=send.attempt)
                owned = OpenAttempt(
                    attempt=send.attempt,
                    tenant=send.tenant,
                    replica=self.replica,
                    fingerprint=send.meaning,
                    idempotency_key=send.key,
                    entry=send.opened,
                    started_at=self._clock(),
                )
                await self._store.open_attempt(owned, self._clock())
        except Exception:
            logger.exception("could not write the audit entry of a send; nothing was sent")
            await send.rollback()
            if send.opened is not None:
                await self._audit(send, SendStatus.FAILED, wording.AUDIT_UNAVAILABLE)
                send.opened = None
            return send.outcome(SendStatus.FAILED, wording.AUDIT_UNAVAILABLE)
        return None

    # -- the attempt --------------------------------------------------------------------------------

    async def _attempt(self, send: _Send, perform: Perform) -> SendOutcome:
        try:
            result = await perform()
        except Exception as error:
            reason = self._redact(str(error) or type(error).__name__)
            if self._classify(error) is SendFailure.NOT_SENT:
                await send.rollback()
                return send.outcome(SendStatus.FAILED, wording.not_sent(reason))
            return await self._unknown(send, reason)
        except BaseException:
            # Cancelled while the request may be on the wire: nobody knows.
            with anyio.CancelScope(shield=True):
                send.interrupted = await self._unknown(send, wording.INTERRUPTED)
            raise
        return await self._succeeded(send, result)

    async def _succeeded(self, send: _Send, result: Mapping[str, Any]) -> SendOutcome:
        send.undo.clear()
        result = dict(result) if isinstance(result, Mapping) else {"value": result}
        status = SendStatus.SCHEDULED if result.get("status") == "scheduled" else SendStatus.SUBMITTED
        send.letexto_ids = letexto_ids(result)
        plan = send.plan
        message = wording.sent(status.value, len(plan.recipients), plan.total_parts, send.letexto_ids)
        outcome = send.outcome(status, message, result=result)
        ref = ",".join(send.letexto_ids)[:200] or None
        await self._settle(send, "succeeded", AttemptState.SENT, outcome, ref)
        return outcome

    async def _unknown(self, send: _Send, reason: str) -> SendOutcome:
        send.undo.clear()  # the parts may have been billed: keep them spent, keep the claims
        outcome = send.outcome(SendStatus.OUTCOME_UNKNOWN, wording.outcome_unknown(reason))
        await self._settle(send, "outcome_unknown", AttemptState.OUTCOME_UNKNOWN, outcome, None)
        data = {
            "tool": send.plan.tool,
            "recipients": len(send.plan.recipients),
            "detail": reason,
            "idempotency_key": send.key,
        }
        await tell(self._notify, "send.outcome_unknown", send.tenant, data)
        return outcome

    async def _settle(
        self, send: _Send, key_state: str, mark: AttemptState, outcome: SendOutcome, ref: str | None
    ) -> None:
        """Best effort after the fact: the send has happened, so a store error must not hide it.

        If recording fails, the key and the mark stay in_flight (both block, which is safe) and the
        settlement is tried again at each beat of the lease (`record_unrecorded`) until the store
        answers; if this process stops first, its lease lapses and the send ends outcome_unknown.
        """
        stored = {
            "status": outcome.status.value,
            "message": outcome.message,
            "result": _jsonable(outcome.result) if outcome.result is not None else None,
            "at": self._clock(),
        }
        settlement = _Settlement(key_state, mark, stored, ref)
        try:
            await self._record_settlement(send, settlement)
        except Exception as error:
            logger.error(
                "could not record the outcome of a send, will try again: %s", self._redact(str(error))
            )
            send.unrecorded = settlement

    async def _record_settlement(self, send: _Send, settlement: _Settlement) -> None:
        if send.key is not None:
            await self._store.idempotency_finish(
                send.tenant, send.key, settlement.key_state, settlement.stored
            )
        await self._store.settle_send(
            send.tenant, send.meaning, send.attempt, settlement.mark, self._clock(), settlement.ref
        )
        if send.approval_id is not None:
            await self.desk.settle(send.approval_id, {**settlement.stored, "letexto_ids": send.letexto_ids})
        await self._store.close_attempt(send.attempt)

    def _keep_for_later(self, send: _Send, status: SendStatus, detail: str) -> None:
        self._unrecorded.append((send, status, detail))
        if len(self._unrecorded) > MAX_UNRECORDED:
            dropped = self._unrecorded.pop(0)[0]
            logger.error(
                "too many send outcomes wait for the state store; attempt %s is left to the lease reaper",
                dropped.attempt,
            )

    async def record_unrecorded(self) -> int:
        """Record, oldest first, the outcomes a store failure kept from being written; how many still wait.

        Stops at the first failure (the store is still down: the next beat tries again).
        """
        while self._unrecorded:
            send, status, detail = self._unrecorded[0]
            try:
                if send.unrecorded is not None:
                    await self._record_settlement(send, send.unrecorded)
                fields = {**self._audit_fields(send), "letexto_ids": send.letexto_ids}
                await self._audit_writer.write(
                    fields, outcome=status.value, detail=detail, opened=send.opened
                )
            except Exception:
                return len(self._unrecorded)
            send.unrecorded = None
            self._unrecorded.pop(0)
        return 0

    # -- leases -----------------------------------------------------------------------------------

    async def keep_alive(self) -> None:
        """Heartbeat this replica's lease and reap lapsed ones, every third of the lease, forever.

        Run by every server process in the background. A replica killed mid-send stops beating;
        once its lease lapses, any replica settles its sends as outcome_unknown — never a resend.
        """
        while True:
            try:
                await self.beat()
            except Exception as error:  # the store may be down for a while: try again next beat
                logger.warning(
                    "could not renew this replica's lease or reap lapsed ones: %s", self._redact(str(error))
                )
            await anyio.sleep(self.lease_seconds / 3)

    async def beat(self) -> None:
        """One beat: outcomes left unrecorded first (before this lease could lapse), heartbeat, reaping."""
        await self.record_unrecorded()
        await self._store.heartbeat(self.replica, self._clock())
        await self.reap()

    async def reap(self) -> int:
        """Settle the sends of replicas whose lease lapsed as outcome_unknown; how many."""
        lapsed = await self._store.reap_attempts(self.lease_seconds, self._clock())
        for attempt in lapsed:
            await self._settle_orphan(attempt)
        return len(lapsed)

    async def _settle_orphan(self, attempt: OpenAttempt) -> None:
        now, detail, entry = self._clock(), wording.LEASE_LAPSED, attempt.entry
        unknown = SendStatus.OUTCOME_UNKNOWN.value
        try:
            if attempt.idempotency_key is not None:
                stored = {"status": unknown, "message": detail, "result": None, "at": now}
                await self._store.idempotency_finish(attempt.tenant, attempt.idempotency_key, unknown, stored)
            mark = AttemptState.OUTCOME_UNKNOWN
            await self._store.settle_send(
                attempt.tenant, attempt.fingerprint, attempt.attempt, mark, now, None
            )
            await self._audit_writer.settle(entry, outcome=unknown, detail=detail)
        except Exception:
            logger.exception("could not settle a send whose replica stopped")
            return
        data = {
            "tool": entry.tool,
            "recipients": entry.recipients,
            "detail": detail,
            "idempotency_key": attempt.idempotency_key,
        }
        await tell(self._notify, "send.outcome_unknown", attempt.tenant, data)

    # -- audit --------------------------------------------------------------------------------------

    def _audit_fields(self, send: _Send) -> dict[str, Any]:
        plan = send.plan
        return {
            "tenant": plan.tenant,
            "tool": plan.tool,
            "recipients": len(plan.recipients),
            "parts": plan.total_parts,
            "credits": plan.credits,
            "approval": send.approval.value + (f":{send.approver_name}" if send.approver_name else ""),
            "idempotency_key": send.key,
        }

    async def _audit(self, send: _Send, status: SendStatus, detail: str) -> None:
        """The one entry a decided call leaves: the write-ahead entry settled, or a new one (best effort)."""
        fields = {**self._audit_fields(send), "letexto_ids": send.letexto_ids}
        written = await self._audit_writer.record(
            fields, outcome=status.value, detail=detail, opened=send.opened
        )
        if send.opened is not None and (send.unrecorded is not None or not written):
            self._keep_for_later(send, status, detail)

    # -- answers that send nothing ------------------------------------------------------------------

    def _duplicate(self, send: _Send, mark: SendMark) -> SendOutcome:
        age = self._clock() - mark.at
        if mark.state == AttemptState.SENT:
            return send.outcome(
                SendStatus.DUPLICATE,
                wording.sent_within_window(age, mark.ref, self.duplicate_window),
                refusal={
                    "cap": "duplicate_window",
                    "figure": round(age),
                    "limit": self.duplicate_window,
                    "setting": wording.DUPLICATE_SETTING,
                },
            )
        return send.outcome(
            SendStatus.DUPLICATE,
            wording.unresolved_duplicate(age, in_flight=mark.state == AttemptState.IN_FLIGHT),
            refusal={"cap": "outcome_unknown", "figure": None, "limit": None, "setting": None},
        )

    def _from_record(self, send: _Send, record: IdempotencyRecord) -> SendOutcome:
        if record.fingerprint and record.fingerprint != send.approval_fingerprint:
            return _refused(send, CapRefused("idempotency_key", None, None, None, wording.KEY_REUSED))
        age = self._clock() - record.created_at
        stored = record.result or {}
        first = stored.get("result") if isinstance(stored.get("result"), Mapping) else None
        # In flight: a live replica's send (its lease turns it to outcome_unknown if it dies), or,
        # past in_flight_stale_after, one that nobody owns any more (a claim from before leases).
        if record.state == "in_flight" and age < self._in_flight_stale_after:
            return send.outcome(SendStatus.DUPLICATE, wording.key_in_progress(age))
        if record.state in ("in_flight", "outcome_unknown"):
            return send.outcome(SendStatus.OUTCOME_UNKNOWN, wording.key_outcome_unknown(age), result=first)
        if record.state == "failed":
            detail = str(stored.get("message", "no detail"))
            return send.outcome(SendStatus.DUPLICATE, wording.key_failed(detail), result=first)
        status = str(stored.get("status", "submitted"))
        return send.outcome(SendStatus.DUPLICATE, wording.key_done(age, status), result=first)
