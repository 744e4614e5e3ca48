"""The one place that decides what a failed send means: positively not sent, or unknown.

The send guard releases claims and refunds the budget only on `SendFailure.NOT_SENT`; everything
else keeps them and blocks the same send, because the message may have left. So "not sent" is
answered only for errors that prove it:

- the request never left (`RequestNotSentError`: connection refused, DNS, connect or pool timeout);
- LeTexto answered with a clear refusal, a 4xx with a readable error (bad number, unapproved
  sender, insufficient balance, wrong key, rate limited), including a refusal inside a 2xx body.

Everything else is `UNKNOWN`: a timeout or a connection lost after the request left, a 5xx, a 2xx
whose body could not be read, a redirect, and any exception this module does not recognise.
"""

from __future__ import annotations

from letexto_mcp.letexto import errors as lx
from letexto_mcp.states import SendFailure

_CLEAR_REFUSALS = (
    lx.AuthenticationError,
    lx.InvalidRequestError,
    lx.SenderNotAuthorizedError,
    lx.InsufficientBalanceError,
    lx.NotFoundError,
    lx.RateLimitedError,
)


def send_failure(error: BaseException) -> SendFailure:
    """`NOT_SENT` only for an error that proves LeTexto did not send; `UNKNOWN` otherwise."""
    if isinstance(error, lx.RequestNotSentError):
        return SendFailure.NOT_SENT
    if isinstance(error, _CLEAR_REFUSALS) and _is_client_error(error.status_code):
        return SendFailure.NOT_SENT
    return SendFailure.UNKNOWN


def _is_client_error(status_code: int | None) -> bool:
    return status_code is not None and 400 <= status_code < 500
