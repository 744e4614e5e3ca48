"""The sign-in and consent page of the built-in OAuth server, and the connections page.

`/oauth/consent?request=…` (the sealed authorization request, see `oauth.provider`) shows which
application asks (its name, the host it returns to), what it will be allowed to do (the scopes), and for
which LeTexto account. The person proves who they are in the same form — a connect key or an approver key
(single account), or their own LeTexto API key (multi-tenant mode, checked against LeTexto, then sealed
for that connection only) — and presses Allow or Refuse. A signed-in person (the approval pages' session)
only presses. Allowing signs them in with the very session the approval pages use (the cookie is set for
/approvals and /oauth), so that they can decide their connection's sends there.

`/oauth/connections` lists the connections a signed-in person may see (an approver: every one, or those
of the tenants their key covers; anyone else: their own) and revokes them (POST, CSRF token).

No JavaScript (CSP `default-src 'none'`), forms POSTed with CSRF tokens, cross-site posts refused,
failed keys limited per address, and no key ever in a log line or a page.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from letexto_mcp.config import ApproverKey
from letexto_mcp.oauth.provider import LetextoAuthorizationServer, PendingAuthorization, Person, printable
from letexto_mcp.oauth.sealing import KeySealer
from letexto_mcp.web import render
from letexto_mcp.web.i18n import Words
from letexto_mcp.web.keys import Keyring, Refused
from letexto_mcp.web.limits import FailureLimiter
from letexto_mcp.web.routes import COOKIE_PATH, client_address, cross_site, guarded, is_https, read_form
from letexto_mcp.web.sessions import SESSION_SECONDS, Session, Sessions, b64

logger = logging.getLogger("letexto_mcp.web.consent")

OAUTH_PAGES = "/oauth"
CONSENT = OAUTH_PAGES + "/consent"
CONNECTIONS = OAUTH_PAGES + "/connections"
LOGIN = OAUTH_PAGES + "/login"
TENANT_SESSION = "tenant"
_MAX_KEY_CHARS = 512

KeyCheck = Literal["ok", "refused", "unreachable"]


@dataclass
class ConsentWebContext:
    """What the consent and connections pages need from the HTTP app (built at start-up).

    `people` may sign in (approvers, and in single-account mode the connect-key holders, each scoped
    to the tenants they may see); `person_tenant` names the tenant a person's connections act for;
    in multi-tenant mode `letexto_tenant` derives it from a pasted LeTexto key, `check_key` asks
    LeTexto whether it works, and `sealer` seals it.
    """

    provider: LetextoAuthorizationServer
    people: Sequence[ApproverKey]
    refused_keys: Sequence[str]
    session_secret: bytes
    host_allowed: Callable[[str | None], bool]
    account_key: str
    """The server's LeTexto key as `doctor` masks it (single-account mode: the account connections use)."""
    person_tenant: Callable[[str], str]
    multi_tenant: bool = False
    letexto_tenant: Callable[[str], str] | None = None
    check_key: Callable[[str, str], Awaitable[KeyCheck]] | None = None
    sealer: KeySealer | None = None
    login_attempts_per_minute: int = 5


@dataclass(frozen=True)
class Visitor:
    """A signed-in person: their name and the tenants whose connections they see (None: all)."""

    session: Session
    name: str
    tenants: frozenset[str] | None

    def may_see(self, tenant: str) -> bool:
        return self.tenants is None or tenant in self.tenants


def usable_key(value: str | None) -> str | None:
    """A pasted key: printable, no spaces, not absurdly long (else None)."""
    value = (value or "").strip()
    if not value or len(value) > _MAX_KEY_CHARS or any(c.isspace() or not c.isprintable() for c in value):
        return None
    return value


def account_name(tenant: str) -> str:
    """How a person who signed in with a LeTexto key is named (audit, pages): never any part of the key."""
    return "account-" + tenant.rsplit(":", 1)[-1][:8]


def see_other(url: str, headers: dict[str, str] | None = None) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={**render.COMMON_HEADERS, **(headers or {})})


def redirect_source(uri: str) -> str:
    """The CSP source of a client's redirect URI: the consent form's POST is answered by a redirect
    there, which the page's `form-action` must allow."""
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{parts.netloc}"
    return f"{parts.scheme}:"


