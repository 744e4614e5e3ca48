"""Field types shared by the tool inputs: what an assistant or an automation platform may send.

Automation platforms (n8n, Make, Zapier) fill optional fields they do not use with `""`, so an
empty or blank optional value means "not given". Unknown extra arguments (n8n's `toolCallId`)
are ignored, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from letexto_mcp.sms.visible import blank_reason

SENDER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 .&'_-]{0,10}$"

PhoneText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    Field(
        description=(
            "A phone number as a person writes it: '07 07 12 34 56', '0707123456', '+225 07 07 12 34 56', "
            "'2250707123456'. Ivorian numbers have 10 digits (01 Moov, 05 MTN, 07 Orange). Other countries: "
            "write '+' and the country code, e.g. '+33 6 12 34 56 78'."
        ),
        examples=["07 07 12 34 56", "+2250505123456"],
    ),
]


def _no_control_characters(text: str) -> str:
    """Phones cannot show C0/C1 control characters (tab and line breaks aside); refuse them by name."""
    for position, char in enumerate(text):
        code = ord(char)
        if (code < 0x20 and char not in "\n\r\t") or 0x7F <= code <= 0x9F:
            raise ValueError(
                f"contains the control character U+{code:04X} at position {position}, which phones cannot "
                "display: remove it"
            )
    return text


def visible(what_to_do: str) -> Callable[[str], str]:
    """A validator refusing text that would arrive blank (spaces, zero-width characters, a BOM…).

    The error names the kind of characters and the fix, never the text: `format_validation_error`
    prefixes the field, giving "content: has no visible text, …: write the message".
    """

    def check(text: str) -> str:
        reason = blank_reason(text)
        if reason is not None:
            raise ValueError(f"{reason}: {what_to_do}")
        return text

    return check


SmsContent = Annotated[
    str,
    StringConstraints(min_length=1, max_length=5000),
    AfterValidator(_no_control_characters),
    AfterValidator(visible("write the message")),
    Field(
        description=(
            "The SMS text. Plain GSM-7 text (é è à ù are fine) costs 1 part per 160 characters (153 when "
            "split); one character such as ê ç ’ or an emoji switches the whole text to UCS-2: 70 characters "
            "per part (67 when split). Campaign texts may use {{field}} placeholders."
        ),
        examples=["Bonjour Awa, la réunion est à 15h."],
    ),
]
SenderName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=11, pattern=SENDER_PATTERN),
    Field(
        description="A sender name approved by LeTexto (1–11 characters, e.g. 'SMS INFO'); "
        "omitted: the configured default sender.",
        examples=["SMS INFO"],
    ),
]
IdempotencyKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$"),
    Field(
        description=(
            "Your own unique id for this send (letters, digits, . _ : -). Repeating a call with the same key "
            "returns the first result instead of sending again, even after a restart (keys are kept "
            "LETEXTO_STATE_RETENTION_DAYS, 90 days by default)."
        ),
        examples=["reminder-2026-11-26-awa"],
    ),
]
ConfirmationToken = Annotated[
    str,
    StringConstraints(min_length=1, max_length=1024),
    Field(
        description=(
            "The token returned by a previous call with status 'confirmation_required'. Pass it only "
            "after the "
            "user has seen that preview and approved it; the other arguments must be exactly the same."
        )
    ),
]
SendAt = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40),
    Field(
        description=(
            "Schedule the send: an ISO-8601 date-time with a time zone, e.g. '2026-12-01T09:00:00Z' or "
            "'2026-12-01T09:00:00+00:00' (Abidjan is UTC+0). Omitted: send now."
        ),
        examples=["2026-12-01T09:00:00Z"],
    ),
]
AllowDuplicate = Annotated[
    bool,
    Field(
        description=(
            "Set true only when the user really wants to send again a message identical to one sent "
            "in the last "
            "minutes, or to resend after an 'outcome_unknown' they have checked. Default false."
        ),
    ),
]
ContactValue = str | int | float | bool | None
Contact = Annotated[
    dict[str, Any],
    Field(
        description=(
            "One recipient: 'phone' (or 'numero') plus any text fields used as {{field}} in the content, "
            'e.g. {"phone": "0707123456", "name": "Awa"}.'
        ),
        examples=[{"phone": "0707123456", "name": "Awa"}],
    ),
]
ContactsCsv = Annotated[
    str,
    StringConstraints(min_length=1, max_length=20_000_000),
    Field(
        description=(
            "Contacts as CSV text with a header row: a phone column ('phone', 'numero', 'telephone', "
            "…) and any "
            "fields used as {{field}}. ',' or ';' separated."
        ),
        examples=["phone;name\n0707123456;Awa\n0505123456;Koffi"],
    ),
]


class ToolInput(BaseModel):
    """Base of every tool input: unknown extras ignored, empty optional strings read as 'not given'.

    `defer_build`: validators are built on a model's first use, not at import: a desktop client
    starts the server at every launch and lists the tools long before it calls one.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_optionals_are_unset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cleaned = dict(data)
        for name, field in cls.model_fields.items():
            key = name if name in cleaned else (field.alias if field.alias in cleaned else None)
            if key is None or field.is_required():
                continue
            value = cleaned[key]
            if value is None or (isinstance(value, str) and not value.strip()):
                del cleaned[key]
        return cleaned


class ToolOutput(BaseModel):
    """Base of every tool output (validators built on first use, as for inputs)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
