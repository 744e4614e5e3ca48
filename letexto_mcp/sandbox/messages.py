"""Single SMS: send (JSON POST and the legacy GET with query parameters) and message status."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from letexto_mcp.sandbox import assumptions as A
from letexto_mcp.sandbox.checks import authenticate, require_credit, require_sender
from letexto_mcp.sandbox.errors import VendorError
from letexto_mcp.sandbox.inbound import read_fields
from letexto_mcp.sandbox.records import SentMessage, Via, new_id
from letexto_mcp.sandbox.state import SimulatorState
from letexto_mcp.sandbox.validation import FieldChecker, invalid_numbers_message, is_valid_number
from letexto_mcp.sandbox.views import message_status_body
from letexto_mcp.sms.segments import count_segments


def routes(state: SimulatorState) -> list[Route]:
    async def send_post(request: Request) -> JSONResponse:
        fields = await read_fields(request)
        return send(request, state, fields, "POST")

    async def send_get(request: Request) -> JSONResponse:
        fields = {k: v for k, v in request.query_params.items() if k != "token"}
        return send(request, state, fields, "GET")

    async def status(request: Request) -> JSONResponse:
        account = authenticate(request, state)
        message = state.find_message(request.path_params["id"], account)
        if message is None:
            raise VendorError(404, A.MSG_MESSAGE_NOT_FOUND)
        return JSONResponse(message_status_body(message))

    return [
        Route("/v1/messages/send", send_post, methods=["POST"]),
        Route("/v1/messages/send", send_get, methods=["GET"]),
        Route("/v1/messages/{id}/status", status, methods=["GET"]),
    ]


def send(request: Request, state: SimulatorState, fields: dict[str, Any], via: Via) -> JSONResponse:
    """Validate like the vendor, debit the parts, keep the message and answer `submitted`."""
    account = authenticate(request, state)
    check = FieldChecker(fields)
    sender = check.required_str("from", A.SENDER_MAX_LENGTH)
    to = check.required_str("to")
    content = check.required_str("content")
    dlr_url = check.optional_url("dlrUrl")
    dlr_method = check.optional_choice("dlrMethod", ("GET", "POST"))
    custom_data = check.optional_str("customData")
    send_at = check.optional_date("sendAt")
    if to and not is_valid_number(to):
        check.fail(invalid_numbers_message("to", [to]))
    check.raise_if_failed()
    require_sender(account, sender)
    segments = count_segments(content)
    require_credit(account, segments.parts)
    message = SentMessage(
        id=new_id(),
        account_key_hint=account.key_hint,
        sender=sender,
        to=to,
        content=content,
        parts=segments.parts,
        encoding=segments.encoding,
        custom_data=custom_data,
        dlr_url=dlr_url,
        dlr_method=(dlr_method or A.DEFAULT_DLR_METHOD) if dlr_url else dlr_method,
        send_at=send_at,
        created_at=state.wall_now(),
        via=via,
        timeline=state.timeline(send_at),
        account_key=account.key,
    )
    state.record_message(account, message)
    body = {"status": "submitted", "id": message.id, "partCount": message.parts}
    return JSONResponse(body, status_code=A.CREATED_HTTP_STATUS if via == "POST" else 200)
