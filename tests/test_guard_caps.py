"""Caps, the daily budget and the rate limit: each refusal names its figures and the setting to change."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from letexto_mcp.config import ConfigError, Settings
from letexto_mcp.guard import (
    AllowListError,
    CapRefused,
    Caps,
    DailyBudget,
    SendPlan,
    SendRateLimit,
    utc_day,
)
from letexto_mcp.store import MemoryStore

pytestmark = pytest.mark.anyio


def ci_digits(raw: str) -> str:
    """A small stand-in for sms.phones.normalize_phone: a few Ivorian spellings to vendor digits."""
    digits = re.sub(r"[\s.\-()]", "", raw)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    if not digits.isdigit():
        raise ValueError(f"not a phone number: {raw!r}")
    if len(digits) == 10:
        digits = "225" + digits
    if len(digits) != 13 or not digits.startswith("225"):
        raise ValueError(f"not an Ivorian number: {raw!r}")
    return digits


def plan(
    recipients: Sequence[str] = ("2250707123456",),
    *,
    parts: int = 1,
    sender: str | None = "ACME",
    sender_approved: bool | None = True,
    usable: tuple[str, ...] = (),
) -> SendPlan:
    return SendPlan(
        tool="send_sms",
        tenant="t",
        request={"to": list(recipients), "content": "hello"},
        recipients=list(recipients),
        parts_per_message_max=parts,
        total_parts=parts * len(recipients),
        credits=float(parts * len(recipients)),
        sender=sender,
        sender_approved=sender_approved,
        preview={},
        usable_senders=usable,
    )


def refusal_of(caps: Caps, send: SendPlan) -> CapRefused:
    with pytest.raises(CapRefused) as caught:
        caps.check(send)
    return caught.value


def test_recipients_cap_allows_the_limit_and_refuses_one_more() -> None:
    caps = Caps(max_recipients=3, max_parts_per_message=10)
    caps.check(plan(["2250700000001", "2250700000002", "2250700000003"]))
    refusal = refusal_of(caps, plan([f"22507000000{i:02d}" for i in range(4)]))
    assert (refusal.cap, refusal.figure, refusal.limit, refusal.setting) == (
        "max_recipients",
        4,
        3,
        "LETEXTO_MAX_RECIPIENTS",
    )
    assert "4 recipients" in refusal.message and "LETEXTO_MAX_RECIPIENTS (3)" in refusal.message
    assert refusal.message.startswith("refused:")


def test_a_send_without_recipients_is_refused() -> None:
    refusal = refusal_of(Caps(max_recipients=3, max_parts_per_message=10), plan([]))
    assert refusal.cap == "recipients" and "no recipients" in refusal.message


def test_parts_cap_names_its_setting() -> None:
    caps = Caps(max_recipients=10, max_parts_per_message=4)
    caps.check(plan(parts=4))
    refusal = refusal_of(caps, plan(parts=5))
    assert refusal.as_dict() == {
        "cap": "max_parts_per_message",
        "figure": 5,
        "limit": 4,
        "setting": "LETEXTO_MAX_PARTS_PER_MESSAGE",
    }
    assert "5 SMS parts" in refusal.message and "shorten the text" in refusal.message


def test_allow_list_matches_every_spelling_of_a_number() -> None:
    caps = Caps(
        max_recipients=10,
        max_parts_per_message=10,
        allowed_recipients=["07 07 12 34 56", "+225 05 05 12 34 56", "00225-01.01.12.34.56", "2250202123456"],
        normalise=ci_digits,
    )
    assert caps.allowed == {"2250707123456", "2250505123456", "2250101123456", "2250202123456"}
    caps.check(plan(["2250707123456", "+2250505123456", "01 01 12 34 56", "0202123456"]))
    assert caps.allows("+225 07 07 12 34 56")
    assert not caps.allows("0708000000")
    assert not caps.allows("garbage")


def test_allow_list_refusal_says_how_many_which_and_what_to_do() -> None:
    caps = Caps(
        max_recipients=10, max_parts_per_message=10, allowed_recipients=["0707123456"], normalise=ci_digits
    )
    outsiders = ["2250505000001", "2250505000002", "2250505000003", "2250505000004"]
    refusal = refusal_of(caps, plan(["2250707123456", *outsiders]))
    assert (refusal.cap, refusal.figure, refusal.setting) == (
        "allowed_recipients",
        4,
        "LETEXTO_ALLOWED_RECIPIENTS",
    )
    assert refusal.message.startswith(
        "refused: 4 recipients are not in LETEXTO_ALLOWED_RECIPIENTS (2250505000001"
    )
    assert refusal.message.endswith("; add them there or remove them")
    assert "2250505000004" not in refusal.message, "only the first few are listed"
    one = refusal_of(caps, plan(["2250505000001"]))
    assert one.message.startswith("refused: 1 recipient is not in LETEXTO_ALLOWED_RECIPIENTS (2250505000001)")


def test_allow_list_may_hold_email_addresses() -> None:
    caps = Caps(
        max_recipients=10,
        max_parts_per_message=10,
        allowed_recipients=["Ops@Example.CI", "0707123456"],
        normalise=ci_digits,
    )
    caps.check(plan(["ops@example.ci", "OPS@example.ci"]))
    assert refusal_of(caps, plan(["boss@example.ci"])).cap == "allowed_recipients"


def test_allow_list_entries_that_cannot_be_read_fail_at_construction() -> None:
    with pytest.raises(AllowListError) as caught:
        Caps(
            max_recipients=10,
            max_parts_per_message=10,
            allowed_recipients=["0707123456", "not-a-number", "12345"],
            normalise=ci_digits,
        )
    assert isinstance(caught.value, ConfigError)
    message = str(caught.value)
    assert message.startswith("LETEXTO_ALLOWED_RECIPIENTS: 2 entries")
    assert "not-a-number" in message and "12345" in message


def test_an_allow_list_needs_a_normaliser() -> None:
    with pytest.raises(ValueError, match="normaliser"):
        Caps(max_recipients=1, max_parts_per_message=1, allowed_recipients=["0707123456"])


def test_an_unapproved_sender_is_refused_with_the_usable_ones() -> None:
    caps = Caps(max_recipients=10, max_parts_per_message=10)
    caps.check(plan(sender_approved=None))  # unknown: the tool could not tell, LeTexto will
    refusal = refusal_of(caps, plan(sender="NEWCO", sender_approved=False, usable=("SMS INFO", "ACME")))
    assert refusal.as_dict() == {"cap": "sender", "figure": None, "limit": None, "setting": None}
    assert "'NEWCO'" in refusal.message and "use one of: SMS INFO, ACME" in refusal.message
    none_usable = refusal_of(caps, plan(sender="NEWCO", sender_approved=False))
    assert "list_senders" in none_usable.message


def test_caps_from_settings_read_the_same_names() -> None:
    settings = Settings(
        max_recipients=2,
        max_parts_per_message=3,
        allowed_recipients="07 07 12 34 56, +2250505123456",
        state_url="memory://",
    )
    caps = Caps.from_settings(settings, ci_digits)
    assert (caps.max_recipients, caps.max_parts_per_message) == (2, 3)
    assert caps.allowed == {"2250707123456", "2250505123456"}
    assert Caps.from_settings(Settings(state_url="memory://"), None).allowed is None


def test_the_real_phone_normaliser_plugs_in() -> None:
    phones = pytest.importorskip("letexto_mcp.sms.phones")

    def normalise(raw: str) -> str:
        return phones.normalize_phone(raw, "CI").digits

    caps = Caps(
        max_recipients=10,
        max_parts_per_message=10,
        allowed_recipients=["07 07 12 34 56", "+2250505123456"],
        normalise=normalise,
    )
    caps.check(plan(["2250707123456", "2250505123456"]))
    assert refusal_of(caps, plan(["2250101123456"])).cap == "allowed_recipients"
    with pytest.raises(AllowListError):
        Caps(max_recipients=1, max_parts_per_message=1, allowed_recipients=["hello"], normalise=normalise)


# -- daily budget -----------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_utc_day() -> None:
    assert utc_day(0) == "1970-01-01"
    assert utc_day(1_750_000_000) == "2025-06-15"
    assert utc_day(1_749_945_599.9) == "2025-06-14"


async def test_budget_exceeded_by_exactly_one_part_is_refused() -> None:
    clock = Clock(1_750_000_000.0)
    budget = DailyBudget(MemoryStore(), 10, clock)
    await budget.reserve("t", 4)
    held = await budget.reserve("t", 6)
    with pytest.raises(CapRefused) as caught:
        await budget.reserve("t", 1)
    refusal = caught.value
    assert refusal.as_dict() == {
        "cap": "daily_budget_parts",
        "figure": 1,
        "limit": 10,
        "setting": "LETEXTO_DAILY_BUDGET_PARTS",
    }
    assert "needs 1 SMS part but only 0 of today's 10-part budget remain" in refusal.message
    assert (
        "(10 used on 2025-06-15, UTC)" in refusal.message
        and "raise LETEXTO_DAILY_BUDGET_PARTS" in refusal.message
    )
    await budget.refund(held)
    await budget.reserve("t", 6)


async def test_budget_is_per_tenant_and_resets_at_utc_midnight() -> None:
    clock = Clock(1_749_945_599.0)  # 2025-06-14 23:59:59 UTC
    budget = DailyBudget(MemoryStore(), 5, clock)
    reservation = await budget.reserve("t", 5)
    assert reservation.day == "2025-06-14"
    await budget.reserve("other", 5)
    with pytest.raises(CapRefused):
        await budget.reserve("t", 1)
    clock.now += 1
    assert (await budget.reserve("t", 5)).day == "2025-06-15"


async def test_no_budget_limit_still_counts() -> None:
    store = MemoryStore()
    budget = DailyBudget(store, None, Clock(0.0))
    await budget.reserve("t", 10_000)
    assert (await store.reserve_budget("t", "1970-01-01", 0, None)).used == 10_000


# -- rate limit -------------------------------------------------------------------------------------


async def test_rate_limit_refuses_the_send_over_the_limit_and_says_when() -> None:
    clock = Clock(1000.0)
    rate = SendRateLimit(MemoryStore(), 3, clock)
    for _ in range(3):
        await rate.hit("t")
        clock.now += 10
    with pytest.raises(CapRefused) as caught:
        await rate.hit("t")
    refusal = caught.value
    assert (refusal.cap, refusal.figure, refusal.limit, refusal.setting) == (
        "sends_per_minute",
        4,
        3,
        "LETEXTO_SENDS_PER_MINUTE",
    )
    assert "try again in 30 s" in refusal.message and "raise LETEXTO_SENDS_PER_MINUTE" in refusal.message
    await rate.hit("other")
    clock.now += 30
    await rate.hit("t")


def test_rate_limit_needs_a_positive_limit() -> None:
    with pytest.raises(ValueError, match="LETEXTO_SENDS_PER_MINUTE"):
        SendRateLimit(MemoryStore(), 0)
