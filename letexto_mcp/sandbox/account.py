"""The account balance, in SMS credits (one per part)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from letexto_mcp.sandbox import assumptions as A
from letexto_mcp.sandbox.checks import authenticate
from letexto_mcp.sandbox.state import SimulatorState


def routes(state: SimulatorState) -> list[Route]:
    async def balance(request: Request) -> JSONResponse:
        account = authenticate(request, state)
        return JSONResponse({"balance": account.balance, "currency": A.BALANCE_CURRENCY})

    return [Route("/v1/users/balance", balance, methods=["GET"])]
