"""The SMS plan behind `preview_sms` and the send tools: who receives what, in how many parts, at what cost.

The pure half (`plan_sms`) depends only on the arguments, so the approval question built from
it is identical on every round of an elicitation. The account half (`check_account`) asks
LeTexto for the balance and the senders.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver.exceptions import ToolError

from letexto_mcp.letexto import errors as lx
from letexto_mcp.schemas.outputs import (
    CostSummary,
    NonGsmCharacter,
    PreviewResult,
    RecipientsSummary,
    RejectedRecipient,
    RenderedSample,
    SenderCheck,
    TextAnalysis,
)
from letexto_mcp.services import Services
from letexto_mcp.sms.campaign import MessageSink, plan_campaign
from letexto_mcp.sms.contacts import Contact, ContactList, ContactsError, parse_contacts, parse_contacts_csv
from letexto_mcp.sms.rewrite import gsm7_rewrite
from letexto_mcp.sms.segments import count_segments
from letexto_mcp.sms.templates import placeholders
from letexto_mcp.tools.errors import LetextoToolError, explain
from letexto_mcp.tools.what_leaves import WhatLeaves

if TYPE_CHECKING:
    from letexto_mcp.letexto.models import Sender

logger = logging.getLogger(__name__)

SHOWN_RECIPIENTS = 5
SHOWN_REJECTED = 50
SHOWN_CULPRITS = 50
PHONE_FIELDS = frozenset({"numero", "phone"})


@dataclass
class SmsPlan:
    """Everything a send needs, computed once from the arguments."""

    content: str
    sender: str | None
    contacts: list[Contact]
    recipients: RecipientsSummary
    text: TextAnalysis
    samples: list[RenderedSample]
    missing: list[RejectedRecipient]
    total_parts: int
    max_parts: int
    distribution: dict[int, int]
    personalised: bool
    blockers: list[str] = field(default_factory=list)

    @property
    def phones(self) -> list[str]:
        return [c.phone for c in self.contacts]


@dataclass
class AccountCheck:
    """Balance and sender as LeTexto reports them; `warnings` say what could not be read and why."""

    balance: float | None
    sender: SenderCheck
    warnings: list[str] = field(default_factory=list)


def analyse_text(content: str) -> TextAnalysis:
    """Encoding, parts and the cheaper GSM-7 rewrite of one text."""
    count = count_segments(content)
    culprits = [
        NonGsmCharacter(position=pos, character=ch, code_point=f"U+{ord(ch):04X}")
        for pos, ch in count.non_gsm_characters[:SHOWN_CULPRITS]
    ]
    rewrite, rewrite_parts = None, None
    if count.encoding == "UCS-2":
        candidate = gsm7_rewrite(content)
        candidate_parts = count_segments(candidate).parts
        if candidate and candidate_parts < count.parts:
            rewrite, rewrite_parts = candidate, candidate_parts
    return TextAnalysis(
        encoding=count.encoding,
        parts=count.parts,
        characters=count.characters,
        per_part=count.per_part,
        remaining_in_last_part=count.remaining_in_last_part,
        non_gsm_characters=culprits,
        gsm7_rewrite=rewrite,
        gsm7_rewrite_parts=rewrite_parts,
    )


def _numbers_as_contacts(numbers: Sequence[str], region: str) -> ContactList:
    return parse_contacts([{"phone": n} for n in numbers], default_region=region)


def _rejected(items: Sequence[Any]) -> list[RejectedRecipient]:
    return [RejectedRecipient(row=r.row, value=r.value[:64], reason=r.reason) for r in items]


def plan_sms(
    services: Services,
    *,
    content: str,
    to: str | Sequence[str] | None = None,
    contacts: Sequence[dict[str, Any]] | None = None,
    contacts_csv: str | None = None,
    sender: str | None = None,
    each: MessageSink | None = None,
) -> SmsPlan:
    """Normalise recipients, render and count every message; no network.

    `each(phone, text)`, if given, sees every message that would leave (see `plan_campaign`).
    """
    settings = services.settings
    region = settings.default_region
    blockers: list[str] = []
    try:
        if contacts is not None:
            parsed = parse_contacts(contacts, default_region=region)
        elif contacts_csv is not None:
            parsed = parse_contacts_csv(contacts_csv, default_region=region)
        else:
            numbers = [to] if isinstance(to, str) else list(to or [])
            parsed = _numbers_as_contacts(numbers, region)
    except ContactsError as error:
        parsed = ContactList(contacts=[], rejected=[], duplicates_merged=0, field_names=[])
        blockers.append(str(error))

    personalised = contacts is not None or contacts_csv is not None
    fields_used = [name for name in placeholders(content) if name not in PHONE_FIELDS]
    if not personalised and fields_used:
        blockers.append(
            "the text uses "
            + ", ".join("{{" + f + "}}" for f in fields_used)
            + " but plain numbers carry no fields: "
            "give 'contacts' with those fields (create_sms_campaign), or write the text out in full"
        )

    campaign = plan_campaign(content, parsed.contacts, samples=3, each=each) if personalised else None
    text = analyse_text(content)
    valid_contacts = parsed.contacts
    missing: list[RejectedRecipient] = []
    if campaign is not None:
        missing = _rejected(campaign.missing)
        missing_rows = {m.row for m in campaign.missing}
        if missing_rows:
            valid_contacts = [
                c for i, c in enumerate(parsed.contacts, start=1) if (c.row or i) not in missing_rows
            ]
        samples = [
            RenderedSample(to=phone, text=body, parts=(c := count_segments(body)).parts, encoding=c.encoding)
            for phone, body in campaign.samples
        ]
        total_parts, max_parts = campaign.total_parts, campaign.max_parts
        distribution = dict(campaign.parts_distribution)
    else:
        count = len(valid_contacts)
        samples = [
            RenderedSample(to=c.phone, text=content, parts=text.parts, encoding=text.encoding)
            for c in valid_contacts[:1]
        ]
        total_parts, max_parts = text.parts * count, text.parts if count else 0
        distribution = {text.parts: count} if count else {}
        if each is not None and not blockers:
            for contact in valid_contacts:
                each(contact.phone, content)

    warnings = list(parsed.warnings)
    recipients = RecipientsSummary(
        count=len(valid_contacts),
        sample=[c.phone for c in valid_contacts[:SHOWN_RECIPIENTS]],
        rejected=_rejected(parsed.rejected[:SHOWN_REJECTED]),
        rejected_count=len(parsed.rejected),
        duplicates_merged=parsed.duplicates_merged,
        warnings=warnings,
    )
    if not valid_contacts and not blockers:  # every row rejected: its number, or its rendered message
        set_aside = sorted([*recipients.rejected[:3], *missing[:3]], key=lambda r: r.row)[:3]
        reasons = "; ".join(f"row {r.row} {r.value!r}: {r.reason}" for r in set_aside)
        blockers.append("no valid recipient" + (f" ({reasons})" if reasons else ""))
    return SmsPlan(
        content=content,
        sender=sender or settings.default_sender,
        contacts=list(valid_contacts),
        recipients=recipients,
        text=text,
        samples=samples,
        missing=missing,
        total_parts=total_parts,
        max_parts=max_parts,
        distribution=distribution,
        personalised=personalised,
        blockers=blockers,
    )


async def check_account(services: Services, tenant: str, sender: str | None) -> AccountCheck:
    """Balance and sender approval, read together.

    A refused key is an error (nothing can be sent with it, and the preview would lie); an outage
    leaves the balance or the senders unknown, and says so in `warnings`, which the preview and the
    approval question show.
    """
    client = await services.letexto(tenant)
    balance: float | None = None
    senders: list[Sender] | None = None
    warnings: list[str] = []
    refused: list[lx.AuthenticationError] = []

    async def read_balance() -> None:
        nonlocal balance
        try:
            balance = (await client.get_balance()).balance
        except lx.AuthenticationError as error:
            refused.append(error)
        except lx.LetextoError as error:
            warnings.append(f"balance unknown: LeTexto could not be read ({services.redact(str(error))})")

    async def read_senders() -> None:
        nonlocal senders
        try:
            senders = await client.list_senders()
        except lx.AuthenticationError as error:
            refused.append(error)
        except lx.LetextoError as error:
            warnings.append(
                f"sender approval unknown: LeTexto could not be read ({services.redact(str(error))})"
            )

    async with anyio.create_task_group() as group:  # two independent reads: one round trip, not two
        group.start_soon(read_balance)
        group.start_soon(read_senders)
    if refused:
        text = services.redact(explain(refused[0], key_setting=services.key_setting(tenant)))
        raise LetextoToolError(text, refused[0])
    for warning in warnings:
        logger.warning("preview: %s", warning)
    if senders is None:
        return AccountCheck(
            balance, SenderCheck(name=sender, approved=None, note="senders could not be checked"), warnings
        )
    usable = sorted({s.name for s in senders if s.is_approved})
    if sender is None:
        note: str | None = (
            "no sender given and LETEXTO_DEFAULT_SENDER is not set: choose one of the usable senders"
        )
        return AccountCheck(
            balance, SenderCheck(name=None, approved=False, usable=usable, note=note), warnings
        )
    match = next((s for s in senders if s.name == sender), None)
    if match is None:
        note = (
            f"sender {sender!r} does not exist on this account; create it with create_sender or use one of: "
        )
        note += ", ".join(usable) or "(none approved yet)"
        return AccountCheck(
            balance, SenderCheck(name=sender, approved=False, usable=usable, note=note), warnings
        )
    note = None
    if not match.is_approved:
        note = f"sender {sender!r} is still {match.status} validation at LeTexto; use one of: " + (
            ", ".join(usable) or "(none approved yet)"
        )
    return AccountCheck(
        balance, SenderCheck(name=sender, approved=match.is_approved, usable=usable, note=note), warnings
    )


def _who(plan: SmsPlan) -> str:
    """'3 recipient(s): a, b, c and 7 more' — who a summary or an approval question names."""
    first = ", ".join(plan.recipients.sample[:3])
    more = plan.recipients.count - min(3, plan.recipients.count)
    return f"{plan.recipients.count} recipient(s): {first}" + (f" and {more} more" if more > 0 else "")


def _first_text(plan: SmsPlan) -> str:
    """The first message as it will arrive (rendered for campaigns)."""
    return plan.samples[0].text if plan.samples else plan.content


def _summary(plan: SmsPlan, cost: CostSummary, sender: SenderCheck, warnings: list[str]) -> str:
    who, text = _who(plan), _first_text(plan)
    parts = (
        f"{cost.total_parts} part(s) in all ({plan.text.encoding}, "
        f"up to {cost.max_parts_per_message} per message)"
    )
    money = f"{cost.credits:g} credit(s)"
    if cost.balance is not None:
        money += f"; balance {cost.balance:g} → {cost.balance_after:g}"
    line = f"Send from {sender.name or '(no sender)'} to {who}. Text: «{text[:320]}». {parts}, {money}."
    if plan.text.gsm7_rewrite is not None:
        line += (
            f" Characters such as {', '.join(c.character for c in plan.text.non_gsm_characters[:5])} "
            "force UCS-2; "
            f"the GSM-7 rewrite would cost {plan.text.gsm7_rewrite_parts} part(s) per message instead of "
            f"{plan.text.parts}."
        )
    for warning in warnings:
        line += f" Warning: {warning}."
    return line


def build_preview(plan: SmsPlan, account: AccountCheck | None) -> PreviewResult:
    """The user-facing preview: recipients, text analysis, cost, balance, sender, blockers."""
    balance = account.balance if account else None
    credits = float(plan.total_parts)
    after = None if balance is None else balance - credits
    cost = CostSummary(
        messages=plan.recipients.count,
        total_parts=plan.total_parts,
        credits=credits,
        parts_distribution={str(k): v for k, v in sorted(plan.distribution.items())},
        max_parts_per_message=plan.max_parts,
        balance=balance,
        balance_after=after,
        sufficient=None if after is None else after >= 0,
    )
    sender = account.sender if account else SenderCheck(name=plan.sender, approved=None)
    warnings = list(account.warnings) if account else []
    blockers = list(plan.blockers)
    if sender.approved is False and sender.note:
        blockers.append(sender.note)
    if cost.sufficient is False:
        blockers.append(
            f"the balance ({balance:g} credits) does not cover {credits:g} credits: top up the account"
        )
    return PreviewResult(
        recipients=plan.recipients,
        text=plan.text,
        cost=cost,
        sender=sender,
        samples=plan.samples,
        missing_fields=plan.missing[:SHOWN_REJECTED],
        ready=not blockers,
        blockers=blockers,
        warnings=warnings,
        summary=_summary(plan, cost, sender, warnings),
    )


def approval_question(
    plan: SmsPlan, account: AccountCheck, leaving: WhatLeaves, *, scheduled_for: str | None = None
) -> str:
    """What the person approves in the client's dialog: every fact about what leaves, texts in full."""
    when = f" on {scheduled_for}" if scheduled_for else " now"
    lines = [f"Send this SMS{when}?", f"From: {plan.sender or '(default)'}", f"To: {_who(plan)}"]
    if leaving.distinct_count <= 1:
        lines.append(f"Text, in full: «{_first_text(plan)}»")
    else:
        lines.append(
            f"{leaving.distinct_count} different texts (personalised); the first, in full: "
            f"«{leaving.examples[0]}»"
        )
    cost = f"Cost: {plan.total_parts} part(s) = {plan.total_parts} credit(s), {plan.text.encoding}"
    if account.balance is not None:
        cost += f"; balance {account.balance:g} → {account.balance - plan.total_parts:g}"
    lines.append(cost + ".")
    lines.extend(f"Warning: {warning}." for warning in account.warnings)
    return "\n".join(lines)


