"""The events a webhook carries: their types, the shape of their `data`, and the JSON that is signed.

A payload follows the Standard Webhooks shape, `{"type": ..., "timestamp": ..., "data": {...}}`,
with `timestamp` the moment the event happened (ISO-8601, UTC). Each type has a fixed set of
`data` fields, written below as TypedDicts: a field outside the set is refused, so nothing that
was not meant for a receiver (a key, a token, a phone list) slips into an event by accident. Every
string in the data also passes through the server's redaction before it is queued. Fields named
`*_at` may be given as epoch seconds: they are sent as ISO-8601 strings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, TypedDict

# -- the data of each event type (the documented contract with receivers) ----------------------


class _MessageRequired(TypedDict):
    tenant: str
    message_id: str
    status: str
    """LeTexto's status: SENT, DELIVERED or FAILED (as the delivery report said it)."""
    received_at: str | float
    """When the status was learnt (the delivery report's arrival)."""


class MessageData(_MessageRequired, total=False):
    """`message.sent`, `message.delivered`, `message.failed`: one SMS's new status."""

    custom_data: Any
    """The `custom_data` the send carried, if any, as given."""


class CampaignData(TypedDict):
    """`campaign.status`: a campaign's new status (SCHEDULED, CREATED, SENDING, SENT, ...)."""

    tenant: str
    campaign_id: str
    channel: str
    """`sms` or `email`."""
    status: str


class ApprovalRequestedData(TypedDict):
    """`approval.requested`: a send waits for a person's decision on the approval page."""

    tenant: str
    approval_id: str
    tool: str
    recipients: int
    """How many recipients the send has (never the numbers or addresses themselves)."""
    approval_url: str
    expires_at: str | float


class ApprovalDecidedData(TypedDict):
    """`approval.approved`, `approval.declined`: who decided (a name, never a key) and when."""

    tenant: str
    approval_id: str
    decided_by: str
    decided_at: str | float


class _OutcomeUnknownRequired(TypedDict):
    tenant: str
    tool: str
    recipients: int
    detail: str
    """What happened (a timeout, a dropped connection, a 5xx), already redacted by the guard."""


class OutcomeUnknownData(_OutcomeUnknownRequired, total=False):
    """`send.outcome_unknown`: a send may or may not have left; someone should check before resending."""

    idempotency_key: str | None


class WebhookTestData(TypedDict):
    """`webhook.test`: sent by `letexto-mcp webhooks test` to check a receiver end to end."""

    tenant: str
    message: str


EVENT_SHAPES: dict[str, type[Mapping[str, Any]]] = {
    "message.sent": MessageData,
    "message.delivered": MessageData,
    "message.failed": MessageData,
    "campaign.status": CampaignData,
    "approval.requested": ApprovalRequestedData,
    "approval.approved": ApprovalDecidedData,
    "approval.declined": ApprovalDecidedData,
    "send.outcome_unknown": OutcomeUnknownData,
    "webhook.test": WebhookTestData,
}
EVENT_TYPES: frozenset[str] = frozenset(EVENT_SHAPES)

# Checked at run time: a wrong type here is a bug at the emission point, better caught by its tests.
_INT_FIELDS = frozenset({"recipients"})
_ANY_FIELDS = frozenset({"custom_data"})
_OPTIONAL_STR_FIELDS = frozenset({"idempotency_key"})


def iso_utc(at: float) -> str:
    """Epoch seconds as ISO-8601 in UTC with milliseconds, e.g. `2026-07-28T09:15:00.000Z`."""
    moment = datetime.fromtimestamp(at, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _timestamp(name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"webhook data field {name!r} must be epoch seconds or an ISO-8601 string")
    if isinstance(value, str):
        return value
    if not math.isfinite(value):
        raise ValueError(f"webhook data field {name!r} must be a finite time")
    return iso_utc(float(value))


def _field(name: str, value: object) -> object:
    """One data field, checked against its documented type (and times made ISO-8601)."""
    if name in _ANY_FIELDS:
        return value
    if name.endswith("_at"):
        return _timestamp(name, value)
    if name in _INT_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"webhook data field {name!r} must be a count (an int)")
        return value
    if value is None and name in _OPTIONAL_STR_FIELDS:
        return None
    if not isinstance(value, str):
        raise ValueError(f"webhook data field {name!r} must be a string")
    return value


def event_data(event_type: str, tenant: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` checked against its event type's shape, with `tenant` added; ValueError names the fault."""
    shape = EVENT_SHAPES.get(event_type)
    if shape is None:
        raise ValueError(
            f"unknown webhook event type {event_type!r}; known: {', '.join(sorted(EVENT_TYPES))}"
        )
    if data.get("tenant", tenant) != tenant:
        raise ValueError(f"{event_type} data names another tenant than the event's")
    given = {"tenant": tenant, **data}
    required: frozenset[str] = getattr(shape, "__required_keys__", frozenset())
    optional: frozenset[str] = getattr(shape, "__optional_keys__", frozenset())
    unknown = sorted(set(given) - required - optional)
    if unknown:
        raise ValueError(
            f"{event_type} data has no field {', '.join(map(repr, unknown))} (see webhooks/events.py)"
        )
    missing = sorted(required - set(given))
    if missing:
        raise ValueError(f"{event_type} data lacks {', '.join(map(repr, missing))}")
    return {name: _field(name, value) for name, value in given.items()}


def _cleaned(value: object, clean: Callable[[str], str]) -> object:
    """Every string in a JSON value (keys too) through `clean`."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Mapping):
        return {clean(str(key)): _cleaned(item, clean) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cleaned(item, clean) for item in value]
    return value


def event_payload(
    event_type: str,
    tenant: str,
    data: Mapping[str, Any],
    at: float,
    clean: Callable[[str], str] = lambda text: text,
) -> str:
    """The JSON text that is queued, signed and sent, byte for byte the same on every attempt."""
    body = {
        "type": event_type,
        "timestamp": iso_utc(at),
        "data": _cleaned(event_data(event_type, tenant, data), clean),
    }
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{event_type} data is not JSON: {error}") from None
