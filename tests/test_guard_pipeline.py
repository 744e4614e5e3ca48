"""SendGuard end to end over real stores, with `perform` a plain async function that records its calls.

(That is dependency injection, not mocking: the real client against the simulator is exercised in
the tool tests.) Every test checks both what came back and whether anything was sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import anyio
import pytest

from letexto_mcp.guard import (
    NO_DIALOG,
    ApprovalRequest,
    Approved,
    Approver,
    Caps,
    Declined,
    SendGuard,
    SendOutcome,
    SendPlan,
    approval_fingerprint,
    utc_day,
)
from letexto_mcp.guard.approval import ApprovalAnswer
from letexto_mcp.guard.pipeline import Policy
from letexto_mcp.states import ApprovalPath, SendFailure
from letexto_mcp.store import MemoryStore, SqliteStore, StateStore

pytestmark = pytest.mark.anyio

FAKE_KEY = "lt_live_9f8e7d6c5b4a3f2e1d0c"
START = 1_750_000_000.0


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class NotSent(Exception):
    """Stands for the client's 'nothing left' errors (connection refused, 4xx before sending)."""


class Unknown(Exception):
    """Stands for the client's 'may have left' errors (read timeout, connection lost)."""


def classify(error: BaseException) -> SendFailure:
    """The injected classifier: only `NotSent` proves nothing left (like the LeTexto one for its errors)."""
    return SendFailure.NOT_SENT if isinstance(error, NotSent) else SendFailure.UNKNOWN


class Person:
    """The injected approver: a person who answers the client's dialog, and how often they were asked."""

    def __init__(self, answer: str = "accept") -> None:
        self.answer = answer
        self.asked: list[str] = []

    def can_ask(self) -> bool:
        return True

    async def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        self.asked.append(request.fingerprint)
        if self.answer == "accept":
            return Approved(ApprovalPath.DIALOG)
        return Declined(cancelled=self.answer == "cancel")


class Sender:
    """The injected `perform`: records each call and answers like the tool's send would."""

    def __init__(self, result: Mapping[str, Any] | None = None, error: BaseException | None = None) -> None:
        self.calls: list[int] = []
        self.result = dict(result or {"status": "submitted", "letexto_ids": ["msg-1"], "parts": 1})
        self.error = error
        self.pause = 0

    async def __call__(self) -> Mapping[str, Any]:
        self.calls.append(len(self.calls) + 1)
        for _ in range(self.pause):
            await anyio.sleep(0)  # let concurrent runs interleave
        if self.error is not None:
            raise self.error
        return self.result


def redact(text: str) -> str:
    return text.replace(FAKE_KEY, "lt_…[redacted]")


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateStore]:
    backend: StateStore = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "state.db")
    yield backend
    await backend.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_guard(store: StateStore, clock: Clock, policy: Policy = "confirm", **overrides: Any) -> SendGuard:
    options: dict[str, Any] = {
        "caps": Caps(max_recipients=100, max_parts_per_message=5),
        "budget_limit": 1000,
        "sends_per_minute": 100,
        "duplicate_window": 600.0,
        "token_ttl": 600.0,
        "classify_failure": classify,
    }
    options.update(overrides)
    return SendGuard(store=store, policy=policy, clock=clock, redact=redact, **options)


def make_plan(
    to: tuple[str, ...] = ("2250707123456",),
    content: str = "Votre code: 4821",
    tenant: str = "acme",
    parts: int = 1,
) -> SendPlan:
    request = {"to": list(to), "content": content, "sender": "ACME"}
    return SendPlan(
        tool="send_sms",
        tenant=tenant,
        request=request,
        recipients=list(to),
        parts_per_message_max=parts,
        total_parts=parts * len(to),
        credits=float(parts * len(to)),
        sender="ACME",
        sender_approved=True,
        preview={"recipients": len(to), "parts": parts * len(to), "text": content},
    )


async def run(
    guard: SendGuard,
    send: Sender,
    plan: SendPlan | None = None,
    *,
    approver: Approver = NO_DIALOG,
    token: str | None = None,
    key: str | None = None,
    allow_duplicate: bool = False,
) -> SendOutcome:
    answer = await guard.run(
        plan or make_plan(),
        approver=approver,
        confirmation_token=token,
        idempotency_key=key,
        allow_duplicate=allow_duplicate,
        perform=send,
    )
    assert isinstance(answer, SendOutcome)
    return answer


