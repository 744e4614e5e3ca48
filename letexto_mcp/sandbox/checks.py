"""Checks every vendor endpoint shares: the key, the sender's approval, the balance."""

from __future__ import annotations

from starlette.requests import Request

from letexto_mcp.sandbox import assumptions as A
from letexto_mcp.sandbox.errors import VendorError
from letexto_mcp.sandbox.inbound import request_key
from letexto_mcp.sandbox.records import Account
from letexto_mcp.sandbox.state import SimulatorState


def authenticate(request: Request, state: SimulatorState) -> Account:
    """The account of the request's key (Bearer or `?token=`), else 401 in the vendor's words."""
    account = state.account(request_key(request))
    if account is None:
        raise VendorError(401, A.MSG_UNAUTHORIZED)
    return account


def require_sender(account: Account, name: str) -> None:
    """Only an ACTIVE sender of this very account may send."""
    sender = account.sender(name)
    if sender is None or not sender.approved:
        raise VendorError(A.UNAUTHORIZED_SENDER_HTTP_STATUS, A.MSG_SENDER_NOT_ALLOWED)


def require_credit(account: Account, parts: int) -> None:
    if account.balance < parts:
        raise VendorError(A.INSUFFICIENT_BALANCE_HTTP_STATUS, A.MSG_INSUFFICIENT_BALANCE)
