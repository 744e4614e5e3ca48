"""Keep the API key out of every text the client produces: messages, log lines, URLs.

LeTexto takes the key in a query string on its read endpoints (`?token=`), so a URL printed
anywhere would leak it. Everything the client writes passes through these functions first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    import httpx

__all__ = [
    "MASK",
    "RedactingFilter",
    "active_secret_count",
    "excerpt",
    "install_log_redaction",
    "redact",
    "redact_url",
    "register_secret",
    "release_secret",
]

MASK = "***"

_SECRET_QUERY_KEYS = ("token", "api_key", "apikey", "access_token", "key")
_QUERY_SECRET = re.compile(
    r"(?P<head>[?&;](?:" + "|".join(_SECRET_QUERY_KEYS) + r")=)(?P<value>[^&#;\s]*)", re.IGNORECASE
)
_USERINFO_PASSWORD = re.compile(r"(?P<head>//[^/@:\s]*:)(?P<value>[^/@\s]*)(?=@)")
_BEARER = re.compile(r"(?P<head>\bBearer\s+)(?P<value>[^\s,;\"']+)", re.IGNORECASE)


def _variants(secret: str) -> set[str]:
    """The forms a secret takes on the wire: as is, percent-encoded, form-encoded."""
    return {secret, quote(secret, safe=""), quote_plus(secret, safe="")} - {""}


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each secret (and its URL-encoded forms) with `***`.

    Also masks `token=` query values and `Bearer` credentials, so a key the caller did not
    list (a second account's, say) does not slip through either.
    """
    variants: set[str] = set()
    for secret in secrets:
        if secret:
            variants |= _variants(secret)
    # Longest first, so a secret that contains another is masked whole.
    for variant in sorted(variants, key=len, reverse=True):
        text = text.replace(variant, MASK)
    text = _QUERY_SECRET.sub(lambda m: m.group("head") + MASK, text)
    text = _BEARER.sub(lambda m: m.group("head") + MASK, text)
    return text


def redact_url(url: str | httpx.URL) -> str:
    """The URL as text with the `token` query value (and any userinfo password) replaced by `***`."""
    text = str(url)
    text = _QUERY_SECRET.sub(lambda m: m.group("head") + MASK, text)
    return _USERINFO_PASSWORD.sub(lambda m: m.group("head") + MASK, text)


def excerpt(text: str, secrets: Iterable[str], limit: int = 160) -> str:
    """A short, single-line, redacted sample of a body, for error messages."""
    flat = " ".join(redact(text, secrets).split())
    if len(flat) > limit:
        return flat[:limit].rstrip() + "…"
    return flat


_ACTIVE_SECRETS: dict[str, int] = {}
"""Keys of the open clients (with a count of clients using each), masked by the log filter."""


def register_secret(secret: str) -> None:
    """Make the log filter mask `secret` (one call per client using it)."""
    if secret:
        _ACTIVE_SECRETS[secret] = _ACTIVE_SECRETS.get(secret, 0) + 1


def release_secret(secret: str) -> None:
    """Undo one `register_secret`; the key is forgotten when no open client uses it."""
    count = _ACTIVE_SECRETS.get(secret, 0) - 1
    if count > 0:
        _ACTIVE_SECRETS[secret] = count
    else:
        _ACTIVE_SECRETS.pop(secret, None)


def active_secret_count() -> int:
    """How many distinct keys the log filter masks now: the open clients' keys (watched by tests)."""
    return len(_ACTIVE_SECRETS)


class RedactingFilter(logging.Filter):
    """Masks the open clients' keys, `token=` query values and `Bearer` credentials in log records.

    httpx logs every request URL at INFO (`HTTP Request: GET https://...?token=...`); this
    filter rewrites such a record before any handler sees it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's problem, not ours
            return True
        cleaned = redact_url(redact(message, tuple(_ACTIVE_SECRETS)))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


THIRD_PARTY_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
"""Loggers that may print a request URL (and so the `?token=` key)."""

_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    """Attach the redacting filter to httpx's and httpcore's loggers (once; calling again is harmless)."""
    for name in THIRD_PARTY_LOGGERS:
        target = logging.getLogger(name)
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