async def used_parts(store: StateStore, clock: Clock, tenant: str = "acme") -> int:
    return (await store.reserve_budget(tenant, utc_day(clock()), 0, None)).used


# -- policy confirm ---------------------------------------------------------------------------------


async def test_confirm_without_approval_returns_a_preview_and_a_token(
    store: StateStore, clock: Clock
) -> None:
    guard, send = make_guard(store, clock), Sender()
    outcome = await run(guard, send)
    assert outcome.status == "confirmation_required"
    assert outcome.confirmation_token
    assert outcome.preview == make_plan().preview
    assert "show this preview to the user" in outcome.message
    assert send.calls == []
    assert await used_parts(store, clock) == 0, "a preview spends no budget"


async def test_the_token_from_the_preview_sends_once(store: StateStore, clock: Clock) -> None:
    guard, send = make_guard(store, clock, duplicate_window=60.0), Sender()
    token = (await run(guard, send)).confirmation_token
    outcome = await run(guard, send, token=token)
    assert outcome.status == "submitted"
    assert outcome.result == send.result
    assert "msg-1" in outcome.message
    assert send.calls == [1]
    assert await used_parts(store, clock) == 1
    # Replayed: the duplicate window catches it first; past the window, the spent token does.
    assert (await run(guard, send, token=token)).status == "duplicate"
    clock.now += 61
    replay = await run(guard, send, token=token)
    assert replay.status == "refused"
    assert replay.reason == "already_used"
    assert replay.refusal == {"cap": "confirmation_token", "figure": None, "limit": None, "setting": None}
    assert send.calls == [1]
    assert await used_parts(store, clock) == 1, "the refused replay was refunded"


async def test_a_token_cannot_be_replayed_with_allow_duplicate(store: StateStore, clock: Clock) -> None:
    """allow_duplicate is part of what was approved: adding it to an approved call needs a new approval."""
    guard, send = make_guard(store, clock), Sender()
    token = (await run(guard, send)).confirmation_token
    forced = await run(guard, send, token=token, allow_duplicate=True)
    assert forced.status == "refused" and forced.reason == "request_changed"
    assert send.calls == []
    assert (await run(guard, send, token=token)).status == "submitted", "the approved request still goes"
    assert send.calls == [1]


async def test_a_blank_token_gets_a_preview(store: StateStore, clock: Clock) -> None:
    guard, send = make_guard(store, clock), Sender()
    outcome = await run(guard, send, token="  ")
    assert outcome.status == "confirmation_required" and outcome.confirmation_token
    assert send.calls == []


async def test_a_broken_store_refuses_the_send_before_it_leaves(tmp_path: Path, clock: Clock) -> None:
    store = SqliteStore(tmp_path / "state.db")
    guard, send = make_guard(store, clock, "allow"), Sender()
    await store.close()
    outcome = await run(guard, send, key="k")
    assert outcome.status == "refused"
    assert outcome.message.startswith("state store unavailable: nothing was sent")
    assert outcome.refusal == {
        "cap": "state_store",
        "figure": None,
        "limit": None,
        "setting": "LETEXTO_STATE_URL",
    }
    assert send.calls == []


async def test_a_token_for_a_changed_request_sends_nothing(store: StateStore, clock: Clock) -> None:
    guard, send = make_guard(store, clock), Sender()
    token = (await run(guard, send)).confirmation_token
    outcome = await run(guard, send, make_plan(content="Votre code: 4822"), token=token)
    assert outcome.status == "refused"
    assert "the request changed since the preview: re-run it without confirmation_token" in outcome.message
    assert send.calls == []


async def test_expired_forged_and_foreign_tokens_send_nothing(store: StateStore, clock: Clock) -> None:
    guard, send = make_guard(store, clock), Sender()
    token = (await run(guard, send)).confirmation_token
    assert token is not None
    foreign = (await run(guard, send, make_plan(tenant="other"))).confirmation_token
    forged = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    reasons = []
    for candidate in (forged, foreign, "garbage"):
        outcome = await run(guard, send, token=candidate)
        assert outcome.status == "refused" and outcome.reason is not None
        reasons.append(outcome.reason)
    clock.now += 601
    expired = await run(guard, send, token=token)
    assert expired.status == "refused" and expired.reason is not None
    reasons.append(expired.reason)
    assert reasons == ["forged", "wrong_tenant", "malformed", "expired"]
    assert send.calls == []


