"""HTML answers: Jinja2 templates (autoescaped, loaded on first use) and the headers every page carries.

Jinja2 is imported when the first page is rendered, never at start-up: a stdio server that no one
asks to approve anything never loads it. The pages run no script at all, and their Content Security
Policy says so to the browser.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from starlette.responses import HTMLResponse, Response

from letexto_mcp.web.i18n import Words

if TYPE_CHECKING:
    import jinja2

PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# The email body is someone else's HTML: shown in a sandbox (no script, no form, no navigation of
# the page), loading nothing remote (only inline styles and data: images).
EMAIL_BODY_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)
COMMON_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
PAGE_HEADERS = {**COMMON_HEADERS, "Content-Security-Policy": PAGE_CSP, "X-Frame-Options": "DENY"}
STATIC_HEADERS = {
    "Cache-Control": "public, max-age=300",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
}


@cache
def environment() -> jinja2.Environment:
    """The templates, autoescaped; undefined names fail loudly instead of rendering blank."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("letexto_mcp.web", "templates"),
        autoescape=jinja2.select_autoescape(["html"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


STATIC_FILES = {"approval.css": "text/css; charset=utf-8", "favicon.svg": "image/svg+xml"}


@cache
def static_file(name: str) -> bytes:
    """One of the pages' own files (STATIC_FILES), read once."""
    return resources.files("letexto_mcp.web").joinpath("static").joinpath(name).read_bytes()


def page(
    template: str,
    words: Words,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **values: Any,
) -> HTMLResponse:
    """A rendered page with the pages' security headers."""
    html = environment().get_template(template).render(t=words, lang=words.lang, **values)
    return HTMLResponse(html, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


def message(
    words: Words,
    title: str,
    text: str,
    *,
    status: int,
    back: str | None = None,
    headers: dict[str, str] | None = None,
    signed_in: str | None = None,
    **values: Any,
) -> HTMLResponse:
    """A short page that says one thing (an error, a refusal, a wait), in the reader's language."""
    return page(
        "message.html",
        words,
        status=status,
        headers=headers,
        title=words(title),
        text=words(text, **values),
        back=back,
        signed_in=signed_in,
    )


def too_many(words: Words, wait: int) -> HTMLResponse:
    """429 for an address over its failed sign-in limit, with how long to wait."""
    return message(
        words, "too_many_title", "too_many", status=429, headers={"Retry-After": str(wait)}, seconds=wait
    )


def json_answer(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    """A bot's answer: JSON, never cached."""
    return Response(
        json.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={**COMMON_HEADERS, **(headers or {})},
    )
