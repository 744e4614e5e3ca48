"""Helpers for the REST face's tests: the HTTP app served on loopback, a keyed client, problem checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from letexto_mcp.api.openapi import openapi_document
from letexto_mcp.api.problems import PROBLEM_MEDIA_TYPE
from letexto_mcp.server.http import build_http_app
from tests.conftest import sandbox_settings
from tests.http_helpers import KEY_A, KEY_B, serving

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}
CONTACTS = [{"phone": "07 07 12 34 56", "name": "Awa"}, {"phone": "05 05 12 34 56", "name": "Koffi"}]
CAMPAIGN = {
    "label": "Rappel RDV",
    "content": "Bonjour {{name}}, votre rendez-vous est demain à 10h.",
    "contacts": CONTACTS,
}
EMAIL = {
    "label": "Lettre de novembre",
    "from_email": "contact@example.ci",
    "recipients": ["awa@example.ci", "koffi@example.ci"],
    "subject": "Nos nouveautés de novembre",
    "content": "<p>Bonjour,</p><p>Voici nos nouveautés du mois.</p>",
}


def rest_settings(**overrides: Any) -> Any:
    """A sandbox server with two client keys (two tenants); policy `confirm` unless told otherwise."""
    values: dict[str, Any] = {"mcp_api_keys": [KEY_A, KEY_B]}
    values.update(overrides)
    return sandbox_settings(**values)


@asynccontextmanager
async def rest_server(simulator: Any, **overrides: Any) -> AsyncIterator[str]:
    """The whole HTTP app under uvicorn on a loopback socket; yields its base URL."""
    async with serving(build_http_app(rest_settings(**overrides), simulator=simulator)) as url:
        yield url


@asynccontextmanager
async def rest_client(base: str, key: str | None = KEY_A) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", headers=headers, timeout=30) as http:
        yield http


_COMPONENTS = openapi_document(rest_settings(), "http://127.0.0.1")["components"]


def conforms(body: Any, component: str) -> None:
    """`body` validates against a schema of the published document (its `$ref`s resolved)."""
    schema = {"components": _COMPONENTS, "$ref": f"#/components/schemas/{component}"}
    Draft202012Validator(schema).validate(body)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """An RFC 9457 problem with this status, as the document describes it; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    conforms(body, "Problem")
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body
