"""`list_senders` and `create_sender`: the names SMS are sent from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from letexto_mcp.schemas.inputs import CreateSenderInput, ListSendersInput
from letexto_mcp.schemas.outputs import CreateSenderResult, SenderInfo, SendersResult
from letexto_mcp.services import Services
from letexto_mcp.tools.annotations import CREATE, READ
from letexto_mcp.tools.caller import Caller
from letexto_mcp.tools.errors import letexto_call
from letexto_mcp.tools.registry import ToolSpec

if TYPE_CHECKING:
    from letexto_mcp.letexto.models import Sender


def sender_info(sender: Sender) -> SenderInfo:
    return SenderInfo(
        name=sender.name, status=sender.status or "UNKNOWN", approved=sender.is_approved, id=sender.id
    )


async def senders_of(services: Services, tenant: str, args: ListSendersInput) -> SendersResult:
    """The tenant's senders (the tool and the `letexto://account/senders` resource both read them here)."""
    client = await services.letexto(tenant)
    async with letexto_call(key_setting=services.key_setting(tenant)):
        senders = await client.list_senders(
            query=args.query, status=args.status, all_accounts=args.all_accounts
        )
    infos = [sender_info(s) for s in senders]
    return SendersResult(
        senders=infos,
        count=len(infos),
        usable=sorted({s.name for s in infos if s.approved}),
        default_sender=services.settings.default_sender,
    )


async def list_senders(services: Services, args: ListSendersInput, caller: Caller) -> SendersResult:
    return await senders_of(services, caller.tenant, args)


async def create_sender(services: Services, args: CreateSenderInput, caller: Caller) -> CreateSenderResult:
    client = await services.letexto(caller.tenant)
    async with letexto_call(key_setting=services.key_setting(caller.tenant)):
        sender = await client.create_sender(args.name)
    info = sender_info(sender)
    if info.approved:
        step = f"'{info.name}' is approved: it can be used as 'sender' now."
    else:
        step = (
            f"'{info.name}' is {info.status}: LeTexto must validate it before it can send (this can "
            "take a while). "
            "Check with list_senders until it shows approved: true; until then use an approved sender."
        )
    return CreateSenderResult(sender=info, next_step=step)


SPECS = [
    ToolSpec(
        name="list_senders",
        title="List sender names",
        description=(
            "List the sender names (what recipients see as the SMS author) on the LeTexto account, "
            "with their "
            "status and whether each is approved for sending. Use it to pick a 'sender' for send_sms or "
            "create_sms_campaign, or to check whether a new sender has been validated. Read-only."
        ),
        input_model=ListSendersInput,
        output_model=SendersResult,
        handler=list_senders,
        annotations=READ,
    ),
    ToolSpec(
        name="create_sender",
        title="Request a new sender name",
        description=(
            "Ask LeTexto to register a new sender name (1–11 characters, e.g. 'ACME'). The new sender starts "
            "PENDING and cannot send until LeTexto validates it; this tool does not send anything. "
            "Only use it "
            "when the user asks for a new sender name; then check with list_senders later."
        ),
        input_model=CreateSenderInput,
        output_model=CreateSenderResult,
        handler=create_sender,
        annotations=CREATE,
    ),
]
