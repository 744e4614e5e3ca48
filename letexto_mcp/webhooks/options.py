"""What the publisher and the delivery worker need from the settings, in one frozen object.

Built from `Settings` by the server; tests build it directly with their own clock and resolver,
so time moves and names resolve the way a test needs without patching anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from letexto_mcp.webhooks.ssrf import AddressPolicy, Resolver, system_resolver

if TYPE_CHECKING:
    from letexto_mcp.config import Settings

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024
DEFAULT_RETRY_HOURS = 24.0


@dataclass(frozen=True)
class WebhookOptions:
    """Targets, secret and bounds of outbound webhooks; `enabled` when there is somewhere to send."""

    targets: tuple[str, ...] = ()
    secret: SecretStr | None = field(default=None, repr=False)
    policy: AddressPolicy = field(default_factory=AddressPolicy)
    timeout: float = DEFAULT_TIMEOUT
    """Seconds one attempt may take in all (resolve, connect, send, answer)."""
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    """The most of a receiver's answer that is read; the rest is never downloaded."""
    retry_horizon: float = DEFAULT_RETRY_HOURS * 3600
    """Seconds after the event during which failed deliveries are tried again."""
    clock: Callable[[], float] = time.time
    resolver: Resolver = system_resolver

    @property
    def enabled(self) -> bool:
        return bool(self.targets) and self.secret is not None

    @property
    def lease_seconds(self) -> float:
        """How long a claimed delivery stays invisible to other workers: well past one attempt."""
        return 3 * self.timeout + 30.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> WebhookOptions:
        """The webhook part of the settings (`overrides` for tests: clock, resolver, ...)."""
        values: dict[str, Any] = {
            "targets": tuple(settings.webhook_urls),
            "secret": settings.webhook_secret,
            "policy": AddressPolicy(
                allow_private=settings.webhook_allow_private,
                allow_loopback=settings.sandbox or settings.webhook_allow_private,
            ),
            "timeout": settings.webhook_timeout_seconds,
            "max_response_bytes": settings.webhook_max_response_bytes,
            "retry_horizon": settings.webhook_retry_hours * 3600,
        }
        values.update(overrides)
        return cls(**values)
