"""Serving `/api/v1`: each operation runs its tool's own validation and handler, as an MCP call does.

A request goes: Host/Origin check (as on /mcp) → the operation for this method and path → its
arguments (JSON body, or path and query) → the `Idempotency-Key` header folded into
`idempotency_key` → the SDK's lenient reading and the tool's strict model (`validate_input`) → the
tool's handler with a REST `Caller` → the structured result, dumped as MCP clients receive it.
Authentication, tenants and the per-client rate limit happen before, in `server.auth.AccessGuard`.

Why one ASGI endpoint and not a Starlette route per operation: routes restricted by method answer a
405 with the first route's methods only, add HEAD on their own and let `GET /sms/preview` fall through
to `/sms/{message_id}`; here a concrete path wins over a template (as OpenAPI says), a 405 names
exactly the methods the path serves, and every error of the face is problem+json.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools.base import Tool
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from letexto_mcp.api import API_PREFIX, OPENAPI_PATH
from letexto_mcp.api.caller import request_base, rest_caller
from letexto_mcp.api.openapi import openapi_document
from letexto_mcp.api.operations import OPERATIONS, Operation, is_send, spec_of
from letexto_mcp.api.problems import (
    CANNOT_PROCEED,
    IDEMPOTENCY_KEY_REUSED,
    INTERNAL,
    INVALID_ARGUMENTS,
    Problem,
    letexto_problem,
)
from letexto_mcp.config import Settings
from letexto_mcp.schemas.common import ToolInput
from letexto_mcp.schemas.outputs import SendResult
from letexto_mcp.services import Services
from letexto_mcp.states import SendStatus
from letexto_mcp.tools.errors import LetextoToolError
from letexto_mcp.tools.registry import (
    ToolSpec,
    build_tool,
    format_validation_error,
    validate_input,
    validation_messages,
)
from letexto_mcp.tools.scopes import required_scope, tool_refusal
from letexto_mcp.tools.sdk_bridge import lenient_arguments

logger = logging.getLogger("letexto_mcp.api")

IDEMPOTENCY_HEADER = "idempotency-key"
KEY_FIELD = "idempotency_key"
CREATED_STATUSES = frozenset({SendStatus.SUBMITTED, SendStatus.SCHEDULED})
_KEY_REFUSAL_CAP = "idempotency_key"


@dataclass(frozen=True)
class _Bound:
    """An operation with its tool: the spec (models, handler) and the SDK tool (lenient reading)."""

    operation: Operation
    spec: ToolSpec
    tool: Tool
    pattern: re.Pattern[str]


def _path_pattern(path: str) -> re.Pattern[str]:
    parts = [
        f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in path.split("/")
    ]
    return re.compile("^" + "/".join(parts) + "$")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _unquoted(value: str) -> str:
    """The key of an `Idempotency-Key` header: a structured-field string (`"abc"`) or a bare token."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


