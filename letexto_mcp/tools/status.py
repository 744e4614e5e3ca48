"""`get_message_status` and `get_campaign_status`: what happened after a send."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from mcp.server.mcpserver.exceptions import ToolError

from letexto_mcp.guard.approvals import tell
from letexto_mcp.schemas.inputs import GetCampaignStatusInput, GetMessageStatusInput
from letexto_mcp.schemas.outputs import CampaignStatusResult, MessageStatusResult
from letexto_mcp.services import Services
from letexto_mcp.store.base import DeliveryReport, StoreError
from letexto_mcp.tools.annotations import READ
from letexto_mcp.tools.caller import Caller
from letexto_mcp.tools.errors import letexto_call
from letexto_mcp.tools.registry import ToolSpec

logger = logging.getLogger(__name__)

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


def _from_report(report: DeliveryReport) -> MessageStatusResult:
    meaning, final = meaning_of(report.status, MESSAGE_MEANINGS)
    return MessageStatusResult(
        message_id=report.message_id,
        status=report.status,
        meaning=meaning,
        final=final,
        source="delivery_report",
        updated_at=datetime.fromtimestamp(report.received_at, timezone.utc).isoformat(),
    )


async def message_status(services: Services, tenant: str, message_id: str) -> MessageStatusResult:
    """A final delivery report if one arrived; else LeTexto's answer; else the latest report.

    A final report (DELIVERED, FAILED) cannot be superseded, so LeTexto is not asked again. An
    earlier one (PENDING, SENT) may be stale, so LeTexto is asked and the report only answers
    when LeTexto cannot be reached.
    """
    try:
        reports = await services.store.delivery_reports(tenant, message_id)
    except StoreError:  # a read must still answer while the state store is down: ask LeTexto
        logger.warning("delivery reports unavailable (state store down); asking LeTexto")
        reports = []
    final_report = next((r for r in reports if r.is_final), None)
    if final_report is not None:
        return _from_report(final_report)
    client = await services.letexto(tenant)
    try:
        async with letexto_call(key_setting=services.key_setting(tenant)):
            status = await client.get_message_status(message_id)
    except ToolError:
        if reports:
            return _from_report(reports[0])
        raise
    meaning, final = meaning_of(status.status or "UNKNOWN", MESSAGE_MEANINGS)
    return MessageStatusResult(
        message_id=status.id or message_id,
        status=status.status or "UNKNOWN",
        meaning=meaning,
        final=final,
        source="letexto",
        to=status.to,
        sender=status.sender,
        part_count=status.part_count,
        updated_at=status.updated_at.isoformat() if status.updated_at else None,
    )


async def get_message_status(
    services: Services, args: GetMessageStatusInput, caller: Caller
) -> MessageStatusResult:
    return await message_status(services, caller.tenant, args.message_id)


SEEN_CAMPAIGNS = 10_000


async def campaign_seen(services: Services, tenant: str, campaign_id: str, channel: str, status: str) -> None:
    """Send `campaign.status` when this campaign's status differs from the last one seen here."""
    seen = services.campaign_statuses
    if seen.get((tenant, campaign_id)) == status:
        return
    if len(seen) >= SEEN_CAMPAIGNS:
        seen.pop(next(iter(seen)))  # oldest first: dicts keep insertion order
    seen[(tenant, campaign_id)] = status
    data = {"campaign_id": campaign_id, "channel": channel, "status": status}
    await tell(services.publisher.emit, "campaign.status", tenant, data)


async def get_campaign_status(
    services: Services, args: GetCampaignStatusInput, caller: Caller
) -> CampaignStatusResult:
    client = await services.letexto(caller.tenant)
    async with letexto_call(key_setting=services.key_setting(caller.tenant)):
        if args.channel == "email":
            status = await client.get_email_campaign_status(args.campaign_id)
        else:
            status = await client.get_sms_campaign_status(args.campaign_id)
    value = status.status or "UNKNOWN"
    await campaign_seen(services, caller.tenant, status.id or args.campaign_id, args.channel, value)
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
            "accepted it, not that the phone received it. When LeTexto pushed a delivery report to this "
            "server the answer comes from it (source 'delivery_report'), else from asking LeTexto "
            "(source 'letexto'). Read-only; safe to call repeatedly."
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
