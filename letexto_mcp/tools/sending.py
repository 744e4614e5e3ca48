"""What the three send tools share: running the guard and turning its answer into a tool result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from mcp_types import InputRequiredResult

from letexto_mcp.guard.outcome import SendOutcome, Suspended
from letexto_mcp.guard.plan import SendPlan
from letexto_mcp.lazy import lazy_module
from letexto_mcp.schemas.outputs import EmailPreview, PreviewResult, Refusal, SendResult
from letexto_mcp.services import Services
from letexto_mcp.states import SendStatus
from letexto_mcp.tools.caller import Caller

if TYPE_CHECKING:
    from letexto_mcp.tools import sms_plan
    from letexto_mcp.tools.sms_plan import PricedSend
else:
    sms_plan = lazy_module("letexto_mcp.tools.sms_plan")  # loads with the first send (see messages.py)

Perform = Callable[[], Awaitable[Mapping[str, Any]]]


class SendArguments(Protocol):
    """The arguments every send tool shares with the guard."""

    idempotency_key: str | None
    confirmation_token: str | None
    allow_duplicate: bool


def _preview_model(preview: Mapping[str, Any] | None) -> PreviewResult | EmailPreview | None:
    if not preview:
        return None
    if "from_email" in preview:
        return EmailPreview.model_validate(preview)
    return PreviewResult.model_validate(preview)


def outcome_to_result(
    outcome: SendOutcome, *, services: Services, idempotency_key: str | None, scheduled_for: str | None
) -> SendResult:
    """The structured result of a send tool, from the guard's outcome."""
    result = dict(outcome.result or {})
    token_ttl = None
    if outcome.status is SendStatus.CONFIRMATION_REQUIRED and outcome.approval_url is None:
        token_ttl = services.settings.confirmation_ttl_seconds
    refusal = Refusal.model_validate(dict(outcome.refusal)) if outcome.refusal else None
    return SendResult(
        status=outcome.status,
        message=services.redact(outcome.message),
        message_id=result.get("message_id"),
        campaign_id=result.get("campaign_id"),
        recipients=result.get("recipients"),
        rejected=result.get("rejected"),
        duplicates_merged=result.get("duplicates_merged"),
        parts=result.get("parts"),
        credits=result.get("credits"),
        scheduled_for=result.get("scheduled_for", scheduled_for),
        confirmation_token=outcome.confirmation_token,
        confirmation_expires_in=token_ttl,
        preview=_preview_model(outcome.preview),
        refusal=refusal,
        approval_url=outcome.approval_url,
        idempotency_key=idempotency_key,
    )


def sms_page(preview: PreviewResult, *, label: str | None, send_at: str | None) -> dict[str, Any]:
    """What the approval page shows of an SMS send, besides its messages."""
    rejected = [*preview.recipients.rejected, *preview.missing_fields]
    return {
        "channel": "sms",
        "label": label,
        "sender": preview.sender.name,
        "send_at": send_at,
        "encoding": preview.text.encoding,
        "parts": preview.cost.total_parts,
        "credits": preview.cost.credits,
        "parts_per_message_max": preview.cost.max_parts_per_message,
        "balance": preview.cost.balance,
        "balance_after": preview.cost.balance_after,
        "rejected": [r.model_dump() for r in rejected],
        "rejected_count": preview.recipients.rejected_count + len(preview.missing_fields),
        "duplicates_merged": preview.recipients.duplicates_merged,
        "warnings": [*preview.recipients.warnings, *preview.warnings],
    }


def sms_send_plan(
    tool: str,
    tenant: str,
    request: Mapping[str, Any],
    priced: PricedSend,
    *,
    send_at: str | None,
    label: str | None = None,
) -> SendPlan:
    """The guard's view of an SMS send: recipients, parts, credits, sender, balance, and what leaves."""
    plan, account, preview, leaving = priced.plan, priced.account, priced.preview, priced.leaving
    question = sms_plan.approval_question(plan, account, leaving, scheduled_for=send_at)
    if label is not None:
        question = f"Campaign «{label}»: {question}"
    return SendPlan(
        tool=tool,
        tenant=tenant,
        request=request,
        recipients=plan.phones,
        parts_per_message_max=plan.max_parts,
        total_parts=plan.total_parts,
        credits=float(plan.total_parts),
        sender=plan.sender,
        sender_approved=account.sender.approved,
        preview=preview.model_dump(mode="json"),
        usable_senders=tuple(account.sender.usable),
        balance=account.balance,
        meaning=leaving.meaning("sms", {"sender": plan.sender, "send_at": send_at}),
        question=question,
        messages=leaving.messages,
        page=sms_page(preview, label=label, send_at=send_at),
    )


async def run_guarded(
    services: Services,
    plan: SendPlan,
    caller: Caller,
    *,
    args: SendArguments,
    perform: Perform,
    scheduled_for: str | None,
) -> SendResult | InputRequiredResult:
    """One send through every guard stage, at most once; an approval round trip is passed through."""
    answer = await services.guard.run(
        plan,
        perform=perform,
        approver=caller.approver,
        confirmation_token=args.confirmation_token,
        idempotency_key=args.idempotency_key,
        allow_duplicate=args.allow_duplicate,
    )
    if isinstance(answer, Suspended):
        payload: InputRequiredResult = answer.payload
        return payload
    return outcome_to_result(
        answer, services=services, idempotency_key=args.idempotency_key, scheduled_for=scheduled_for
    )
