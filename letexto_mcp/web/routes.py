"""The approval pages' routes: sign in, see everything that will leave, approve or decline.

Browsers sign in with an approver key (or, on stdio, a one-time link) and get a signed session
cookie; their decisions are POSTed forms carrying a CSRF token. Chat-ops bots decide with
`Authorization: Bearer <approver key>` and get JSON. GET never changes a record. An MCP client key
or the LeTexto key is refused everywhere here: whoever holds what sends must not be able to approve.
A record of a tenant the approver does not cover is answered like an unknown one (404) when viewed.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import parse_qsl

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from letexto_mcp.config import ApproverKey
from letexto_mcp.store.base import ApprovalRecord
from letexto_mcp.web import render
from letexto_mcp.web.context import ApprovalWebContext
from letexto_mcp.web.export import recipients_csv
from letexto_mcp.web.i18n import Words, negotiate
from letexto_mcp.web.keys import Keyring, Refused
from letexto_mcp.web.limits import FailureLimiter
from letexto_mcp.web.present import build_view
from letexto_mcp.web.sessions import SESSION_SECONDS, Session, Sessions

logger = logging.getLogger("letexto_mcp.web")

APPROVALS = "/approvals"
COOKIE_PATH = APPROVALS
FORM_LIMIT = 8 * 1024
_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
_NEXT = re.compile(r"/approvals/[A-Za-z0-9_-]{1,64}(\?[A-Za-z0-9=&_-]{0,100})?")
_PAGE_QUERY = ("recipients", "texts")
ACTIONS = {"approve": True, "decline": False}
WWW_AUTHENTICATE = 'Bearer realm="letexto-mcp approvals"'


def valid_id(approval_id: str) -> bool:
    """The shape of a record id (what the store is asked about; anything else is unknown at once)."""
    return _ID.fullmatch(approval_id) is not None


def safe_next(value: str | None) -> str | None:
    """A local approval page to go to after signing in, or None for anything else (no open redirect)."""
    if not value or _NEXT.fullmatch(value) is None:
        return None
    return value


def see_other(path: str) -> RedirectResponse:
    """303 to a page of ours (after a form, or to sign in first)."""
    return RedirectResponse(path, status_code=303, headers=render.COMMON_HEADERS)


def cross_site(request: Request) -> bool:
    """A browser says the request comes from another site's page (Fetch Metadata): never a decision."""
    site = request.headers.get("sec-fetch-site")
    return site is not None and site not in ("same-origin", "none")


def is_https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


async def read_form(request: Request) -> dict[str, str] | None:
    """A small urlencoded form, or None (another content type, too big, not UTF-8, too many fields)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            return None
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=16))
    except (UnicodeDecodeError, ValueError):
        return None


def bearer(request: Request) -> str | None:
    """The credential of `Authorization: Bearer …` ("" when the header is there but malformed)."""
    value = request.headers.get("authorization")
    if value is None:
        return None
    scheme, _, credential = value.partition(" ")
    return credential.strip() if scheme.lower() == "bearer" else ""


@dataclass(frozen=True)
class SignedIn:
    """The person a valid session names, and which tenants' sends they may see and decide."""

    session: Session
    name: str
    approver: ApproverKey | None  # None: the desktop user of a stdio server (every tenant: only `local`)

    def may_decide(self, tenant: str) -> bool:
        return self.approver is None or self.approver.may_decide(tenant)


