"""`has_visible_text`: what a phone would show, checked on examples and, by hypothesis, on any text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from letexto_mcp.sms.campaign import plan_campaign
from letexto_mcp.sms.contacts import Contact
from letexto_mcp.sms.visible import BLANK_LOOKING, blank_reason, has_visible_text, is_invisible

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BLANK = [
    "",
    " ",
    "   ",
    "\t\n\r\v\f",
    "\u00a0\u2007\u202f\u3000",  # no-break, figure, narrow no-break and ideographic spaces
    "\u2028\u2029",  # line and paragraph separators
    "\u200b\u200c\u200d\u2060",  # zero-width space, non-joiner, joiner, word joiner
    "\ufeff",  # BOM
    "\u00ad",  # soft hyphen
    "\u200e\u200f\u202a\u202e\u2066\u2069\u061c",  # bidi marks, embeddings, isolates
    "\x00\x07\x1b\x7f\x85\x9f",  # C0 and C1 controls
    "\u115f\u1160\u3164\uffa0",  # Hangul fillers
    "\u2800",  # braille pattern blank
    "\u180e",  # Mongolian vowel separator
    "\ufe0f\U000e0100\u034f",  # variation selectors, combining grapheme joiner
    "\U000e0001\U000e0041",  # tag characters
    " \u200b \ufeff\t\u3164\n",
]
VISIBLE = [
    "a",
    "  Bonjour  ",
    ".",
    "0",
    "é",
    "Café à 15h, ça va ?",
    "😀",
    "👨\u200d👩\u200d👧",
    "🇨🇮",
    "\u200bBonjour\u200b",
    "\ufeffRappel",
    "\u0301",  # a lone combining accent is drawn (on a dotted circle)
    "\u06dd",  # Arabic end of ayah: format character, yet drawn
    "\u0600",  # Arabic number sign: the same
    "ㄱ",  # a Hangul letter that is not a filler
    "\u2801",  # a braille pattern with one dot
    "\ue000",  # private use: drawn as something (a box at worst)
]


@pytest.mark.parametrize("text", BLANK, ids=[repr(t) for t in BLANK])
def test_blank_texts(text: str) -> None:
    assert has_visible_text(text) is False
    assert blank_reason(text) is not None


@pytest.mark.parametrize("text", VISIBLE, ids=[repr(t) for t in VISIBLE])
def test_visible_texts(text: str) -> None:
    assert has_visible_text(text) is True
    assert blank_reason(text) is None


def test_the_reason_names_the_kind_of_blank_and_the_code_point_never_the_text() -> None:
    assert blank_reason("") == "is empty"
    assert blank_reason(" \t\r\n ") == "has no visible text, only spaces, tabs or line breaks"
    reason = blank_reason("  \u200b\ufeff")
    assert reason == (
        "has no visible text, only spaces or invisible characters such as U+200B ZERO WIDTH SPACE"
    )
    assert "\u200b" not in reason
    tag = blank_reason("\U000e0041")
    assert tag is not None and "U+E0041 TAG LATIN CAPITAL LETTER A" in tag


# ---- properties --------------------------------------------------------------------------------------

INVISIBLE_CHARS = sorted(
    {chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) in {"Zs", "Zl", "Zp", "Cc", "Cf"}}
    - set(map(chr, (*range(0x0600, 0x0606), 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD)))
    | BLANK_LOOKING
)
invisible_texts = st.lists(st.sampled_from(INVISIBLE_CHARS), max_size=50).map("".join)
# Letters, digits, punctuation and symbols, minus the few of them that draw nothing.
shown_chars = st.characters(categories=["L", "N", "P", "S"]).filter(lambda c: c not in BLANK_LOOKING)


@SETTINGS
@given(invisible_texts)
def test_any_mix_of_invisible_characters_is_blank(text: str) -> None:
    assert not has_visible_text(text)
    assert blank_reason(text) is not None


@SETTINGS
@given(invisible_texts, shown_chars, invisible_texts)
def test_one_letter_digit_or_symbol_anywhere_makes_it_visible(before: str, char: str, after: str) -> None:
    assert has_visible_text(before + char + after)
    assert blank_reason(before + char + after) is None


@SETTINGS
@given(st.text(), st.text())
def test_visible_means_some_character_shows(first: str, second: str) -> None:
    """The verdict is per character: a join shows something exactly when one side does."""
    assert has_visible_text(first + second) == (has_visible_text(first) or has_visible_text(second))
    assert has_visible_text(first) == any(not is_invisible(c) for c in first)


@SETTINGS
@given(st.text())
def test_agrees_with_python_on_spaces_and_unprintables(text: str) -> None:
    """Independent oracles: blank after str.strip() is blank; a printable non-space character shows.

    `str.isprintable` is False exactly for Unicode's "Other" and "Separator" categories (bar the
    ASCII space), the characters a phone does not draw, up to the listed exceptions.
    """
    if not text.strip():
        assert not has_visible_text(text)
    drawn = [c for c in text if c.isprintable() and not c.isspace() and c not in BLANK_LOOKING]
    if drawn:
        assert has_visible_text(text)


@SETTINGS
@given(st.text(), invisible_texts, invisible_texts)
def test_padding_with_invisible_characters_changes_nothing(text: str, left: str, right: str) -> None:
    assert has_visible_text(left + text + right) == has_visible_text(text)


# ---- campaigns: a contact is set aside exactly when its message would be blank -------------------------

values = st.one_of(invisible_texts, st.text(max_size=20), st.sampled_from(["Awa", " Koffi ", "😀"]))


@SETTINGS
@given(st.lists(values, min_size=1, max_size=20), st.sampled_from(["{{msg}}", " {{msg}}\n", "{{msg}}\u200b"]))
def test_a_campaign_contact_is_set_aside_exactly_when_its_message_is_blank(
    texts: list[str], template: str
) -> None:
    contacts = [Contact(f"22507{i:08d}", {"msg": text}) for i, text in enumerate(texts)]
    plan = plan_campaign(template, contacts, samples=len(contacts))
    set_aside = {m.row for m in plan.missing}
    assert set_aside == {row for row, text in enumerate(texts, start=1) if not has_visible_text(text)}
    assert plan.messages + len(plan.missing) == len(contacts)
    assert all(has_visible_text(message) for _, message in plan.samples)
