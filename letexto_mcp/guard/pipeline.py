"""The one path every send takes: idempotency, caps, policy, duplicates, approval, rate, budget, send.

No MCP in here: the tool asks the user (elicitation) and passes the answer in as `approval`, and
hands over the send itself as `perform`, which this guard calls at most once. Each step either
lets the send through or returns a `SendOutcome` that says why not and what to do next; every
call leaves exactly one audit entry (written as `sending` just before the request leaves, then
settled with the outcome, so a crash mid-send still leaves a trace).

Order, and why:
1. an existing idempotency record answers at once (a retry must not need a new approval);
2. caps, under every policy (a dry run should show that a real run would be refused);
3. policy dry-run stops here with the preview;
4. the same request sent within the window, or with an unknown outcome, is refused early, before
   the user is asked to approve something that would be refused anyway;
5. approval (decline/cancel, token, or a new token and preview);
6. the idempotency key is claimed before rate and budget, so concurrent retries with one key
   come back "duplicate" without spending the rate limit or budget;
7. rate limit, budget reservation, the atomic duplicate claim, then the token is spent, last, so
   a refusal at any earlier step leaves it usable;
8. `perform()` once, and the result recorded. Any refusal after a claim undoes the claims.
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

from letexto_mcp.guard.audit import AuditWriter, new_attempt_id
from letexto_mcp.guard.budget import DailyBudget, Reservation
from letexto_mcp.guard.caps import Caps
from letexto_mcp.guard.errors import CapRefused, TokenRefused
from letexto_mcp.guard.fingerprint import request_fingerprint
from letexto_mcp.guard.plan import SendPlan
from letexto_mcp.guard.ratelimit import SendRateLimit
from letexto_mcp.guard.retention import Retention
from letexto_mcp.guard.tokens import ConfirmationTokens, TokenClaims
from letexto_mcp.store.base import AuditEntry, IdempotencyRecord, SendMark, StateStore

logger = logging.getLogger("letexto_mcp.guard")

Approval = Literal["elicited-accept", "elicited-decline", "elicited-cancel", "token", "none"]
Policy = Literal["confirm", "dry-run", "allow"]
Status = Literal[
    "submitted",
    "scheduled",
    "confirmation_required",
    "declined",
    "dry_run",
    "duplicate",
    "refused",
    "outcome_unknown",
    "failed",
]
Perform = Callable[[], Awaitable[Mapping[str, Any]]]
SENDING_DETAIL = (
    "the request is leaving for LeTexto and no answer has come back yet; if this entry stays "
    "'sending', the server stopped before LeTexto answered: the outcome is unknown, check the "
    "message statuses and the balance before sending again"
)
ErrorTypes = tuple[type[BaseException], ...]

TOKEN_SECRET_NAME = "confirmation-tokens"
MAX_IDEMPOTENCY_KEY = 255
DUPLICATE_SETTING = "LETEXTO_DUPLICATE_WINDOW_SECONDS"
_ID_LISTS = ("letexto_ids", "ids", "message_ids")
_ID_FIELDS = ("message_id", "campaign_id", "id")


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True)
class SendOutcome:
    """What the tool reports: a status, a sentence for the assistant, and the details that apply."""

    status: Status
    message: str
    preview: Mapping[str, Any] | None = None
    confirmation_token: str | None = None
    result: Mapping[str, Any] | None = None
    refusal: Mapping[str, Any] | None = None
    reason: str | None = None  # a stable code for token refusals (expired, already_used, ...)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form without the fields that do not apply."""
        data: dict[str, Any] = {"status": self.status, "message": self.message}
        for name in ("preview", "confirmation_token", "result", "refusal", "reason"):
            value = getattr(self, name)
            if value is not None:
                data[name] = dict(value) if isinstance(value, Mapping) else value
        return data


@dataclass
class _Trail:
    """What one run has taken so far (to undo on refusal) and what its audit entry will say."""

    approval: str
    undo: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    letexto_ids: list[str] = field(default_factory=list)
    interrupted: SendOutcome | None = None  # set when perform() was cancelled mid-send
    opened: AuditEntry | None = None  # the `sending` entry, written just before perform()

    async def rollback(self) -> None:
        while self.undo:
            step = self.undo.pop()
            try:
                await step()
            except Exception:  # keep undoing the rest; the claim left behind fails safe (blocks)
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


