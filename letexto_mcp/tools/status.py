"""`get_message_status` and `get_campaign_status`: what happened after a send."""

from __future__ import annotations

from mcp.server.mcpserver import Context

from letexto_mcp.schemas.inputs import GetCampaignStatusInput, GetMessageStatusInput
from letexto_mcp.schemas.outputs import CampaignStatusResult, MessageStatusResult
from letexto_mcp.tools.annotations import READ
from letexto_mcp.tools.errors import letexto_call
from letexto_mcp.tools.registry import ToolSpec
from letexto_mcp.tools.services import Services
from letexto_mcp.tools.tenancy import tenant_of

MESSAGE_MEANINGS = {
    "PENDING": (
        "LeTexto accepted the message and has not yet handed it to the operator. Not delivered yet.",
        False,
    ),
    "SCHEDULED": ("The message is scheduled and will leave at its send time.", False),
    "SENT": ("Handed to the mobile operator; delivery to the phone is not confirmed yet.", False),
    "DELIVERED": ("The operator confirmed delivery to the recipient's phone.", True),
    "FAILED": (
        "The operator could not deliver it (number invalid or unreachable). It will not be retried.",
        True,
    ),
}
CAMPAIGN_MEANINGS = {
    "CREATED": ("The campaign is created and queued; messages have not all left yet.", False),
    "SCHEDULED": ("The campaign waits for its send time.", False),
    "SENDING": ("Messages are leaving now.", False),
    "SENT": ("Every message has been handed to the operators (delivery is tracked per message).", True),
    "FAILED": ("The campaign failed at LeTexto.", True),
}


def meaning_of(status: str, table: dict[str, tuple[str, bool]]) -> tuple[str, bool]:
    known = table.get(status.upper())
    if known is not None:
        return known
    return f"LeTexto reports '{status}', a status this server does not know; ask again later.", False


async def get_message_status(
    services: Services, args: GetMessageStatusInput, ctx: Context
) -> MessageStatusResult:
    client = await services.letexto(tenant_of(ctx))
    async with letexto_call():
        status = await client.get_message_status(args.message_id)
    meaning, final = meaning_of(status.status or "UNKNOWN", MESSAGE_MEANINGS)
    return MessageStatusResult(
        message_id=status.id or args.message_id,
        status=status.status or "UNKNOWN",
        meaning=meaning,
        final=final,
        source="letexto",
        to=status.to,
        sender=status.sender,
        part_count=status.part_count,
        updated_at=status.updated_at.isoformat() if status.updated_at else None,
    )


async def get_campaign_status(
    services: Services, args: GetCampaignStatusInput, ctx: Context
) -> CampaignStatusResult:
    client = await services.letexto(tenant_of(ctx))
    async with letexto_call():
        if args.channel == "email":
            status = await client.get_email_campaign_status(args.campaign_id)
        else:
            status = await client.get_sms_campaign_status(args.campaign_id)
    value = status.status or "UNKNOWN"
    meaning, final = meaning_of(value, CAMPAIGN_MEANINGS)
    return CampaignStatusResult(
        campaign_id=status.id or args.campaign_id,
        channel=args.channel,
        status=value,
        meaning=meaning,
        final=final,
        label=status.label,
        sender=status.sender,
    )


SPECS = [
    ToolSpec(
        name="get_message_status",
        title="SMS delivery status",
        description=(
            "Check what happened to one SMS sent with send_sms, by its message_id. Returns LeTexto's status "
            "(PENDING → SENT → DELIVERED, or FAILED) with its meaning: 'submitted' by a send only "
            "means LeTexto "
            "accepted it, not that the phone received it. Read-only; safe to call repeatedly."
        ),
        input_model=GetMessageStatusInput,
        output_model=MessageStatusResult,
        handler=get_message_status,
        annotations=READ,
    ),
    ToolSpec(
        name="get_campaign_status",
        title="Campaign status",
        description=(
            "Check the status of an SMS campaign (channel 'sms', the default) or an email campaign "
            "(channel 'email') by the campaign_id its create tool returned. Read-only."
        ),
        input_model=GetCampaignStatusInput,
        output_model=CampaignStatusResult,
        handler=get_campaign_status,
        annotations=READ,
    ),
]
