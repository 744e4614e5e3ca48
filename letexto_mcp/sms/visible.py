"""Whether a text shows anything: a message of spaces or zero-width characters arrives blank.

Phones show nothing for whitespace (Unicode Zs/Zl/Zp, tabs, line breaks), control characters
(Cc), format characters (Cf: zero-width space and joiners, BOM, soft hyphen, bidi marks, tags)
and a few characters that are letters or symbols on paper but draw nothing: the Hangul fillers,
the blank braille pattern, variation selectors and other default-ignorable marks. A text made
only of those is blank however long it is. The Cf characters that are drawn on their own (the
Arabic number signs and the end-of-ayah mark, Unicode's "prepended concatenation marks") count
as visible.
"""

from __future__ import annotations

import unicodedata

__all__ = ["BLANK_LOOKING", "blank_reason", "has_visible_text", "is_invisible"]

_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})
# Cf, yet drawn: they take a visible glyph even with nothing after them.
_DRAWN_FORMAT = frozenset(
    map(chr, (*range(0x0600, 0x0606), 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD))
)
BLANK_LOOKING = frozenset(
    map(
        chr,
        (
            0x034F,  # combining grapheme joiner
            0x115F,  # Hangul choseong filler
            0x1160,  # Hangul jungseong filler
            0x17B4,  # Khmer vowel inherent aq
            0x17B5,  # Khmer vowel inherent aa
            *range(0x180B, 0x1810),  # Mongolian free variation selectors and vowel separator (Cf since 6.3)
            0x2800,  # braille pattern blank
            0x3164,  # Hangul filler
            *range(0xFE00, 0xFE10),  # variation selectors 1-16
            0xFFA0,  # halfwidth Hangul filler
            *range(0xE0100, 0xE01F0),  # variation selectors 17-256
        ),
    )
)
"""Letters, marks and symbols by category that draw nothing on their own."""


def is_invisible(char: str) -> bool:
    """True when `char` (one character) shows nothing on its own."""
    if char in BLANK_LOOKING:
        return True
    return unicodedata.category(char) in _INVISIBLE_CATEGORIES and char not in _DRAWN_FORMAT


def has_visible_text(text: str) -> bool:
    """True when at least one character of `text` shows; stops at the first one (usually the first)."""
    return any("!" <= char <= "~" or not is_invisible(char) for char in text)  # ASCII: no lookup


def blank_reason(text: str) -> str | None:
    """Why `text` would arrive blank, naming the kind of characters but never quoting them; None if it shows.

    The first invisible character that is not plain whitespace is named by code point, so the
    caller can find it in their data (a BOM from a file, a zero-width space from a web page).
    """
    if has_visible_text(text):
        return None
    if not text:
        return "is empty"
    hidden = next((char for char in text if not char.isspace()), None)
    if hidden is None:
        return "has no visible text, only spaces, tabs or line breaks"
    name = unicodedata.name(hidden, "")
    example = f"U+{ord(hidden):04X}" + (f" {name}" if name else "")
    return f"has no visible text, only spaces or invisible characters such as {example}"
