"""Build the long-lived parts (LeTexto client, store, guard) from the settings, and close them."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from letexto_mcp.config import Settings
from letexto_mcp.guard.caps import Caps
from letexto_mcp.guard.pipeline import SendGuard
from letexto_mcp.letexto import errors as lx
from letexto_mcp.letexto.redact import redact
from letexto_mcp.sandbox.constants import (
    SANDBOX_API_KEY,
    SANDBOX_APPROVED_SENDER,
    SANDBOX_BASE_URL_IN_PROCESS,
)
from letexto_mcp.server.dlr import open_signer
from letexto_mcp.server.tenants import TenantClients
from letexto_mcp.sms.phones import normalize_phone
from letexto_mcp.store.factory import open_store
from letexto_mcp.tools.services import Services

if TYPE_CHECKING:
    import ssl

    import httpx

    from letexto_mcp.letexto import LetextoClient


def effective_settings(settings: Settings) -> Settings:
    """Sandbox defaults: a usable sender, and state that dies with the simulator unless a URL was set."""
    if not settings.sandbox:
        return settings
    update: dict[str, Any] = {}
    if settings.default_sender is None:
        update["default_sender"] = SANDBOX_APPROVED_SENDER
    if "state_url" not in settings.model_fields_set:
        update["state_url"] = "memory://"
    return settings.model_copy(update=update)


# Multi-tenant servers need no key of their own: tenants bring theirs. The shared client then holds
# this placeholder, which LeTexto refuses; /readyz counts that refusal as "reachable".
NO_SHARED_KEY = "letexto-mcp-multi-tenant-no-shared-key"


def _simulator(settings: Settings, simulator: Any | None) -> Any | None:
    """The in-process simulator of a sandbox server, made once so that every client shares it."""
    if settings.sandbox and simulator is None:
        from letexto_mcp.sandbox import SandboxConfig, create_app

        return create_app(SandboxConfig(sender_approval_delay=30.0))
    return simulator


def client_for_key(
    settings: Settings,
    key: str | SecretStr,
    simulator: Any | None,
    transport: httpx.AsyncBaseTransport | None,
    ssl_context: Callable[[], ssl.SSLContext] | None = None,
) -> LetextoClient:
    """A LeTexto client for one key: to the in-process simulator in sandbox mode, else to base_url.

    `ssl_context` gives the TLS context clients share (multi-tenant servers make one client per key).
    """
    import httpx

    from letexto_mcp.letexto.client import LetextoClient

    common = {"timeout": settings.timeout_seconds, "read_retries": settings.read_retries}
    if settings.sandbox:
        return LetextoClient(
            key, SANDBOX_BASE_URL_IN_PROCESS, transport=httpx.ASGITransport(app=simulator), **common
        )
    shared = ssl_context() if ssl_context is not None and transport is None else None
    return LetextoClient(key, settings.base_url, transport=transport, ssl_context=shared, **common)


def tls_context() -> ssl.SSLContext:
    """The TLS context httpx would make for each client (certifi, or SSL_CERT_FILE / SSL_CERT_DIR)."""
    import httpx

    return httpx.create_ssl_context()


class LazyClient:
    """The shared LeTexto client, made on first use.

    A desktop client starts the stdio server at every launch and lists its tools long before it
    calls one: the HTTP stack (httpx) and, in sandbox mode, the simulator load with the first call.
    """

    def __init__(self, factory: Callable[[], LetextoClient]) -> None:
        self._factory = factory
        self._client: LetextoClient | None = None

    def __call__(self) -> LetextoClient:
        if self._client is None:
            self._client = self._factory()
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def _shared_key(settings: Settings) -> str | SecretStr:
    if settings.sandbox:
        return SANDBOX_API_KEY
    if settings.api_token is None and settings.multi_tenant:
        return NO_SHARED_KEY
    return settings.require_api_token()


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    simulator: Any | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[Services]:
    """Everything the tools need, opened together and closed together."""
    settings = effective_settings(settings)
    secrets_to_hide = [s.get_secret_value() for s in [settings.api_token, *settings.mcp_api_keys] if s]

    def redact_all(text: str) -> str:
        return redact(text, secrets_to_hide)

    region = settings.default_region
    shared_key = _shared_key(settings)
    given_simulator = simulator

    @cache
    def the_simulator() -> Any | None:
        return _simulator(settings, given_simulator)

    store = open_store(settings.state_url)
    client = LazyClient(lambda: client_for_key(settings, shared_key, the_simulator(), transport))
    shared_tls = cache(tls_context)
    tenants = TenantClients(
        lambda key: client_for_key(settings, key, the_simulator(), transport, shared_tls),
        max_clients=settings.max_tenant_clients,
        idle_seconds=settings.tenant_idle_seconds,
    )
    try:
        secret = await store.get_or_create_secret("confirmation-tokens", lambda: secrets.token_bytes(32))
        guard = SendGuard(
            store=store,
            policy=settings.send_policy,
            caps=Caps(
                max_recipients=settings.max_recipients,
                max_parts_per_message=settings.max_parts_per_message,
                allowed_recipients=settings.allowed_recipients,
                normalise=lambda raw: normalize_phone(raw, region).digits,
            ),
            budget_limit=settings.daily_budget_parts,
            sends_per_minute=settings.sends_per_minute,
            duplicate_window=float(settings.duplicate_window_seconds),
            token_ttl=float(settings.confirmation_ttl_seconds),
            retention_days=settings.state_retention_days,
            secret=secret,
            redact=redact_all,
            not_sent_errors=(lx.RequestNotSentError,),
            unknown_errors=(lx.OutcomeUnknownError,),
        )
        signer = await open_signer(store)
        public_url = settings.public_url
        yield Services(
            settings=settings,
            shared_client=client,
            store=store,
            guard=guard,
            redact=redact_all,
            client_for_tenant=tenants.client if settings.multi_tenant else None,
            report_url_for=(lambda tenant: signer.url(public_url, tenant)) if public_url else None,
            extras={"tenants": tenants, "report_signer": signer},
        )
    finally:
        await tenants.aclose()
        await client.aclose()
        await store.close()