class _Pages:
    """The handlers, over whatever context the transport gives (resolved per request)."""

    def __init__(self, context: Callable[[], ApprovalWebContext]) -> None:
        self._context = context
        self._for: ApprovalWebContext | None = None
        self.keyring: Keyring
        self.sessions: Sessions
        self.limiter: FailureLimiter

    # -- per request ---------------------------------------------------------------------------------

    def ctx(self) -> ApprovalWebContext:
        """The current context, and what is derived from it (rebuilt when the transport restarts)."""
        ctx = self._context()
        if ctx is not self._for:
            self.keyring = Keyring(ctx.approvers, ctx.refused_keys)
            self.sessions = Sessions(ctx.session_secret)
            self.limiter = FailureLimiter(ctx.login_attempts_per_minute)
            self._for = ctx
        return ctx

    def signed_in(self, request: Request, ctx: ApprovalWebContext) -> SignedIn | None:
        session = self.sessions.read(request.cookies.get(self.sessions.cookie_name), time.time())
        if session is None:
            return None
        if session.kind == "key":
            approver = self.keyring.by_name(session.name)
            if approver is None:
                return None
            tag = self.sessions.key_tag(approver.key.get_secret_value())
            if not hmac.compare_digest(tag, session.key_tag):
                return None  # the person's key changed since: sign in again
            return SignedIn(session, approver.name, approver)
        if session.kind == "tenant":  # signed in with a LeTexto key on the consent page (multi-tenant)
            return SignedIn(
                session, session.name, ApproverKey(session.name, SecretStr(""), frozenset({session.key_tag}))
            )
        links = ctx.sign_in_links
        if session.kind != "link" or links is None or session.name != links.name:
            return None
        if not hmac.compare_digest(session.key_tag, links.epoch):
            return None  # a link of another run of the server
        return SignedIn(session, session.name, None)

    def start_session(self, request: Request, response: Response, name: str, kind: str, tag: str) -> Response:
        value, _ = self.sessions.issue(name, kind, tag, time.time())
        response.set_cookie(
            self.sessions.cookie_name,
            value,
            max_age=SESSION_SECONDS,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=is_https(request),
        )
        return response

    async def visible_record(
        self, approval_id: str, who: SignedIn, ctx: ApprovalWebContext
    ) -> ApprovalRecord | None:
        """The record if it exists and this person may see it (else None: the same 404 for both)."""
        if not valid_id(approval_id):
            return None
        record = await ctx.desk.get(approval_id)
        if record is None or not who.may_decide(record.tenant):
            return None
        return record

    # -- pages --------------------------------------------------------------------------------------

    async def approval_page(self, request: Request, ctx: ApprovalWebContext, words: Words) -> Response:
        approval_id = request.path_params["id"]
        who = self.signed_in(request, ctx)
        if not valid_id(approval_id):
            name = who.name if who is not None else None
            return render.message(words, "not_found_title", "not_found", status=404, signed_in=name)
        if who is None:
            query = "&".join(f"{k}={v}" for k, v in request.query_params.items() if k in _PAGE_QUERY)
            target = f"{APPROVALS}/{approval_id}" + (f"?{query}" if query else "")
            return self.login_form(words, safe_next(target) or f"{APPROVALS}/{approval_id}", status=401)
        record = await self.visible_record(approval_id, who, ctx)
        if record is None:
            return render.message(words, "not_found_title", "not_found", status=404, signed_in=who.name)
        view = await build_view(
            record,
            ctx.desk.store,
            words,
            ctx.desk.now(),
            recipients_page=request.query_params.get("recipients"),
            texts_page=request.query_params.get("texts"),
        )
        view.csrf = {action: self.sessions.csrf(who.session, record.id, action) for action in ACTIONS}
        return render.page("approval.html", words, view=view, signed_in=who.name)

    def login_form(self, words: Words, next_path: str, *, status: int, error: str | None = None) -> Response:
        return render.page(
            "login.html", words, status=status, next_path=next_path, error=error, signed_in=None
        )

    async def login(self, request: Request, ctx: ApprovalWebContext, words: Words) -> Response:
        if request.method != "POST":
            return render.message(words, "method_title", "method", status=405, headers={"Allow": "POST"})
        if cross_site(request):  # nobody signs in from another site's form
            return render.message(words, "csrf_title", "csrf", status=403)
        form = await read_form(request)
        next_path = safe_next((form or {}).get("next"))
        if form is None or next_path is None:
            return render.message(words, "bad_request_title", "bad_request", status=400)
        address = client_address(request)
        wait = self.limiter.retry_after(address)
        if wait:
            return render.too_many(words, wait)
        found = self.keyring.identify(form.get("key", "").strip())
        if isinstance(found, Refused):
            self.limiter.fail(address)
            logger.warning("approval sign-in refused from %s: a client or LeTexto key was given", address)
            return render.message(
                words, "client_key_title", "client_key", status=403, back=next_path, signed_in=None
            )
        if found is None:
            self.limiter.fail(address)
            logger.info("approval sign-in failed from %s", address)
            return self.login_form(words, next_path, status=401, error=words("wrong_key"))
        logger.info("approver %s signed in from %s", found.name, address)
        response = see_other(next_path)
        tag = self.sessions.key_tag(found.key.get_secret_value())
        return self.start_session(request, response, found.name, "key", tag)

    async def signin(self, request: Request, ctx: ApprovalWebContext, words: Words) -> Response:
        links = ctx.sign_in_links
        if links is None:
            return render.message(words, "not_found_title", "not_found", status=404)
        next_path = safe_next(request.query_params.get("next"))
        if next_path is None:
            return render.message(words, "bad_request_title", "bad_request", status=400)
        address = client_address(request)
        wait = self.limiter.retry_after(address)
        if wait:
            return render.too_many(words, wait)
        name = links.redeem(request.path_params["secret"])
        if name is None:
            self.limiter.fail(address)
            return render.message(words, "link_title", "link", status=403)
        logger.info("%s signed in with a one-time link", name)
        response = see_other(next_path)
        return self.start_session(request, response, name, "link", links.epoch)

    # -- decisions ----------------------------------------------------------------------------------

    async def decide(self, request: Request, ctx: ApprovalWebContext, words: Words) -> Response:
        action = request.url.path.rsplit("/", 1)[-1]
        if request.method != "POST":
            return render.message(
                words, "method_title", "method", status=405, headers={"Allow": "POST"}, signed_in=None
            )
        presented = bearer(request)
        if presented is not None:
            return await self.bot_decides(request, ctx, action, presented)
        return await self.browser_decides(request, ctx, words, action)

    async def browser_decides(
        self, request: Request, ctx: ApprovalWebContext, words: Words, action: str
    ) -> Response:
        approval_id = request.path_params["id"]
        page_url = f"{APPROVALS}/{approval_id}"
        if cross_site(request):
            return render.message(words, "csrf_title", "csrf", status=403, back=page_url)
        form = await read_form(request)
        who = self.signed_in(request, ctx)
        if who is None:
            if form is None:  # not a browser form: a bot without its key
                return render.json_answer(
                    {"error": "send Authorization: Bearer <approver key>"},
                    401,
                    {"WWW-Authenticate": WWW_AUTHENTICATE},
                )
            return see_other(page_url)
        if not valid_id(approval_id):
            return render.message(words, "not_found_title", "not_found", status=404, signed_in=who.name)
        if not self.sessions.csrf_ok(who.session, approval_id, action, (form or {}).get("csrf")):
            return render.message(words, "csrf_title", "csrf", status=403, back=page_url)
        record = await ctx.desk.get(approval_id)
        if record is None:
            return render.message(words, "not_found_title", "not_found", status=404)
        if not who.may_decide(record.tenant):
            return render.message(words, "not_allowed_title", "not_allowed", status=403)
        address = client_address(request)
        decided = await ctx.desk.decide(
            approval_id, approve=ACTIONS[action], by=who.name, via="page", from_address=address
        )
        if decided is not None:
            logger.info("approval %s… %s by %s on the page", approval_id[:6], decided.state, who.name)
        return see_other(page_url)

    async def bot_decides(
        self, request: Request, ctx: ApprovalWebContext, action: str, presented: str
    ) -> Response:
        address = client_address(request)
        wait = self.limiter.retry_after(address)
        if wait:
            body = {"error": "too many failed attempts", "retry_after": wait}
            return render.json_answer(body, 429, {"Retry-After": str(wait)})
        found = self.keyring.identify(presented) if presented else None
        if isinstance(found, Refused):
            self.limiter.fail(address)
            logger.warning("approval decision refused from %s: a client or LeTexto key was given", address)
            return render.json_answer({"error": "client keys cannot approve"}, 403)
        if found is None:
            if presented:
                self.limiter.fail(address)
            challenge = {"WWW-Authenticate": f'{WWW_AUTHENTICATE}, error="invalid_token"'}
            return render.json_answer({"error": "not an approver key"}, 401, challenge)
        approval_id = request.path_params["id"]
        record = await ctx.desk.get(approval_id) if valid_id(approval_id) else None
        if record is None:
            return render.json_answer({"error": "no such approval"}, 404)
        if not found.may_decide(record.tenant):
            return render.json_answer({"error": "this approver may not decide this account's sends"}, 403)
        decided = None
        if record.state == "pending" and not record.expired(ctx.desk.now()):
            decided = await ctx.desk.decide(
                approval_id, approve=ACTIONS[action], by=found.name, via="bot", from_address=address
            )
        if decided is not None:
            logger.info("approval %s… %s by %s (bot)", approval_id[:6], decided.state, found.name)
            return render.json_answer({"status": decided.state}, 200)
        current = await ctx.desk.get(approval_id) or record
        if current.state == "pending":  # still pending, yet not decidable: it has expired
            return render.json_answer({"status": "expired"}, 410)
        return render.json_answer({"status": current.state}, 409)

    # -- what the page links to ---------------------------------------------------------------------

    async def recipients_file(self, request: Request, ctx: ApprovalWebContext, words: Words) -> Response:
        approval_id = request.path_params["id"]
        who = self.signed_in(request, ctx)
        if who is None:
            return see_other(f"{APPROVALS}/{approval_id}")
        record = await self.visible_record(approval_id, who, ctx)
        if record is None:
            return render.message(words, "not_found_title", "not_found", status=404, signed_in=who.name)
        filename = f"approval-{record.id[:8]}-recipients.csv"
        return StreamingResponse(
            recipients_csv(ctx.desk.store, record.id),
            media_type="text/csv; charset=utf-8",
            headers={**render.COMMON_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
        )

    async def email_body(self, request: Request, ctx: ApprovalWebContext, words: Words) -> Response:
        headers = {**render.COMMON_HEADERS, "Content-Security-Policy": render.EMAIL_BODY_CSP}
        who = self.signed_in(request, ctx)
        record = await self.visible_record(request.path_params["id"], who, ctx) if who else None
        body = record.summary.get("body") if record is not None else None
        if not isinstance(body, str):
            return Response("", status_code=404, media_type="text/plain", headers=headers)
        return Response(as_html(body), media_type="text/html; charset=utf-8", headers=headers)

    async def static(self, request: Request, ctx: ApprovalWebContext, words: Words) -> Response:
        name = request.path_params["name"]
        if name not in render.STATIC_FILES:
            return Response("", status_code=404, headers=render.STATIC_HEADERS)
        body = render.static_file(name)
        return Response(body, media_type=render.STATIC_FILES[name], headers=render.STATIC_HEADERS)


_LOOKS_LIKE_HTML = re.compile(r"<\s*[A-Za-z!/]")


def as_html(body: str) -> str:
    """An HTML body as it is (the sandbox holds it); a plain-text body kept readable, line by line."""
    if _LOOKS_LIKE_HTML.search(body):
        return body
    from html import escape

    return (
        '<!doctype html><meta charset="utf-8">'
        f'<pre style="white-space:pre-wrap;font:15px/1.5 sans-serif;margin:12px">{escape(body)}</pre>'
    )


Handler = Callable[[Request, ApprovalWebContext, Words], Awaitable[Response]]


class HostChecked(Protocol):
    """A page context: it knows which Host headers this server answers to."""

    def host_allowed(self, host: str | None) -> bool: ...


ContextT = TypeVar("ContextT", bound=HostChecked)


def guarded(
    context: Callable[[], ContextT], handler: Callable[[Request, ContextT, Words], Awaitable[Response]]
) -> Callable[[Request], Awaitable[Response]]:
    """Resolve the context (503 before start-up), check the Host (DNS rebinding), pick the language:
    the same for every page this server shows (approvals, consent, connections)."""

    async def endpoint(request: Request) -> Response:
        words = Words(negotiate(request.headers.get("accept-language")))
        try:
            ctx = context()
        except RuntimeError:
            return render.message(words, "unavailable_title", "unavailable", status=503)
        if not ctx.host_allowed(request.headers.get("host")):
            return Response("Invalid Host header", status_code=421, headers=render.COMMON_HEADERS)
        return await handler(request, ctx, words)

    return endpoint


def approval_routes(context: Callable[[], ApprovalWebContext]) -> list[BaseRoute]:
    """Every route of the approval pages, all under /approvals."""
    pages = _Pages(context)

    def route(path: str, handler: Handler, methods: list[str]) -> Route:
        return Route(path, guarded(pages.ctx, handler), methods=methods)

    any_method = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return [
        route(f"{APPROVALS}/static/{{name}}", pages.static, ["GET"]),
        route(f"{APPROVALS}/login", pages.login, any_method),
        route(f"{APPROVALS}/signin/{{secret}}", pages.signin, ["GET"]),
        route(f"{APPROVALS}/{{id}}/approve", pages.decide, any_method),
        route(f"{APPROVALS}/{{id}}/decline", pages.decide, any_method),
        route(f"{APPROVALS}/{{id}}/recipients.csv", pages.recipients_file, ["GET"]),
        route(f"{APPROVALS}/{{id}}/email-body", pages.email_body, ["GET"]),
        route(f"{APPROVALS}/{{id}}", pages.approval_page, ["GET"]),
    ]