async def test_a_dialog_accept_sends_and_decline_or_cancel_do_not(store: StateStore, clock: Clock) -> None:
    guard, send = make_guard(store, clock), Sender()
    for answer in ("decline", "cancel"):
        outcome = await run(guard, send, approver=Person(answer))
        assert outcome.status == "declined"
        assert "nothing was sent" in outcome.message
    assert send.calls == []
    assert (await run(guard, send, approver=Person("accept"))).status == "submitted"
    assert send.calls == [1]


async def test_tokens_survive_a_restart_with_sqlite(tmp_path: Path, clock: Clock) -> None:
    first = SqliteStore(tmp_path / "state.db")
    token = (await run(make_guard(first, clock), Sender())).confirmation_token
    await first.close()
    second = SqliteStore(tmp_path / "state.db")
    send = Sender()
    assert (await run(make_guard(second, clock), send, token=token)).status == "submitted"
    assert send.calls == [1]
    await second.close()


# -- policies allow and dry-run ---------------------------------------------------------------------


async def test_allow_sends_without_asking(store: StateStore, clock: Clock) -> None:
    send = Sender()
    outcome = await run(make_guard(store, clock, "allow"), send)
    assert outcome.status == "submitted"
    assert send.calls == [1]


async def test_allow_never_asks_a_person(store: StateStore, clock: Clock) -> None:
    send, person = Sender(), Person("decline")
    assert (await run(make_guard(store, clock, "allow"), send, approver=person)).status == "submitted"
    assert person.asked == [] and send.calls == [1]


@pytest.mark.parametrize("answer", ["accept", "decline"])
async def test_dry_run_never_performs(store: StateStore, clock: Clock, answer: str) -> None:
    guard, send, person = make_guard(store, clock, "dry-run"), Sender(), Person(answer)
    outcome = await run(guard, send, approver=person, token="whatever", key="k-1")
    assert outcome.status == "dry_run"
    assert outcome.preview == make_plan().preview
    assert outcome.confirmation_token is None
    assert send.calls == [] and person.asked == []
    assert await store.idempotency_get("acme", "k-1") is None
    assert await used_parts(store, clock) == 0


@pytest.mark.parametrize("policy", ["confirm", "dry-run", "allow"])
async def test_caps_apply_under_every_policy(store: StateStore, clock: Clock, policy: Policy) -> None:
    send = Sender()
    outcome = await run(make_guard(store, clock, policy), send, make_plan(parts=6), approver=Person("accept"))
    assert outcome.status == "refused"
    assert outcome.refusal == {
        "cap": "max_parts_per_message",
        "figure": 6,
        "limit": 5,
        "setting": "LETEXTO_MAX_PARTS_PER_MESSAGE",
    }
    assert send.calls == []


# -- idempotency ------------------------------------------------------------------------------------


async def test_a_repeated_idempotency_key_returns_the_first_result(store: StateStore, clock: Clock) -> None:
    guard, send = make_guard(store, clock, "allow"), Sender()
    first = await run(guard, send, key="order-42")
    clock.now += 5
    send.result = {"status": "submitted", "letexto_ids": ["msg-2"]}
    again = await run(guard, send, key="order-42")
    assert first.status == "submitted"
    assert again.status == "duplicate"
    assert again.result == {"status": "submitted", "letexto_ids": ["msg-1"], "parts": 1}
    assert "nothing was sent again" in again.message
    assert send.calls == [1]


async def test_a_repeated_key_needs_no_new_approval(store: StateStore, clock: Clock) -> None:
    guard, send = make_guard(store, clock), Sender()
    await run(guard, send, approver=Person("accept"), key="k")
    again = await run(guard, send, key="k")
    assert again.status == "duplicate" and again.confirmation_token is None
    assert send.calls == [1]


async def test_a_key_reused_for_another_request_is_refused(store: StateStore, clock: Clock) -> None:
    guard, send = make_guard(store, clock, "allow"), Sender()
    await run(guard, send, key="k")
    outcome = await run(guard, send, make_plan(to=("2250505123456",)), key="k")
    assert outcome.status == "refused"
    assert "idempotency_key already used for another request" in outcome.message
    assert send.calls == [1]


