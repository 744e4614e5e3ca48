"""What LeTexto answers, as typed models parsed leniently.

Only the send and campaign bodies are documented (letexto-api.md, "Responses"); the rest are
guesses. So each model accepts the spellings seen or likely (`status`/`statut`, `partCount`/
`part_count`), a body either as a top-level object or wrapped under `data`, ignores unknown keys,
and keeps the payload as received in `raw`. A body that fits no shape raises `PayloadShapeError`
(the client turns it into `UnexpectedResponseError`, with an excerpt of the body).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    computed_field,
)

__all__ = [
    "APPROVED_SENDER_STATUSES",
    "SENDER_LIST_EXPECTED",
    "Balance",
    "CampaignStatus",
    "EmailCampaign",
    "LetextoModel",
    "MessageStatus",
    "PayloadShapeError",
    "SendResult",
    "Sender",
    "SmsCampaign",
    "parse_senders",
]

APPROVED_SENDER_STATUSES = frozenset({"ACTIVE", "VALIDATED", "APPROVED", "ENABLED", "VALID"})
"""Sender statuses that mean "LeTexto approved it, it can send" (compared case-insensitively).

The vendor documents only `PENDING` for a new sender and `VALIDATING` as a filter example;
anything outside this set (PENDING, VALIDATING, REJECTED, ...) is treated as not yet usable.
"""

SENDER_LIST_EXPECTED = 'a JSON list of senders, or an object with the list under "data", "items" or "senders"'

_M = TypeVar("_M", bound="LetextoModel")
_B = TypeVar("_B", bound="Balance")  # Balance builds itself from its own fields, not LetextoModel's

_WRAPPER_KEYS = ("data", "result")
_LIST_KEYS = ("data", "items", "senders", "results")
_BALANCE_KEYS = ("balance", "solde", "credits", "credit", "amount")
_UNIT_KEYS = ("unit", "currency", "devise", "currencyCode")


class PayloadShapeError(ValueError):
    """A JSON body fits none of the shapes the client accepts; `expected` says what was wanted."""

    def __init__(self, expected: str) -> None:
        super().__init__(f"expected {expected}")
        self.expected = expected


# --- lenient scalars -------------------------------------------------------------------------


def _as_number(value: object) -> float | None:
    """A finite number from a JSON number or a numeric string ("1500", "1 500,5"); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").replace("_", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _optional_int(value: object) -> int | None:
    number = _as_number(value)
    if number is None or not number.is_integer():
        return None
    return int(number)


def _optional_str(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _required_str(value: object) -> str:
    text = _optional_str(value)
    if text is None or not text.strip():
        raise ValueError("a non-empty string or number is required")
    return text


_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)


def _optional_datetime(value: object) -> datetime | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return _DATETIME.validate_python(value)
    except ValidationError:
        return None


OptInt = Annotated[int | None, BeforeValidator(_optional_int)]
OptStr = Annotated[str | None, BeforeValidator(_optional_str)]
ReqStr = Annotated[str, BeforeValidator(_required_str)]
OptDatetime = Annotated[datetime | None, BeforeValidator(_optional_datetime)]


def _alias(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))


def _required_alias(*names: str) -> Any:
    return Field(validation_alias=AliasChoices(*names))


# --- models ----------------------------------------------------------------------------------


