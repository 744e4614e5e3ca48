"""What each tool accepts. These models are the tools' `inputSchema` and their validation."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from letexto_mcp.schemas.common import (
    AllowDuplicate,
    ConfirmationToken,
    Contact,
    ContactsCsv,
    IdempotencyKey,
    PhoneText,
    SendAt,
    SenderName,
    SmsContent,
    ToolInput,
    visible,
)

MAX_CONTACTS = 100_000
MAX_PREVIEW_NUMBERS = 10_000
MAX_EMAIL_RECIPIENTS = 10_000

Label = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100),
    Field(
        description="A name for the campaign, for your own records (1–100 characters).",
        examples=["Rappel RDV"],
    ),
]
Email = Annotated[
    str,
    StringConstraints(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    Field(examples=["contact@example.ci"]),
]
ContactList = Annotated[
    list[Contact],
    Field(min_length=1, max_length=MAX_CONTACTS, description="Recipients with their {{field}} values."),
]


def _one_source(
    contacts: object | None, contacts_csv: object | None, to: object | None = None, *, with_to: bool
) -> None:
    given = [
        name for name, value in (("to", to), ("contacts", contacts), ("contacts_csv", contacts_csv)) if value
    ]
    allowed = "'to', 'contacts' or 'contacts_csv'" if with_to else "'contacts' or 'contacts_csv'"
    if len(given) > 1:
        raise ValueError(f"give only one of {allowed}, not {' and '.join(given)}")
    if not given:
        raise ValueError(f"recipients are missing: give {allowed}")


class SendSmsInput(ToolInput):
    to: PhoneText
    content: SmsContent
    sender: SenderName | None = None
    send_at: SendAt | None = None
    custom_data: (
        Annotated[
            str,
            StringConstraints(max_length=1000),
            Field(
                description="Your own reference, returned with the delivery report (at most 1,000 "
                "characters)."
            ),
        ]
        | None
    ) = None
    idempotency_key: IdempotencyKey | None = None
    confirmation_token: ConfirmationToken | None = None
    allow_duplicate: AllowDuplicate = False


class CreateSmsCampaignInput(ToolInput):
    label: Label
    content: SmsContent
    contacts: ContactList | None = None
    contacts_csv: ContactsCsv | None = None
    sender: SenderName | None = None
    send_at: SendAt | None = None
    idempotency_key: IdempotencyKey | None = None
    confirmation_token: ConfirmationToken | None = None
    allow_duplicate: AllowDuplicate = False

    @model_validator(mode="after")
    def _recipients(self) -> CreateSmsCampaignInput:
        _one_source(self.contacts, self.contacts_csv, with_to=False)
        return self


class CreateEmailCampaignInput(ToolInput):
    label: Label
    from_email: Annotated[Email, Field(description="The sender address the email comes from.")]
    recipients: Annotated[
        list[Email],
        Field(
            min_length=1,
            max_length=MAX_EMAIL_RECIPIENTS,
            description="Recipient addresses; duplicates merged.",
        ),
    ]
    subject: Annotated[
        str,
        StringConstraints(min_length=1, max_length=200),
        AfterValidator(visible("write a subject")),
        Field(description="Email subject."),
    ]
    content: Annotated[
        str,
        StringConstraints(min_length=1, max_length=500_000),
        AfterValidator(visible("write the email body")),
        Field(description="Email body (HTML or plain text)."),
    ]
    idempotency_key: IdempotencyKey | None = None
    confirmation_token: ConfirmationToken | None = None
    allow_duplicate: AllowDuplicate = False


class PreviewSmsInput(ToolInput):
    content: SmsContent
    to: (
        Annotated[
            PhoneText | Annotated[list[PhoneText], Field(min_length=1, max_length=MAX_PREVIEW_NUMBERS)],
            Field(description="One number, or a list of numbers, as people write them."),
        ]
        | None
    ) = None
    contacts: ContactList | None = None
    contacts_csv: ContactsCsv | None = None
    sender: SenderName | None = None

    @model_validator(mode="after")
    def _recipients(self) -> PreviewSmsInput:
        _one_source(self.contacts, self.contacts_csv, self.to, with_to=True)
        return self


Identifier = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_\-]+$")]


class GetMessageStatusInput(ToolInput):
    message_id: Annotated[Identifier, Field(description="The id returned by send_sms.")]


class GetCampaignStatusInput(ToolInput):
    campaign_id: Annotated[
        Identifier, Field(description="The id returned by create_sms_campaign or create_email_campaign.")
    ]
    channel: Annotated[
        Literal["sms", "email"], Field(description="'sms' (default) or 'email': which kind of campaign.")
    ] = "sms"


class GetBalanceInput(ToolInput):
    pass


class ListSendersInput(ToolInput):
    query: (
        Annotated[
            str,
            StringConstraints(max_length=50),
            Field(description="Only senders whose name contains this text."),
        ]
        | None
    ) = None
    status: (
        Annotated[
            str,
            StringConstraints(max_length=30, pattern=r"^[A-Za-z_]+$"),
            Field(description="Only senders in this LeTexto status, e.g. 'PENDING' or 'ACTIVE'."),
        ]
        | None
    ) = None
    all_accounts: Annotated[
        bool, Field(description="Include the senders of your sub-accounts (LeTexto 'allAccounts').")
    ] = False


class CreateSenderInput(ToolInput):
    name: Annotated[
        str,
        StringConstraints(min_length=1, max_length=11, pattern=r"^[A-Za-z0-9][A-Za-z0-9 .&'_-]{0,10}$"),
        Field(
            description="The sender name recipients will see: 1–11 characters, letters, digits, spaces "
            "and . & ' _ -, starting with a letter or digit.",
            examples=["ACME"],
        ),
    ]
