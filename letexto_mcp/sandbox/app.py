"""`create_app`: the simulator as one ASGI app, with its state and fault rules attached.

The outer `SandboxApp` logs each API request (method, path, auth form, fault, status), applies
the configured latency and any matching fault, then hands over to a Starlette router of the
vendor's endpoints and the `/_sandbox` admin endpoints.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from letexto_mcp.sandbox import account, admin, campaigns, messages, senders
from letexto_mcp.sandbox.config import SandboxConfig
from letexto_mcp.sandbox.errors import VendorError, error_response
from letexto_mcp.sandbox.faults import FaultInjector, run_with_fault
from letexto_mcp.sandbox.inbound import auth_form
from letexto_mcp.sandbox.records import DlrDelivery, RequestRecord, mask_key
from letexto_mcp.sandbox.state import SimulatorState


async def _vendor_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VendorError)
    return error_response(exc.status, exc.message, exc.headers)


async def _no_route(request: Request, exc: Exception) -> Response:
    """NestJS answers unknown paths and wrong methods alike: 404 `Cannot GET /path`."""
    assert isinstance(exc, HTTPException)
    return error_response(404, f"Cannot {request.method} {request.url.path}")


class SandboxApp:
    """The simulator: call it as an ASGI app; read `state`, steer `faults`, flush reports."""

    def __init__(self, config: SandboxConfig | None = None, *, in_process: bool = True) -> None:
        self.config = config or SandboxConfig()
        self.state = SimulatorState(self.config)
        self.faults = FaultInjector(self.config.fault_seed)
        self.in_process = in_process
        """True: simulate resets and timeouts by raising httpx errors to an in-process caller."""
        routes = [
            *messages.routes(self.state),
            *campaigns.routes(self.state),
            *senders.routes(self.state),
            *account.routes(self.state),
            *admin.routes(self.state, self.faults),
        ]
        handlers = {VendorError: _vendor_error, 404: _no_route, 405: _no_route}
        self.router = Starlette(routes=routes, exception_handlers=handlers, lifespan=self._lifespan)

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        await self.state.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(admin.ADMIN_PREFIX):
            await self.router(scope, receive, send)
            return
        record = self._record(scope)

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        if self.config.latency:
            await asyncio.sleep(self.config.latency)
        fault = self.faults.take(record.method, record.path)
        if fault is None:
            await self.router(scope, receive, recording_send)
            return
        record.fault = fault.kind
        await run_with_fault(fault, self.router, scope, receive, recording_send, in_process=self.in_process)

    def _record(self, scope: Scope) -> RequestRecord:
        headers, query = Headers(scope=scope), QueryParams(scope.get("query_string", b""))
        shown = {k: mask_key(v) if k == "token" else v for k, v in query.items()}
        record = RequestRecord(scope["method"], scope["path"], auth_form(headers, query), shown)
        self.state.log_request(record)
        return record

    async def deliver_due_reports(self) -> list[DlrDelivery]:
        """Deliver every report the clock says is due (same as `state.run_due_reports`)."""
        return await self.state.run_due_reports()

    async def aclose(self) -> None:
        """Cancel background report tasks."""
        await self.state.aclose()


def create_app(config: SandboxConfig | None = None, *, in_process: bool = True) -> SandboxApp:
    """A new simulator with the seeded accounts; `in_process=False` when served over a socket."""
    return SandboxApp(config, in_process=in_process)