async def test_overlong_keys_are_refused(store: StateStore, clock: Clock) -> None:
    send = Sender()
    outcome = await run(make_guard(store, clock, "allow"), send, key="k" * 256)
    assert outcome.status == "refused" and "at most 255" in outcome.message
    assert send.calls == []


async def test_twenty_concurrent_calls_with_one_key_send_once(store: StateStore, clock: Clock) -> None:
    guard, send = make_guard(store, clock, "allow", sends_per_minute=5), Sender()
    send.pause = 5
    outcomes: list[SendOutcome] = []

    async def call() -> None:  # allow_duplicate: the key alone must stop the other 19
        outcomes.append(await run(guard, send, key="same-key", allow_duplicate=True))

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(call)
    assert send.calls == [1]
    assert sorted(o.status for o in outcomes) == ["duplicate"] * 19 + ["submitted"]
    assert await used_parts(store, clock) == 1, "losers spent no budget"


async def test_twenty_concurrent_identical_calls_without_a_key_send_once(
    store: StateStore, clock: Clock
) -> None:
    guard, send = make_guard(store, clock, "allow"), Sender()
    send.pause = 5
    outcomes: list[SendOutcome] = []

    async def call() -> None:
        outcomes.append(await run(guard, send))

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(call)
    assert send.calls == [1]
    assert sorted(o.status for o in outcomes) == ["duplicate"] * 19 + ["submitted"]
    assert await used_parts(store, clock) == 1


async def test_a_stale_in_flight_key_reads_as_outcome_unknown(store: StateStore, clock: Clock) -> None:
    guard, send = make_guard(store, clock, "allow", in_flight_stale_after=300.0), Sender()
    fingerprint = approval_fingerprint(make_plan(), "k", False)
    await store.idempotency_claim("acme", "k", fingerprint, clock())
    clock.now += 10
    assert (await run(guard, send, key="k")).status == "duplicate"
    clock.now += 300
    assert (await run(guard, send, key="k")).status == "outcome_unknown"
    assert send.calls == []


# -- duplicates without a key -----------------------------------------------------------------------


async def test_the_same_send_within_the_window_is_refused_unless_asked(
    store: StateStore, clock: Clock
) -> None:
    guard, send = make_guard(store, clock, "allow", duplicate_window=600.0), Sender()
    await run(guard, send)
    clock.now += 60
    outcome = await run(guard, send)
    assert outcome.status == "duplicate"
    assert outcome.refusal is not None and outcome.refusal["setting"] == "LETEXTO_DUPLICATE_WINDOW_SECONDS"
    assert "allow_duplicate=true" in outcome.message and "60 s ago" in outcome.message
    assert send.calls == [1]
    assert (await run(guard, send, make_plan(content="autre"))).status == "submitted", "another request"
    assert (await run(guard, send, allow_duplicate=True)).status == "submitted"
    clock.now += 601
    assert (await run(guard, send)).status == "submitted", "outside the window"
    assert send.calls == [1, 2, 3, 4]


# -- outcome unknown and failures -------------------------------------------------------------------


async def test_outcome_unknown_blocks_a_resend_with_the_key_and_without(
    store: StateStore, clock: Clock
) -> None:
    guard, send = make_guard(store, clock, "allow"), Sender(error=Unknown(f"read timeout (token {FAKE_KEY})"))
    first = await run(guard, send, key="k")
    assert first.status == "outcome_unknown"
    assert "Do not resend blindly" in first.message and FAKE_KEY not in first.message
    assert await used_parts(store, clock) == 1, "the parts may have been billed: kept"
    send.error = None
    clock.now += 3600
    same_key = await run(guard, send, key="k")
    assert same_key.status == "outcome_unknown"
    no_key = await run(guard, send)
    assert no_key.status == "duplicate" and "unknown outcome" in no_key.message
    other_key = await run(guard, send, key="k2")
    assert other_key.status == "duplicate"
    assert send.calls == [1]
    decided = await run(guard, send, key="k3", allow_duplicate=True)
    assert decided.status == "submitted"
    assert send.calls == [1, 2]


async def test_not_sent_errors_release_the_key_and_refund(store: StateStore, clock: Clock) -> None:
    guard, send = make_guard(store, clock, "allow"), Sender(error=NotSent("connection refused"))
    outcome = await run(guard, send, make_plan(parts=3), key="k")
    assert outcome.status == "failed"
    assert "connection refused" in outcome.message
    assert await used_parts(store, clock) == 0
    assert await store.idempotency_get("acme", "k") is None
    send.error = None
    retry = await run(guard, send, make_plan(parts=3), key="k")
    assert retry.status == "submitted"
    assert send.calls == [1, 2]
    assert await used_parts(store, clock) == 3


