"""HTTP authentication: `Authorization: Bearer <one of LETEXTO_MCP_API_KEYS>`, tenants and the rate limit.

Why a Starlette middleware and not the SDK's `token_verifier` + `AuthSettings`: those are shaped
for OAuth (an issuer URL is required, and the 401 points clients at protected-resource metadata
for an authorization server that does not exist here, which sends OAuth-capable clients into a
futile discovery); they guard only /mcp and /sse, not /dlr or /readyz; and they cannot require the
multi-tenant `X-LeTexto-Key`. This middleware does what they would do and what they cannot: it
compares the key with every configured key in constant time, derives the tenant (an HMAC, never
the key), applies the per-client rate limit, then attaches the SDK's own `AuthenticatedUser` to
the request, so the SDK still binds each session and each sealed requestState to that caller and
`get_access_token()` works in tools. The credential headers are then removed from the request:
nothing downstream (handlers, SDK debug logs) ever sees a key.

Public paths: /healthz and /readyz (no secrets in either), /dlr/<signed token> (its own proof) and
/approvals/… (the approval pages authenticate approvers themselves: an MCP client key must never
grant anything there, so the request reaches them with its headers untouched and no caller attached),
and /api/v1/openapi.json (the REST description, which GPT Actions import by URL). On /api/v1 paths the
refusals are RFC 9457 problem details, like every other error there.

OAuth (remote connectors, see `letexto_mcp.oauth`): when configured, a Bearer credential that is not a
static key is checked as an OAuth access token for the resource of the path (`oauth.resource.OAuthGate`):
issuer, signature, audience, expiry and, for the built-in server, that its connection is not revoked. Its
identity (tenant, scopes) is attached as for a static key, which gets both scopes. Every 401 then carries
`WWW-Authenticate: Bearer resource_metadata="…"` so that a client discovers how to get a token; the OAuth
endpoints themselves (/.well-known/…, /authorize, /token, /register, /revoke, /oauth/…) are public.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.authentication import AuthCredentials
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from letexto_mcp.api import OPENAPI_PATH, is_api_path
from letexto_mcp.api.problems import PROBLEM_MEDIA_TYPE, problem_body
from letexto_mcp.config import Settings
from letexto_mcp.server.ratelimit import LocalLimiter, RequestLimiter
from letexto_mcp.server.security import is_loopback
from letexto_mcp.server.tenants import TENANT_PREFIX, tenant_client_id
from letexto_mcp.tools.scopes import ALL_SCOPES

if TYPE_CHECKING:
    from letexto_mcp.oauth.resource import Identified, OAuthGate

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", OPENAPI_PATH})
PUBLIC_PREFIXES = ("/dlr/", "/approvals/")
OAUTH_PUBLIC_PATHS = frozenset({"/authorize", "/token", "/register", "/revoke"})
OAUTH_PUBLIC_PREFIXES = ("/.well-known/", "/oauth/")
LETEXTO_KEY_HEADER = "x-letexto-key"
_CREDENTIAL_HEADERS = frozenset({b"authorization", LETEXTO_KEY_HEADER.encode()})
_MAX_KEY_CHARS = 512
REALM = 'Bearer realm="letexto-mcp"'


def bind_refusal(settings: Settings, host: str) -> str | None:
    """Why serving HTTP on `host` is refused (keys missing beyond loopback), or None when it is fine."""
    if is_loopback(host) or settings.mcp_api_keys or settings.trusted_proxy or settings.oauth_mode() != "off":
        return None
    return (
        f"refusing to serve HTTP on {host} without authentication: set LETEXTO_MCP_API_KEYS "
        "(comma-separated keys that clients send as 'Authorization: Bearer <key>'), or, if an "
        "authenticating reverse proxy stands in front of this server, pass --trusted-proxy "
        "(LETEXTO_MCP_TRUSTED_PROXY=1)"
    )


class ApiKeys:
    """The configured keys; `match` compares a presented key with every one in constant time."""

    def __init__(self, keys: list[str]) -> None:
        self._keys = [key.encode() for key in keys]

    def __bool__(self) -> bool:
        return bool(self._keys)

    def match(self, presented: str) -> str | None:
        """The configured key equal to `presented`, or None (all keys are compared, no early exit)."""
        given = presented.encode()
        found: bytes | None = None
        for key in self._keys:
            if hmac.compare_digest(given, key):
                found = key
        return found.decode() if found is not None else None


def _bearer(headers: Headers) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, credential = value.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


def _usable_key(value: str | None) -> str | None:
    """A LeTexto key as a header may carry it: printable, no spaces, not absurdly long."""
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > _MAX_KEY_CHARS or any(c.isspace() or not c.isprintable() for c in value):
        return None
    return value


@dataclass(frozen=True)
class Caller:
    """Who a request is: `client_id` None for an anonymous caller (no keys configured)."""

    client_id: str | None
    rate_key: str
    oauth: Identified | None = None


async def _respond(
    scope: Scope, send: Send, status: int, body: dict[str, str], headers: dict[str, str]
) -> None:
    media, document = b"application/json", dict[str, object](body)
    if is_api_path(scope.get("path", "")):  # the REST face answers every error as problem+json
        media, document = PROBLEM_MEDIA_TYPE.encode(), problem_body(status, body["error_description"])
    payload = json.dumps(document).encode()
    raw = [(b"content-type", media), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class AccessGuard:
    """ASGI middleware: authenticate, identify the tenant, rate-limit, then hand over without credentials."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        tenant_secret: Callable[[], bytes | None],
        tenant_lease: Callable[[str, str], AbstractAsyncContextManager[None]],
        limiter: RequestLimiter | None = None,
        oauth: Callable[[], OAuthGate | None] | None = None,
    ) -> None:
        self.app = app
        self.oauth_on = settings.oauth_mode() != "off"
        self._oauth = oauth or (lambda: None)
        self.inner = AuthContextMiddleware(app)
        self.keys = ApiKeys([k.get_secret_value() for k in settings.mcp_api_keys])
        self.multi_tenant = settings.multi_tenant
        self.limiter = limiter or LocalLimiter(settings.rate_limit)
        self._secret = tenant_secret
        self._lease = tenant_lease

    def is_public(self, scope: Scope) -> bool:
        path: str = scope.get("path", "")
        if scope["method"] == "OPTIONS" or path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            return True
        return self.oauth_on and (path in OAUTH_PUBLIC_PATHS or path.startswith(OAUTH_PUBLIC_PREFIXES))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.is_public(scope):
            await self.app(scope, receive, send)
            return
        secret = self._secret()
        if secret is None:
            await _respond(scope, send, 503, {"error": "starting", "error_description": "not ready yet"}, {})
            return
        headers = Headers(scope=scope)
        mcp_key: str | None = None
        oauth_caller: Identified | None = None
        gate = self._oauth()
        presented = _bearer(headers) if self.keys or self.oauth_on else None
        if presented is None and (self.keys or self.oauth_on) and not self._letexto_key_alone(headers):
            await self._unauthorized(scope, send, "missing", "send 'Authorization: Bearer <key>'")
            return
        if presented is not None:
            mcp_key = self.keys.match(presented) if self.keys else None
            if mcp_key is None and gate is not None:
                oauth_caller = await gate.identify(presented, scope.get("path", ""))
            if mcp_key is None and oauth_caller is None:
                await self._unauthorized(
                    scope, send, "invalid_token", "this key or token is not accepted by this server"
                )
                return
        if oauth_caller is not None:
            await self._serve_oauth(scope, receive, send, oauth_caller)
            return
        letexto_key: str | None = None
        if self.multi_tenant:
            letexto_key = _usable_key(headers.get(LETEXTO_KEY_HEADER))
            if letexto_key is None:
                await self._unauthorized(
                    scope, send, "missing", "multi-tenant mode: send your LeTexto API key in X-LeTexto-Key"
                )
                return
        caller = self._caller(scope, secret, mcp_key, letexto_key)
        wait = await self.limiter.hit(caller.rate_key)
        if wait:
            body = {"error": "rate_limited", "error_description": f"too many requests; retry in {wait}s"}
            await _respond(scope, send, 429, body, {"Retry-After": str(wait)})
            return
        identified = self._identified(scope, caller)
        if caller.client_id is None or letexto_key is None:
            await self.inner(identified, receive, send)
            return
        # The tenant's LeTexto client is held for the whole request: evicted meanwhile, it still serves it.
        async with self._lease(TENANT_PREFIX + caller.client_id, letexto_key):
            await self.inner(identified, receive, send)

    def _letexto_key_alone(self, headers: Headers) -> bool:
        """A multi-tenant server without client keys takes X-LeTexto-Key alone, OAuth or not: whoever holds
        a LeTexto key could get a token for it on the consent page anyway."""
        return self.multi_tenant and not self.keys and headers.get(LETEXTO_KEY_HEADER) is not None

    async def _serve_oauth(self, scope: Scope, receive: Receive, send: Send, identified: Identified) -> None:
        """An OAuth caller: its connection's tenant and scopes; in multi-tenant mode its connection's key."""
        caller = Caller(identified.token.tenant, identified.rate_id, identified)
        wait = await self.limiter.hit(caller.rate_key)
        if wait:
            body = {"error": "rate_limited", "error_description": f"too many requests; retry in {wait}s"}
            await _respond(scope, send, 429, body, {"Retry-After": str(wait)})
            return
        request = self._identified(scope, caller)
        if identified.letexto_key is None:
            await self.inner(request, receive, send)
            return
        async with self._lease(identified.token.tenant, identified.letexto_key):
            await self.inner(request, receive, send)

    def _caller(self, scope: Scope, secret: bytes, mcp_key: str | None, letexto_key: str | None) -> Caller:
        if mcp_key is None and letexto_key is None:
            client = scope.get("client") or ("unknown", 0)
            return Caller(None, f"ip:{client[0]}")
        client_id = tenant_client_id(secret, mcp_key or "", letexto_key)
        rate_id = tenant_client_id(secret, mcp_key) if mcp_key is not None else client_id
        return Caller(client_id, f"key:{rate_id}")

    def _identified(self, scope: Scope, caller: Caller) -> Scope:
        """The request as the app sees it: credentials removed, the caller attached."""
        scope = dict(scope)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() not in _CREDENTIAL_HEADERS]
        if caller.oauth is not None:
            scope["user"] = AuthenticatedUser(caller.oauth.token)
            scope["auth"] = AuthCredentials(caller.oauth.token.scopes)
        elif caller.client_id is not None:  # a static client key: every scope
            token = AccessToken(token=caller.client_id, client_id=caller.client_id, scopes=list(ALL_SCOPES))
            scope["user"] = AuthenticatedUser(token)
            scope["auth"] = AuthCredentials(list(ALL_SCOPES))
        return scope

    async def _unauthorized(self, scope: Scope, send: Send, error: str, description: str) -> None:
        challenge = REALM if error == "missing" else f'{REALM}, error="{error}"'
        gate = self._oauth()
        if gate is not None:  # RFC 9728 §5.1: where a client learns how to get a token for this resource
            challenge += f', resource_metadata="{gate.metadata_url(scope.get("path", ""))}"'
        body = {"error": "unauthorized" if error == "missing" else error, "error_description": description}
        await _respond(scope, send, 401, body, {"WWW-Authenticate": challenge})
