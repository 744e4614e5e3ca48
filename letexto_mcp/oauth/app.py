"""The OAuth parts of the HTTP app, in one object the app builds when OAuth is configured.

Routes are known when the app is built; what they need from the state store (the signing key, the
secrets) is made at start-up: the authorization server's routes dispatch to a router built then.

Tenants. A connection acts for one tenant (its budget, keys, audit and approvals):
- single-account mode: `oauth:` + an HMAC of the person's name (connect or approver key), so that every
  assistant one person connects shares one budget and audit log, and that person may decide its sends
  on the approval page (their key covers that tenant);
- multi-tenant mode: the tenant of the LeTexto key the person pasted, exactly the tenant an X-LeTexto-Key
  caller without a client key has (`http:` + HMAC of the key): both share budgets and audit;
- an outside issuer: `oauth:` + an HMAC of (issuer, `sub`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, Router
from starlette.types import Receive, Scope, Send

from letexto_mcp.config import ApproverKey, Settings, mask_secret
from letexto_mcp.oauth.external import ExternalIssuer
from letexto_mcp.oauth.provider import LetextoAuthorizationServer, ServerConfig
from letexto_mcp.oauth.resource import OAuthGate, protected_resource_routes, resources
from letexto_mcp.oauth.routes import JWKS_PATH, METADATA_PATH, authorization_server_routes
from letexto_mcp.oauth.sealing import KeySealer
from letexto_mcp.oauth.secrets import oauth_secret
from letexto_mcp.oauth.signing import load_signing_key
from letexto_mcp.sandbox.constants import SANDBOX_API_KEY
from letexto_mcp.server.tenants import TENANT_PREFIX, tenant_client_id
from letexto_mcp.web.consent import ConsentWebContext, KeyCheck, consent_routes

if TYPE_CHECKING:
    from letexto_mcp.services import Services
    from letexto_mcp.web.context import ApprovalWebContext

logger = logging.getLogger("letexto_mcp.oauth")

AUTHORIZATION_SERVER_PATHS = (METADATA_PATH, JWKS_PATH, "/authorize", "/token", "/register", "/revoke")


def person_tenant(secret: bytes, name: str) -> str:
    """The tenant of a person's connections in single-account mode: never their key."""
    return "oauth:" + hmac.new(secret, b"oauth-person\0" + name.encode(), hashlib.sha256).hexdigest()[:32]


def letexto_key_tenant(secret: bytes, letexto_key: str) -> str:
    """Multi-tenant mode: a LeTexto key's tenant, the one an X-LeTexto-Key caller without client key has."""
    return TENANT_PREFIX + tenant_client_id(secret, "", letexto_key)


def people(settings: Settings, secret: bytes) -> list[ApproverKey]:
    """Who may sign in on the approval and OAuth pages, each scoped to what they may see and decide:
    approvers as configured (plus, when scoped, their own connections' tenant), and connect-key holders
    their own connections' tenant only."""
    found = []
    for approver in settings.approver_keys:
        own = person_tenant(secret, approver.name)
        found.append(
            approver if approver.tenants is None else replace(approver, tenants=approver.tenants | {own})
        )
    for person in settings.connect_keys:
        found.append(replace(person, tenants=frozenset({person_tenant(secret, person.name)})))
    return found


class OAuthParts:
    """The authorization server (or the outside issuer), the gate the access guard asks, and the pages."""

    def __init__(self, settings: Settings) -> None:
        if settings.public_url is None or settings.oauth_mode() == "off":
            raise ValueError("OAuth is not configured")
        self.settings = settings
        self.public_url = settings.public_url
        self.mode = settings.oauth_mode()
        self.issuer = (
            settings.oauth_issuer if self.mode == "external" and settings.oauth_issuer else self.public_url
        )
        self._gate: OAuthGate | None = None
        self._router: Router | None = None
        self._consent: ConsentWebContext | None = None
        self._tenant_secret: bytes | None = None

    # -- routes -----------------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        found: list[BaseRoute] = [*protected_resource_routes(self.public_url, self.issuer)]
        if self.mode == "builtin":
            found += [Route(path, endpoint=_Dispatch(self)) for path in AUTHORIZATION_SERVER_PATHS]
            found += consent_routes(self.consent_context)
        return found

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The authorization server's routes, once started (503 before)."""
        if self._router is None:
            body = {"error": "temporarily_unavailable", "error_description": "starting"}
            await JSONResponse(body, status_code=503)(scope, receive, send)
            return
        await self._router(scope, receive, send)

    def consent_context(self) -> ConsentWebContext:
        if self._consent is None:
            raise RuntimeError("the HTTP app's lifespan has not started")
        return self._consent

    def gate(self) -> OAuthGate | None:
        return self._gate

    # -- start and stop ---------------------------------------------------------------------------------

    async def start(self, services: Services, tenant_secret: bytes, approvals: ApprovalWebContext) -> None:
        """Build what needs the store: keys, the provider, the gate, the pages' context."""
        settings = services.settings
        self._tenant_secret = tenant_secret
        if self.mode == "external":
            assert settings.oauth_issuer is not None
            external = ExternalIssuer(settings.oauth_issuer, lambda: self._tenant_secret)
            self._gate = OAuthGate(self.public_url, external=external)
            return
        store = services.store
        secret = await oauth_secret(settings, store)
        provider = LetextoAuthorizationServer(
            store,
            await load_signing_key(store),
            secret,
            ServerConfig(
                issuer=self.public_url, resources=[*resources(self.public_url), *settings.oauth_resources]
            ),
        )
        sealer = KeySealer(settings.state_secrets()) if settings.multi_tenant else None
        self._gate = OAuthGate(self.public_url, builtin=provider, sealer=sealer)
        scoped = people(settings, tenant_secret)
        approvals.approvers = scoped  # connect-key holders decide their own connections' sends
        self._consent = ConsentWebContext(
            provider=provider,
            people=scoped,
            refused_keys=approvals.refused_keys,
            session_secret=approvals.session_secret,
            host_allowed=approvals.host_allowed,
            account_key=mask_secret(SANDBOX_API_KEY if settings.sandbox else settings.api_token),
            person_tenant=lambda name: person_tenant(tenant_secret, name),
            multi_tenant=settings.multi_tenant,
            letexto_tenant=lambda key: letexto_key_tenant(tenant_secret, key),
            check_key=lambda tenant, key: check_letexto_key(services, tenant, key),
            sealer=sealer,
        )
        self._router = Router(routes=authorization_server_routes(provider))
        logger.info("OAuth authorization server ready: issuer %s", self.public_url)

    def stop(self) -> None:
        self._gate = None
        self._router = None
        self._consent = None
        self._tenant_secret = None


class _Dispatch:
    """An ASGI endpoint (a class, so Starlette passes it the raw scope) forwarding to the started router."""

    def __init__(self, parts: OAuthParts) -> None:
        self.parts = parts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.parts.dispatch(scope, receive, send)


async def check_letexto_key(services: Services, tenant: str, letexto_key: str) -> KeyCheck:
    """Whether LeTexto accepts a pasted key (one balance read with the tenant's own client)."""
    from letexto_mcp.letexto.errors import AuthenticationError, LetextoError

    async with services.tenants.lease(tenant, letexto_key):
        client = await services.tenants.client(tenant)
        try:
            await client.get_balance()
        except AuthenticationError:
            return "refused"
        except LetextoError:
            return "unreachable"
    return "ok"
