"""The long-lived parts of one server, built from the settings and closed together.

Every tool handler works with one `Services`: settings, the LeTexto client(s), the state store,
the send guard, the redaction function, and (over HTTP) the delivery-report signer and the
tenants' own clients. The server builds it once per process (stdio) or per app (HTTP) with
`open_services`; tools read it from the MCP context and never construct clients or stores
themselves, so tests and transports decide what is real.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

import anyio
from pydantic import SecretStr

from letexto_mcp.config import Settings
from letexto_mcp.guard.caps import Caps
from letexto_mcp.guard.pipeline import TOKEN_SECRET_NAME, SendGuard
from letexto_mcp.letexto.outcome import send_failure
from letexto_mcp.letexto.redact import redact
from letexto_mcp.sandbox.constants import (
    SANDBOX_API_KEY,
    SANDBOX_APPROVED_SENDER,
    SANDBOX_BASE_URL_IN_PROCESS,
)
from letexto_mcp.server.dlr import SECRET_NAME as REPORT_SECRET_NAME
from letexto_mcp.server.dlr import ReportSigner, ReportUrl
from letexto_mcp.server.local_pages import LocalPages
from letexto_mcp.server.tenants import TenantClients
from letexto_mcp.signing import signing_keys
from letexto_mcp.sms.phones import normalize_phone
from letexto_mcp.store.base import ApprovalRecord, StateStore
from letexto_mcp.store.factory import connect_store
from letexto_mcp.webhooks import WebhookOptions, WebhookPublisher

if TYPE_CHECKING:
    import ssl

    import httpx
    from starlette.types import ASGIApp

    from letexto_mcp.letexto import LetextoClient

LOCAL_TENANT = "local"
API_TOKEN_SETTING = "LETEXTO_API_TOKEN"
TENANT_KEY_SETTING = "the X-LeTexto-Key header"


class ApprovalPages(Protocol):
    """Where a person approves a send (policy `approve`): the HTTP app's pages, or stdio's local ones."""

    def reachable(self) -> bool:
        """Whether a person can get to the pages and sign in (approver keys, or the local desktop)."""
        ...

    def opens_itself(self) -> bool:
        """Whether the server puts the page on the user's screen itself (stdio opening the browser)."""
        ...

    async def url_for(self, approval_id: str, request_base: str | None) -> str:
        """The page's address (`request_base`: where this HTTP request reached the server, if any)."""
        ...

    async def present(self, record: ApprovalRecord, url: str) -> bool:
        """Put the page before the person if the server can; True when it did."""
        ...


@dataclass
class Services:
    """What every tool works with; one per process (stdio) or per app (HTTP)."""

    settings: Settings
    shared_client: Callable[[], LetextoClient]
    """The server's own LeTexto client, made on first use (see `LazyClient`)."""
    store: StateStore
    guard: SendGuard
    redact: Callable[[str], str]
    report_signer: ReportSigner
    tenants: TenantClients
    """Multi-tenant mode: each tenant's own LeTexto client, from the key its requests bring."""
    publisher: WebhookPublisher
    """Outbound webhooks: `emit` queues an event for every LETEXTO_WEBHOOK_URLS target."""
    pages: ApprovalPages | None = None
    """The approval pages, when this server serves them (set by the transport)."""
    campaign_statuses: dict[tuple[str, str], str] = field(default_factory=dict)
    """The last campaign status this process saw, per (tenant, campaign): `campaign.status` events
    are sent when it changes (per process: two replicas may each send one; receivers dedupe)."""

    @property
    def client(self) -> LetextoClient:
        """The server's own LeTexto client (the one every tenant shares unless they bring a key)."""
        return self.shared_client()

    async def letexto(self, tenant: str) -> LetextoClient:
        """The LeTexto client for a tenant: the shared one, unless tenants bring their own key."""
        if not self.settings.multi_tenant or tenant == LOCAL_TENANT:
            return self.client
        return await self.tenants.client(tenant)

    def key_setting(self, tenant: str) -> str:
        """Where the LeTexto key used for this tenant comes from, as an error should name it."""
        if not self.settings.multi_tenant or tenant == LOCAL_TENANT:
            return API_TOKEN_SETTING
        return TENANT_KEY_SETTING

    def delivery_report_url(self, tenant: str) -> ReportUrl | None:
        """Where LeTexto should report one send of this tenant, or None without LETEXTO_PUBLIC_URL."""
        public_url = self.settings.public_url
        return None if public_url is None else self.report_signer.url(public_url, tenant)


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


