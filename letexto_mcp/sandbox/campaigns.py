"""SMS campaigns (per-contact `{{field}}` rendering, billed by total parts) and email campaigns."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from letexto_mcp.sandbox import assumptions as A
from letexto_mcp.sandbox.checks import authenticate, require_credit, require_sender
from letexto_mcp.sandbox.errors import ValidationErrors, VendorError
from letexto_mcp.sandbox.inbound import read_fields
from letexto_mcp.sandbox.records import EmailCampaign, RenderedMessage, SmsCampaign, new_id
from letexto_mcp.sandbox.state import SimulatorState
from letexto_mcp.sandbox.templates import missing_fields, render
from letexto_mcp.sandbox.validation import FieldChecker, invalid_numbers_message, is_email, is_valid_number
from letexto_mcp.sandbox.views import email_campaign_status_body, sms_campaign_status_body
from letexto_mcp.sms.segments import count_segments

MAX_LISTED_PROBLEMS = 10
"""A campaign with thousands of bad contacts names the first few, then how many more."""


def routes(state: SimulatorState) -> list[Route]:
    async def create_sms(request: Request) -> JSONResponse:
        fields = await read_fields(request)
        account = authenticate(request, state)
        return create_sms_campaign(state, account.key, fields)

    async def create_email(request: Request) -> JSONResponse:
        fields = await read_fields(request)
        account = authenticate(request, state)
        return create_email_campaign(state, account.key, fields)

    async def sms_status(request: Request) -> JSONResponse:
        account = authenticate(request, state)
        campaign = state.find_sms_campaign(request.path_params["id"], account)
        if campaign is None:
            raise VendorError(404, A.MSG_CAMPAIGN_NOT_FOUND)
        return JSONResponse(sms_campaign_status_body(campaign))

    async def email_status(request: Request) -> JSONResponse:
        account = authenticate(request, state)
        campaign = state.find_email_campaign(request.path_params["id"], account)
        if campaign is None:
            raise VendorError(404, A.MSG_CAMPAIGN_NOT_FOUND)
        return JSONResponse(email_campaign_status_body(campaign))

    return [
        Route("/v1/campaigns/sms", create_sms, methods=["POST"]),
        Route("/v1/campaigns/emails", create_email, methods=["POST"]),
        Route("/v1/campaigns/sms/{id}/status", sms_status, methods=["GET"]),
        Route("/v1/campaigns/emails/{id}/status", email_status, methods=["GET"]),
    ]


def _numero(contact: dict[str, Any]) -> str | None:
    value = contact.get("numero")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_LISTED_PROBLEMS:
        return problems
    extra = len(problems) - MAX_LISTED_PROBLEMS
    return [*problems[:MAX_LISTED_PROBLEMS], f"... and {extra} more contacts with the same kind of problem"]


def _check_contacts(check: FieldChecker, contacts: list[Any]) -> None:
    if any(not isinstance(c, dict) for c in contacts):
        check.fail("each value in contacts must be an object")
        return
    empty: list[str] = []
    bad: list[str] = []
    for i, contact in enumerate(contacts):
        raw = contact.get("numero")
        if raw is None or raw == "":
            empty.append(f"contacts.{i}.numero should not be empty")
        elif (numero := _numero(contact)) is None or not is_valid_number(numero):
            bad.append(str(raw))
    check.errors.extend(_capped(empty))
    if bad:
        check.fail(invalid_numbers_message("contacts", bad))


def create_sms_campaign(state: SimulatorState, key: str, fields: dict[str, Any]) -> JSONResponse:
    """Validate, render every contact's message, debit the total parts and answer `CREATED`."""
    account = state.accounts[key]
    check = FieldChecker(fields)
    label = check.required_str("label")
    sender = check.required_str("sender", A.SENDER_MAX_LENGTH)
    contacts = check.required_list("contacts")
    content = check.required_str("content")
    sent_at = check.optional_date("sentAt")
    _check_contacts(check, contacts)
    check.raise_if_failed()
    problems = [
        f"contacts.{i}.{name} is missing: content uses {{{{{name}}}}}"
        for i, contact in enumerate(contacts)
        for name in missing_fields(content, contact)
    ]
    if problems:
        raise ValidationErrors(_capped(problems))
    require_sender(account, sender)
    messages = []
    for contact in contacts:
        text = render(content, contact)
        segments = count_segments(text)
        messages.append(RenderedMessage(str(_numero(contact)), text, segments.parts, segments.encoding))
    part_count = sum(m.parts for m in messages)
    require_credit(account, part_count)
    campaign = SmsCampaign(
        id=new_id(),
        account_key_hint=account.key_hint,
        label=label,
        sender=sender,
        content=content,
        contacts=[dict(c) for c in contacts],
        messages=messages,
        part_count=part_count,
        sent_at=sent_at,
        created_at=state.wall_now(),
        timeline=state.timeline(sent_at),
        account_key=account.key,
    )
    account.balance -= part_count
    state.sms_campaigns.append(campaign)
    body = {
        "label": label,
        "sender": sender,
        "id": campaign.id,
        "contactCount": campaign.contact_count,
        "statut": "CREATED",
        "partCount": part_count,
    }
    return JSONResponse(body, status_code=A.CREATED_HTTP_STATUS)


def create_email_campaign(state: SimulatorState, key: str, fields: dict[str, Any]) -> JSONResponse:
    """Validate the addresses and keep the campaign; email costs no SMS credit."""
    account = state.accounts[key]
    check = FieldChecker(fields)
    label = check.required_str("label")
    from_email = check.required_email("from")
    recipients = check.required_list("recipients")
    subject = check.required_str("subject")
    content = check.required_str("content")
    if recipients and not all(is_email(r) for r in recipients):
        check.fail("each value in recipients must be an email")
    check.raise_if_failed()
    campaign = EmailCampaign(
        id=new_id(),
        account_key_hint=account.key_hint,
        label=label,
        from_email=from_email,
        recipients=list(recipients),
        subject=subject,
        content=content,
        created_at=state.wall_now(),
        timeline=state.timeline(None),
        account_key=account.key,
    )
    state.email_campaigns.append(campaign)
    body = {
        "id": campaign.id,
        "label": label,
        "subject": subject,
        "from": from_email,
        "recipientsCount": len(campaign.recipients),
        "status": "Created",
    }
    return JSONResponse(body, status_code=A.CREATED_HTTP_STATUS)
