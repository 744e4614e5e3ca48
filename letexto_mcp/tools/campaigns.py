"""`create_sms_campaign` and `create_email_campaign`: many recipients in one guarded send."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import InputRequiredResult

from letexto_mcp.guard.plan import SendPlan
from letexto_mcp.lazy import lazy_module
from letexto_mcp.schemas.inputs import CreateEmailCampaignInput, CreateSmsCampaignInput
from letexto_mcp.schemas.outputs import EmailPreview, RecipientsSummary, SendResult
from letexto_mcp.services import Services
from letexto_mcp.sms.templates import vendor_template
from letexto_mcp.states import SendStatus
from letexto_mcp.tools.annotations import SEND
from letexto_mcp.tools.caller import Caller
from letexto_mcp.tools.messages import FRESH
from letexto_mcp.tools.registry import ToolSpec
from letexto_mcp.tools.scheduling import iso_utc, parse_send_at
from letexto_mcp.tools.sending import run_guarded, sms_send_plan
from letexto_mcp.tools.status import campaign_seen
from letexto_mcp.tools.what_leaves import WhatLeaves

if TYPE_CHECKING:
    from letexto_mcp.tools import sms_plan
else:
    sms_plan = lazy_module("letexto_mcp.tools.sms_plan")  # loads with the first call (see messages.py)
EMAIL_BODY_SHOWN = 2000


async def create_sms_campaign(
    services: Services, args: CreateSmsCampaignInput, caller: Caller
) -> SendResult | InputRequiredResult:
    tenant = caller.tenant
    sent_at = parse_send_at(args.send_at)
    priced = await sms_plan.priced_send(
        services,
        tenant,
        content=args.content,
        contacts=args.contacts,
        contacts_csv=args.contacts_csv,
        sender=args.sender,
    )
    plan = priced.plan
    wire_contacts = [{"numero": c.phone, **c.fields} for c in plan.contacts]
    wire_content = vendor_template(args.content)
    request: dict[str, Any] = {
        "label": args.label,
        "content": wire_content,
        "sender": plan.sender,
        "send_at": iso_utc(sent_at),
        "contacts": wire_contacts,
    }
    guard_plan = sms_send_plan(
        "create_sms_campaign", tenant, request, priced, send_at=iso_utc(sent_at), label=args.label
    )
    client = await services.letexto(tenant)
    rejected = plan.recipients.rejected_count + len(plan.missing)

    async def perform() -> dict[str, Any]:
        campaign = await client.create_sms_campaign(
            label=args.label,
            sender=plan.sender or "",
            contacts=wire_contacts,
            content=wire_content,
            sent_at=sent_at,
        )
        parts = campaign.part_count if campaign.part_count is not None else plan.total_parts
        return {
            "status": "scheduled" if sent_at else "submitted",
            "campaign_id": campaign.id,
            "letexto_ids": [campaign.id] if campaign.id else [],
            "recipients": campaign.contact_count
            if campaign.contact_count is not None
            else len(wire_contacts),
            "rejected": rejected,
            "duplicates_merged": plan.recipients.duplicates_merged,
            "parts": parts,
            "credits": float(parts),
            "scheduled_for": iso_utc(sent_at),
        }

    result = await run_guarded(
        services, guard_plan, caller, args=args, perform=perform, scheduled_for=iso_utc(sent_at)
    )
    await announce_campaign(services, caller.tenant, result, "sms")
    return result


def _email_recipients(recipients: list[str]) -> tuple[list[str], int]:
    """Unique addresses (compared case-insensitively), first spelling kept; and how many merged."""
    seen: dict[str, str] = {}
    for address in recipients:
        seen.setdefault(address.strip().lower(), address.strip())
    unique = list(seen.values())
    return unique, len(recipients) - len(unique)


def _email_preview(args: CreateEmailCampaignInput, unique: list[str], merged: int) -> EmailPreview:
    summary = (
        f"Email campaign «{args.label}» from {args.from_email} to {len(unique)} recipient(s) "
        f"({', '.join(unique[:3])}{' …' if len(unique) > 3 else ''}), subject «{args.subject[:120]}», "
        f"{len(args.content)} characters."
    )
    return EmailPreview(
        recipients=RecipientsSummary(
            count=len(unique), sample=unique[:5], rejected=[], rejected_count=0, duplicates_merged=merged
        ),
        from_email=args.from_email,
        subject=args.subject,
        content_characters=len(args.content),
        summary=summary,
    )


def _email_question(args: CreateEmailCampaignInput, unique: list[str]) -> str:
    """Everything that leaves, for the dialog: sender, every recipient count, subject, the body's start."""
    body = args.content if len(args.content) <= EMAIL_BODY_SHOWN else args.content[:EMAIL_BODY_SHOWN]
    hidden = len(args.content) - len(body)
    more = f" … ({hidden} more characters not shown here)" if hidden else ""
    who = ", ".join(unique[:3]) + (f" and {len(unique) - 3} more" if len(unique) > 3 else "")
    return (
        f"Send this email campaign «{args.label}» now?\nFrom: {args.from_email}\n"
        f"To: {len(unique)} recipient(s): {who}\nSubject: «{args.subject}»\nBody: «{body}{more}»"
    )


