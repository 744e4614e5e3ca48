"""Asking the person through the client's own dialog (MCP form elicitation), in either protocol era.

The guard calls this only after every check that could refuse the send has passed. Two eras:

- 2025-11-25 and older (an `initialize` handshake): the server sends `elicitation/create` in the
  middle of the call and waits for the answer (needs a back-channel: not over stateless HTTP);
- 2026-07-28: no back-channel. The tool answers `input_required` with the question and a
  `requestState` naming this exact request (the approval fingerprint); the client retries with the
  person's answer, the send runs again through every check, and the answer counts only if the
  state names the same request. The SDK seals the state and binds it to the tool, the arguments
  and the caller, so neither a model nor another client can forge or replay it.

A client that declared no form elicitation is never asked (it would get a protocol error).
"""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver import Context
from mcp_types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from pydantic import BaseModel, Field, ValidationError

from letexto_mcp.guard.approval import ApprovalAnswer, ApprovalRequest, Approved, Declined
from letexto_mcp.guard.outcome import Suspended
from letexto_mcp.states import ApprovalPath
from letexto_mcp.tools.sdk_bridge import elicitation_schema

ANSWER_KEY = "approval"
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


class DialogApprover:
    """Asks the person in the client's dialog, when this client and this call allow it."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

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

    def _reply_for(self, fingerprint: str) -> ElicitResult | None:
        """The person's answer, if this retry carries one for this exact request."""
        try:
            state: Any = json.loads(self._ctx.request_state or "null")
        except ValueError:
            return None
        if not isinstance(state, dict) or state.get("approval") != fingerprint:
            return None
        reply = (self._ctx.input_responses or {}).get(ANSWER_KEY)
        return reply if isinstance(reply, ElicitResult) else None


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
