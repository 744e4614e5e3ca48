"""Reading a request the way the vendor's NestJS stack does: the key, and the body's fields."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from letexto_mcp.sandbox.errors import VendorError
from letexto_mcp.sandbox.records import AuthForm


def bearer_key(headers: Mapping[str, str]) -> str | None:
    scheme, _, value = headers.get("authorization", "").strip().partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


def auth_form(headers: Mapping[str, str], query: Mapping[str, str]) -> AuthForm:
    """Which places carried a key: the Authorization header, the `token` query parameter, both, none."""
    bearer, token = bearer_key(headers) is not None, bool(query.get("token"))
    if bearer and token:
        return "both"
    return "bearer" if bearer else "query" if token else "none"


def request_key(request: Request) -> str | None:
    """The key from `Authorization: Bearer`, else from `?token=`."""
    return bearer_key(request.headers) or request.query_params.get("token") or None


async def read_fields(request: Request) -> dict[str, Any]:
    """The body's fields: JSON or form bodies are read; any other or no Content-Type gives none."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    if content_type != "application/json" and not content_type.endswith("+json"):
        return {}
    if not raw.strip():
        return {}
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise VendorError(400, f"Unexpected token in JSON at position {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise VendorError(400, json_error_message(exc)) from None
    return parsed if isinstance(parsed, dict) else {}


def json_error_message(exc: json.JSONDecodeError) -> str:
    """Node's JSON.parse wording, as the vendor's document quotes it."""
    if exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated string"):
        return "Unexpected end of JSON input"
    return f"Unexpected token {exc.doc[exc.pos]} in JSON at position {exc.pos}"