async def test_an_error_nobody_classified_is_an_unknown_outcome_that_keeps_everything(
    store: StateStore, clock: Clock
) -> None:
    """Fail closed: an unexpected exception may hide a message that left, so nothing is released."""
    guard, send = (
        make_guard(store, clock, "allow"),
        Sender(error=RuntimeError("LeTexto said: sender unknown")),
    )
    outcome = await run(guard, send, key="k")
    assert outcome.status == "outcome_unknown" and "sender unknown" in outcome.message
    assert await used_parts(store, clock) == 1, "the parts stay spent"
    send.error = None
    assert (await run(guard, send)).status == "duplicate", "the same send is blocked"
    assert (await run(guard, send, key="k")).status == "outcome_unknown", "the key remembers"
    assert send.calls == [1]


async def test_without_a_classifier_every_error_is_unknown(store: StateStore, clock: Clock) -> None:
    guard = SendGuard(
        store=store,
        policy="allow",
        caps=Caps(max_recipients=100, max_parts_per_message=5),
        budget_limit=None,
        sends_per_minute=100,
        duplicate_window=600.0,
        token_ttl=600.0,
        clock=clock,
    )
    send = Sender(error=NotSent("connection refused"))
    assert (await run(guard, send)).status == "outcome_unknown"


async def test_cancellation_during_the_send_is_recorded_as_outcome_unknown(
    store: StateStore, clock: Clock
) -> None:
    guard = make_guard(store, clock, "allow")
    started = anyio.Event()
    calls: list[int] = []

    async def hangs() -> Mapping[str, Any]:
        calls.append(1)
        started.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def cancelled_send() -> None:
        await guard.run(make_plan(), idempotency_key="k", perform=hangs)

    async with anyio.create_task_group() as tg:
        tg.start_soon(cancelled_send)
        await started.wait()
        tg.cancel_scope.cancel()
    assert calls == [1]
    assert await used_parts(store, clock) == 1, "kept: it may have been billed"
    send = Sender()
    assert (await run(guard, send, key="k")).status == "outcome_unknown"
    assert (await run(guard, send)).status == "duplicate"
    assert send.calls == []
    outcomes = [e.outcome for e in reversed(await store.list_audit("acme"))]
    assert outcomes == ["outcome_unknown", "outcome_unknown", "duplicate"]


async def test_scheduled_results_say_scheduled(store: StateStore, clock: Clock) -> None:
    send = Sender({"status": "scheduled", "campaign_id": "c-7"})
    outcome = await run(make_guard(store, clock, "allow"), send)
    assert outcome.status == "scheduled"
    assert "c-7" in outcome.message


# -- rate and budget after approval -----------------------------------------------------------------


async def test_budget_refusal_after_approval_keeps_the_token(store: StateStore, clock: Clock) -> None:
    roomy = make_guard(store, clock, budget_limit=3, secret=b"s" * 32)
    send = Sender()
    plan = make_plan(to=("2250707123456", "2250505123456", "2250101123456"))
    token = (await run(roomy, send, plan, key="k")).confirmation_token
    assert await store.reserve_budget("acme", utc_day(clock()), 1, None)  # another send spends a part
    refused = await run(roomy, send, plan, token=token, key="k")
    assert refused.status == "refused"
    assert refused.refusal == {
        "cap": "daily_budget_parts",
        "figure": 3,
        "limit": 3,
        "setting": "LETEXTO_DAILY_BUDGET_PARTS",
    }
    assert await store.idempotency_get("acme", "k") is None, "the key was not taken"
    raised = make_guard(store, clock, budget_limit=4, secret=b"s" * 32)
    assert (await run(raised, send, plan, token=token, key="k")).status == "submitted"
    assert send.calls == [1]


