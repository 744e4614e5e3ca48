"""What the three send tools share: running the guard and turning its outcome into a `SendResult`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from letexto_mcp.guard.pipeline import SendOutcome, SendPlan
from letexto_mcp.letexto import errors as lx
from letexto_mcp.schemas.outputs import EmailPreview, PreviewResult, Refusal, SendResult
from letexto_mcp.tools.services import Services

if TYPE_CHECKING:
    from letexto_mcp.tools.sms_plan import AccountCheck, SmsPlan

Perform = Callable[[], Awaitable[Mapping[str, Any]]]


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
    if outcome.status == "confirmation_required":
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
        idempotency_key=idempotency_key,
    )


def sms_send_plan(
    tool: str,
    tenant: str,
    request: Mapping[str, Any],
    plan: SmsPlan,
    account: AccountCheck,
    preview: PreviewResult,
) -> SendPlan:
    """The guard's view of an SMS send: recipients, parts, credits, sender and balance."""
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
    )


def once(perform: Perform, operation: str) -> Perform:
    """Classify a failed send conservatively: only a clear refusal by LeTexto counts as 'not sent'.

    A 5xx, an accepted answer we could not read, or any unexpected exception may hide a message
    that left: it becomes `OutcomeUnknownError`, which blocks a blind resend.
    """

    async def attempt() -> Mapping[str, Any]:
        try:
            return await perform()
        except (lx.RequestNotSentError, lx.OutcomeUnknownError):
            raise
        except lx.UnexpectedResponseError as error:
            if error.accepted or (error.status_code or 0) >= 500:
                raise lx.OutcomeUnknownError(str(error), operation=operation) from None
            raise
        except lx.ServerError as error:
            raise lx.OutcomeUnknownError(str(error), operation=operation) from None
        except lx.LetextoAPIError:
            raise
        except Exception as error:
            raise lx.OutcomeUnknownError(
                f"unexpected failure while sending ({type(error).__name__})", operation=operation
            ) from None

    return attempt


async def run_guarded(
    services: Services,
    plan: SendPlan,
    *,
    approval: str,
    args: Any,
    perform: Perform,
    scheduled_for: str | None,
) -> SendResult:
    """One send through every guard layer, exactly once."""
    outcome = await services.guard.run(
        plan,
        approval=approval,  # type: ignore[arg-type]
        confirmation_token=args.confirmation_token,
        idempotency_key=args.idempotency_key,
        allow_duplicate=args.allow_duplicate,
        perform=once(perform, plan.tool),
    )
    return outcome_to_result(
        outcome, services=services, idempotency_key=args.idempotency_key, scheduled_for=scheduled_for
    )
