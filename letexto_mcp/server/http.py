"""The HTTP server: one ASGI app with every transport, the same tools and guards as stdio.

Routes:
- `/mcp` Streamable HTTP, both protocol eras: the 2025 handshake with sessions (server-to-client
  requests such as approval questions ride the session's stream) and 2026-07-28 stateless requests
  (approval is an input-required round trip sealed with the request-state keys).
- `/sse` and `/messages/` for clients that only speak the older SSE transport.
- `/healthz` (liveness) and `/readyz` (the state store answers; LeTexto's reachability reported beside
  it, not failing it), no key needed, nothing secret.
- `/dlr/<signed token>`: delivery reports from LeTexto (see `server.dlr`).
- `/approvals/…`: the approval pages where a person holding an approver key approves or declines a
  send, and the bot endpoint (see `letexto_mcp.web`); they authenticate approvers themselves, and an
  MCP client key grants nothing there.
- `/api/v1/...`: the same tools as REST operations, described at `/api/v1/openapi.json` (see `api`).
- with OAuth configured (see `letexto_mcp.oauth`): the protected-resource metadata under
  `/.well-known/oauth-protected-resource`, and for the built-in authorization server its metadata,
  JWKS, `/authorize`, `/token`, `/register`, `/revoke`, and the consent and connections pages (`/oauth/…`).

Every other path needs `Authorization: Bearer <key>` when LETEXTO_MCP_API_KEYS is set (see
`server.auth`), Host/Origin checks guard against DNS rebinding (see `server.security`), bodies over
LETEXTO_MCP_MAX_BODY_BYTES get 413 and a client over LETEXTO_MCP_RATE_LIMIT requests a minute 429.
The app's own lifespan opens the services once and runs the session manager (a mounted app's
lifespan would never run); /sse connections reuse the same services.

Several workers or replicas (see docs/deploy.md). Replicas on one PostgreSQL schema
(LETEXTO_STATE_URL=postgresql://…, the same LETEXTO_MCP_STATE_SECRET everywhere) share:
- confirmation tokens, idempotency keys, per-attempt send marks and their leases, the daily budget,
  the send rate limit, approvals, webhook deliveries, OAuth clients and tokens and the audit log;
  delivery reports (any replica may receive one, and its notice reaches every replica's watchers
  through LISTEN/NOTIFY, see `server.notices`);
- the HTTP request rate limit (LETEXTO_MCP_RATE_LIMIT, counted in the database);
- the approval round trip of the 2026-07-28 era: the sealed requestState is opened by any replica
  (keys derived from the state secret, same server name), and tenant ids are the same everywhere.
What stays per replica:
- 2025-era sessions (`Mcp-Session-Id`) and SSE connections live where they were opened: the load
  balancer keeps such a client on one replica (docs/deploy/haproxy.cfg), or the client uses the
  2026-07-28 protocol, which needs no session;
- the readiness cache and, in multi-tenant mode, the per-tenant LeTexto connections (rebuilt from the
  key each request brings);
- a SQLite file is shared only by workers on one machine; `memory://` by nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
from mcp.server.request_state import RequestStateSecurity
from mcp.server.subscriptions import InMemorySubscriptionBus
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Route

from letexto_mcp.api.routes import RestApi
from letexto_mcp.config import Settings
from letexto_mcp.guard.approvals import Notify
from letexto_mcp.sandbox.constants import SANDBOX_API_KEY
from letexto_mcp.server.app import build_server
from letexto_mcp.server.auth import AccessGuard
from letexto_mcp.server.closing_sessions import LateResponseGuard, install_closing_session_filter
from letexto_mcp.server.dlr import ReportSigner, report_endpoint
from letexto_mcp.server.health import Readiness, health_routes
from letexto_mcp.server.notices import ResourceNotices
from letexto_mcp.server.pages import HttpPages
from letexto_mcp.server.ratelimit import LocalLimiter, RequestLimiter, SharedLimiter
from letexto_mcp.server.security import (
    CORS_ALLOW_HEADERS,
    CORS_EXPOSE_HEADERS,
    allowed_hosts,
    allowed_origins,
    cors_origin_regex,
    transport_security,
)
from letexto_mcp.server.tenants import TenantClients, tenant_secret
from letexto_mcp.services import Services, approval_session_secret, open_services
from letexto_mcp.state_url import is_postgres_url
from letexto_mcp.store.base import StateStore
from letexto_mcp.web import ApprovalWebContext, approval_routes
from letexto_mcp.webhooks import run_deliveries

logger = logging.getLogger("letexto_mcp.server.http")

MCP_PATH = "/mcp"
SSE_PATH = "/sse"
SSE_MESSAGES_PATH = "/messages/"


def request_state_security(settings: Settings) -> RequestStateSecurity | None:
    """Keys every worker shares (from LETEXTO_MCP_STATE_SECRET), or None for this process's own."""
    ring = settings.state_secrets()
    if not ring:
        return None
    keys = [hmac.new(secret, b"letexto-mcp/request-state/v1", hashlib.sha256).digest() for secret in ring]
    return RequestStateSecurity(keys=keys)


