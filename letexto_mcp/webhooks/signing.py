"""Standard Webhooks signatures: the `whsec_` secret, and the three headers every attempt carries.

Signing is the `standardwebhooks` package's own (`Webhook.sign`), so a receiver verifying with
that package, Svix's libraries or any Standard Webhooks implementation agrees with us byte for
byte. `webhook-timestamp` is the time of the attempt (receivers refuse stale ones), `webhook-id`
the event's id, the same on every retry so a receiver can drop a repeat.
"""

from __future__ import annotations

import base64
import binascii
import math
from datetime import datetime, timezone

from pydantic import SecretStr

SECRET_PREFIX = "whsec_"
SETTING = "LETEXTO_WEBHOOK_SECRET"
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64
_HOW = (
    f"{SETTING} must be '{SECRET_PREFIX}' followed by the base64 of {MIN_SECRET_BYTES} to "
    f"{MAX_SECRET_BYTES} random bytes (Standard Webhooks); make one with "
    "python -c \"import base64,os; print('whsec_' + base64.b64encode(os.urandom(32)).decode())\""
)


def secret_bytes(text: str) -> bytes:
    """The key inside a `whsec_…` secret; ValueError (never echoing the secret) when malformed."""
    if not text.startswith(SECRET_PREFIX):
        raise ValueError(_HOW)
    encoded = text[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(_HOW) from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise ValueError(f"{_HOW}; this one holds {len(key)} bytes")
    return key


class Signer:
    """Makes the Standard Webhooks headers of one attempt."""

    def __init__(self, secret: SecretStr) -> None:
        from standardwebhooks import Webhook

        self._webhook = Webhook(secret_bytes(secret.get_secret_value()))

    def __repr__(self) -> str:
        return "Signer(secret=***)"

    def headers(self, event_id: str, at: float, body: str) -> dict[str, str]:
        """`webhook-id`, `webhook-timestamp` (whole seconds of `at`) and `webhook-signature` (`v1,…`)."""
        moment = datetime.fromtimestamp(math.floor(at), tz=timezone.utc)
        return {
            "webhook-id": event_id,
            "webhook-timestamp": str(math.floor(at)),
            "webhook-signature": self._webhook.sign(event_id, moment, body),
        }