def _simulator(settings: Settings, simulator: ASGIApp | None) -> ASGIApp | None:
    """The in-process simulator of a sandbox server, made once so that every client shares it."""
    if settings.sandbox and simulator is None:
        from letexto_mcp.sandbox import SandboxConfig, create_app

        return create_app(SandboxConfig(sender_approval_delay=30.0))
    return simulator


def client_for_key(
    settings: Settings,
    key: str | SecretStr,
    simulator: ASGIApp | None,
    transport: httpx.AsyncBaseTransport | None,
    ssl_context: Callable[[], ssl.SSLContext] | None = None,
) -> LetextoClient:
    """A LeTexto client for one key: to the in-process simulator in sandbox mode, else to base_url.

    `ssl_context` gives the TLS context clients share (multi-tenant servers make one client per key).
    """
    import httpx

    from letexto_mcp.letexto.client import LetextoClient

    timeout, read_retries = settings.timeout_seconds, settings.read_retries
    if settings.sandbox:
        if simulator is None:  # _simulator always makes one in sandbox mode: never call the real API
            raise ValueError("sandbox mode needs the in-process simulator")
        return LetextoClient(
            key,
            SANDBOX_BASE_URL_IN_PROCESS,
            transport=httpx.ASGITransport(app=simulator),
            timeout=timeout,
            read_retries=read_retries,
        )
    shared = ssl_context() if ssl_context is not None and transport is None else None
    return LetextoClient(
        key,
        settings.base_url,
        transport=transport,
        timeout=timeout,
        read_retries=read_retries,
        ssl_context=shared,
    )


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
    people = [*settings.approver_keys, *settings.connect_keys]
    keys = [settings.api_token, *settings.mcp_api_keys, *(person.key for person in people)]
    secrets_to_hide = [key.get_secret_value() for key in keys if key]

    def redact_all(text: str) -> str:
        return redact(text, secrets_to_hide)

    region = settings.default_region
    shared_key = _shared_key(settings)
    given_simulator = simulator

    @cache
    def the_simulator() -> ASGIApp | None:
        return _simulator(settings, given_simulator)

    store = await connect_store(settings)
    client = LazyClient(lambda: client_for_key(settings, shared_key, the_simulator(), transport))
    shared_tls = cache(tls_context)
    tenants = TenantClients(
        lambda key: client_for_key(settings, key, the_simulator(), transport, shared_tls),
        max_clients=settings.max_tenant_clients,
        idle_seconds=settings.tenant_idle_seconds,
    )
    try:
        # Background work (this replica's lease, stdio's approval page) stops before the store closes.
        async with anyio.create_task_group() as background:
            pages: LocalPages | None = None
            try:
                token_keys = await signing_keys(settings, store, TOKEN_SECRET_NAME)
                publisher = WebhookPublisher(store, WebhookOptions.from_settings(settings), redact=redact_all)
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
                    secret=token_keys,
                    redact=redact_all,
                    classify_failure=send_failure,
                    notify=publisher.emit,
                    lease_seconds=float(settings.lease_seconds),
                )
                background.start_soon(guard.keep_alive)  # this replica's lease; lapsed ones reaped
                pages = LocalPages(
                    settings, guard.desk, lambda: approval_session_secret(settings, store), background
                )
                yield Services(
                    settings=settings,
                    shared_client=client,
                    store=store,
                    guard=guard,
                    redact=redact_all,
                    report_signer=ReportSigner(await signing_keys(settings, store, REPORT_SECRET_NAME)),
                    tenants=tenants,
                    publisher=publisher,
                    pages=pages,
                )
            finally:
                if pages is not None:
                    await pages.aclose()
                background.cancel_scope.cancel()
    finally:
        await tenants.aclose()
        await client.aclose()
        await store.close()


async def approval_session_secret(settings: Settings, store: StateStore) -> bytes:
    """What approvers' session cookies are signed with (every replica the same; see `signing`)."""
    return (await signing_keys(settings, store, "approval-sessions"))[0]