def refused_approver_keys(settings: Settings) -> list[str]:
    """Keys that must never approve: every MCP client key and the LeTexto key."""
    keys = [key.get_secret_value() for key in settings.mcp_api_keys]
    if settings.api_token is not None:
        keys.append(settings.api_token.get_secret_value())
    if settings.sandbox:
        keys.append(SANDBOX_API_KEY)
    return keys


async def approval_web_context(services: Services, host: str) -> ApprovalWebContext:
    """The approval pages' view of this server: its desk, approvers, refused keys, secret and names."""
    settings = services.settings
    return ApprovalWebContext(
        desk=services.guard.desk,
        approvers=settings.approver_keys,
        refused_keys=refused_approver_keys(settings),
        session_secret=await approval_session_secret(settings, services.store),
        allowed_hosts=allowed_hosts(settings, host),
    )


def request_limiter(settings: Settings, runtime: HttpRuntime) -> RequestLimiter:
    """One window per client shared by every replica on PostgreSQL; per process otherwise."""
    if not is_postgres_url(settings.state_url):
        return LocalLimiter(settings.rate_limit)
    return SharedLimiter(lambda: runtime.services.store if runtime.services else None, settings.rate_limit)


@dataclass
class HttpRuntime:
    """What the routes and middleware need from the lifespan: filled in at start-up, cleared at exit."""

    services: Services | None = None
    tenant_secret: bytes | None = None
    approvals: ApprovalWebContext | None = None

    def require_services(self) -> Services:
        if self.services is None:
            raise RuntimeError("the HTTP app's lifespan has not started")
        return self.services

    def signer(self) -> ReportSigner:
        return self.require_services().report_signer

    def store(self) -> StateStore:
        return self.require_services().store

    def approval_pages(self) -> ApprovalWebContext:
        if self.approvals is None:
            raise RuntimeError("the HTTP app's lifespan has not started")
        return self.approvals

    def notify(self) -> Notify:
        return self.require_services().publisher.emit

    def tenants(self) -> TenantClients:
        return self.require_services().tenants

    def tenant_lease(self, tenant: str, letexto_key: str) -> AbstractAsyncContextManager[None]:
        return self.tenants().lease(tenant, letexto_key)


OPEN_FILES_MARGIN = 256
"""Descriptors left for listening, client connections and files besides the tenants' connections."""


