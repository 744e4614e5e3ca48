"""Errors in the vendor's shape: `{"statusCode": 400, "message": "...", "errors": "Bad Request"}`."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse


class VendorError(Exception):
    """Raised by a handler to answer with a vendor-shaped error body."""

    def __init__(self, status: int, message: str | list[str], headers: dict[str, str] | None = None) -> None:
        super().__init__(message if isinstance(message, str) else "; ".join(message))
        self.status = status
        self.message = message
        self.headers = headers or {}


class ValidationErrors(VendorError):
    """400 for DTO validation: one message as a string, several as a list (NestJS style)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(400, messages[0] if len(messages) == 1 else list(messages))


def error_body(status: int, message: str | list[str]) -> dict[str, Any]:
    """The vendor's error object for `status`; `errors` is the HTTP reason phrase."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"statusCode": status, "message": message, "errors": phrase}


def error_response(
    status: int, message: str | list[str], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)
