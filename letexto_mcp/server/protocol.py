"""Protocol methods `MCPServer` does not serve by itself, so that every client finds what the spec promises.

- `logging/setLevel` (2025 handshake era): accepted and kept per connection. This server sends
  no `notifications/message` of its own (its logs go to stderr), so the level only records
  what the client asked for; the SDK refuses the method on 2026-07-28, where it no longer exists.
- `completion/complete`: the values of the resource templates' arguments
  (`letexto://account/{item}`, `letexto://sends/{day}`); an empty list for anything else,
  free-text arguments included, as the spec allows.
- `resources/subscribe` / `resources/unsubscribe` (2025 handshake era): a connection watches
  URIs such as `letexto://messages/{id}` and is sent `notifications/resources/updated` whenever
  the server's subscription bus carries an update for one of them — the same events
  `subscriptions/listen` streams get on 2026-07-28 (see `server.dlr`). Process-local, like the bus.
- `prompts/get` of an unknown prompt or with bad arguments answers -32602 with the reason,
  instead of the SDK's internal error, which hides the message on 2026-07-28.
- `inputResponses: null` (2026-07-28 retries) is refused with -32602: the field is an object when
  present, and the SDK would otherwise read null as "no answers" and run the request anyway.

The handlers reach the SDK's low-level server (`_lowlevel_server`, `_subscriptions`): the SDK
documents `Server.add_request_handler` as the way to serve these methods but gives `MCPServer` no
public door to it. `tests/test_protocol_methods.py` pins the behaviour in both eras.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import datetime, timedelta, timezone
from typing import Any

import mcp.types as types
from mcp.server.context import CallNext, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import ResourceUpdated

logger = logging.getLogger("letexto_mcp.server.protocol")

LOG_LEVEL_STATE = "letexto.log_level"
MAX_SUBSCRIPTIONS_PER_CONNECTION = 256
MAX_COMPLETIONS = 100  # the spec's cap on completion values
RECENT_DAYS = 7

ACCOUNT_TEMPLATE = "letexto://account/{item}"
SENDS_TEMPLATE = "letexto://sends/{day}"
ACCOUNT_ITEMS = ("balance", "senders")


def register_protocol(server: MCPServer[Any]) -> None:
    """Serve logging/setLevel, completion/complete, resources/(un)subscribe and strict prompts/get."""
    lowlevel = server._lowlevel_server  # private: see the module docstring
    lowlevel.add_request_handler("logging/setLevel", types.SetLevelRequestParams, _set_level)
    server.completion()(complete)  # type: ignore[no-untyped-call]  # the SDK leaves completion() unannotated
    _register_prompt_errors(server)
    server.middleware.append(reject_null_input_responses)
    bus = getattr(server, "_subscriptions", None)
    if bus is not None:  # without a bus there is nothing to deliver: do not advertise subscribe
        watchers = ResourceWatchers()
        bus.subscribe(watchers.on_event)
        lowlevel.add_request_handler("resources/subscribe", types.SubscribeRequestParams, watchers.subscribe)
        lowlevel.add_request_handler(
            "resources/unsubscribe", types.UnsubscribeRequestParams, watchers.unsubscribe
        )


def _connection_of(ctx: ServerRequestContext[Any, Any]) -> Any | None:
    """The per-client `Connection` behind a request (the SDK keeps it private on the session)."""
    return getattr(ctx.session, "_connection", None)


async def _set_level(
    ctx: ServerRequestContext[Any, Any], params: types.SetLevelRequestParams
) -> types.EmptyResult:
    connection = _connection_of(ctx)
    if connection is not None:
        connection.state[LOG_LEVEL_STATE] = params.level
    logger.debug("client asked for log level %s", params.level)
    return types.EmptyResult()


def client_log_level(ctx: ServerRequestContext[Any, Any]) -> str | None:
    """The level the client set with logging/setLevel on this connection, if any."""
    connection = _connection_of(ctx)
    return None if connection is None else connection.state.get(LOG_LEVEL_STATE)


async def complete(
    ref: types.PromptReference | types.ResourceTemplateReference,
    argument: types.CompletionArgument,
    context: types.CompletionContext | None,
) -> types.Completion:
    """Suggestions for one argument, by prefix (case-insensitive)."""
    candidates: tuple[str, ...] = ()
    if isinstance(ref, types.ResourceTemplateReference):
        if ref.uri == ACCOUNT_TEMPLATE and argument.name == "item":
            candidates = ACCOUNT_ITEMS
        elif ref.uri == SENDS_TEMPLATE and argument.name == "day":
            today = datetime.now(timezone.utc).date()
            candidates = ("today", *((today - timedelta(days=n)).isoformat() for n in range(RECENT_DAYS)))
    prefix = argument.value.casefold()
    values = [value for value in candidates if value.casefold().startswith(prefix)]
    return types.Completion(values=values[:MAX_COMPLETIONS], total=len(values), has_more=False)


async def reject_null_input_responses(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> Any:
    """Middleware: a request whose `inputResponses` is null is malformed, not a first round."""
    params = ctx.params
    if params is not None and "inputResponses" in params and params["inputResponses"] is None:
        raise MCPError(types.INVALID_PARAMS, "inputResponses must be an object when present, not null")
    return await call_next(ctx)


def _register_prompt_errors(server: MCPServer[Any]) -> None:
    lowlevel = server._lowlevel_server
    entry = lowlevel.get_request_handler("prompts/get")
    if entry is None:
        return
    inner = entry.handler

    async def get_prompt(ctx: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams) -> Any:
        if params.name not in {prompt.name for prompt in await server.list_prompts()}:
            raise MCPError(types.INVALID_PARAMS, f"Unknown prompt: {params.name[:100]}")
        try:
            return await inner(ctx, params)
        except MCPError:
            raise
        except ValueError as error:  # MCPServer.get_prompt wraps argument and rendering errors so
            raise MCPError(types.INVALID_PARAMS, str(error)) from None

    lowlevel.add_request_handler("prompts/get", types.GetPromptRequestParams, get_prompt)


class ResourceWatchers:
    """Which 2025-era connections watch which URIs; forwards the bus's resource updates to them."""

    def __init__(self) -> None:
        self._uris: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
        self._sending: set[asyncio.Task[None]] = set()

    async def subscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.SubscribeRequestParams
    ) -> types.EmptyResult:
        connection = _connection_of(ctx)
        if connection is None:
            raise MCPError(types.INTERNAL_ERROR, "resource subscriptions are not available on this transport")
        uris = self._uris.setdefault(connection, set())
        if params.uri not in uris and len(uris) >= MAX_SUBSCRIPTIONS_PER_CONNECTION:
            raise MCPError(
                types.INVALID_PARAMS,
                f"at most {MAX_SUBSCRIPTIONS_PER_CONNECTION} resource subscriptions per connection; "
                "unsubscribe from some first",
            )
        uris.add(params.uri)
        return types.EmptyResult()

    async def unsubscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.UnsubscribeRequestParams
    ) -> types.EmptyResult:
        connection = _connection_of(ctx)
        if connection is not None:
            self._uris.get(connection, set()).discard(params.uri)
        return types.EmptyResult()

    def watching(self, uri: str) -> list[Any]:
        return [connection for connection, uris in list(self._uris.items()) if uri in uris]

    def on_event(self, event: Any) -> None:
        """Bus listener (synchronous, on the server's loop, must not raise): queue the notifications."""
        if not isinstance(event, ResourceUpdated):
            return
        connections = self.watching(event.uri)
        if not connections:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            logger.warning("resource update for %s not forwarded: no asyncio loop running", event.uri)
            return
        for connection in connections:
            task = loop.create_task(self._notify(connection, event.uri))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _notify(self, connection: Any, uri: str) -> None:
        try:
            await connection.send_resource_updated(uri)
        except Exception as error:  # a closed or broken connection must not disturb the publisher
            logger.debug("resources/updated for %s not delivered: %r", uri, error)