@dataclass
class PricedSend:
    """An SMS send worked out and priced: its plan, the account as LeTexto reports it, the preview,
    and every message that would leave. What `send_sms` and `create_sms_campaign` both start from."""

    plan: SmsPlan
    account: AccountCheck
    preview: PreviewResult
    leaving: WhatLeaves


def input_blockers(plan: SmsPlan) -> None:
    """Problems with the arguments themselves: a ToolError, nothing is sent or asked."""
    if plan.blockers:
        raise ToolError("Cannot send: " + "; ".join(plan.blockers) + ".")


async def priced_send(
    services: Services,
    tenant: str,
    *,
    content: str,
    to: str | None = None,
    contacts: Sequence[dict[str, Any]] | None = None,
    contacts_csv: str | None = None,
    sender: str | None = None,
) -> PricedSend:
    """Plan, check and price one send (see `PricedSend`); a ToolError if the arguments block it."""
    leaving = WhatLeaves()
    plan = plan_sms(
        services,
        content=content,
        to=to,
        contacts=contacts,
        contacts_csv=contacts_csv,
        sender=sender,
        each=leaving.add,
    )
    input_blockers(plan)
    account = await check_account(services, tenant, plan.sender)
    return PricedSend(plan, account, build_preview(plan, account), leaving)
