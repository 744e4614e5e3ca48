"""The LeTexto API client: typed requests, lenient response models, one exception hierarchy.

Knows nothing of MCP. Writes are attempted once, reads retried with backoff, and the API key
never appears in an exception, a log line or a repr.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import (
    AuthenticationError,
    InsufficientBalanceError,
    InvalidRequestError,
    LetextoAPIError,
    LetextoError,
    LetextoTransportError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RequestNotSentError,
    SenderNotAuthorizedError,
    ServerError,
    UnexpectedResponseError,
)
from .redact import redact, redact_url
from .wire import format_datetime

if TYPE_CHECKING:
    from .client import DEFAULT_BASE_URL, LetextoClient, default_user_agent
    from .models import (
        APPROVED_SENDER_STATUSES,
        Balance,
        CampaignStatus,
        EmailCampaign,
        LetextoModel,
        MessageStatus,
        PayloadShapeError,
        Sender,
        SendResult,
        SmsCampaign,
        parse_senders,
    )

_LAZY = {
    "client": frozenset({"DEFAULT_BASE_URL", "LetextoClient", "default_user_agent"}),
    "models": frozenset(
        {
            "APPROVED_SENDER_STATUSES",
            "Balance",
            "CampaignStatus",
            "EmailCampaign",
            "LetextoModel",
            "MessageStatus",
            "PayloadShapeError",
            "Sender",
            "SendResult",
            "SmsCampaign",
            "parse_senders",
        }
    ),
}


def __getattr__(name: str) -> Any:
    """The client (with httpx) and the response models load on first use, not at start-up: tools
    import the errors when the server is built, long before LeTexto is called."""
    for module, names in _LAZY.items():
        if name in names:
            return getattr(import_module(f"{__name__}.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "APPROVED_SENDER_STATUSES",
    "DEFAULT_BASE_URL",
    "AuthenticationError",
    "Balance",
    "CampaignStatus",
    "EmailCampaign",
    "InsufficientBalanceError",
    "InvalidRequestError",
    "LetextoAPIError",
    "LetextoClient",
    "LetextoError",
    "LetextoModel",
    "LetextoTransportError",
    "MessageStatus",
    "NotFoundError",
    "OutcomeUnknownError",
    "PayloadShapeError",
    "RateLimitedError",
    "RequestNotSentError",
    "SendResult",
    "Sender",
    "SenderNotAuthorizedError",
    "ServerError",
    "SmsCampaign",
    "UnexpectedResponseError",
    "default_user_agent",
    "format_datetime",
    "parse_senders",
    "redact",
    "redact_url",
]
