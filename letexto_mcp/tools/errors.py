"""Turn LeTexto client failures into `ToolError`s an assistant can act on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.mcpserver.exceptions import ToolError

from letexto_mcp.letexto import errors as lx
from letexto_mcp.services import API_TOKEN_SETTING

# The client's messages already say what to do for transport, rate and server failures; these
# add what only the tool layer knows.
_NOT_FOUND_STEP = "Check the id: it must be one returned by a send or campaign tool."


class LetextoToolError(ToolError):
    """A ToolError caused by LeTexto itself (unreachable, refusing the key, no such id).

    MCP clients see only its text, like any ToolError; the REST face also reads `cause` to answer
    with the right HTTP status (404, 502, 504…) instead of guessing from the wording.
    """

    def __init__(self, message: str, cause: lx.LetextoError) -> None:
        super().__init__(message)
        self.cause = cause


def explain(error: lx.LetextoError, *, key_setting: str = API_TOKEN_SETTING) -> str:
    """The error's own (redacted) text plus the next step for the assistant.

    A refused key names where the key comes from: the server's LETEXTO_API_TOKEN, or in
    multi-tenant mode the X-LeTexto-Key header the caller sends.
    """
    text = str(error)
    if isinstance(error, lx.AuthenticationError):
        if key_setting == API_TOKEN_SETTING:
            return f"{text} Nothing can be sent or read until the operator fixes {API_TOKEN_SETTING}."
        return (
            f"{text} On this multi-tenant server the key is the one your requests send in "
            f"{key_setting}: send a valid LeTexto key there. Nothing can be sent or read until then."
        )
    if isinstance(error, lx.NotFoundError) and "Check the id" not in text:
        return f"{text} {_NOT_FOUND_STEP}"
    return text


@asynccontextmanager
async def letexto_call(*, key_setting: str = API_TOKEN_SETTING) -> AsyncIterator[None]:
    """Run a read against LeTexto; its failures become readable ToolErrors."""
    try:
        yield
    except lx.LetextoError as error:
        raise LetextoToolError(explain(error, key_setting=key_setting), error) from None