async def create_email_campaign(
    services: Services, args: CreateEmailCampaignInput, caller: Caller
) -> SendResult | InputRequiredResult:
    tenant = caller.tenant
    unique, merged = _email_recipients(args.recipients)
    if not unique:
        raise ToolError("Cannot send: no recipient address.")
    preview = _email_preview(args, unique, merged)
    request = {
        "label": args.label,
        "from": args.from_email,
        "recipients": unique,
        "subject": args.subject,
        "content": args.content,
    }
    leaving = WhatLeaves()
    for address in unique:
        leaving.add(address.lower(), args.subject + "\0" + args.content)
    guard_plan = SendPlan(
        tool="create_email_campaign",
        tenant=tenant,
        request=request,
        recipients=unique,
        parts_per_message_max=0,
        total_parts=0,
        credits=0.0,
        sender=args.from_email,
        sender_approved=None,
        preview=preview.model_dump(mode="json"),
        meaning=leaving.meaning("email", {"from": args.from_email.lower()}),
        question=_email_question(args, unique),
        messages=[(address, args.subject) for address in unique],
        page={
            "channel": "email",
            "label": args.label,
            "sender": args.from_email,
            "subject": args.subject,
            "body": args.content,
            "duplicates_merged": merged,
            "warnings": [],
        },
    )
    client = await services.letexto(tenant)

    async def perform() -> dict[str, Any]:
        campaign = await client.create_email_campaign(
            label=args.label,
            from_email=args.from_email,
            recipients=unique,
            subject=args.subject,
            content=args.content,
        )
        return {
            "status": "submitted",
            "campaign_id": campaign.id,
            "letexto_ids": [campaign.id] if campaign.id else [],
            "recipients": campaign.recipients_count if campaign.recipients_count is not None else len(unique),
            "duplicates_merged": merged,
            "rejected": 0,
        }

    result = await run_guarded(services, guard_plan, caller, args=args, perform=perform, scheduled_for=None)
    await announce_campaign(services, caller.tenant, result, "email")
    return result


async def announce_campaign(
    services: Services, tenant: str, result: SendResult | InputRequiredResult, channel: str
) -> None:
    """A campaign just created: its first `campaign.status` event."""
    if isinstance(result, SendResult) and result.campaign_id and result.status in FRESH:
        status = "SCHEDULED" if result.status is SendStatus.SCHEDULED else "CREATED"
        await campaign_seen(services, tenant, result.campaign_id, channel, status)


SMS_CAMPAIGN_DESCRIPTION = (
    "Send a personalised SMS campaign through LeTexto: one text with {{field}} placeholders, "
    "rendered for each "
    "contact ('contacts': objects with 'phone' and the fields, or 'contacts_csv': CSV text with a "
    "header row). "
    "Invalid numbers, contacts missing a field and contacts whose message would be blank are left out "
    "and reported; duplicates are merged. Costs "
    "credits for every part of every message, so it is guarded like send_sms: the user approves a "
    "summary, or "
    "the call returns 'confirmation_required' with a preview and a confirmation_token to pass back, "
    "unchanged "
    "arguments, once the user has approved. Call preview_sms first for large lists. Give an idempotency_key "
    "(e.g. the flow's run id) so a retried call never sends twice. Returns the campaign_id (track it with "
    "get_campaign_status), counts, parts and credits."
)
EMAIL_CAMPAIGN_DESCRIPTION = (
    "Send an email campaign through LeTexto: one subject and body (HTML or text) to a list of addresses "
    "(validated, duplicates merged). Reaches real people, so it is guarded like send_sms: approval by the "
    "user, or 'confirmation_required' with a preview and a confirmation_token to pass back "
    "unchanged. Give an "
    "idempotency_key for safe retries. Returns the campaign_id (check it with get_campaign_status, channel "
    "'email')."
)

SPECS = [
    ToolSpec(
        name="create_sms_campaign",
        title="Send a personalised SMS campaign",
        description=SMS_CAMPAIGN_DESCRIPTION,
        input_model=CreateSmsCampaignInput,
        output_model=SendResult,
        handler=create_sms_campaign,
        annotations=SEND,
    ),
    ToolSpec(
        name="create_email_campaign",
        title="Send an email campaign",
        description=EMAIL_CAMPAIGN_DESCRIPTION,
        input_model=CreateEmailCampaignInput,
        output_model=SendResult,
        handler=create_email_campaign,
        annotations=SEND,
    ),
]