async def test_a_person_is_never_asked_to_approve_what_would_be_refused(
    store: StateStore, clock: Clock
) -> None:
    guard, send, person = make_guard(store, clock, budget_limit=2), Sender(), Person("accept")
    over_budget = make_plan(to=("2250707123456", "2250505123456", "2250101123456"))
    assert (await run(guard, send, over_budget, approver=person)).status == "refused"
    assert (await run(guard, send, make_plan(parts=6), approver=person)).status == "refused"
    assert (await run(guard, send, approver=person)).status == "submitted"
    assert (await run(guard, send, approver=person)).status == "duplicate"
    assert len(person.asked) == 1, "asked once: for the one send that could go"
    assert send.calls == [1]


async def test_rate_limit_refuses_and_then_lets_through(store: StateStore, clock: Clock) -> None:
    guard, send = make_guard(store, clock, "allow", sends_per_minute=2), Sender()
    for content in ("a", "b"):
        assert (await run(guard, send, make_plan(content=content))).status == "submitted"
    outcome = await run(guard, send, make_plan(content="c"), key="k")
    assert outcome.status == "refused"
    assert outcome.refusal is not None and outcome.refusal["setting"] == "LETEXTO_SENDS_PER_MINUTE"
    assert await store.idempotency_get("acme", "k") is None
    assert await used_parts(store, clock) == 2
    clock.now += 61
    assert (await run(guard, send, make_plan(content="c"), key="k")).status == "submitted"
    assert send.calls == [1, 2, 3]


# -- audit ------------------------------------------------------------------------------------------


async def test_every_path_appends_exactly_one_redacted_audit_entry(store: StateStore, clock: Clock) -> None:
    confirm, allow = make_guard(store, clock), make_guard(store, clock, "allow")
    dry = make_guard(store, clock, "dry-run")
    ok = Sender()
    leaky = Sender(error=NotSent(f"401 for key {FAKE_KEY}"))
    paths: list[tuple[str, SendOutcome]] = []

    async def step(label: str, outcome_coro: Any) -> None:
        before = len(await store.list_audit("acme", limit=1000))
        paths.append((label, await outcome_coro))
        after = await store.list_audit("acme", limit=1000)
        assert len(after) == before + 1, label
        clock.now += 1

    await step("preview", run(confirm, ok, make_plan(content="1")))
    token = paths[-1][1].confirmation_token
    await step("token", run(confirm, ok, make_plan(content="1"), token=token))
    await step("declined", run(confirm, ok, make_plan(content="2"), approver=Person("decline")))
    await step(
        "dialog",
        run(confirm, ok, make_plan(content="3"), approver=Person("accept"), key=f"key-{FAKE_KEY}"),
    )
    await step("dry-run", run(dry, ok, make_plan(content="4")))
    await step("cap", run(allow, ok, make_plan(content="5", parts=9)))
    await step("failed", run(allow, leaky, make_plan(content="6")))
    await step("duplicate", run(allow, ok, make_plan(content="1")))

    entries = list(reversed(await store.list_audit("acme", limit=1000)))
    assert [(e.approval, e.outcome) for e in entries] == [
        ("none", "confirmation_required"),
        ("token", "submitted"),
        ("none", "declined"),
        ("dialog", "submitted"),
        ("dry-run", "dry_run"),
        ("policy-allow", "refused"),
        ("policy-allow", "failed"),
        ("policy-allow", "duplicate"),
    ]
    assert entries[1].letexto_ids == ["msg-1"]
    assert (entries[1].recipients, entries[1].parts, entries[1].credits, entries[1].tool) == (
        1,
        1,
        1.0,
        "send_sms",
    )
    for entry in entries:
        assert FAKE_KEY not in entry.to_json()
    assert "[redacted]" in entries[6].detail and "401" in entries[6].detail
    assert entries[3].idempotency_key == "key-lt_…[redacted]"
    for _, outcome in paths:
        assert FAKE_KEY not in outcome.message
    assert leaky.calls == [1]


async def test_outcome_as_dict_omits_what_does_not_apply(store: StateStore, clock: Clock) -> None:
    outcome = await run(make_guard(store, clock), Sender())
    data = outcome.as_dict()
    assert set(data) == {"status", "message", "preview", "confirmation_token"}
    assert data["status"] == "confirmation_required"


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="LETEXTO_SEND_POLICY"):
        make_guard(MemoryStore(), Clock(), "yolo")  # type: ignore[arg-type]


