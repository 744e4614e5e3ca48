"""The LeTexto simulator: an ASGI app that behaves like the vendor's API, with faults on demand.

    sim = create_app(SandboxConfig(clock=ManualClock()))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=sim), base_url=SANDBOX_BASE_URL_IN_PROCESS)

It stands in for the vendor, so it imports nothing from the server, the tools or our client.
Its assumptions are listed in `letexto_mcp.sandbox.assumptions`.
"""

from __future__ import annotations

from letexto_mcp.sandbox.app import SandboxApp, create_app
from letexto_mcp.sandbox.clock import ManualClock
from letexto_mcp.sandbox.config import SandboxConfig
from letexto_mcp.sandbox.constants import (
    SANDBOX_API_KEY,
    SANDBOX_APPROVED_SENDER,
    SANDBOX_BASE_URL_IN_PROCESS,
    SANDBOX_SUBACCOUNT_KEY,
)
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
