"""Build the long-lived parts (LeTexto client, store, guard) from the settings, and close them."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from letexto_mcp.config import Settings
from letexto_mcp.guard.caps import Caps
from letexto_mcp.guard.pipeline import SendGuard
from letexto_mcp.letexto import LetextoClient
from letexto_mcp.letexto import errors as lx
from letexto_mcp.letexto.redact import redact
from letexto_mcp.sandbox.constants import (
    SANDBOX_API_KEY,
    SANDBOX_APPROVED_SENDER,
    SANDBOX_BASE_URL_IN_PROCESS,
)
from letexto_mcp.sms.phones import normalize_phone
from letexto_mcp.store.factory import open_store
from letexto_mcp.tools.services import Services


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


def _client(
    settings: Settings, simulator: Any | None, transport: httpx.AsyncBaseTransport | None
) -> LetextoClient:
    common = {"timeout": settings.timeout_seconds, "read_retries": settings.read_retries}
    if settings.sandbox:
        if simulator is None:
            from letexto_mcp.sandbox import SandboxConfig, create_app

            simulator = create_app(SandboxConfig(sender_approval_delay=30.0))
        return LetextoClient(
            SANDBOX_API_KEY,
            SANDBOX_BASE_URL_IN_PROCESS,
            transport=httpx.ASGITransport(app=simulator),
            **common,
        )
    return LetextoClient(settings.require_api_token(), settings.base_url, transport=transport, **common)


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
    store = open_store(settings.state_url)
    client = _client(settings, simulator, transport)
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
            secret=secret,
            redact=redact_all,
            not_sent_errors=(lx.RequestNotSentError,),
            unknown_errors=(lx.OutcomeUnknownError,),
        )
        yield Services(settings=settings, client=client, store=store, guard=guard, redact=redact_all)
    finally:
        await client.aclose()
        await store.close()
