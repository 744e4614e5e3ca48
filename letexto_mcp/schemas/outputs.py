"""What each tool returns: the `outputSchema` and `structuredContent` of its results."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from letexto_mcp.schemas.common import ToolOutput
from letexto_mcp.states import SendStatus


class BalanceResult(ToolOutput):
    balance: Annotated[
        float, Field(description="Credits left on the LeTexto account; one SMS part costs one credit.")
    ]
    unit: Annotated[
        str, Field(description="What the balance counts, as LeTexto reports it (credits = SMS parts).")
    ]
    low: Annotated[bool, Field(description="True when fewer than 50 credits are left.")]


class MessageStatusResult(ToolOutput):
    message_id: str
    status: Annotated[
        str, Field(description="LeTexto's status: PENDING, SENT, DELIVERED or FAILED (or another).")
    ]
    meaning: Annotated[str, Field(description="What the status means for the recipient, in a sentence.")]
    final: Annotated[bool, Field(description="True when the status will not change any more.")]
    source: Annotated[
        Literal["letexto", "delivery_report"],
        Field(
            description="Where the status came from: asking LeTexto, or a delivery report it pushed to us."
        ),
    ] = "letexto"
    to: str | None = None
    sender: str | None = None
    part_count: int | None = None
    updated_at: str | None = None


class CampaignStatusResult(ToolOutput):
    campaign_id: str
    channel: Literal["sms", "email"]
    status: str
    meaning: str
    final: bool
    label: str | None = None
    sender: str | None = None


class SenderInfo(ToolOutput):
    name: str
    status: Annotated[str, Field(description="LeTexto's status of the sender, e.g. PENDING or ACTIVE.")]
    approved: Annotated[bool, Field(description="True when this sender can be used to send now.")]
    id: str | None = None


class SendersResult(ToolOutput):
    senders: list[SenderInfo]
    count: int
    usable: Annotated[list[str], Field(description="Names of the approved senders, usable in 'sender'.")]
    default_sender: Annotated[str | None, Field(description="The sender used when a send names none.")] = None


class CreateSenderResult(ToolOutput):
    sender: SenderInfo
    next_step: Annotated[str, Field(description="What must happen before this sender can send.")]


class RejectedRecipient(ToolOutput):
    row: Annotated[int, Field(description="1-based position in the list, or the CSV line number.")]
    value: str
    reason: str


class NonGsmCharacter(ToolOutput):
    position: Annotated[int, Field(description="0-based position in the text.")]
    character: str
    code_point: Annotated[str, Field(description="U+XXXX")]


class TextAnalysis(ToolOutput):
    encoding: Annotated[Literal["GSM-7", "UCS-2"], Field(description="How the SMS travels.")]
    parts: Annotated[int, Field(description="SMS parts this message costs (each part is billed).")]
    characters: int
    per_part: Annotated[
        int, Field(description="Characters (septets or UTF-16 units) per part for this message.")
    ]
    remaining_in_last_part: int
    non_gsm_characters: Annotated[
        list[NonGsmCharacter], Field(description="The characters that forced UCS-2 (at most 50 shown).")
    ]
    gsm7_rewrite: Annotated[
        str | None, Field(description="A GSM-7 version of the text (ê→e, ’→'…), when it would be cheaper.")
    ] = None
    gsm7_rewrite_parts: int | None = None


class RenderedSample(ToolOutput):
    to: str
    text: str
    parts: int
    encoding: Literal["GSM-7", "UCS-2"]


class RecipientsSummary(ToolOutput):
    count: Annotated[int, Field(description="Valid, unique recipients that would receive the message.")]
    sample: Annotated[
        list[str], Field(description="The first recipients, in LeTexto's form (e.g. 2250707123456).")
    ]
    rejected: Annotated[list[RejectedRecipient], Field(description="Rejected entries (at most 50 shown).")]
    rejected_count: int
    duplicates_merged: int
    warnings: list[str] = Field(default_factory=list)


class CostSummary(ToolOutput):
    messages: int
    total_parts: int
    credits: Annotated[float, Field(description="Credits the send would use (one per part).")]
    parts_distribution: Annotated[dict[str, int], Field(description="parts -> number of messages")]
    max_parts_per_message: int
    balance: Annotated[
        float | None, Field(description="Current balance, or null when it could not be read.")
    ] = None
    balance_after: float | None = None
    sufficient: bool | None = None


class SenderCheck(ToolOutput):
    name: str | None
    approved: Annotated[bool | None, Field(description="null when it could not be checked.")] = None
    usable: list[str] = Field(default_factory=list)
    note: str | None = None


class PreviewResult(ToolOutput):
    recipients: RecipientsSummary
    text: Annotated[
        TextAnalysis, Field(description="The template text as written (before {{field}} rendering).")
    ]
    cost: CostSummary
    sender: SenderCheck
    samples: Annotated[list[RenderedSample], Field(description="The first messages as they will arrive.")]
    missing_fields: Annotated[
        list[RejectedRecipient],
        Field(
            description="Contacts left out: a {{field}} the text uses has no value, or their message "
            "would have no visible text."
        ),
    ] = Field(default_factory=list)
    ready: Annotated[bool, Field(description="True when nothing blocks the send.")]
    blockers: Annotated[list[str], Field(description="What must be fixed before sending.")] = Field(
        default_factory=list
    )
    warnings: Annotated[
        list[str],
        Field(description="What could not be checked and why (e.g. LeTexto unreachable: balance unknown)."),
    ] = Field(default_factory=list)
    summary: Annotated[str, Field(description="One paragraph to show the user before they approve.")]


class Refusal(ToolOutput):
    cap: str
    figure: float | int | None = None
    limit: float | int | None = None
    setting: str | None = None


class SendResult(ToolOutput):
    status: Annotated[
        SendStatus,
        Field(
            description=(
                "submitted/scheduled: accepted by LeTexto (not yet delivered). "
                "confirmation_required: show 'preview' "
                "to the user and, if they approve, repeat the same call with 'confirmation_token'. "
                "approval_pending: a person has not decided yet, nothing sent; ask again later. "
                "declined: the "
                "user said no, nothing sent. dry_run: nothing sent (server policy). duplicate: "
                "already sent, the "
                "first result is returned. refused: a safety cap or check stopped it, see 'refusal'. "
                "outcome_unknown: LeTexto may or may not have sent it; check before retrying. "
                "failed: LeTexto "
                "rejected it, nothing sent."
            )
        ),
    ]
    message: Annotated[str, Field(description="What happened and what to do next, in a sentence or two.")]
    message_id: str | None = None
    campaign_id: str | None = None
    recipients: int | None = None
    rejected: int | None = None
    duplicates_merged: int | None = None
    parts: int | None = None
    credits: float | None = None
    scheduled_for: str | None = None
    confirmation_token: str | None = None
    confirmation_expires_in: int | None = None
    approval_url: Annotated[
        str | None,
        Field(
            description="Where a person approves this send (policy approve): show it to the user; once "
            "approved there, repeat the same call with 'confirmation_token'."
        ),
    ] = None
    preview: PreviewResult | EmailPreview | None = None
    refusal: Refusal | None = None
    idempotency_key: str | None = None


class EmailPreview(ToolOutput):
    recipients: RecipientsSummary
    from_email: str
    subject: str
    content_characters: int
    summary: str


SendResult.model_rebuild()
