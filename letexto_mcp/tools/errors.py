"""Turn LeTexto client failures into `ToolError`s an assistant can act on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.mcpserver.exceptions import ToolError

from letexto_mcp.letexto import errors as lx

# The client's messages already say what to do for transport, rate and server failures; these
# add what only the tool layer knows.
_NEXT_STEP: tuple[tuple[type[lx.LetextoError], str], ...] = (
    (
        lx.AuthenticationError,
        "The server's LeTexto key was refused: the operator must check LETEXTO_API_TOKEN.",
    ),
    (lx.NotFoundError, "Check the id: it must be one returned by a send or campaign tool."),
)


def explain(error: lx.LetextoError) -> str:
    """The error's own (redacted) text plus the next step for the assistant."""
    text = str(error)
    for kind, step in _NEXT_STEP:
        if isinstance(error, kind) and step not in text:
            return f"{text} {step}"
    return text


@asynccontextmanager
async def letexto_call() -> AsyncIterator[None]:
    """Run a read against LeTexto; its failures become readable ToolErrors."""
    try:
        yield
    except lx.LetextoError as error:
        raise ToolError(explain(error)) from None