def _jsonable(value: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy, for the store (odd values become text rather than lose the record)."""
    return json.loads(json.dumps(dict(value), default=str, ensure_ascii=False))


def _ago(seconds: float) -> str:
    return f"{max(0.0, seconds):.0f} s ago"


class SendGuard:
    """Composes the send-safety layers; `run` is the only entry point a send tool needs."""

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
        not_sent_errors: ErrorTypes = (),
        unknown_errors: ErrorTypes = (),
        secret: bytes | None = None,
        in_flight_stale_after: float = 900.0,
        retention_days: float | None = None,
    ) -> None:
        if policy not in get_args(Policy):
            raise ValueError(f"LETEXTO_SEND_POLICY must be one of confirm, dry-run, allow; got {policy!r}")
        self.policy: Policy = policy
        self._store = store
        self._caps = caps
        self._budget = DailyBudget(store, budget_limit, clock)
        self._rate = SendRateLimit(store, sends_per_minute, clock)
        self.duplicate_window = float(duplicate_window)
        self._token_ttl = float(token_ttl)
        self._clock = clock
        self._redact = redact
        self._not_sent_errors = tuple(not_sent_errors)
        self._unknown_errors = tuple(unknown_errors)
        self._in_flight_stale_after = in_flight_stale_after
        # An in-flight record older than this guard was left by a process that died mid-send.
        self._started_at = self._clock()
        self._tokens = ConfirmationTokens(store, secret, token_ttl, clock) if secret is not None else None
        self._tokens_lock = anyio.Lock()
        self._audit_writer = AuditWriter(store, redact, clock)
        self._retention = Retention(store, retention_days, clock)

    async def tokens(self) -> ConfirmationTokens:
        """The token issuer, keyed by the server secret kept in the store (created on first use)."""
        async with self._tokens_lock:
            if self._tokens is None:
                secret = await self._store.get_or_create_secret(
                    TOKEN_SECRET_NAME, lambda: secrets.token_bytes(32)
                )
                self._tokens = ConfirmationTokens(self._store, secret, self._token_ttl, self._clock)
            return self._tokens

    def _approval_label(self, approval: str) -> str:
        if self.policy == "dry-run":
            return "dry-run"
        if self.policy == "allow":
            return "policy-allow"
        if approval.startswith("elicited"):
            return "elicited"
        return "token" if approval == "token" else "none"

    async def run(
        self,
        plan: SendPlan,
        *,
        approval: Approval,
        confirmation_token: str | None,
        idempotency_key: str | None,
        allow_duplicate: bool,
        perform: Perform,
    ) -> SendOutcome:
        """Take one send through every layer; calls `perform` at most once."""
        key = idempotency_key.strip() if isinstance(idempotency_key, str) else None
        key = key or None
        token = (confirmation_token.strip() if isinstance(confirmation_token, str) else None) or None
        if approval == "none" and token is not None:
            approval = "token"  # the caller brought a token: check it rather than issue another
        elif approval == "token" and token is None:
            approval = "none"
        trail = _Trail(self._approval_label(approval))
        try:
            outcome = await self._run(plan, approval, token, key, allow_duplicate, perform, trail)
        except BaseException as error:
            with anyio.CancelScope(shield=True):
                await trail.rollback()
                if trail.interrupted is not None:
                    await self._audit(plan, key, trail, trail.interrupted.status, trail.interrupted.message)
                else:
                    reason = "cancelled" if not isinstance(error, Exception) else type(error).__name__
                    await self._audit(plan, key, trail, "failed", f"stopped before sending: {reason}")
            raise
        await self._audit(plan, key, trail, outcome.status, outcome.message)
        await self._retention.maybe_prune()
        return outcome

    async def _run(
        self,
        plan: SendPlan,
        approval: Approval,
        token: str | None,
        key: str | None,
        allow_duplicate: bool,
        perform: Perform,
        trail: _Trail,
    ) -> SendOutcome:
        fingerprint = request_fingerprint(plan.tool, plan.request)
        tenant = plan.tenant

        if key is not None:
            if len(key) > MAX_IDEMPOTENCY_KEY:
                return self._refused(
                    CapRefused(
                        "idempotency_key",
                        len(key),
                        MAX_IDEMPOTENCY_KEY,
                        None,
                        f"refused: idempotency_key is {len(key)} characters long; use at most "
                        f"{MAX_IDEMPOTENCY_KEY} (a UUID is ideal)",
                    ),
                    plan,
                )
            record = await self._store.idempotency_get(tenant, key)
            if record is not None:
                return self._from_record(record, fingerprint, plan)

        try:
            self._caps.check(plan)
        except CapRefused as refusal:
            return self._refused(refusal, plan)

        if self.policy == "dry-run":
            return SendOutcome(
                "dry_run",
                "dry run (LETEXTO_SEND_POLICY=dry-run): nothing was sent; "
                "this preview shows what a real send would do",
                preview=plan.preview,
            )

        if not allow_duplicate:
            mark = await self._store.recent_send(tenant, fingerprint, self._clock() - self.duplicate_window)
            if mark is not None:
                return self._duplicate_mark(mark, plan)

        claims: TokenClaims | None = None
        if approval in ("elicited-decline", "elicited-cancel"):
            verb = "declined" if approval == "elicited-decline" else "cancelled"
            return SendOutcome(
                "declined", f"the user {verb} this send: nothing was sent", preview=plan.preview
            )
        if self.policy == "confirm" and approval != "elicited-accept":
            tokens = await self.tokens()
            if token is None:
                issued = tokens.issue(tenant, plan.tool, fingerprint)
                return SendOutcome(
                    "confirmation_required",
                    "nothing was sent yet: show this preview to the user; if they approve, call "
                    f"{plan.tool} again with exactly the same arguments plus this confirmation_token "
                    f"(valid {tokens.ttl / 60:.0f} min, once)",
                    preview=plan.preview,
                    confirmation_token=issued,
                )
            try:
                claims = tokens.verify(token, tenant, plan.tool, fingerprint)
            except TokenRefused as refusal:
                return self._token_refused(refusal, plan)

        return await self._send(plan, fingerprint, key, allow_duplicate, claims, perform, trail)

    async def _send(
        self,
        plan: SendPlan,
        fingerprint: str,
        key: str | None,
        allow_duplicate: bool,
        claims: TokenClaims | None,
        perform: Perform,
        trail: _Trail,
    ) -> SendOutcome:
        tenant, store = plan.tenant, self._store
        if key is not None:
            existing = await store.idempotency_claim(tenant, key, fingerprint, self._clock())
            if existing is not None:
                return self._from_record(existing, fingerprint, plan)
            trail.undo.append(lambda: store.idempotency_release(tenant, key))

        try:
            await self._rate.hit(tenant)
            reservation: Reservation = await self._budget.reserve(tenant, plan.total_parts)
        except CapRefused as refusal:
            await trail.rollback()
            return self._refused(refusal, plan)
        trail.undo.append(lambda: self._budget.refund(reservation))

        if allow_duplicate:
            await store.mark_send(tenant, fingerprint, "in_flight", self._clock(), None)
        else:
            mark = await store.claim_send(
                tenant, fingerprint, self._clock() - self.duplicate_window, self._clock()
            )
            if mark is not None:
                await trail.rollback()
                return self._duplicate_mark(mark, plan)
        trail.undo.append(lambda: store.mark_send(tenant, fingerprint, "resolved", self._clock(), None))

        if claims is not None:
            try:
                await (await self.tokens()).consume(claims)
            except TokenRefused as refusal:
                await trail.rollback()
                return self._token_refused(refusal, plan)

        return await self._perform(plan, fingerprint, key, perform, trail)

    async def _perform(
        self, plan: SendPlan, fingerprint: str, key: str | None, perform: Perform, trail: _Trail
    ) -> SendOutcome:
        with anyio.CancelScope(shield=True):  # written whole, or the entry would not be settled
            await self._audit(plan, key, trail, "sending", SENDING_DETAIL, opening=True)
        try:
            result = await perform()
        except self._unknown_errors as error:
            return await self._unknown(plan, fingerprint, key, trail, self._error_text(error))
        except self._not_sent_errors as error:
            return await self._not_sent(plan, trail, self._error_text(error))
        except Exception as error:
            return await self._not_sent(plan, trail, self._error_text(error))
        except BaseException:
            # Cancelled (or interrupted) while the request may be on the wire: nobody knows.
            with anyio.CancelScope(shield=True):
                trail.interrupted = await self._unknown(
                    plan, fingerprint, key, trail, "the send was interrupted before LeTexto answered"
                )
            raise
        return await self._succeeded(plan, fingerprint, key, result, trail)

    def _error_text(self, error: BaseException) -> str:
        text = str(error) or type(error).__name__
        return self._redact(text)

    async def _succeeded(
        self, plan: SendPlan, fingerprint: str, key: str | None, result: Mapping[str, Any], trail: _Trail
    ) -> SendOutcome:
        trail.undo.clear()
        result = dict(result) if isinstance(result, Mapping) else {"value": result}
        status: Status = "scheduled" if result.get("status") == "scheduled" else "submitted"
        ids = letexto_ids(result)
        trail.letexto_ids = ids
        shown = f"; LeTexto id{'s' if len(ids) > 1 else ''}: {', '.join(ids[:5])}" if ids else ""
        message = (
            f"{status}: {len(plan.recipients)} recipient{'s' if len(plan.recipients) != 1 else ''}, "
            f"{plan.total_parts} SMS part{'s' if plan.total_parts != 1 else ''}{shown}. Nothing more to do; "
            "follow delivery with the status tools, and do not send it again"
        )
        outcome = SendOutcome(status, message, preview=plan.preview, result=result)
        await self._record(plan, fingerprint, key, "succeeded", "sent", outcome, ",".join(ids)[:200] or None)
        return outcome

    async def _unknown(
        self, plan: SendPlan, fingerprint: str, key: str | None, trail: _Trail, reason: str
    ) -> SendOutcome:
        trail.undo.clear()  # the parts may have been billed: keep them spent, keep the claims
        message = (
            f"outcome unknown: the request may have reached LeTexto but no answer came back ({reason}). "
            "Do not resend blindly: check the balance and recent message statuses first. The same "
            "request is blocked until someone decides; pass allow_duplicate=true to send it again on purpose"
        )
        outcome = SendOutcome("outcome_unknown", message, preview=plan.preview)
        await self._record(plan, fingerprint, key, "outcome_unknown", "outcome_unknown", outcome, None)
        return outcome

    async def _not_sent(self, plan: SendPlan, trail: _Trail, reason: str) -> SendOutcome:
        await trail.rollback()
        return SendOutcome(
            "failed",
            f"failed: LeTexto did not send it ({reason}); nothing was spent from the daily budget. Fix the "
            "cause and try again (the same idempotency_key may be reused)",
            preview=plan.preview,
        )

    async def _record(
        self,
        plan: SendPlan,
        fingerprint: str,
        key: str | None,
        state: str,
        mark: str,
        outcome: SendOutcome,
        ref: str | None,
    ) -> None:
        """Best effort after the fact: the send has happened, so a store error must not hide it."""
        stored = {
            "status": outcome.status,
            "message": outcome.message,
            "result": _jsonable(outcome.result) if outcome.result is not None else None,
            "at": self._clock(),
        }
        try:
            if key is not None:
                await self._store.idempotency_finish(plan.tenant, key, state, stored)
            await self._store.mark_send(plan.tenant, fingerprint, mark, self._clock(), ref)
        except Exception:  # the key stays in_flight and the request blocked: fails safe
            logger.exception("could not record the outcome of a send")

    async def _audit(
        self,
        plan: SendPlan,
        key: str | None,
        trail: _Trail,
        status: str,
        detail: str,
        *,
        opening: bool = False,
    ) -> None:
        entry = await self._audit_writer.write(
            tenant=plan.tenant,
            tool=plan.tool,
            recipients=len(plan.recipients),
            parts=plan.total_parts,
            credits=plan.credits,
            approval=trail.approval,
            outcome=status,
            letexto_ids=trail.letexto_ids,
            detail=detail,
            idempotency_key=key,
            attempt=new_attempt_id() if opening else None,
            opened=trail.opened,
        )
        if opening:
            trail.opened = entry

    # -- outcomes that send nothing -------------------------------------------------------------

    def _refused(self, refusal: CapRefused, plan: SendPlan) -> SendOutcome:
        return SendOutcome("refused", refusal.message, preview=plan.preview, refusal=refusal.as_dict())

    def _token_refused(self, refusal: TokenRefused, plan: SendPlan) -> SendOutcome:
        return SendOutcome(
            "refused",
            f"refused: {refusal.message}",
            preview=plan.preview,
            refusal={"cap": "confirmation_token", "figure": None, "limit": None, "setting": None},
            reason=refusal.reason_code,
        )

    def _duplicate_mark(self, mark: SendMark, plan: SendPlan) -> SendOutcome:
        age = self._clock() - mark.at
        if mark.state == "sent":
            ref = f" (LeTexto {mark.ref})" if mark.ref else ""
            return SendOutcome(
                "duplicate",
                f"not sent again: this exact request was sent {_ago(age)}{ref}, within "
                f"{DUPLICATE_SETTING} ({self.duplicate_window:.0f} s). If it must really go "
                "twice, call again with allow_duplicate=true; to make retries safe, pass an idempotency_key",
                preview=plan.preview,
                refusal={
                    "cap": "duplicate_window",
                    "figure": round(age),
                    "limit": self.duplicate_window,
                    "setting": DUPLICATE_SETTING,
                },
            )
        what = "is still in progress" if mark.state == "in_flight" else "has an unknown outcome"
        return SendOutcome(
            "duplicate",
            f"not sent: an identical send started {_ago(age)} {what}, so it may already have reached the "
            "recipients. Check its status and the balance first; to send it anyway, call again with "
            "allow_duplicate=true",
            preview=plan.preview,
            refusal={"cap": "outcome_unknown", "figure": None, "limit": None, "setting": None},
        )

    def _from_record(self, record: IdempotencyRecord, fingerprint: str, plan: SendPlan) -> SendOutcome:
        if record.fingerprint and record.fingerprint != fingerprint:
            return self._refused(
                CapRefused(
                    "idempotency_key",
                    None,
                    None,
                    None,
                    "refused: idempotency_key already used for another request; use a new idempotency_key "
                    "for a new send, or repeat the first request exactly to get its result",
                ),
                plan,
            )
        age = self._clock() - record.created_at
        stored = record.result or {}
        first = stored.get("result") if isinstance(stored.get("result"), Mapping) else None
        orphaned = record.state == "in_flight" and record.created_at < self._started_at
        if record.state == "in_flight" and age < self._in_flight_stale_after and not orphaned:
            return SendOutcome(
                "duplicate",
                f"a send with this idempotency_key started {_ago(age)} and is still in progress; nothing was "
                "sent again. Call again in a moment to get its result",
                preview=plan.preview,
            )
        if record.state in ("in_flight", "outcome_unknown"):
            return SendOutcome(
                "outcome_unknown",
                f"a send with this idempotency_key started {_ago(age)} and its outcome is unknown; "
                "nothing was sent again. Check the balance and message statuses before deciding; to send "
                "anyway, use a new idempotency_key with allow_duplicate=true",
                preview=plan.preview,
                result=first,
            )
        if record.state == "failed":
            return SendOutcome(
                "duplicate",
                f"the send with this idempotency_key failed earlier ({stored.get('message', 'no detail')}); "
                "nothing was sent again. Use a new idempotency_key to try again",
                preview=plan.preview,
                result=first,
            )
        return SendOutcome(
            "duplicate",
            f"already done with this idempotency_key {_ago(age)} "
            f"(status {stored.get('status', 'submitted')}); "
            "this is the first result, nothing was sent again",
            preview=plan.preview,
            result=first,
        )
