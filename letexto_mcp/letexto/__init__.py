"""The LeTexto API client: typed requests, lenient response models, one exception hierarchy.

Knows nothing of MCP. Writes are attempted once, reads retried with backoff, and the API key
never appears in an exception, a log line or a repr.
"""

from __future__ import annotations

from .client import DEFAULT_BASE_URL, LetextoClient, default_user_agent
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
from .redact import redact, redact_url
from .wire import format_datetime

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
