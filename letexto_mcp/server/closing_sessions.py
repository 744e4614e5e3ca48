"""A message that reaches a 2025-era session as it closes: dropped quietly, not a crash in the log.

A client may post a notification (`notifications/initialized`, `notifications/cancelled`) while its
own DELETE, or the idle time-out, is closing the session. The SDK (mcp 2.3.0) answers the POST
202 first, then fails to hand the message to the closed session, logs the failure with a traceback,
tries to answer the same request a second time with a 500 (uvicorn refuses: "Unexpected ASGI
message 'http.response.start' sent, after response already completed") and re-raises. Known
upstream (modelcontextprotocol/python-sdk, review of PR #2934). Nothing is lost that anyone still
wants — the session is gone — but an operator reading "Exception in ASGI application" twice would
think the server is broken. Two small pieces keep the log true:

- `LateResponseGuard` (ASGI): once a response is complete, later messages for it are dropped, and
  a closed-stream error raised after that is logged as one line instead of escaping to uvicorn;
- `ClosingSessionFilter` (logging): the SDK's "Error handling POST request" record caused by a
  closed stream becomes a one-line warning without the traceback. Any other error keeps its traceback.
"""

from __future__ import annotations

import logging

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("letexto_mcp.server.http")

SDK_TRANSPORT_LOGGER = "mcp.server.streamable_http"
CLOSED_STREAM_ERRORS = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream)
DROPPED_MESSAGE = (
    "A message reached an MCP session that was closing (the client's DELETE or the idle time-out won "
    "the race); it was dropped, the client had already been answered"
)


def _closed_stream(error: BaseException | None) -> bool:
    """True when `error`, or what it was raised from, is a closed in-memory stream."""
    while error is not None:
        if isinstance(error, CLOSED_STREAM_ERRORS):
            return True
        error = error.__cause__ or error.__context__
    return False


class LateResponseGuard:
    """Drops what an app sends after its response is complete, and the closed-stream error that follows."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        completed = False

        async def send_once(message: Message) -> None:
            nonlocal completed
            if completed:
                logger.debug("dropped a %s sent after the response was complete", message["type"])
                return
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                completed = True
            await send(message)

        try:
            await self.app(scope, receive, send_once)
        except Exception as error:
            if not (completed and _closed_stream(error)):
                raise
            logger.warning(DROPPED_MESSAGE)


class ClosingSessionFilter(logging.Filter):
    """Turns the SDK's traceback for a message posted to a closing session into one warning line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if _closed_stream(error):
            record.msg, record.args = DROPPED_MESSAGE, ()
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        return True


def install_closing_session_filter() -> None:
    """Attach the filter to the SDK's transport logger once (it applies to records logged there)."""
    sdk_logger = logging.getLogger(SDK_TRANSPORT_LOGGER)
    if not any(isinstance(f, ClosingSessionFilter) for f in sdk_logger.filters):
        sdk_logger.addFilter(ClosingSessionFilter())