def open_files_limit() -> int | None:
    """This process's soft limit of open files (`ulimit -n`), or None where there is none to read."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def _describe_start(settings: Settings, host: str) -> None:
    auth = f"{len(settings.mcp_api_keys)} API key(s)" if settings.mcp_api_keys else "none"
    if not settings.mcp_api_keys and settings.trusted_proxy:
        auth = "none here (behind a trusted proxy)"
    if settings.oauth_mode() != "off":
        auth += f" + OAuth ({settings.oauth_mode()})"
    logger.info(
        "HTTP app ready (bind %s): auth %s; tenants %s; delivery reports %s",
        host,
        auth,
        "multi (X-LeTexto-Key)" if settings.multi_tenant else "single",
        "on" if settings.public_url else "off (LETEXTO_PUBLIC_URL not set)",
    )
    limit = open_files_limit()
    if (
        settings.multi_tenant
        and limit is not None
        and limit < settings.max_tenant_clients + OPEN_FILES_MARGIN
    ):
        logger.warning(
            "LETEXTO_MCP_MAX_TENANT_CLIENTS is %d but this process may open only %d files (ulimit -n): "
            "each tenant's client can hold a connection to LeTexto; raise the limit or lower the setting",
            settings.max_tenant_clients,
            limit,
        )
    if not settings.state_secrets():
        logger.warning(
            "LETEXTO_MCP_STATE_SECRET is not set: this process uses its own request-state keys, so an "
            "approval answered on another worker or after a restart will not work; set the same secret "
            "on every worker to run more than one"
        )


def build_http_app(
    settings: Settings,
    *,
    simulator: Any | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    host: str = "127.0.0.1",
) -> Starlette:
    """The whole HTTP server as one Starlette app; `host` is the bind address (for the Host checks)."""
    runtime = HttpRuntime()
    bus = InMemorySubscriptionBus()
    server = build_server(
        settings,
        simulator=simulator,
        transport=transport,
        services=runtime.require_services,
        request_state_security=request_state_security(settings),
        subscriptions=bus,
    )
    security = transport_security(settings, host)
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        transport_security=security,
        max_request_body_size=settings.max_body_bytes,
        session_idle_timeout=float(settings.session_idle_seconds),
        max_sessions=settings.max_sessions,
        host=host,
    )
    sse_app = server.sse_app(
        sse_path=SSE_PATH,
        message_path=SSE_MESSAGES_PATH,
        transport_security=security,
        max_request_body_size=settings.max_body_bytes,
        host=host,
    )

    notices = ResourceNotices(bus, lambda: runtime.services.store if runtime.services else None)
    publish = notices.publish

    oauth = None
    if settings.oauth_mode() != "off":
        from letexto_mcp.oauth.app import OAuthParts  # only servers with OAuth load it (jwt, cryptography)

        oauth = OAuthParts(settings)
    readiness = Readiness(lambda: runtime.services)
    routes: list[BaseRoute] = [
        *mcp_app.routes,
        *sse_app.routes,
        *health_routes(readiness),
        Route(
            "/dlr/{token}",
            report_endpoint(runtime.signer, runtime.store, publish, runtime.notify),
            methods=["GET", "POST"],
        ),
        *approval_routes(runtime.approval_pages),
        *RestApi(settings, runtime.require_services, security).routes(),
        *(oauth.routes() if oauth is not None else []),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_services(settings, simulator=simulator, transport=transport) as services:
            services.pages = HttpPages(services.settings)
            runtime.services = services
            runtime.tenant_secret = await tenant_secret(services.settings, services.store)
            runtime.approvals = await approval_web_context(services, host)
            if oauth is not None:
                await oauth.start(services, runtime.tenant_secret, runtime.approvals)
            try:
                async with AsyncExitStack() as stack:
                    if services.settings.multi_tenant:
                        await stack.enter_async_context(runtime.tenants().closing_idle())
                    await stack.enter_async_context(server.session_manager.run())
                    background = await stack.enter_async_context(anyio.create_task_group())
                    background.start_soon(run_deliveries, services.publisher)  # outbound webhooks
                    background.start_soon(notices.relay)  # other replicas' delivery-report notices
                    _describe_start(services.settings, host)
                    yield
                    background.cancel_scope.cancel()
            finally:
                if oauth is not None:
                    oauth.stop()
                runtime.services = None
                runtime.tenant_secret = None
                runtime.approvals = None

    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origin_regex=cors_origin_regex(allowed_origins(settings)),
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=list(CORS_ALLOW_HEADERS),
            expose_headers=list(CORS_EXPOSE_HEADERS),
        ),
        Middleware(
            AccessGuard,
            settings=settings,
            tenant_secret=lambda: runtime.tenant_secret,
            tenant_lease=runtime.tenant_lease,
            limiter=request_limiter(settings, runtime),
            oauth=oauth.gate if oauth is not None else None,
        ),
        Middleware(LateResponseGuard),
    ]
    install_closing_session_filter()
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.runtime = runtime  # what tests and benchmarks may inspect (never a key)
    app.state.oauth = oauth
    return app
