"""What the three send tools share: running the guard and turning its outcome into a `SendResult`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from letexto_mcp.guard.pipeline import SendOutcome, SendPlan
from letexto_mcp.schemas.outputs import EmailPreview, PreviewResult, Refusal, SendResult
from letexto_mcp.tools.services import Services

CONFIRM_HINT = (
    "Show this preview to the user. If they approve, call the same tool again with exactly the same arguments "
    "plus confirmation_token; if not, do nothing."
)


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
    message = outcome.message
    token_ttl = None
    if outcome.status == "confirmation_required":
        message = f"{message} {CONFIRM_HINT}".strip()
        token_ttl = services.settings.confirmation_ttl_seconds
    refusal = Refusal.model_validate(dict(outcome.refusal)) if outcome.refusal else None
    return SendResult(
        status=outcome.status,
        message=services.redact(message),
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


async def run_guarded(
    services: Services,
    plan: SendPlan,
    *,
    approval: str,
    args: Any,
    perform: Callable[[], Awaitable[Mapping[str, Any]]],
    scheduled_for: str | None,
) -> SendResult:
    """One send through every guard layer, exactly once."""
    outcome = await services.guard.run(
        plan,
        approval=approval,  # type: ignore[arg-type]
        confirmation_token=args.confirmation_token,
        idempotency_key=args.idempotency_key,
        allow_duplicate=args.allow_duplicate,
        perform=perform,
    )
    return outcome_to_result(
        outcome, services=services, idempotency_key=args.idempotency_key, scheduled_for=scheduled_for
    )
