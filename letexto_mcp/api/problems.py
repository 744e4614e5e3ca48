"""Errors of the REST face as RFC 9457 problem details (`application/problem+json`).

A problem says what went wrong and what to do, never the caller's values and never a stack trace.
HTTP-level problems (no key, unknown path, body too large, rate limited…) use `about:blank` and the
status phrase as title, as RFC 9457 asks; the ones this API defines use a `tag:` URI of their own
(stable identifiers, listed in the OpenAPI document).

Send outcomes that are decisions (refused, duplicate, declined, confirmation_required…) are not
problems: they answer 200 with the tool's result. Only a reused idempotency key becomes one (422).
"""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse

from letexto_mcp.letexto import errors as lx

PROBLEM_MEDIA_TYPE = "application/problem+json"
BLANK = "about:blank"
_TAG = "tag:letexto-mcp,2026:problems/"

INVALID_ARGUMENTS = _TAG + "invalid-arguments"
IDEMPOTENCY_KEY_REUSED = _TAG + "idempotency-key-reused"
CANNOT_PROCEED = _TAG + "cannot-proceed"
NOT_FOUND_AT_LETEXTO = _TAG + "not-found"
REFUSED_BY_LETEXTO = _TAG + "refused-by-letexto"
LETEXTO_KEY_REFUSED = _TAG + "letexto-key-refused"
LETEXTO_UNREACHABLE = _TAG + "letexto-unreachable"
LETEXTO_TIMEOUT = _TAG + "letexto-timeout"
LETEXTO_RATE_LIMITED = _TAG + "letexto-rate-limited"
INTERNAL = _TAG + "internal"

TITLES = {
    INVALID_ARGUMENTS: "Invalid arguments",
    IDEMPOTENCY_KEY_REUSED: "Idempotency key already used for another request",
    CANNOT_PROCEED: "The request cannot be carried out",
    NOT_FOUND_AT_LETEXTO: "Not found at LeTexto",
    REFUSED_BY_LETEXTO: "LeTexto refused the request",
    LETEXTO_KEY_REFUSED: "LeTexto refused the API key",
    LETEXTO_UNREACHABLE: "LeTexto could not be reached",
    LETEXTO_TIMEOUT: "LeTexto did not answer in time",
    LETEXTO_RATE_LIMITED: "LeTexto asks to slow down",
    INTERNAL: "Internal error",
}
"""Every problem type this API defines, with its title (the OpenAPI document lists them)."""

FieldError = tuple[str, str]


def problem_body(
    status: int, detail: str | None, *, type_: str = BLANK, errors: list[FieldError] | None = None
) -> dict[str, Any]:
    """The problem document: `type`, `title`, `status`, `detail`, and `errors` for validation."""
    title = HTTPStatus(status).phrase if type_ == BLANK else TITLES[type_]
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = [{"field": field, "message": message} for field, message in errors]
    return body


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


class Problem(Exception):
    """Raised inside a route to answer with a problem; `response()` renders it."""

    def __init__(
        self,
        status: int,
        detail: str | None,
        *,
        type_: str = BLANK,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or HTTPStatus(status).phrase)
        self.status = status
        self.detail = detail
        self.type = type_
        self.errors = errors
        self.headers = headers or {}

    def response(self) -> ProblemResponse:
        body = problem_body(self.status, self.detail, type_=self.type, errors=self.errors)
        return ProblemResponse(body, status_code=self.status, headers=self.headers)


def letexto_problem(cause: lx.LetextoError, detail: str) -> Problem:
    """What a LeTexto failure means for the REST caller (the detail is the tool's readable text).

    Refusing the key is 502, not 401: this caller's own key was accepted; LeTexto refused the
    server's (or, in multi-tenant mode, the one in X-LeTexto-Key: the detail says which).
    """
    if isinstance(cause, lx.NotFoundError):
        return Problem(404, detail, type_=NOT_FOUND_AT_LETEXTO)
    if isinstance(cause, lx.AuthenticationError):
        return Problem(502, detail, type_=LETEXTO_KEY_REFUSED)
    if isinstance(cause, lx.RateLimitedError):
        wait = cause.retry_after
        headers = {"Retry-After": str(max(1, math.ceil(wait)))} if wait else {}
        return Problem(503, detail, type_=LETEXTO_RATE_LIMITED, headers=headers)
    if isinstance(cause, lx.OutcomeUnknownError):
        return Problem(504, detail, type_=LETEXTO_TIMEOUT)
    if isinstance(cause, lx.InsufficientBalanceError) or cause.status_code == 409:
        return Problem(409, detail, type_=REFUSED_BY_LETEXTO)
    if isinstance(cause, (lx.InvalidRequestError, lx.SenderNotAuthorizedError)):
        return Problem(422, detail, type_=REFUSED_BY_LETEXTO)
    return Problem(502, detail, type_=LETEXTO_UNREACHABLE)


FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One invalid argument: its name (dotted path into the body) and what to fix.",
    "required": ["field", "message"],
    "properties": {
        "field": {"type": "string", "examples": ["content"]},
        "message": {"type": "string", "examples": ["is required"]},
    },
}


def problem_schema(field_error_ref: str) -> dict[str, Any]:
    """The JSON Schema of every error body (RFC 9457 members plus `errors`)."""
    return {
        "type": "object",
        "description": (
            "An error (RFC 9457 problem details). `detail` says what went wrong and what to do next; it "
            "never repeats the values you sent. `errors` lists the invalid arguments one by one."
        ),
        "required": ["type", "title", "status"],
        "properties": {
            "type": {
                "type": "string",
                "description": "`about:blank` (the HTTP status says it all) or one of this API's own types.",
                "enum": [BLANK, *TITLES],
            },
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": field_error_ref}},
        },
    }