class _ConsentPages:
    def __init__(self, context: Callable[[], ConsentWebContext]) -> None:
        self._context = context
        self._for: ConsentWebContext | None = None
        self.keyring: Keyring
        self.sessions: Sessions
        self.limiter: FailureLimiter
        self._csrf_key = b""

    def ctx(self) -> ConsentWebContext:
        ctx = self._context()
        if ctx is not self._for:
            self.keyring = Keyring(ctx.people, ctx.refused_keys)
            self.sessions = Sessions(ctx.session_secret)
            self.limiter = FailureLimiter(ctx.login_attempts_per_minute)
            self._csrf_key = hmac.new(
                ctx.session_secret, b"letexto-mcp/oauth-pages/csrf", hashlib.sha256
            ).digest()
            self._for = ctx
        return ctx

    # -- sessions ---------------------------------------------------------------------------------------

    def visitor(self, request: Request) -> Visitor | None:
        session = self.sessions.read(request.cookies.get(self.sessions.cookie_name), time.time())
        if session is None:
            return None
        if session.kind == TENANT_SESSION:
            return Visitor(session, session.name, frozenset({session.key_tag}))
        if session.kind != "key":
            return None
        person = self.keyring.by_name(session.name)
        if person is None:
            return None
        tag = self.sessions.key_tag(person.key.get_secret_value())
        if not hmac.compare_digest(tag, session.key_tag):
            return None
        return Visitor(session, person.name, person.tenants)

    def sign_in(self, request: Request, response: Response, name: str, kind: str, tag: str) -> None:
        """The approval pages' own session, for /approvals and for these pages."""
        value, _ = self.sessions.issue(name, kind, tag, time.time())
        for path in (COOKIE_PATH, OAUTH_PAGES):
            response.set_cookie(
                self.sessions.cookie_name,
                value,
                max_age=SESSION_SECONDS,
                path=path,
                httponly=True,
                samesite="lax" if path == OAUTH_PAGES else "strict",
                secure=is_https(request),
            )

    def consent_csrf(self, sealed: str, session: Session | None) -> str:
        nonce = session.nonce if session is not None else "-"
        return b64(hmac.new(self._csrf_key, f"consent\0{sealed}\0{nonce}".encode(), hashlib.sha256).digest())

    # -- the consent page -------------------------------------------------------------------------------

    async def pending(self, ctx: ConsentWebContext, sealed: str | None) -> PendingAuthorization | None:
        return ctx.provider.sealer.open(sealed, time.time())

    async def consent_page(self, request: Request, ctx: ConsentWebContext, words: Words) -> Response:
        sealed = request.query_params.get("request")
        pending = await self.pending(ctx, sealed)
        client = await ctx.provider.get_client(pending.client_id) if pending is not None else None
        if pending is None or client is None or sealed is None:
            return render.message(words, "consent_expired_title", "consent_expired", status=400)
        return self.render_consent(request, ctx, words, sealed, pending, client.client_name)

    def render_consent(
        self,
        request: Request,
        ctx: ConsentWebContext,
        words: Words,
        sealed: str,
        pending: PendingAuthorization,
        client_name: str | None,
        *,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        who = self.visitor(request)
        ask_key = ctx.multi_tenant or who is None
        csp = render.PAGE_CSP.replace(
            "form-action 'self'", f"form-action 'self' {redirect_source(pending.redirect_uri)}"
        )
        return render.page(
            "consent.html",
            words,
            status=status,
            headers={"Content-Security-Policy": csp},
            client_name=printable(client_name),
            redirect_host=urlsplit(pending.redirect_uri).netloc or redirect_source(pending.redirect_uri),
            account=words("consent_account_yours")
            if ctx.multi_tenant
            else words("consent_account_server", masked=ctx.account_key),
            scopes=pending.scopes,
            request=sealed,
            csrf=self.consent_csrf(sealed, None if ask_key else who.session if who else None),
            ask_key=ask_key,
            key_label="consent_letexto_key" if ctx.multi_tenant else "consent_key",
            key_hint="consent_letexto_key_hint" if ctx.multi_tenant else "consent_key_hint",
            error=error,
            signed_in=who.name if who is not None else None,
        )

    async def consent_decision(self, request: Request, ctx: ConsentWebContext, words: Words) -> Response:
        if cross_site(request):
            return render.message(words, "csrf_title", "csrf", status=403)
        form = await read_form(request)
        sealed = (form or {}).get("request")
        pending = await self.pending(ctx, sealed)
        client = await ctx.provider.get_client(pending.client_id) if pending is not None else None
        if form is None or pending is None or client is None or sealed is None:
            return render.message(words, "consent_expired_title", "consent_expired", status=400)
        who = self.visitor(request)
        presented = form.get("csrf", "")
        expected = [self.consent_csrf(sealed, None)] + (
            [self.consent_csrf(sealed, who.session)] if who else []
        )
        if not any(hmac.compare_digest(presented.encode(), e.encode()) for e in expected):
            return render.message(words, "csrf_title", "csrf", status=403)
        if form.get("action") == "refuse":
            logger.info("a connection of %s was refused", printable(client.client_name))
            return see_other(ctx.provider.refused(pending))
        if form.get("action") != "allow":
            return render.message(words, "bad_request_title", "bad_request", status=400)

        address = client_address(request)
        wait = self.limiter.retry_after(address)
        if wait:
            return render.too_many(words, wait)

        def again(message: str, status: int) -> Response:
            return self.render_consent(
                request, ctx, words, sealed, pending, client.client_name, error=words(message), status=status
            )

        key = usable_key(form.get("key"))
        if ctx.multi_tenant:
            return await self.allow_with_letexto_key(
                request, ctx, pending, client.client_name, key, address, again
            )
        if key is None:
            if who is None:
                return again("consent_missing_key", 401)
            person = self.keyring.by_name(who.name)
        else:
            found = self.keyring.identify(key)
            if isinstance(found, Refused):
                self.limiter.fail(address)
                logger.warning("consent refused from %s: a client or LeTexto key was given", address)
                return again("client_key", 403)
            if found is None:
                self.limiter.fail(address)
                logger.info("consent sign-in failed from %s", address)
                return again("consent_wrong_key", 401)
            person = found
        if person is None:
            return again("consent_missing_key", 401)
        tenant = ctx.person_tenant(person.name)
        _, url = await ctx.provider.allowed(pending, client, Person(person.name, tenant))
        response = see_other(url)
        self.sign_in(
            request, response, person.name, "key", self.sessions.key_tag(person.key.get_secret_value())
        )
        return response

    async def allow_with_letexto_key(
        self,
        request: Request,
        ctx: ConsentWebContext,
        pending: PendingAuthorization,
        client_name: str | None,
        key: str | None,
        address: str,
        again: Callable[[str, int], Response],
    ) -> Response:
        """Multi-tenant mode: the pasted LeTexto key is checked with LeTexto, then sealed for this
        connection only; the connection acts for the key's tenant (the one X-LeTexto-Key callers of the
        same key have)."""
        if key is None:
            return again("consent_missing_key", 401)
        if self.keyring.identify(key) is not None:  # an MCP client key, an approver key: not a LeTexto key
            self.limiter.fail(address)
            return again("consent_letexto_refused", 401)
        assert ctx.letexto_tenant is not None and ctx.check_key is not None and ctx.sealer is not None
        tenant = ctx.letexto_tenant(key)
        checked = await ctx.check_key(tenant, key)
        if checked == "unreachable":
            return again("consent_letexto_unreachable", 503)
        if checked == "refused":
            self.limiter.fail(address)
            logger.info("consent with a LeTexto key LeTexto refused, from %s", address)
            return again("consent_letexto_refused", 401)
        client = await ctx.provider.get_client(pending.client_id)
        if client is None:
            return again("consent_expired", 400)
        sealer = ctx.sealer
        name = account_name(tenant)
        _, url = await ctx.provider.allowed(
            pending,
            client,
            Person(name, tenant),
            sealed_key=lambda connection_id: sealer.seal(key, connection_id),
        )
        response = see_other(url)
        self.sign_in(request, response, name, TENANT_SESSION, tenant)
        return response

    # -- the connections page ---------------------------------------------------------------------------

    async def connections_page(self, request: Request, ctx: ConsentWebContext, words: Words) -> Response:
        who = self.visitor(request)
        if who is None:
            return self.login_form(ctx, words, status=401)
        listed = await ctx.provider.store.oauth_list_connections(limit=500)
        rows = [
            {
                "id": c.id,
                "client_name": c.client_name,
                "redirect_host": c.redirect_host,
                "person": c.person,
                "since": datetime.fromtimestamp(c.created_at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "scopes": ", ".join(c.scopes),
                "csrf": self.sessions.csrf(who.session, c.id, "revoke"),
            }
            for c in listed
            if who.may_see(c.tenant)
        ]
        return render.page("connections.html", words, connections=rows, signed_in=who.name)

    def login_form(
        self, ctx: ConsentWebContext, words: Words, *, status: int, error: str | None = None
    ) -> Response:
        intro = "connections_login_intro_tenant" if ctx.multi_tenant else "connections_login_intro"
        return render.page("key_login.html", words, status=status, intro=intro, error=error, signed_in=None)

    async def login(self, request: Request, ctx: ConsentWebContext, words: Words) -> Response:
        if request.method != "POST":
            return render.message(words, "method_title", "method", status=405, headers={"Allow": "POST"})
        if cross_site(request):
            return render.message(words, "csrf_title", "csrf", status=403)
        form = await read_form(request)
        key = usable_key((form or {}).get("key"))
        address = client_address(request)
        wait = self.limiter.retry_after(address)
        if wait:
            return render.too_many(words, wait)
        if key is None:
            return self.login_form(ctx, words, status=401, error=words("consent_missing_key"))
        found = self.keyring.identify(key)
        if isinstance(found, Refused):
            self.limiter.fail(address)
            return render.message(words, "client_key_title", "client_key", status=403)
        response = see_other(CONNECTIONS)
        if found is not None:
            self.sign_in(request, response, found.name, "key", self.sessions.key_tag(key))
            return response
        if ctx.multi_tenant and ctx.letexto_tenant is not None:
            # Whoever holds a LeTexto key sees (and may revoke) that account's connections: nothing else.
            tenant = ctx.letexto_tenant(key)
            self.sign_in(request, response, account_name(tenant), TENANT_SESSION, tenant)
            return response
        self.limiter.fail(address)
        return self.login_form(ctx, words, status=401, error=words("consent_wrong_key"))

    async def revoke(self, request: Request, ctx: ConsentWebContext, words: Words) -> Response:
        if request.method != "POST":
            return render.message(words, "method_title", "method", status=405, headers={"Allow": "POST"})
        if cross_site(request):
            return render.message(words, "csrf_title", "csrf", status=403)
        form = await read_form(request)
        who = self.visitor(request)
        if who is None:
            return see_other(CONNECTIONS)
        connection_id = request.path_params["id"]
        if not self.sessions.csrf_ok(who.session, connection_id, "revoke", (form or {}).get("csrf")):
            return render.message(words, "csrf_title", "csrf", status=403)
        connection = await ctx.provider.store.oauth_get_connection(connection_id)
        if connection is None or not who.may_see(connection.tenant):
            return render.message(words, "not_found_title", "not_found", status=404, signed_in=who.name)
        if await ctx.provider.store.oauth_revoke_connection(connection_id, time.time()):
            logger.info("connection %s… revoked by %s on the page", connection_id[:8], who.name)
        return see_other(CONNECTIONS)


Handler = Callable[[Request, ConsentWebContext, Words], Awaitable[Response]]


def consent_routes(context: Callable[[], ConsentWebContext]) -> list[BaseRoute]:
    """The consent and connections pages, all under /oauth."""
    pages = _ConsentPages(context)

    def route(path: str, handler: Handler, methods: list[str]) -> Route:
        return Route(path, guarded(pages.ctx, handler), methods=methods)

    return [
        route(CONSENT, pages.consent_page, ["GET"]),
        route(CONSENT, pages.consent_decision, ["POST"]),
        route(CONNECTIONS, pages.connections_page, ["GET"]),
        route(LOGIN, pages.login, ["GET", "POST"]),
        route(CONNECTIONS + "/{id}/revoke", pages.revoke, ["GET", "POST"]),
    ]
