"""An approval record turned into what its page shows: state, facts, texts, recipients, pages.

Kept apart from the handlers and the templates so the words and the figures are worked out in one
place, in the reader's language, and the templates only lay them out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from letexto_mcp.store.base import ApprovalRecord, StateStore
from letexto_mcp.web.i18n import Words

RECIPIENTS_PER_PAGE = 200
TEXTS_PER_PAGE = 50
APPROVALS = "/approvals"


def when(timestamp: float | None) -> str:
    """A moment as people compare it with their watch: UTC (Côte d'Ivoire's own time)."""
    if timestamp is None:
        return "?"
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def schedule(send_at: object, words: Words) -> str:
    """`send_at` (ISO UTC) as a reader's date, or "now"."""
    if not isinstance(send_at, str) or not send_at:
        return words("now")
    try:
        moment = datetime.fromisoformat(send_at.replace("Z", "+00:00"))
    except ValueError:
        return send_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def recipient(value: str) -> str:
    """A number as people read it (`+225 07 07 12 34 56`); anything else (an address) as it is."""
    if value.isdigit():
        if value.startswith("225") and len(value) == 13:
            national = value[3:]
            return "+225 " + " ".join(national[i : i + 2] for i in range(0, 10, 2))
        return "+" + value
    return value


def page_number(raw: str | None, pages: int) -> int:
    """A 1-based page number from the query string, kept within 1..pages."""
    try:
        number = int(raw or "1")
    except ValueError:
        number = 1
    return min(max(number, 1), max(pages, 1))


@dataclass(frozen=True)
class Pager:
    """Where one list stands: this page, how many, and the links to its neighbours."""

    page: int
    pages: int
    previous_url: str | None
    next_url: str | None

    @property
    def needed(self) -> bool:
        return self.pages > 1


def pager(approval_id: str, name: str, page: int, pages: int, other: Mapping[str, int]) -> Pager:
    def link(number: int) -> str:
        query = {**{k: v for k, v in other.items() if v > 1}, name: number}
        return f"{APPROVALS}/{approval_id}?{urlencode(sorted(query.items()))}#{name}"

    return Pager(
        page,
        pages,
        link(page - 1) if page > 1 else None,
        link(page + 1) if page < pages else None,
    )


@dataclass(frozen=True)
class State:
    """The record's state as the page tells it: a key for the style, a sentence, a note."""

    key: str
    text: str
    note: str = ""
    can_decide: bool = False


def state_of(record: ApprovalRecord, now: float, words: Words) -> State:
    """pending, approved, declined, sending, sent or expired, with who decided and when."""
    via = words(f"via_{record.decided_via}") if record.decided_via in ("page", "bot", "dialog") else ""
    who = {"name": f"{record.decided_by or '?'}{' ' + via if via else ''}", "when": when(record.decided_at)}
    expired = record.expired(now)
    if record.state == "pending":
        if expired:
            return State("expired", words("state_expired"))
        until = words("state_pending_until", when=when(record.expires_at))
        return State("pending", words("state_pending"), until, can_decide=True)
    if record.state == "approved":
        if expired:
            return State("expired", words("state_approved_expired", **who))
        return State("approved", words("state_approved", **who), words("state_approved_note"))
    if record.state == "declined":
        return State("declined", words("state_declined", **who), words("state_declined_note"))
    if record.outcome is None:
        return State("sending", words("state_sending", **who))
    return State("sent", words("state_sent", **who))