async def test_a_send_on_the_wire_belongs_to_its_replicas_lease(store: StateStore, clock: Clock) -> None:
    """Another replica (or a restarted one) sees a live replica's send as in progress, never as
    unknown; once that replica stops renewing its lease, any replica settles the send as unknown."""
    on_the_wire = anyio.Event()
    alive = make_guard(store, clock, policy="allow", replica="replica-a", lease_seconds=30.0)

    async def hangs() -> Mapping[str, Any]:
        on_the_wire.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    other, send = make_guard(store, clock, policy="allow", replica="replica-b", lease_seconds=30.0), Sender()
    async with anyio.create_task_group() as group:

        async def sending() -> None:
            await alive.run(make_plan(), idempotency_key="k-wire", perform=hangs)

        group.start_soon(sending)
        await on_the_wire.wait()
        clock.now += 20  # replica-a renewed its lease when it opened the attempt
        assert await other.reap() == 0
        assert (await run(other, send, key="k-wire")).status == "duplicate", "in progress, not unknown"
        assert (await run(other, send)).status == "duplicate"

        clock.now += 20  # replica-a has not renewed for 40 s: dead, as far as anyone can tell
        assert await other.reap() == 1
        assert await other.reap() == 0, "each lapsed attempt is settled once"
        unknown = await run(other, send, key="k-wire")
        assert unknown.status == "outcome_unknown"
        blocked = await run(other, send)
        assert blocked.status == "duplicate" and "unknown outcome" in blocked.message
        entries = [e for e in await store.list_audit("acme", limit=100) if e.attempt is not None]
        assert [(e.outcome, "lease lapsed" in e.detail) for e in entries] == [("outcome_unknown", True)]
        group.cancel_scope.cancel()  # (the 'dead' task itself, still hanging in this test)
    assert send.calls == []


async def test_a_send_is_in_the_audit_as_sending_while_it_is_on_the_wire(
    store: StateStore, clock: Clock
) -> None:
    """The entry exists before the request leaves, so a crash mid-send still leaves a trace."""
    seen_during_send: list[list[tuple[str, float]]] = []

    async def perform() -> Mapping[str, Any]:
        entries = await store.list_audit("acme")
        seen_during_send.append([(e.outcome, e.at) for e in entries])
        clock.now += 5  # LeTexto takes a while to answer
        return {"status": "submitted", "letexto_ids": ["msg-9"]}

    guard = make_guard(store, clock, "allow")
    outcome = await guard.run(make_plan(), idempotency_key="k-wire", perform=perform)
    assert isinstance(outcome, SendOutcome) and outcome.status == "submitted"
    assert seen_during_send == [[("sending", START)]]
    (entry,) = await store.list_audit("acme")
    assert (entry.outcome, entry.at, entry.letexto_ids) == ("submitted", START, ["msg-9"])
    assert entry.attempt is not None and entry.idempotency_key == "k-wire"


async def test_refusals_and_dry_runs_never_write_a_sending_entry(store: StateStore, clock: Clock) -> None:
    await run(make_guard(store, clock, "dry-run"), Sender())
    await run(make_guard(store, clock, "allow"), Sender(), make_plan(parts=9))
    await run(make_guard(store, clock), Sender())
    entries = await store.list_audit("acme")
    assert sorted(e.outcome for e in entries) == ["confirmation_required", "dry_run", "refused"]
    assert all(e.attempt is None for e in entries)


async def test_retention_forgets_old_keys_and_entries_after_a_later_send(
    store: StateStore, clock: Clock
) -> None:
    guard, send = make_guard(store, clock, "allow", retention_days=1), Sender()
    assert (await run(guard, send, key="k-old")).status == "submitted"
    assert (await run(guard, send, key="k-old")).status == "duplicate", "within retention: remembered"
    clock.now += 2 * 86_400
    assert (await run(guard, send, make_plan(content="later"), key="k-new")).status == "submitted"
    # The later send pruned what was older than a day: the old key and its audit entries.
    assert await store.idempotency_get("acme", "k-old") is None
    assert [e.idempotency_key for e in await store.list_audit("acme")] == ["k-new"]
    assert send.calls == [1, 2]


async def test_retention_zero_keeps_everything(store: StateStore, clock: Clock) -> None:
    guard, send = make_guard(store, clock, "allow", retention_days=0), Sender()
    await run(guard, send, key="k-old")
    clock.now += 4000 * 86_400
    await run(guard, send, make_plan(content="later"))
    assert await store.idempotency_get("acme", "k-old") is not None
    assert len(await store.list_audit("acme")) == 2
