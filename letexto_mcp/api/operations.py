"""Which tool answers which method and path: the one table the routes and the OpenAPI document share."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from letexto_mcp.schemas.outputs import SendResult
from letexto_mcp.tools import all_specs
from letexto_mcp.tools.registry import ToolSpec


@dataclass(frozen=True)
class Operation:
    """One REST operation: a tool behind a method and a path (relative to /api/v1)."""

    tool: str
    method: Literal["GET", "POST"]
    path: str
    tag: str
    summary: str
    """What the operation does, for the OpenAPI `description` (a GPT reads at most 300 characters)."""
    creates: bool = False
    """A success creates something (201), as `create_sender` does."""

    @property
    def reads_body(self) -> bool:
        """Arguments from the JSON body (POST), else from the path and the query string (GET)."""
        return self.method == "POST"

    @property
    def path_parameters(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{") and part.endswith("}")]


_SEND = (
    "The first answer is usually status confirmation_required: show approval_url to the user and, once "
    "they approved there, repeat the same request with confirmation_token. Set idempotency_key so a "
    "retry never sends twice."
)

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "preview_sms",
        "POST",
        "/sms/preview",
        "SMS",
        "Price and check an SMS without sending anything: recipients kept and rejected, encoding, parts, "
        "credits, balance after, sender approval, and a summary to show the user. Use it before a large "
        "send.",
    ),
    Operation(
        "send_sms", "POST", "/sms", "SMS", "Send one SMS to one phone number (costs credits). " + _SEND
    ),
    Operation(
        "get_message_status",
        "GET",
        "/sms/{message_id}",
        "SMS",
        "What happened to one SMS, by the message_id a send returned: PENDING, SENT, DELIVERED or FAILED "
        "with its meaning ('submitted' only means LeTexto accepted it). Read-only.",
    ),
    Operation(
        "create_sms_campaign",
        "POST",
        "/campaigns/sms",
        "Campaigns",
        "Send one text with {{field}} placeholders to many contacts (costs credits). " + _SEND,
    ),
    Operation(
        "create_email_campaign",
        "POST",
        "/campaigns/email",
        "Campaigns",
        "Send one email (subject and body) to a list of addresses. " + _SEND,
    ),
    Operation(
        "get_campaign_status",
        "GET",
        "/campaigns/{campaign_id}",
        "Campaigns",
        "The status of an SMS campaign (channel=sms, the default) or an email campaign (channel=email), "
        "by the campaign_id its create operation returned. Read-only.",
    ),
    Operation(
        "get_balance",
        "GET",
        "/balance",
        "Account",
        "The credits left on the LeTexto account (one SMS part costs one credit). Read-only; preview_sms "
        "already includes the balance.",
    ),
    Operation(
        "list_senders",
        "GET",
        "/senders",
        "Senders",
        "The sender names (what recipients see as the SMS author) with their status and whether each is "
        "approved; use an approved one as 'sender'. Read-only.",
    ),
    Operation(
        "create_sender",
        "POST",
        "/senders",
        "Senders",
        "Ask LeTexto to register a new sender name (1-11 characters, e.g. 'ACME'). It starts PENDING and "
        "cannot send until LeTexto validates it: check with list_senders. Sends nothing.",
        creates=True,
    ),
)


@cache
def specs_by_name() -> dict[str, ToolSpec]:
    return {spec.name: spec for spec in all_specs()}


def spec_of(operation: Operation) -> ToolSpec:
    return specs_by_name()[operation.tool]


def is_send(spec: ToolSpec) -> bool:
    """Guarded sends answer a `SendResult` (statuses, approval, idempotency)."""
    return spec.output_model is SendResult
