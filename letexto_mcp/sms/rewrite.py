"""A GSM-7 version of a French or English text, so that a message stops paying UCS-2 prices.

One `ê` or `’` turns a 160-character part into a 70-character one. `gsm7_rewrite` replaces such
characters with their closest GSM-7 spelling (ê → e, ’ → ', « » → ", œ → oe, … → ...), strips
accents that GSM-7 lacks (via NFKD), and for whatever is left:

- pictographs (emoji, dingbats: Unicode "other symbols") are removed, along with the joiners,
  variation selectors and skin tones that glue emoji together, and a space left doubled;
- any other character (letters of other scripts, currency and maths signs, unknown
  punctuation) becomes '?', so that a lost word or amount shows as lost instead of vanishing.

Guarantee: the result is always GSM-7 and never costs more parts than the input. Texts already
in GSM-7 come back unchanged. When the preferred spelling would cost an extra part (a text full
of `…`), every replacement is cut to two septets, which always fits: a UCS-2 part holds 67
characters where GSM-7 holds 153 septets.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from .segments import GSM7_BASIC, GSM7_EXTENSION, count_parts, is_gsm7

__all__ = ["gsm7_rewrite"]

_GSM7 = GSM7_BASIC | GSM7_EXTENSION

# Replacements chosen for French and English; everything else goes through NFKD.
_TABLE: dict[str, str] = {
    "œ": "oe",
    "Œ": "OE",
    "ç": "c",
    "’": "'",
    "‘": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "‹": "'",
    "›": "'",
    "`": "'",
    "´": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "″": '"',
    "«": '"',
    "»": '"',
    "…": "...",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    "•": "-",
    "·": ".",
    "°": "o",
    "×": "x",
    "÷": "/",
    "⁄": "/",
    "→": "->",
    "←": "<-",
    "\t": " ",
    "\u2028": "\n",
    "\u2029": "\n",
}

# Longest septet cost any single input character may have in the fallback pass.
_COMPACT_SEPTETS = 2


def gsm7_rewrite(text: str) -> str:
    """Return a GSM-7 version of `text` that costs no more parts than `text` does."""
    if is_gsm7(text):
        return text
    preferred = _rewrite(unicodedata.normalize("NFC", text), compact=False)
    if count_parts(preferred)[1] <= count_parts(text)[1]:
        return preferred
    return _rewrite(text, compact=True)


def _rewrite(text: str, compact: bool) -> str:
    """Character by character; `compact` caps each replacement at two septets."""
    out: list[str] = []
    just_removed = False
    for ch in text:
        if ch in _GSM7:
            piece: str | None = ch
        else:
            piece = _replacement(ch)
            if compact and piece:
                piece = _cap(piece)
        if piece is None:
            just_removed = True
            continue
        if piece == " " and just_removed and (not out or out[-1].endswith(" ")):
            continue  # a removed emoji between two spaces: keep one space
        if piece:
            just_removed = False
            out.append(piece)
    if just_removed and out and out[-1] == " ":
        out.pop()  # "Merci 😊" -> "Merci", not "Merci "
    return "".join(out)


def _cap(piece: str) -> str:
    septets = 0
    for i, ch in enumerate(piece):
        septets += 2 if ch in GSM7_EXTENSION else 1
        if septets > _COMPACT_SEPTETS:
            return piece[:i]
    return piece


@lru_cache(maxsize=2048)
def _replacement(ch: str) -> str | None:
    """GSM-7 text for one non-GSM character; None when it is a symbol to drop."""
    if ch in _TABLE:
        return _TABLE[ch]
    category = unicodedata.category(ch)
    if category == "Zs":
        return " "
    if category == "Pd":
        return "-"
    if category in ("Mn", "Me") or category.startswith("C"):
        return ""  # combining marks, joiners, variation selectors, controls: nothing to show
    if category == "Sk" and ord(ch) >= 0x1F3FB:
        return ""  # emoji skin-tone modifiers
    decomposed = unicodedata.normalize("NFKD", ch)
    stripped = "".join(_TABLE.get(c, c) for c in decomposed if not unicodedata.combining(c))
    if stripped and all(c in _GSM7 for c in stripped):
        return stripped
    if category in ("So", "Sk"):
        return None  # emoji, dingbats, pictographs: dropped
    return "?"
