"""Every way a LeTexto call can fail, as one exception hierarchy.

```
LetextoError
├── LetextoAPIError               LeTexto answered, and the answer was not a success
│   ├── AuthenticationError       401/403, or the vendor's "Invalide username / password"
│   ├── InvalidRequestError       400/422 (and other 4xx not listed here): the vendor's words kept
│   ├── SenderNotAuthorizedError  "Expéditeur non autorisé": the sender is missing or not approved
│   ├── InsufficientBalanceError  402, or a message about an insufficient balance
│   ├── NotFoundError             404: no such message, campaign or sender
│   ├── RateLimitedError          429, with `retry_after` in seconds when LeTexto gave one
│   ├── ServerError               5xx
│   └── UnexpectedResponseError   a body that is not JSON, or JSON of no expected shape
└── LetextoTransportError         no usable answer came back
    ├── RequestNotSentError       the request never left: safe to retry, even a send
    └── OutcomeUnknownError       it may have arrived: a send may have happened, never retry blindly
```

Every text here is redacted before it is stored: the API key never appears in a message,
an argument or a repr, and no exception chains to the raw httpx error (whose request holds
the URL, and the URL may hold the key).
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "InsufficientBalanceError",
    "InvalidRequestError",
    "LetextoAPIError",
    "LetextoError",
    "LetextoTransportError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "RequestNotSentError",
    "SenderNotAuthorizedError",
    "ServerError",
    "UnexpectedResponseError",
]


class LetextoError(Exception):
    """Base of every LeTexto client failure; `str()` is a sentence a person can act on."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status_code: int | None = None,
        vendor_messages: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.status_code = status_code
        self.vendor_messages: list[str] = list(vendor_messages or [])

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, operation={self.operation!r}, "
            f"status_code={self.status_code!r})"
        )


class LetextoAPIError(LetextoError):
    """LeTexto answered, and the answer was an error (or unreadable)."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status_code: int | None = None,
        vendor_messages: list[str] | None = None,
        error_type: str | None = None,
    ) -> None:
        super().__init__(
            message, operation=operation, status_code=status_code, vendor_messages=vendor_messages
        )
        self.error_type = error_type
        """The vendor's error label (`errors`/`error`, such as "Bad Request"), when it gave one."""


class AuthenticationError(LetextoAPIError):
    """The API key was refused: it is wrong, revoked, or not sent where the endpoint expects it."""


class InvalidRequestError(LetextoAPIError):
    """LeTexto refused the request as invalid; `vendor_messages` holds every reason it gave."""


class SenderNotAuthorizedError(LetextoAPIError):
    """The sender name does not exist on the account or has not been approved by LeTexto yet."""


class InsufficientBalanceError(LetextoAPIError):
    """The account has not enough credit for this send."""


class NotFoundError(LetextoAPIError):
    """No message, campaign or sender with that id on this account."""


class RateLimitedError(LetextoAPIError):
    """LeTexto asked the client to slow down (HTTP 429)."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status_code: int | None = 429,
        vendor_messages: list[str] | None = None,
        error_type: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message,
            operation=operation,
            status_code=status_code,
            vendor_messages=vendor_messages,
            error_type=error_type,
        )
        self.retry_after = retry_after
        """Seconds LeTexto asked to wait (from `Retry-After`), or None when it did not say."""


class ServerError(LetextoAPIError):
    """LeTexto failed on its side (HTTP 5xx); a later attempt may succeed."""


class UnexpectedResponseError(LetextoAPIError):
    """The body was not JSON, or JSON of no shape the client knows.

    On a write, a 2xx `status_code` means LeTexto accepted the request even though its answer
    could not be read: treat the send as made (see `accepted`), not as failed.
    """

    @property
    def accepted(self) -> bool:
        """True when the HTTP status was a success, so a write most likely took effect."""
        return self.status_code is not None and 200 <= self.status_code < 300


class LetextoTransportError(LetextoError):
    """No usable HTTP answer came back: the connection failed, timed out or broke."""


class RequestNotSentError(LetextoTransportError):
    """The request never reached LeTexto (connection refused, DNS, connect or pool timeout): safe to retry."""


class OutcomeUnknownError(LetextoTransportError):
    """The request may have reached LeTexto but no answer came back: a send may have happened.

    Never resend automatically; check the message status or the balance first, or ask a person.
    """