class RestApi:
    """The ASGI app behind every path under /api/v1."""

    def __init__(
        self,
        settings: Settings,
        services: Callable[[], Services],
        security: TransportSecuritySettings,
    ) -> None:
        self._settings = settings
        self._services = services
        self._checks = TransportSecurityMiddleware(security)
        by_path: dict[str, list[_Bound]] = {}
        for operation in OPERATIONS:
            spec = spec_of(operation)
            bound = _Bound(operation, spec, build_tool(spec), _path_pattern(operation.path))
            by_path.setdefault(operation.path, []).append(bound)
        # `/sms/preview` before `/sms/{message_id}`: a concrete path wins over a template (OpenAPI's rule)
        self._templates = sorted(by_path.values(), key=lambda ops: len(ops[0].operation.path_parameters))
        self._documents: dict[str, bytes] = {}

    def routes(self) -> list[BaseRoute]:
        """The routes to add to the HTTP app (an ASGI endpoint accepts every method)."""
        return [Route(API_PREFIX, self), Route(API_PREFIX + "/{rest:path}", self)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self._dispatch(request)
        except Problem as problem:
            response = problem.response()
        await response(scope, receive, send)

    async def _dispatch(self, request: Request) -> Response:
        refused = await self._checks.validate_request(request, is_post=False)
        if refused is not None:
            if refused.status_code == 421:
                raise Problem(421, "this Host is not served here: name it in LETEXTO_MCP_ALLOWED_HOSTS")
            raise Problem(403, "requests from this Origin are not allowed (LETEXTO_MCP_ALLOWED_ORIGINS)")
        sub = "/" + str(request.path_params.get("rest", ""))  # the path under /api/v1
        if sub == OPENAPI_PATH.removeprefix(API_PREFIX):
            if request.method != "GET":
                raise Problem(405, "the OpenAPI document is read with GET", headers={"Allow": "GET"})
            return self._openapi(request)
        for template in self._templates:  # the most concrete template that matches decides, as in OpenAPI
            found = template[0].pattern.match(sub)
            if found is None:
                continue
            for bound in template:
                if bound.operation.method == request.method:
                    return await self._run(bound, found.groupdict(), request)
            allowed = ", ".join(sorted(bound.operation.method for bound in template))
            raise Problem(405, f"this path answers {allowed}", headers={"Allow": allowed})
        raise Problem(404, f"no such path; the operations are listed at {OPENAPI_PATH}")

    def _openapi(self, request: Request) -> Response:
        base = self._settings.public_url or request_base(request)
        document = self._documents.get(base)
        if document is None:
            document = json.dumps(openapi_document(self._settings, base), ensure_ascii=False).encode()
            self._documents[base] = document
        return Response(document, media_type="application/json")

    async def _run(self, bound: _Bound, path_params: dict[str, str], request: Request) -> Response:
        services = self._services()
        user = request.scope.get("user")
        token = user.access_token if isinstance(user, AuthenticatedUser) else None
        refusal = tool_refusal(token, bound.spec.name)
        if refusal is not None:  # an OAuth token without this operation's scope: nothing runs
            challenge = f'Bearer error="insufficient_scope", scope="{required_scope(bound.spec.name)}"'
            raise Problem(403, refusal, headers={"WWW-Authenticate": challenge})
        try:
            raw = await self._arguments(bound, path_params, request)
            args = _validated(bound, raw)
            result = await bound.spec.handler(services, args, rest_caller(request, services))
            return _answer(bound, result)
        except LetextoToolError as error:
            return letexto_problem(error.cause, services.redact(str(error))).response()
        except ToolError as error:
            return Problem(422, services.redact(str(error)), type_=CANNOT_PROCEED).response()
        except Problem:
            raise
        except Exception:
            logger.exception("REST %s failed unexpectedly", bound.operation.tool)
            return Problem(
                500,
                "an unexpected error in the server (it is logged). If this was a send, check its status or "
                "the balance before repeating it, or repeat it with the same idempotency_key.",
                type_=INTERNAL,
            ).response()

    async def _arguments(
        self, bound: _Bound, path_params: dict[str, str], request: Request
    ) -> dict[str, Any]:
        if bound.operation.reads_body:
            raw = await self._body(request)
        else:
            raw = dict(request.query_params)
        raw.update(path_params)
        if is_send(bound.spec):
            raw = _with_header_key(raw, request)
        return raw

    async def _body(self, request: Request) -> dict[str, Any]:
        """The JSON object of the arguments, read up to LETEXTO_MCP_MAX_BODY_BYTES."""
        content_type = request.headers.get("content-type")
        if content_type is not None and not _is_json(content_type):
            raise Problem(415, "send the arguments as a JSON object with 'Content-Type: application/json'")
        limit = self._settings.max_body_bytes
        too_large = Problem(413, f"the body is larger than {limit} bytes (LETEXTO_MCP_MAX_BODY_BYTES)")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise too_large
        if not body.strip():
            return {}
        try:
            value = json.loads(bytes(body))
        except (ValueError, RecursionError) as error:
            where = ""
            if isinstance(error, json.JSONDecodeError):
                where = f" ({error.msg}, line {error.lineno} column {error.colno})"
            raise Problem(400, f"the body is not valid JSON{where}: send one JSON object") from None
        if not isinstance(value, dict):
            message = 'must be a JSON object of the arguments, e.g. {"content": "…"}'
            raise Problem(422, f"body: {message}", type_=INVALID_ARGUMENTS, errors=[("body", message)])
        return value


def _with_header_key(raw: dict[str, Any], request: Request) -> dict[str, Any]:
    """`Idempotency-Key` is the tool's idempotency_key; both given and different is an error."""
    values = request.headers.getlist(IDEMPOTENCY_HEADER)
    if not values:
        return raw
    if len(values) > 1:
        message = "send one Idempotency-Key header, not several"
        raise Problem(422, message, type_=INVALID_ARGUMENTS, errors=[(KEY_FIELD, message)])
    key = _unquoted(values[0])
    if not key:
        return raw
    given = raw.get(KEY_FIELD)
    if given is not None and not (isinstance(given, str) and not given.strip()) and given != key:
        message = (
            "the Idempotency-Key header and the body's idempotency_key differ: send the key once, "
            "or the same key in both"
        )
        raise Problem(422, message, type_=INVALID_ARGUMENTS, errors=[(KEY_FIELD, message)])
    return {**raw, KEY_FIELD: key}


def _validated(bound: _Bound, raw: dict[str, Any]) -> ToolInput:
    """The tool's arguments read as for an MCP call, or a 422 naming each field and the fix."""
    try:
        return validate_input(bound.spec, lenient_arguments(bound.tool, raw))
    except ValidationError as error:
        raise Problem(
            422,
            format_validation_error(bound.spec.name, error),
            type_=INVALID_ARGUMENTS,
            errors=validation_messages(error),
        ) from None


def _answer(bound: _Bound, result: object) -> Response:
    """The tool's structured result, as MCP clients get it; 201 when something was created or sent."""
    if not isinstance(result, BaseModel):  # an input-required round trip: never asked by a REST approver
        raise RuntimeError(f"{bound.spec.name} answered {type(result).__name__}, not its result")
    status = 201 if bound.operation.creates else 200
    if isinstance(result, SendResult):
        refusal = result.refusal
        if result.status is SendStatus.REFUSED and refusal is not None and refusal.cap == _KEY_REFUSAL_CAP:
            raise Problem(
                422, result.message, type_=IDEMPOTENCY_KEY_REUSED, errors=[(KEY_FIELD, result.message)]
            )
        status = 201 if result.status in CREATED_STATUSES else 200
    return JSONResponse(result.model_dump(mode="json", by_alias=True), status_code=status)
