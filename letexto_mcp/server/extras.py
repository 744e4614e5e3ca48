"""Resources and prompts: the account at a glance, the send history, and an SMS-drafting prompt."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError

from letexto_mcp.schemas.inputs import ListSendersInput
from letexto_mcp.tools.account import balance_of
from letexto_mcp.tools.registry import services_of
from letexto_mcp.tools.scopes import SCOPE_READ, scope_refusal
from letexto_mcp.tools.senders import senders_of
from letexto_mcp.tools.tenancy import caller_token, tenant_of

DAY_SECONDS = 86_400
HISTORY_LIMIT = 1000


def _day_bounds(day: str) -> tuple[float, float]:
    if day == "today":
        start = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        try:
            start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        except ValueError:
            raise ResourceError(f"day must be 'today' or YYYY-MM-DD, got {day[:20]!r}") from None
    return start.timestamp(), start.timestamp() + DAY_SECONDS


def require_read(ctx: Context) -> None:
    """Resources are reads: an OAuth token without `letexto.read` gets a ResourceError naming it."""
    refusal = scope_refusal(caller_token(ctx), SCOPE_READ, "read resources")
    if refusal is not None:
        raise ResourceError(refusal)


def register_extras(server: MCPServer) -> None:
    """Add the resources and the prompt to `server`."""

    @server.resource(
        "letexto://sends/{day}",
        name="send_history",
        title="What was sent",
        description="Every send attempt on a day ('today' or YYYY-MM-DD): tool, outcome, recipients, parts, "
        "credits, how it was approved, LeTexto ids. From this server's audit log. An outcome of "
        "'sending' that stays so means the server stopped before LeTexto answered: outcome unknown.",
        mime_type="application/json",
    )
    async def send_history(day: str, ctx: Context) -> str:
        require_read(ctx)
        services = services_of(ctx)
        start, end = _day_bounds(day)
        entries = await services.store.list_audit(
            tenant_of(ctx), since=start, until=end, limit=HISTORY_LIMIT + 1
        )
        truncated = len(entries) > HISTORY_LIMIT
        entries = entries[:HISTORY_LIMIT]
        rows = [
            {
                "at": datetime.fromtimestamp(e.at, timezone.utc).isoformat(),
                "tool": e.tool,
                "outcome": e.outcome,
                "recipients": e.recipients,
                "parts": e.parts,
                "credits": e.credits,
                "approval": e.approval,
                "letexto_ids": e.letexto_ids,
                "detail": services.redact(e.detail),
            }
            for e in entries
        ]
        body = {"day": day, "count": len(rows), "truncated": truncated, "entries": rows}
        if truncated:
            body["note"] = f"only the newest {HISTORY_LIMIT} attempts are shown"
        return json.dumps(body, ensure_ascii=False, indent=2)

    @server.resource(
        "letexto://account/{item}",
        name="account",
        title="LeTexto account",
        description="'balance' (credits left) or 'senders' (sender names and whether each is approved).",
        mime_type="application/json",
    )
    async def account(item: str, ctx: Context) -> str:
        require_read(ctx)
        services, tenant = services_of(ctx), tenant_of(ctx)
        try:
            if item == "balance":
                balance = await balance_of(services, tenant)
                body: dict[str, object] = {**balance.model_dump(), "read_at": time.time()}
            elif item == "senders":
                listed = await senders_of(services, tenant, ListSendersInput())
                body = {"senders": [s.model_dump(exclude={"id"}) for s in listed.senders]}
            else:
                raise ResourceError("item must be 'balance' or 'senders'")
        except ToolError as error:
            raise ResourceError(str(error)) from None
        return json.dumps(body, ensure_ascii=False, indent=2)

    @server.prompt(
        name="draft_sms",
        title="Draft a short French SMS",
        description="Draft an SMS in French that fits in one part (160 GSM-7 characters), "
        "from what it must say.",
    )
    def draft_sms(purpose: str, recipient_name: str = "") -> str:
        who = f" pour {recipient_name}" if recipient_name else ""
        return (
            f"Rédige un SMS en français{who} qui dit : {purpose}\n\n"
            "Contraintes : 160 caractères au plus, en alphabet GSM-7 uniquement pour tenir en une "
            "seule partie. "
            "Les lettres é è à ù sont permises ; évite ê â î ô û ç œ, les apostrophes et guillemets "
            "typographiques "
            "(’ “ ” « ») et les emoji, qui font passer le SMS en UCS-2 (70 caractères par partie). "
            "Ensuite, appelle preview_sms avec le texte pour vérifier le nombre de parties et le "
            "coût, et montre "
            "l'aperçu à l'utilisateur avant tout envoi."
        )