class LetextoModel(BaseModel):
    """Base of the response models: lenient, immutable, and keeping the payload in `raw`."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    raw: dict[str, Any] = Field(default_factory=dict, repr=False)
    """The JSON object as LeTexto sent it (a bare value is kept as `{"value": ...}`)."""

    expected: ClassVar[str] = "a JSON object"
    wrapper_keys: ClassVar[tuple[str, ...]] = _WRAPPER_KEYS

    @classmethod
    def from_payload(cls: type[_M], payload: object, *, id_hint: str | None = None) -> _M:
        """Parse a decoded JSON body: the object itself, or the same object under `data`; else raise."""
        raw = _raw(payload)
        for candidate in _candidates(payload, cls.wrapper_keys):
            fields = {key: value for key, value in candidate.items() if key != "raw"}
            try:
                model = cls.model_validate({**fields, "raw": raw})
            except ValidationError:
                continue
            if id_hint is not None and "id" in cls.model_fields and getattr(model, "id", None) is None:
                model = model.model_copy(update={"id": id_hint})
            return model
        raise PayloadShapeError(cls.expected)


class SendResult(LetextoModel):
    """A single SMS accepted by LeTexto: `{"status": "submitted", "id": ..., "partCount": 4}`."""

    expected: ClassVar[str] = 'a JSON object with the message "id" (and "status", "partCount")'

    id: ReqStr = _required_alias("id", "messageId", "message_id", "_id")
    status: OptStr = _alias("status", "statut")
    part_count: OptInt = _alias("partCount", "part_count", "parts")


class SmsCampaign(LetextoModel):
    """An SMS campaign as created: label, sender, contact and part counts, status (`statut`)."""

    expected: ClassVar[str] = 'a JSON object with the campaign "id" (and "statut"/"status", "contactCount")'
    wrapper_keys: ClassVar[tuple[str, ...]] = (*_WRAPPER_KEYS, "campaign")

    id: ReqStr = _required_alias("id", "campaignId", "campaign_id", "_id")
    label: OptStr = _alias("label", "name")
    sender: OptStr = _alias("sender", "from")
    contact_count: OptInt = _alias("contactCount", "contactsCount", "contact_count")
    status: OptStr = _alias("status", "statut")
    part_count: OptInt = _alias("partCount", "part_count", "parts")


class EmailCampaign(LetextoModel):
    """An email campaign as created: label, subject, sender address, recipient count, status."""

    expected: ClassVar[str] = 'a JSON object with the campaign "id" (and "status", "recipientsCount")'
    wrapper_keys: ClassVar[tuple[str, ...]] = (*_WRAPPER_KEYS, "campaign")

    id: ReqStr = _required_alias("id", "campaignId", "campaign_id", "_id")
    label: OptStr = _alias("label", "name")
    subject: OptStr = _alias("subject")
    from_email: OptStr = _alias("from", "fromEmail", "from_email")
    recipients_count: OptInt = _alias("recipientsCount", "recipientCount", "recipients_count")
    status: OptStr = _alias("status", "statut")


class CampaignStatus(LetextoModel):
    """Where a campaign stands: `{"status": "SENT", "sender", "id", "label"}`."""

    expected: ClassVar[str] = 'a JSON object with the campaign "status" (or "statut")'

    id: OptStr = _alias("id", "campaignId", "campaign_id", "_id")
    status: ReqStr = _required_alias("status", "statut", "statuts")
    label: OptStr = _alias("label", "name")
    sender: OptStr = _alias("sender", "from")


class Sender(LetextoModel):
    """A sender name on the account and whether LeTexto has approved it for sending."""

    expected: ClassVar[str] = 'a JSON object with the sender "name"'
    wrapper_keys: ClassVar[tuple[str, ...]] = (*_WRAPPER_KEYS, "sender")

    id: OptStr = _alias("id", "senderId", "sender_id", "_id")
    name: ReqStr = _required_alias("name", "senderName", "sender_name", "sender", "label")
    status: OptStr = _alias("status", "statut", "state")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def is_approved(self) -> bool:
        """True when `status` is one of APPROVED_SENDER_STATUSES (case-insensitive)."""
        return self.status is not None and self.status.strip().upper() in APPROVED_SENDER_STATUSES


class Balance(LetextoModel):
    """The account balance; `unit` is the currency or unit LeTexto named, if it named one."""

    expected: ClassVar[str] = (
        'a number, or a JSON object with a number under "balance", "solde", "credits", "credit" '
        'or "amount" (top-level or under "data")'
    )

    balance: float
    unit: OptStr = _alias("unit", "currency", "devise", "currencyCode")

    @classmethod
    def from_payload(cls: type[_B], payload: object, *, id_hint: str | None = None) -> _B:
        """Find the balance: a bare number, or one under a known key, top-level or under `data`."""
        raw = _raw(payload)
        found = _find_balance(payload, depth=3)
        if found is None:
            raise PayloadShapeError(cls.expected)
        number, holder = found
        unit = next((_optional_str(holder[key]) for key in _UNIT_KEYS if key in holder), None)
        if unit is None and isinstance(payload, Mapping):
            unit = next((_optional_str(payload[key]) for key in _UNIT_KEYS if key in payload), None)
        return cls(balance=number, unit=unit, raw=raw)


class MessageStatus(LetextoModel):
    """Where one SMS stands: PENDING, SENT, DELIVERED or FAILED (as LeTexto words it)."""

    expected: ClassVar[str] = 'a JSON object with the message "status" (or "statut")'

    id: OptStr = _alias("id", "messageId", "message_id", "_id")
    status: ReqStr = _required_alias("status", "statut", "statuts", "state")
    part_count: OptInt = _alias("partCount", "part_count", "parts")
    to: OptStr = _alias("to", "recipient", "numero", "phone")
    sender: OptStr = _alias("sender", "from")
    updated_at: OptDatetime = _alias("updatedAt", "updated_at", "statusUpdatedAt", "deliveredAt")


def parse_senders(payload: object) -> list[Sender]:
    """A sender list: a bare list, or one under `data`, `items`, `senders` (or `results`).

    An item may be an object or just a name.
    """
    items = _find_list(payload, depth=2)
    if items is None:
        raise PayloadShapeError(SENDER_LIST_EXPECTED)
    senders: list[Sender] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            senders.append(Sender(name=item, raw={"name": item}))
        else:
            senders.append(Sender.from_payload(item))
    return senders


# --- shape helpers ---------------------------------------------------------------------------


def _raw(payload: object) -> dict[str, Any]:
    if isinstance(payload, Mapping):
        return dict(payload)
    return {"value": payload}


def _candidates(payload: object, wrapper_keys: tuple[str, ...]) -> list[Mapping[str, Any]]:
    """Each object found under a wrapper key, then the payload itself.

    The wrapped object comes first so that an envelope such as `{"status": "success",
    "data": {"status": "SENT", ...}}` yields the inner status, not the envelope's.
    """
    if not isinstance(payload, Mapping):
        return []
    found: list[Mapping[str, Any]] = [
        payload[key] for key in wrapper_keys if isinstance(payload.get(key), Mapping)
    ]
    return [*found, payload]


def _find_list(payload: object, depth: int) -> list[Any] | None:
    if isinstance(payload, list):
        return payload
    if depth <= 0 or not isinstance(payload, Mapping):
        return None
    for key in _LIST_KEYS:
        if key in payload:
            found = _find_list(payload[key], depth - 1)
            if found is not None:
                return found
    return None


def _find_balance(payload: object, depth: int) -> tuple[float, Mapping[str, Any]] | None:
    """(number, the object that held it); a bare number is held by an empty object."""
    if not isinstance(payload, Mapping):
        number = _as_number(payload)
        return (number, {}) if number is not None else None
    if depth <= 0:
        return None
    for key in _BALANCE_KEYS:
        if key not in payload:
            continue
        value = payload[key]
        number = _as_number(value)
        if number is not None:
            return number, payload
        if isinstance(value, Mapping):
            nested = _find_balance(value, depth - 1)
            if nested is not None:
                return nested[0], nested[1] or value
    for key in _WRAPPER_KEYS:
        if isinstance(payload.get(key), (Mapping, int, float, str)):
            nested = _find_balance(payload[key], depth - 1)
            if nested is not None:
                return nested[0], nested[1] or payload
    return None
