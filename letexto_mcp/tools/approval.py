"""Reaching the person from an MCP call: the client's own dialog, or the approval page.

The guard calls this only after every check that could refuse the send has passed.

The dialog is MCP form elicitation, in either protocol era:

- 2025-11-25 and older (an `initialize` handshake): the server sends `elicitation/create` in the
  middle of the call and waits for the answer (needs a back-channel: not over stateless HTTP);
- 2026-07-28: no back-channel. The tool answers `input_required` with the question and a
  `requestState` naming this exact request (the approval fingerprint); the client retries with the
  person's answer, the send runs again through every check, and the answer counts only if the
  state names the same request. The SDK seals the state and binds it to the tool, the arguments
  and the caller, so neither a model nor another client can forge or replay it.

A client that declared no form elicitation is never asked (it would get a protocol error).

The approval page (policy `approve`, when no dialog can be shown) is put before a person the best
way the client allows: URL-mode elicitation where the client declares `elicitation.url` (the
client opens the page; in the 2025-11-25 era the call then waits, with progress, for the decision
and sends the completion notice; in 2026-07-28 the URL rides an input-required result and the
client's retry comes back for the record), else opened on the user's screen (stdio), else
returned as `approval_url` for the assistant to show. The sign-in secret of a page opened on the
user's screen never travels in an MCP message.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from mcp.server.mcpserver import Context
from mcp_types import (
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitRequestURLParams,
    ElicitResult,
    InputRequiredResult,
)
from pydantic import BaseModel, Field, ValidationError

from letexto_mcp.guard.approval import (
    ApprovalAnswer,
    ApprovalRequest,
    Approved,
    Declined,
    PageAnswer,
    PageShown,
)
from letexto_mcp.guard.outcome import Suspended
from letexto_mcp.services import Services
from letexto_mcp.states import ApprovalPath
from letexto_mcp.store.base import ApprovalRecord
from letexto_mcp.tools.sdk_bridge import elicitation_schema

ANSWER_KEY = "approval"
PAGE_KEY = "approval_page"
POLL_SECONDS = 0.5
_STATE_VERSION = 1
MODERN_ERA = "2026-07-28"


class ApprovalForm(BaseModel):
    """The one question the user answers in the client's dialog."""

    approve: bool = Field(title="Send it?", description="Tick to send exactly what is described above.")


def is_modern(ctx: Context) -> bool:
    """Whether this call speaks the 2026-07-28 protocol (input-required round trips, no back-channel)."""
    return (ctx.protocol_version or "") >= MODERN_ERA


def declares_form_elicitation(ctx: Context) -> bool:
    """A bare `elicitation: {}` means form mode; a URL-only declaration does not."""
    caps = ctx.client_capabilities
    elicitation = caps.elicitation if caps is not None else None
    if elicitation is None:
        return False
    return elicitation.form is not None or elicitation.url is None


def declares_url_elicitation(ctx: Context) -> bool:
    caps = ctx.client_capabilities
    elicitation = caps.elicitation if caps is not None else None
    return elicitation is not None and elicitation.url is not None


