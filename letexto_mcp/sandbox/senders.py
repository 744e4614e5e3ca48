"""Sender names: create (PENDING until approved by the clock) and list with the vendor's filters."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from letexto_mcp.sandbox import assumptions as A
from letexto_mcp.sandbox.checks import authenticate
from letexto_mcp.sandbox.errors import VendorError
from letexto_mcp.sandbox.inbound import read_fields
from letexto_mcp.sandbox.state import SimulatorState
from letexto_mcp.sandbox.validation import FieldChecker
from letexto_mcp.sandbox.views import sender_body


def routes(state: SimulatorState) -> list[Route]:
    async def create(request: Request) -> JSONResponse:
        fields = await read_fields(request)
        account = authenticate(request, state)
        check = FieldChecker(fields)
        name = check.required_str("name", A.SENDER_MAX_LENGTH)
        if name and not name.strip():
            check.fail("name should not be empty")
        check.raise_if_failed()
        if any(s.name.lower() == name.lower() for s in account.senders):
            raise VendorError(A.SENDER_EXISTS_HTTP_STATUS, A.MSG_SENDER_EXISTS)
        sender = state.create_sender(account, name)
        return JSONResponse(sender_body(sender), status_code=A.CREATED_HTTP_STATUS)

    async def list_senders(request: Request) -> JSONResponse:
        account = authenticate(request, state)
        params = request.query_params
        accounts = [account]
        if params.get("allAccounts", "").lower() == "true":
            accounts += state.sub_accounts(account)
        query = params.get("query", "").lower()
        status = params.get("status", "").upper()
        found = [
            sender_body(s)
            for a in accounts
            for s in a.senders
            if query in s.name.lower() and (not status or s.status == status)
        ]
        return JSONResponse(found)

    return [
        Route("/v1/senders/create", create, methods=["POST"]),
        Route("/v1/senders", list_senders, methods=["GET"]),
    ]
