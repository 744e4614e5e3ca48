"""Turn what came back (an HTTP error, an unreadable body, a broken connection) into one exception.

The vendor's error body is `{"statusCode": 400, "message": "...", "errors": "Bad Request"}`,
with `message` sometimes a list of strings and `error` instead of `errors` (stock NestJS).
The class is chosen from the status code and, where the code is ambiguous (LeTexto answers
a wrong key with 400 "Invalide username / password"), from the vendor's words. Each message
says what failed, quotes the vendor, and says what to do; all of it is redacted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import TypedDict

import httpx

from .errors import (
    AuthenticationError,
    InsufficientBalanceError,
    InvalidRequestError,
    LetextoAPIError,
    LetextoTransportError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RequestNotSentError,
    SenderNotAuthorizedError,
    ServerError,
    UnexpectedResponseError,
)
from .redact import excerpt, redact, redact_url
from .retry import parse_retry_after

__all__ = [
    "OPERATIONS",
    "WRITE_OPERATIONS",
    "api_error",
    "deadline_error",
    "decode_json",
    "in_band_error_status",
    "shape_error",
    "transport_error",
]

OPERATIONS: dict[str, str] = {
    "send_sms": "send the SMS",
    "create_sms_campaign": "create the SMS campaign",
    "create_email_campaign": "create the email campaign",
    "get_sms_campaign_status": "get the SMS campaign status",
    "get_email_campaign_status": "get the email campaign status",
    "create_sender": "create the sender",
    "list_senders": "list the senders",
    "get_balance": "get the account balance",
    "get_message_status": "get the message status",
}
"""Operation name → what it does, as the end of "Could not ..."."""

WRITE_OPERATIONS = frozenset({"send_sms", "create_sms_campaign", "create_email_campaign", "create_sender"})
"""Operations with an effect at LeTexto: attempted once, never retried by the client."""

_SENDER_REFUSED = re.compile(
    r"exp[ée]diteur\s+non\s+autoris|sender\b[^.]*\bnot\s+(?:authori[sz]ed|allowed|approved|validated|active)"
    r"|unauthori[sz]ed\s+sender|sender\s+id\s+not\s+(?:authori[sz]ed|allowed)",
    re.IGNORECASE,
)
_BALANCE_LOW = re.compile(
    r"(?:solde|balance|cr[ée]dits?)\s+(?:est\s+|is\s+)?(?:insuffisant|insufficient|too\s+low)"
    r"|insufficient\s+(?:balance|credits?|funds|solde)|not\s+enough\s+(?:balance|credits?|funds)"
    r"|pas\s+assez\s+de\s+(?:cr[ée]dits?|solde)",
    re.IGNORECASE,
)
_AUTH_REFUSED = re.compile(
    r"invalide?\s+(?:username|password|token|api[\s_-]?key|credentials)"
    r"|(?:token|api[\s_-]?key)\s+(?:invalide?|expired|expir[ée]e?|missing|manquant)"
    r"|^unauthori[sz]ed$|^forbidden$",
    re.IGNORECASE,
)


def describe(operation: str) -> str:
    """`send the SMS` for `send_sms`: the operation as a person would name it."""
    return OPERATIONS.get(operation, operation.replace("_", " "))


# --- error bodies ----------------------------------------------------------------------------


def _vendor_words(payload: object) -> tuple[list[str], str | None]:
    """(messages, error label) from a vendor error body; `message` may be a string or a list."""
    if not isinstance(payload, Mapping):
        return [], None
    messages: list[str] = []
    for key in ("message", "messages", "detail", "error_description"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            messages.append(value.strip())
        elif isinstance(value, list):
            messages += [_as_text(item) for item in value if _as_text(item)]
        if messages:
            break
    label: str | None = None
    for key in ("errors", "error"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            label = label or value.strip()
        elif isinstance(value, list) and not messages:
            messages += [_as_text(item) for item in value if _as_text(item)]
        elif isinstance(value, Mapping) and not messages:
            messages, inner_label = _vendor_words(value)
            label = label or inner_label
    return messages, label


def _as_text(item: object) -> str:
    if isinstance(item, str):
        return item.strip()
    if isinstance(item, Mapping):
        for key in ("message", "msg", "detail"):
            if isinstance(item.get(key), str):
                return str(item[key]).strip()
        constraints = item.get("constraints")
        if isinstance(constraints, Mapping):
            return "; ".join(str(value) for value in constraints.values())
    return "" if item is None else json.dumps(item, ensure_ascii=False, default=str)[:200]


def in_band_error_status(payload: object) -> int | None:
    """The status of an error LeTexto reported inside a 2xx body (`{"statusCode": 400, ...}`), if any."""
    if not isinstance(payload, Mapping):
        return None
    code = payload.get("statusCode")
    if isinstance(code, str) and code.strip().isdigit():
        code = int(code)
    is_code = isinstance(code, int) and not isinstance(code, bool) and code >= 400
    if is_code and any(key in payload for key in ("message", "errors", "error")):
        return code
    return None


class _APIErrorFields(TypedDict):
    """The keyword arguments every `LetextoAPIError` subclass takes, so one dict can feed them all."""

    operation: str
    status_code: int
    vendor_messages: list[str]
    error_type: str | None


def api_error(
    status_code: int,
    payload: object,
    text: str,
    headers: httpx.Headers | Mapping[str, str],
    *,
    operation: str,
    secrets: Iterable[str],
) -> LetextoAPIError:
    """The exception for an error answer; `payload` is the decoded JSON body, or None if it was not JSON."""
    secrets = tuple(secrets)
    words, label = _vendor_words(payload)
    vendor = [redact(word, secrets) for word in words]
    label = redact(label, secrets) if label else None
    said = "; ".join(vendor) or label or ""
    if not said and text.strip() and payload is None:
        said = excerpt(text, secrets, limit=120)
    head = f"Could not {describe(operation)}"
    code = f"HTTP {status_code}" + (f": {said}" if said else "")
    joined = " ".join([*vendor, label or ""])
    kwargs: _APIErrorFields = {
        "operation": operation,
        "status_code": status_code,
        "vendor_messages": vendor,
        "error_type": label,
    }
    client_error = 400 <= status_code < 500

    if client_error and _SENDER_REFUSED.search(joined):
        return SenderNotAuthorizedError(
            f"{head}: LeTexto refused the sender ({code}). The sender must be approved by LeTexto first: "
            "use a sender whose status is approved (list the senders to see them), or create one and wait "
            "for LeTexto to validate it.",
            **kwargs,
        )
    if status_code == 402 or (client_error and _BALANCE_LOW.search(joined)):
        return InsufficientBalanceError(
            f"{head}: the LeTexto balance is too low ({code}). Top up your LeTexto account, then try again.",
            **kwargs,
        )
    if status_code in (401, 403) or (
        status_code == 400 and any(_AUTH_REFUSED.search(part) for part in (*vendor, label or ""))
    ):
        return AuthenticationError(
            f"{head}: LeTexto refused the API key ({code}). Check LETEXTO_API_TOKEN: it must be the key "
            "from the developer API section of the LeTexto app, copied whole.",
            **kwargs,
        )
    if status_code == 404:
        return NotFoundError(
            f"{head}: LeTexto found no such item ({code}). Check the id: it must be one LeTexto returned "
            "to this account.",
            **kwargs,
        )
    if status_code == 429:
        retry_after = parse_retry_after(headers.get("retry-after"))
        wait = (
            f"Wait {retry_after:g} s before trying again."
            if retry_after is not None
            else "Wait, then try again."
        )
        return RateLimitedError(
            f"{head}: LeTexto is limiting the request rate ({code}). {wait}",
            retry_after=retry_after,
            **kwargs,
        )
    if client_error:
        return InvalidRequestError(
            f"{head}: LeTexto refused the request ({code}). Correct it before trying again; the same "
            "request will be refused the same way.",
            **kwargs,
        )
    if status_code >= 500:
        advice = "Try again later."
        if operation in WRITE_OPERATIONS:
            advice += " Before repeating a send, check its status or the balance: it may have gone through."
        return ServerError(f"{head}: LeTexto had a server error ({code}). {advice}", **kwargs)
    return UnexpectedResponseError(
        f"{head}: LeTexto answered {code}, which the client does not handle"
        + (" (a redirect: check LETEXTO_BASE_URL)." if 300 <= status_code < 400 else "."),
        **kwargs,
    )


# --- unreadable bodies -----------------------------------------------------------------------


class _NotJSON:
    """Marker for a body that did not decode."""


NOT_JSON = _NotJSON()


def decode_json(content: bytes) -> object:
    """The decoded JSON body, or NOT_JSON (no exception, so nothing chains to the decoder's error)."""
    if not content.strip():
        return NOT_JSON
    try:
        return json.loads(content)
    except ValueError:
        return NOT_JSON


def shape_error(
    status_code: int, text: str, *, operation: str, expected: str, secrets: Iterable[str], not_json: bool
) -> UnexpectedResponseError:
    """The exception for a success answer the client cannot read."""
    what = "a body that is not JSON" if not_json else "JSON of an unexpected shape"
    if not text.strip():
        what, sample = "an empty body", ""
    else:
        sample = f" The body starts: '{excerpt(text, secrets)}'."
    message = (
        f"Could not {describe(operation)}: LeTexto answered HTTP {status_code} with {what}; "
        f"expected {expected}.{sample}"
    )
    if 200 <= status_code < 300 and operation in WRITE_OPERATIONS:
        message += " LeTexto accepted the request, so treat it as done: do not repeat it."
    return UnexpectedResponseError(message, operation=operation, status_code=status_code)


# --- broken exchanges ------------------------------------------------------------------------

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def transport_error(
    exc: httpx.TransportError, *, operation: str, url: httpx.URL | str, secrets: Iterable[str]
) -> LetextoTransportError:
    """Classify an httpx failure: never sent (connect, DNS, pool) or outcome unknown (everything after)."""
    secrets = tuple(secrets)
    where = redact_url(url)
    detail = type(exc).__name__
    text = excerpt(str(exc), secrets, limit=160)
    if text:
        detail += f": {redact_url(text)}"
    head = f"Could not {describe(operation)}"
    if isinstance(exc, _NOT_SENT):
        return RequestNotSentError(
            f"{head}: could not reach LeTexto at {where} ({detail}). Nothing was sent, so trying again "
            "is safe; check the network and LETEXTO_BASE_URL.",
            operation=operation,
        )
    return OutcomeUnknownError(
        f"{head}: the connection to LeTexto broke before an answer came ({detail}). "
        + _unknown_advice(operation),
        operation=operation,
    )


def deadline_error(*, operation: str, timeout: float) -> OutcomeUnknownError:
    """The exception for an attempt that outlived the client's own deadline (a read timeout)."""
    return OutcomeUnknownError(
        f"Could not {describe(operation)}: LeTexto did not answer within {timeout:g} s (timed out). "
        f"{_unknown_advice(operation)}",
        operation=operation,
    )


def _unknown_advice(operation: str) -> str:
    if operation in WRITE_OPERATIONS:
        return (
            "The request may have reached LeTexto and taken effect. Do not repeat it before checking "
            "(message or campaign status, balance, sender list)."
        )
    return "Nothing was changed by this read; try again later."