class McpApprover:
    """Reaches the person for one MCP call: the client's dialog, or the approval page."""

    def __init__(self, ctx: Context, services: Services) -> None:
        self._ctx = ctx
        self._services = services
        self._pages = services.pages

    def can_ask(self) -> bool:
        if not declares_form_elicitation(self._ctx):
            return False
        return is_modern(self._ctx) or bool(self._ctx.session.can_send_request)

    async def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        question = request.plan.question
        if not is_modern(self._ctx):
            answer = await self._ctx.elicit(question, ApprovalForm)
            return _decision(answer.action, getattr(answer, "data", None))
        replied = self._reply_for(request.fingerprint)
        if replied is not None:
            return _decision(replied.action, _form(replied.content))
        ask = ElicitRequest(
            params=ElicitRequestFormParams(
                message=question, requested_schema=elicitation_schema(ApprovalForm)
            )
        )
        state = json.dumps({"v": _STATE_VERSION, "approval": request.fingerprint}, separators=(",", ":"))
        return Suspended(InputRequiredResult(input_requests={ANSWER_KEY: ask}, request_state=state))

    def _state(self) -> dict[str, Any]:
        """This retry's request state (sealed by the SDK: minted by us, bound to tool, arguments, caller)."""
        try:
            state: Any = json.loads(self._ctx.request_state or "null")
        except ValueError:
            return {}
        return state if isinstance(state, dict) else {}

    def _reply_for(self, fingerprint: str) -> ElicitResult | None:
        """The person's answer, if this retry carries one for this exact request."""
        if self._state().get("approval") != fingerprint:
            return None
        reply = (self._ctx.input_responses or {}).get(ANSWER_KEY)
        return reply if isinstance(reply, ElicitResult) else None

    # -- the approval page ------------------------------------------------------------------------

    def _request_base(self) -> str | None:
        """The address this HTTP request reached us at (None on stdio)."""
        request = getattr(self._ctx.request_context, "request", None)
        base = getattr(request, "base_url", None)
        return str(base).rstrip("/") if base is not None else None

    def can_show_page(self) -> bool:
        return self._pages is not None and self._pages.reachable()

    async def page_url(self, record: ApprovalRecord) -> str | None:
        if self._pages is None:
            return None
        return await self._pages.url_for(record.id, self._request_base())

    def resumed_approval(self) -> str | None:
        """The record a 2026-07-28 retry comes back for, after the client opened its page."""
        if not is_modern(self._ctx) or PAGE_KEY not in (self._ctx.input_responses or {}):
            return None
        page = self._state().get("page")
        return page if isinstance(page, str) else None

    async def show_page(self, record: ApprovalRecord) -> PageAnswer:
        assert self._pages is not None  # the guard checks can_show_page() first
        url = await self._pages.url_for(record.id, self._request_base())
        message = page_message(record)
        if declares_url_elicitation(self._ctx) and not self._pages.opens_itself():
            if is_modern(self._ctx):
                ask = ElicitRequest(
                    params=ElicitRequestURLParams(message=message, url=url, elicitation_id=record.id)
                )
                state = json.dumps({"v": _STATE_VERSION, "page": record.id}, separators=(",", ":"))
                return Suspended(InputRequiredResult(input_requests={PAGE_KEY: ask}, request_state=state))
            if self._ctx.session.can_send_request:
                return await self._open_and_wait(record, message, url)
        opened = await self._pages.present(record, url)
        return PageShown(url, opened=opened)

    async def _open_and_wait(self, record: ApprovalRecord, message: str, url: str) -> PageAnswer:
        """2025-11-25 URL elicitation: the client opens the page; wait (bounded) for the decision."""
        consent = await self._ctx.elicit_url(message, url, record.id)
        if consent.action != "accept":
            return PageShown(url)  # not opened now; the page stays valid for the caller to pass on
        wait = float(self._services.settings.approval_wait_seconds)
        desk = self._services.guard.desk
        with anyio.move_on_after(wait):
            waited = 0.0
            while True:
                current = await desk.get(record.id)
                if current is not None and current.state != "pending":
                    await self._ctx.session.send_elicit_complete(record.id)
                    if current.state == "approved":
                        return Approved(ApprovalPath.PAGE, current.decided_by)
                    return Declined()
                await self._ctx.report_progress(waited, wait, "waiting for the decision on the approval page")
                await anyio.sleep(POLL_SECONDS)
                waited += POLL_SECONDS
        return PageShown(url)


def page_message(record: ApprovalRecord) -> str:
    """What the client shows beside the page's URL."""
    who = f"{record.recipients} recipient{'s' if record.recipients != 1 else ''}"
    return (
        f"A send ({record.tool}, {who}) waits for your approval. Open the approval page, check "
        "everything that will leave, then press Approve or Decline."
    )


def _form(content: object) -> ApprovalForm | None:
    """The answer's form, or None when it is missing or malformed (which is not a yes)."""
    try:
        return ApprovalForm.model_validate(content)
    except ValidationError:
        return None


def _decision(action: str, content: ApprovalForm | None) -> ApprovalAnswer:
    if action == "accept" and content is not None and content.approve:
        return Approved(ApprovalPath.DIALOG)
    return Declined(cancelled=action == "cancel")