def tool_name(tool: str, words: Words) -> str:
    """What kind of send this is, in words (the tool's own name when it has none)."""
    return words(f"tool_{tool}") if words.knows(f"tool_{tool}") else tool


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass
class ApprovalView:
    """Everything the approval template lays out."""

    id: str
    channel: str
    kind: str
    state: State
    facts: list[Fact]
    warnings: list[str]
    rejected: list[dict[str, Any]]
    rejected_count: int
    texts: list[tuple[str, int]]
    texts_count: int
    texts_pager: Pager
    recipients: list[tuple[str, str]]
    recipients_count: int
    recipients_pager: Pager
    show_texts_beside_recipients: bool
    subject: str | None = None
    has_body: bool = False
    outcome: list[Fact] = field(default_factory=list)
    csrf: dict[str, str] = field(default_factory=dict)


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def facts_of(record: ApprovalRecord, words: Words) -> list[Fact]:
    """The send's envelope and cost, in the order a person checks them."""
    summary = record.summary
    facts: list[Fact] = []
    if summary.get("label"):
        facts.append(Fact(words("label"), str(summary["label"])))
    if summary.get("sender"):
        facts.append(Fact(words("sender"), str(summary["sender"])))
    if summary.get("channel") != "email" or summary.get("send_at"):
        facts.append(Fact(words("schedule"), schedule(summary.get("send_at"), words)))
    facts.append(Fact(words("recipients"), words.number(record.recipients)))
    if summary.get("encoding"):
        facts.append(Fact(words("encoding"), str(summary["encoding"])))
    parts, most = _int(summary.get("parts")), _int(summary.get("parts_per_message_max"))
    if parts is not None:
        value = words.number(parts)
        if most:
            value = words("parts_value", total=value, max=words.number(most))
        facts.append(Fact(words("parts"), value))
    credits = _number(summary.get("credits"))
    if credits is not None:
        facts.append(Fact(words("credits"), words.number(credits)))
    if "balance" in summary or "balance_after" in summary:
        before, after = _number(summary.get("balance")), _number(summary.get("balance_after"))
        value = words("balance_value", before=words.number(before), after=words.number(after))
        facts.append(Fact(words("balance"), value))
    budget = summary.get("budget")
    if isinstance(budget, Mapping):
        value = words(
            "budget_value",
            used=words.number(_int(budget.get("used"))),
            limit=words.number(_int(budget.get("limit"))),
            left=words.number(_int(budget.get("left_after"))),
        )
        facts.append(Fact(words("budget"), value))
    merged = _int(summary.get("duplicates_merged"))
    if merged:
        facts.append(Fact(words("duplicates"), words.number(merged)))
    return facts


def outcome_of(record: ApprovalRecord, words: Words) -> list[Fact]:
    outcome = record.outcome or {}
    facts = []
    if outcome.get("status"):
        facts.append(Fact(words("outcome"), str(outcome["status"])))
    ids = outcome.get("letexto_ids")
    if isinstance(ids, Sequence) and not isinstance(ids, str) and ids:
        facts.append(Fact(words("letexto_ids"), ", ".join(str(i) for i in ids)))
    return facts


def rejected_of(summary: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
    listed = [r for r in summary.get("rejected") or [] if isinstance(r, Mapping)]
    rows = [
        {"row": r.get("row"), "value": str(r.get("value", "")), "reason": str(r.get("reason", ""))}
        for r in listed
    ]
    count = _int(summary.get("rejected_count"))
    return rows, count if count is not None else len(rows)


def pages_for(count: int, per_page: int) -> int:
    return max(1, math.ceil(count / per_page))


async def build_view(
    record: ApprovalRecord,
    store: StateStore,
    words: Words,
    now: float,
    *,
    recipients_page: str | None,
    texts_page: str | None,
) -> ApprovalView:
    """The page of one record: the requested page of recipients and of distinct texts."""
    summary = record.summary
    channel = str(summary.get("channel") or ("email" if "email" in record.tool else "sms"))
    email = channel == "email"
    texts_count = 0 if email else record.distinct_texts
    recipient_pages = pages_for(record.recipients, RECIPIENTS_PER_PAGE)
    text_pages = pages_for(texts_count, TEXTS_PER_PAGE)
    r_page = page_number(recipients_page, recipient_pages)
    t_page = page_number(texts_page, text_pages)
    r_offset, t_offset = (r_page - 1) * RECIPIENTS_PER_PAGE, (t_page - 1) * TEXTS_PER_PAGE
    messages = await store.approval_messages(record.id, r_offset, RECIPIENTS_PER_PAGE)
    texts = [] if email else await store.approval_texts(record.id, t_offset, TEXTS_PER_PAGE)
    rejected, rejected_count = rejected_of(summary)
    warnings = [str(w) for w in summary.get("warnings") or []]
    return ApprovalView(
        id=record.id,
        channel=channel,
        kind=tool_name(record.tool, words),
        state=state_of(record, now, words),
        facts=facts_of(record, words),
        warnings=warnings,
        rejected=rejected,
        rejected_count=rejected_count,
        texts=[(text, int(count)) for text, count in texts],
        texts_count=texts_count,
        texts_pager=pager(record.id, "texts", t_page, text_pages, {"recipients": r_page}),
        recipients=[(recipient(to), text) for to, text in messages],
        recipients_count=record.recipients,
        recipients_pager=pager(record.id, "recipients", r_page, recipient_pages, {"texts": t_page}),
        show_texts_beside_recipients=not email and record.distinct_texts > 1,
        subject=str(summary["subject"]) if email and summary.get("subject") is not None else None,
        has_body=email and bool(summary.get("body")),
        outcome=outcome_of(record, words) if record.state == "consumed" else [],
    )
