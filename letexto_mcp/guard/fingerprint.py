"""One stable hash per exact send request: what confirmation tokens and duplicate checks are bound to.

The hash covers canonical JSON of the normalised request: keys sorted, text in NFC (so a
composed "é" and "e" + combining accent are one request), integral numbers as integers (1 and
1.0 are one request), sets sorted, aware datetimes in UTC. Any real difference — one recipient,
one character, the sender, the send time — gives another fingerprint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import unicodedata
from collections.abc import Mapping, Set
from decimal import Decimal
from typing import Any

FINGERPRINT_VERSION = "letexto-mcp/request/v1"


def _number(value: float | Decimal) -> int | float:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"a request cannot hold the number {value}")
        return int(value) if value == value.to_integral_value() else float(value)
    if not math.isfinite(value):
        raise ValueError(f"a request cannot hold the number {value}")
    return int(value) if value.is_integer() else value


def canonical(value: Any) -> Any:
    """The JSON-ready canonical form of a request value; refuses what JSON cannot say exactly."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        return _number(value)
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"request keys must be text, got {type(key).__name__}")
            name = unicodedata.normalize("NFC", key)
            if name in out:
                raise ValueError(f"request key {name!r} appears twice once normalised")
            out[name] = canonical(item)
        return out
    if isinstance(value, Set):
        items = [canonical(item) for item in value]
        return sorted(items, key=lambda item: _dumps(item))
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    raise TypeError(f"a request cannot hold a {type(value).__name__}")


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def request_fingerprint(tool: str, request: Mapping[str, Any]) -> str:
    """sha256 (hex) of the tool name and the canonical request."""
    document = {"v": FINGERPRINT_VERSION, "tool": canonical(tool), "request": canonical(request)}
    return hashlib.sha256(_dumps(document).encode("utf-8")).hexdigest()


class MessageSetDigest:
    """A digest of *what reaches whom*: the set of (recipient, text) pairs, in any order.

    Two sends deliver the same messages when they put the same texts on the same phones, whatever
    order the recipients came in and whichever tool sent them (`send_sms`, or a one-contact
    campaign whose template renders to that text). The digest is a sum of per-pair hashes, so it
    needs no sorting and no memory for a 100,000-contact campaign.
    """

    _MODULUS = 1 << 128

    def __init__(self) -> None:
        self._sum = 0
        self._count = 0

    def add(self, recipient: str, text: str) -> None:
        """Count one message to one recipient (texts in NFC, so composed and decomposed accents agree)."""
        pair = recipient + "\0" + unicodedata.normalize("NFC", text)
        digest = hashlib.blake2b(pair.encode("utf-8"), digest_size=16).digest()
        self._sum = (self._sum + int.from_bytes(digest, "big")) % self._MODULUS
        self._count += 1

    def hexdigest(self) -> str:
        return f"{self._count}:{self._sum:032x}"


def meaning_fingerprint(channel: str, envelope: Mapping[str, Any], messages: MessageSetDigest) -> str:
    """The duplicate-window identity of a send: channel, envelope (sender, schedule…) and messages."""
    return request_fingerprint(f"meaning:{channel}", {"envelope": envelope, "messages": messages.hexdigest()})
