"""The built-in authorization server's HTTP routes: the SDK's own (`create_auth_routes`: /authorize,
/token, /register, /revoke) with our provider, its metadata (RFC 8414, plus `jwks_uri` and the RFC 9207
`iss` parameter), and the JWKS. Registration is open (RFC 7591, as MCP clients expect) and limited per
client address, since anyone may call it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from mcp.server.auth.routes import build_metadata, cors_middleware, create_auth_routes
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from pydantic import AnyHttpUrl
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from letexto_mcp.oauth.provider import LetextoAuthorizationServer
from letexto_mcp.server.ratelimit import SlidingWindowLimiter
from letexto_mcp.tools.scopes import ALL_SCOPES

METADATA_PATH = "/.well-known/oauth-authorization-server"
JWKS_PATH = "/.well-known/jwks.json"
REGISTRATIONS_PER_MINUTE = 20
"""Dynamic registrations one client address may make in a minute (each writes a row to the store)."""


class _LimitedRegistration:
    """/register, at most REGISTRATIONS_PER_MINUTE a minute per client address (429 beyond)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.limiter = SlidingWindowLimiter(REGISTRATIONS_PER_MINUTE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") == "POST":
            client = scope.get("client") or ("unknown", 0)
            wait = self.limiter.hit(f"register:{client[0]}")
            if wait:
                body = {"error": "temporarily_unavailable", "error_description": f"retry in {wait}s"}
                response = JSONResponse(body, status_code=429, headers={"Retry-After": str(wait)})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def authorization_server_routes(provider: LetextoAuthorizationServer) -> list[Route]:
    """Every route of the built-in authorization server (the consent page is in `web.consent`)."""
    issuer = provider.config.issuer
    registration = ClientRegistrationOptions(
        enabled=True, valid_scopes=list(ALL_SCOPES), default_scopes=list(ALL_SCOPES)
    )
    revocation = RevocationOptions(enabled=True)
    routes = create_auth_routes(provider, AnyHttpUrl(issuer), None, registration, revocation)
    metadata = build_metadata(AnyHttpUrl(issuer), None, registration, revocation).model_dump(
        mode="json", exclude_none=True
    )
    # The issuer exactly as tokens and redirects name it (no trailing slash: compared as strings).
    metadata.update(
        issuer=issuer,
        jwks_uri=issuer + JWKS_PATH,
        authorization_response_iss_parameter_supported=True,
        token_endpoint_auth_methods_supported=["client_secret_post", "client_secret_basic", "none"],
    )
    for key in ("authorization_endpoint", "token_endpoint", "registration_endpoint", "revocation_endpoint"):
        metadata[key] = issuer + "/" + str(metadata[key]).split("/")[-1]

    async def serve_metadata(request: Request) -> Response:
        return JSONResponse(metadata, headers={"Cache-Control": "public, max-age=3600"})

    jwks = provider.signing_key.jwks()

    async def serve_jwks(request: Request) -> Response:
        return JSONResponse(jwks, headers={"Cache-Control": "public, max-age=300"})

    kept: list[Route] = []
    for route in routes:
        if route.path == METADATA_PATH:
            continue
        if route.path == "/register":
            route = Route(route.path, endpoint=_LimitedRegistration(route.app), methods=["POST", "OPTIONS"])
        kept.append(route)
    return [
        Route(METADATA_PATH, endpoint=_get(serve_metadata), methods=["GET", "OPTIONS"]),
        Route(JWKS_PATH, endpoint=_get(serve_jwks), methods=["GET", "OPTIONS"]),
        *kept,
    ]


def _get(handler: Callable[[Request], Awaitable[Response]]) -> ASGIApp:
    return cors_middleware(handler, ["GET", "OPTIONS"])
