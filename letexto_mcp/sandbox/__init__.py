"""The LeTexto simulator: an ASGI app that behaves like the vendor's API, with faults on demand.

    sim = create_app(SandboxConfig(clock=ManualClock()))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=sim), base_url=SANDBOX_BASE_URL_IN_PROCESS)

It stands in for the vendor, so it imports nothing from the server, the tools or our client.
Its assumptions are listed in `letexto_mcp.sandbox.assumptions`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from letexto_mcp.sandbox.constants import (
    SANDBOX_API_KEY,
    SANDBOX_APPROVED_SENDER,
    SANDBOX_BASE_URL_IN_PROCESS,
    SANDBOX_SUBACCOUNT_KEY,
)

if TYPE_CHECKING:
    from letexto_mcp.sandbox.app import SandboxApp, create_app
    from letexto_mcp.sandbox.clock import ManualClock
    from letexto_mcp.sandbox.config import SandboxConfig
    from letexto_mcp.sandbox.faults import Fault, FaultInjector
    from letexto_mcp.sandbox.records import (
        Account,
        DlrDelivery,
        EmailCampaign,
        RenderedMessage,
        RequestRecord,
        Sender,
        SentMessage,
        SmsCampaign,
    )
    from letexto_mcp.sandbox.state import SimulatorState

# Loaded on first use: the server imports `sandbox.constants` on every start, and a desktop
# client starting `letexto-mcp` with a real key should not pay for the whole simulator.
_LAZY = {
    "SandboxApp": "app",
    "create_app": "app",
    "ManualClock": "clock",
    "SandboxConfig": "config",
    "Fault": "faults",
    "FaultInjector": "faults",
    "Account": "records",
    "DlrDelivery": "records",
    "EmailCampaign": "records",
    "RenderedMessage": "records",
    "RequestRecord": "records",
    "Sender": "records",
    "SentMessage": "records",
    "SmsCampaign": "records",
    "SimulatorState": "state",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)


__all__ = [
    "SANDBOX_API_KEY",
    "SANDBOX_APPROVED_SENDER",
    "SANDBOX_BASE_URL_IN_PROCESS",
    "SANDBOX_SUBACCOUNT_KEY",
    "Account",
    "DlrDelivery",
    "EmailCampaign",
    "Fault",
    "FaultInjector",
    "ManualClock",
    "RenderedMessage",
    "RequestRecord",
    "SandboxApp",
    "SandboxConfig",
    "Sender",
    "SentMessage",
    "SimulatorState",
    "SmsCampaign",
    "create_app",
]
