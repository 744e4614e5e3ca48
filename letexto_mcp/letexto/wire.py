"""The exact forms LeTexto expects on the wire: timestamps, path ids, campaign contacts, bodies.

Pure functions, so the request shapes can be read (and tested) apart from the HTTP plumbing.
See letexto-api.md: `sendAt` for one SMS but `sentAt` for a campaign, ISO-8601 UTC with
milliseconds; contacts carry their number under `numero`; absent optional fields are omitted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

__all__ = [
    "API_PREFIX",
    "campaign_contacts",
    "format_datetime",
    "path_segment",
    "without_absent",
]

API_PREFIX = "/v1"

PHONE_KEY = "numero"
PHONE_ALIASES = ("phone",)


def format_datetime(value: datetime, *, field: str = "send_at") -> str:
    """`2026-02-13T21:40:00.000Z`: an aware datetime converted to UTC, to the millisecond.

    A naive datetime is refused: read as local time or as UTC, it would schedule a send at
    an hour nobody chose.
    """
    if not isinstance(value, datetime):
        raise TypeError(f"{field} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{field} must be timezone-aware (a naive datetime is ambiguous); "
            "give e.g. datetime(2026, 2, 13, 21, 40, tzinfo=timezone.utc)"
        )
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def path_segment(value: str, *, field: str = "id") -> str:
    """`value` percent-encoded as one path segment, so it cannot reach another endpoint.

    Slashes, `?`, `#` and `%` are encoded, and `.`/`..` (which URL normalisation would
    resolve against the path) have their dots encoded too.
    """
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a string, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{field} must not be empty")
    encoded = quote(value, safe="")
    if encoded in {".", ".."}:
        encoded = encoded.replace(".", "%2E")
    return encoded


def without_absent(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields whose value is given: `None` (and an empty optional string) are left out."""
    return {key: value for key, value in fields.items() if value is not None and value != ""}


def campaign_contacts(contacts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Contacts as LeTexto wants them: the number under `numero` (a `phone` key is renamed).

    Every other key is a custom field for `{{field}}` placeholders and is kept as given.
    """
    if isinstance(contacts, (str, bytes)) or not isinstance(contacts, Sequence):
        raise TypeError("contacts must be a list of objects such as {'numero': '2250707123456'}")
    wire: list[dict[str, Any]] = []
    for index, contact in enumerate(contacts):
        if not isinstance(contact, Mapping):
            raise TypeError(f"contact #{index + 1} must be an object such as {{'numero': '2250707123456'}}")
        item = dict(contact)
        for alias in PHONE_ALIASES:
            if alias not in item:
                continue
            alias_value = item.pop(alias)
            if PHONE_KEY in item and str(item[PHONE_KEY]) != str(alias_value):
                raise ValueError(
                    f"contact #{index + 1} has two different numbers under '{PHONE_KEY}' and '{alias}'; "
                    "give one"
                )
            item.setdefault(PHONE_KEY, alias_value)
        number = item.get(PHONE_KEY)
        if number is None or not str(number).strip():
            raise ValueError(f"contact #{index + 1} has no number: give it '{PHONE_KEY}' (or 'phone')")
        wire.append({PHONE_KEY: str(number), **{k: v for k, v in item.items() if k != PHONE_KEY}})
    return wire
