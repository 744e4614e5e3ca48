"""Request fingerprints: equal for the same request however it is spelled, different for any real change."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from letexto_mcp.guard import request_fingerprint

BASE = {
    "to": ["2250707123456", "2250505123456"],
    "content": "Bonjour Awa, votre colis est prêt.",
    "sender": "ACME",
    "send_at": "2025-06-01T09:00:00+00:00",
}


def test_is_a_sha256_hex_digest_and_stable() -> None:
    fp = request_fingerprint("send_sms", BASE)
    assert len(fp) == 64 and int(fp, 16) >= 0
    assert fp == request_fingerprint("send_sms", dict(BASE))


@pytest.mark.parametrize(
    "change",
    [
        {"to": ["2250707123456", "2250505123457"]},
        {"to": ["2250707123456"]},
        {"to": ["2250505123456", "2250707123456"]},
        {"content": "Bonjour Awa, votre colis est prêt!"},
        {"content": "Bonjour Awa, votre colis est pret."},
        {"content": "Bonjour Awa, votre colis est prêt. "},
        {"sender": "ACME2"},
        {"sender": None},
        {"send_at": "2025-06-01T09:00:01+00:00"},
        {"custom_data": "x"},
    ],
)
def test_any_real_change_gives_another_fingerprint(change: dict[str, object]) -> None:
    assert request_fingerprint("send_sms", {**BASE, **change}) != request_fingerprint("send_sms", BASE)


def test_the_tool_is_part_of_the_fingerprint() -> None:
    assert request_fingerprint("send_sms", BASE) != request_fingerprint("create_sms_campaign", BASE)


def test_spelling_differences_that_mean_the_same_do_not_matter() -> None:
    reordered = dict(reversed(list(BASE.items())))
    assert request_fingerprint("send_sms", reordered) == request_fingerprint("send_sms", BASE)
    composed = {"content": "prêt", "n": 1}
    decomposed = {"content": "pre\u0302t", "n": 1.0}
    assert request_fingerprint("t", composed) == request_fingerprint("t", decomposed)
    assert request_fingerprint("t", {"n": Decimal("2.50")}) == request_fingerprint("t", {"n": 2.5})
    assert request_fingerprint("t", {"x": (1, 2)}) == request_fingerprint("t", {"x": [1, 2]})
    assert request_fingerprint("t", {"s": {"b", "a"}}) == request_fingerprint("t", {"s": {"a", "b"}})
    paris = dt.timezone(dt.timedelta(hours=2))
    assert request_fingerprint(
        "t", {"at": dt.datetime(2025, 6, 1, 11, 0, tzinfo=paris)}
    ) == request_fingerprint("t", {"at": dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.timezone.utc)})


def test_types_that_json_would_blur_stay_distinct() -> None:
    assert request_fingerprint("t", {"v": True}) != request_fingerprint("t", {"v": 1})
    assert request_fingerprint("t", {"v": "1"}) != request_fingerprint("t", {"v": 1})
    assert request_fingerprint("t", {"v": None}) != request_fingerprint("t", {})
    assert request_fingerprint("t", {"v": 0.1}) != request_fingerprint("t", {"v": 0.10000001})


@pytest.mark.parametrize(
    "request_",
    [
        {"n": float("nan")},
        {"n": float("inf")},
        {"n": Decimal("NaN")},
        {1: "x"},
        {"x": object()},
        {"x": b"bytes"},
    ],
)
def test_values_without_an_exact_json_form_are_refused(request_: dict[object, object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        request_fingerprint("t", request_)  # type: ignore[arg-type]


def test_keys_that_collide_once_normalised_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        request_fingerprint("t", {"é": 1, "e\u0301": 2})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6), st.randoms(use_true_random=False))
def test_key_order_never_matters(request_: dict[str, object], rnd: random.Random) -> None:
    items = list(request_.items())
    rnd.shuffle(items)
    assert request_fingerprint("t", dict(items)) == request_fingerprint("t", request_)


@given(st.text(min_size=1, max_size=200), st.data())
def test_changing_one_character_of_the_text_changes_the_fingerprint(text: str, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(text) - 1))
    replacement = data.draw(st.characters(blacklist_categories=("Mn", "Mc", "Me", "Cs")))
    changed = text[:index] + replacement + text[index + 1 :]
    if unicodedata.normalize("NFC", changed) == unicodedata.normalize("NFC", text):
        return  # the same text once normalised: same request, by design
    assert request_fingerprint("send_sms", {"content": changed}) != request_fingerprint(
        "send_sms", {"content": text}
    )
