"""`/_sandbox/*`: inspect, fault and reset the simulator over HTTP, for users outside this process.

Everything but `healthz` needs `Authorization: Bearer <SANDBOX_API_KEY>`; keys are never shown,
only masked hints.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from letexto_mcp.sandbox import views
from letexto_mcp.sandbox.clock import format_iso
from letexto_mcp.sandbox.constants import SANDBOX_API_KEY
from letexto_mcp.sandbox.errors import VendorError
from letexto_mcp.sandbox.faults import Fault, FaultInjector
from letexto_mcp.sandbox.inbound import bearer_key
from letexto_mcp.sandbox.state import SimulatorState

ADMIN_PREFIX = "/_sandbox"


def _require_admin(request: Request) -> None:
    if bearer_key(request.headers) != SANDBOX_API_KEY:
        raise VendorError(401, "the sandbox admin endpoints need Authorization: Bearer <the sandbox key>")


def snapshot(state: SimulatorState, faults: FaultInjector) -> dict[str, object]:
    """Everything the simulator holds, as JSON, with every key masked."""
    return {
        "now": format_iso(state.wall_now()),
        "accounts": [views.account_snapshot(a) for a in state.accounts.values()],
        "messages": [views.message_snapshot(m) for m in state.messages],
        "smsCampaigns": [views.sms_campaign_snapshot(c) for c in state.sms_campaigns],
        "emailCampaigns": [views.email_campaign_snapshot(c) for c in state.email_campaigns],
        "dlrDeliveries": [views.delivery_snapshot(d) for d in state.dlr_deliveries],
        "pendingReports": len(state.pending_reports),
        "requests": [views.request_snapshot(r) for r in state.requests],
        "requestsDropped": state.requests_dropped,
        "faults": [f.to_json() for f in faults.active],
    }


def routes(state: SimulatorState, faults: FaultInjector) -> list[Route]:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "service": "letexto-sandbox"})

    async def get_state(request: Request) -> JSONResponse:
        _require_admin(request)
        return JSONResponse(snapshot(state, faults))

    async def list_faults(request: Request) -> JSONResponse:
        _require_admin(request)
        return JSONResponse([f.to_json() for f in faults.active])

    async def add_fault(request: Request) -> JSONResponse:
        _require_admin(request)
        try:
            fault = Fault.from_json(json.loads(await request.body() or b"null"))
        except (ValueError, TypeError) as exc:
            raise VendorError(400, f"invalid fault: {exc}") from None
        faults.inject(fault)
        return JSONResponse({"fault": fault.to_json(), "active": len(faults.active)}, status_code=201)

    async def clear_faults(request: Request) -> JSONResponse:
        _require_admin(request)
        return JSONResponse({"cleared": faults.clear()})

    async def reset(request: Request) -> JSONResponse:
        _require_admin(request)
        state.reset()
        faults.clear()
        return JSONResponse({"status": "reset"})

    return [
        Route(f"{ADMIN_PREFIX}/healthz", healthz, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/state", get_state, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/faults", list_faults, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/faults", add_fault, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/faults", clear_faults, methods=["DELETE"]),
        Route(f"{ADMIN_PREFIX}/reset", reset, methods=["POST"]),
    ]
