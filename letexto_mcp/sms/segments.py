"""GSM 03.38 part counting: which encoding a text needs and how many SMS parts it costs.

LeTexto bills by part, so this is the price of a message. The rules are the standard ones
(see ../shared/letexto-api.md): GSM-7 fits 160 septets in one part and 153 per part when
split, the extension characters take two septets and never straddle a part boundary; one
character outside GSM-7 makes the whole text UCS-2: 70 UTF-16 units alone, 67 per part,
a surrogate pair never split.

Campaigns count every personalised message, so the common case is fast: one compiled regex
finds out whether the text is plain GSM-7 (then the count depends only on its length and is
cached), and packing jumps from one two-unit character to the next, or part by part, never
character by character. `count_parts` skips the culprit list for bulk use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "GSM7_MULTI",
    "GSM7_SINGLE",
    "MAX_REPORTED_CHARACTERS",
    "UCS2_MULTI",
    "UCS2_SINGLE",
    "Encoding",
    "SegmentCount",
    "count_parts",
    "count_segments",
    "is_gsm7",
    "non_gsm_characters",
]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

# A preview lists the culprits; past this many, more of them tell the reader nothing new.
MAX_REPORTED_CHARACTERS = 100

Encoding = Literal["GSM-7", "UCS-2"]

# Counts the two-unit characters in text[start:end].
_WideCounter = Callable[[str, int, int], int]

_EXTENSION_CHARS = tuple(sorted(GSM7_EXTENSION))


def _negated_class(chars: frozenset[str]) -> re.Pattern[str]:
    return re.compile("[^" + "".join(re.escape(ch) for ch in sorted(chars)) + "]")


_NON_BASIC = _negated_class(GSM7_BASIC)
_NON_GSM = _negated_class(GSM7_BASIC | GSM7_EXTENSION)
_EXTENSION = re.compile("[" + "".join(re.escape(ch) for ch in _EXTENSION_CHARS) + "]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class SegmentCount:
    """How a text will travel: encoding, parts, and the units used and left in the last part.

    `non_gsm_characters` lists the characters that force UCS-2 (at most
    `MAX_REPORTED_CHARACTERS` of them, in order).
    """

    encoding: Encoding
    parts: int
    units: int
    characters: int
    per_part: int
    remaining_in_last_part: int
    non_gsm_characters: tuple[tuple[int, str], ...] = field(default=())


def is_gsm7(text: str) -> bool:
    """True when every character of `text` has a GSM-7 encoding (basic or extension table)."""
    return _NON_GSM.search(text) is None


def non_gsm_characters(text: str, limit: int | None = None) -> tuple[tuple[int, str], ...]:
    """The (position, character) pairs that force UCS-2, positions counted in characters."""
    return _culprits(text, 0, limit)


def _culprits(text: str, start: int, limit: int | None) -> tuple[tuple[int, str], ...]:
    """Culprits from `start` on: `findall` per 4,096-character chunk (no match objects, bounded
    memory), each position recovered with `str.find`, since every occurrence of a culprit is one."""
    found: list[tuple[int, str]] = []
    for chunk in range(start, len(text), 4096):
        position = chunk
        for ch in _NON_GSM.findall(text, chunk, chunk + 4096):
            position = text.find(ch, position)
            found.append((position, ch))
            position += 1
            if limit is not None and len(found) >= limit:
                return tuple(found)
    return tuple(found)


def count_segments(text: str) -> SegmentCount:
    """Count the parts `text` costs. An empty text costs 0 parts."""
    first = _NON_BASIC.search(text)
    if first is None:
        return _plain_gsm7(len(text))
    encoding, parts, units, last = _measure(text, first.start())
    per_part = _SINGLE[encoding] if parts <= 1 else _MULTI[encoding]
    culprits = _culprits(text, first.start(), MAX_REPORTED_CHARACTERS) if encoding == "UCS-2" else ()
    return SegmentCount(
        encoding=encoding,
        parts=parts,
        units=units,
        characters=len(text),
        per_part=per_part,
        remaining_in_last_part=per_part - last,
        non_gsm_characters=culprits,
    )


def count_parts(text: str) -> tuple[Encoding, int]:
    """Only the encoding and the number of parts: the bulk path for campaigns (no culprit list)."""
    first = _NON_BASIC.search(text)
    if first is None:
        n = len(text)
        return "GSM-7", (1 if n <= GSM7_SINGLE else -(-n // GSM7_MULTI)) if n else 0
    encoding, parts, _, _ = _measure(text, first.start())
    return encoding, parts


_SINGLE: dict[Encoding, int] = {"GSM-7": GSM7_SINGLE, "UCS-2": UCS2_SINGLE}
_MULTI: dict[Encoding, int] = {"GSM-7": GSM7_MULTI, "UCS-2": UCS2_MULTI}

# Up to this many two-unit characters, packing walks from one to the next; beyond, part by part.
_WALK_LIMIT = 512


@lru_cache(maxsize=4096)
def _plain_gsm7(length: int) -> SegmentCount:
    """Basic-table GSM-7 text: every character is one septet, so only the length matters."""
    if length <= GSM7_SINGLE:
        parts = 1 if length else 0
        return SegmentCount("GSM-7", parts, length, length, GSM7_SINGLE, GSM7_SINGLE - length)
    parts = -(-length // GSM7_MULTI)
    last = length - (parts - 1) * GSM7_MULTI
    return SegmentCount("GSM-7", parts, length, length, GSM7_MULTI, GSM7_MULTI - last)


def _measure(text: str, first: int) -> tuple[Encoding, int, int, int]:
    """(encoding, parts, units, units in the last part); `first` is where the first non-basic character is."""
    n = len(text)
    if text[first] in GSM7_EXTENSION and _NON_GSM.search(text, first + 1) is None:
        units = n + _extension_in(text, first, n)
        parts, last = _pack(text, units, GSM7_SINGLE, GSM7_MULTI, _EXTENSION, _extension_count)
        return "GSM-7", parts, units, last
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2
    parts, last = _pack(text, units, UCS2_SINGLE, UCS2_MULTI, _ASTRAL, _astral_in)
    return "UCS-2", parts, units, last


def _extension_in(text: str, start: int, end: int) -> int:
    """How many two-septet characters text[start:end] holds (a regex when they are few)."""
    if end - start <= 4096:
        return len(_EXTENSION.findall(text, start, end))
    return _extension_count(text, start, end)


def _extension_count(text: str, start: int, end: int) -> int:
    """The same, without building a list of matches: for long or dense texts."""
    return sum(text.count(ch, start, end) for ch in _EXTENSION_CHARS)


def _astral_in(text: str, start: int, end: int) -> int:
    """How many characters of text[start:end] need a surrogate pair (two UTF-16 units)."""
    chunk = text[start:end]
    return len(chunk.encode("utf-16-le", "surrogatepass")) // 2 - len(chunk)


def _pack(
    text: str, units: int, single: int, multi: int, wide: re.Pattern[str], wide_in: _WideCounter
) -> tuple[int, int]:
    """Pack characters (1 or 2 units, never split) into parts: (parts, units used in the last part)."""
    n = len(text)
    if units == 0:
        return 0, 0
    if units <= single:
        return 1, units
    if units == n:
        parts = -(-n // multi)
        return parts, n - (parts - 1) * multi
    if units - n <= _WALK_LIMIT:
        return _pack_walk([m.start() for m in wide.finditer(text)], n, multi)
    return _pack_windows(text, units, multi, wide_in)


def _pack_walk(wide_positions: list[int], n: int, multi: int) -> tuple[int, int]:
    """Greedy packing that jumps over runs of one-unit characters arithmetically."""
    parts, used, placed = 1, 0, 0
    for position in [*wide_positions, n]:
        run = position - placed
        if used + run > multi:
            overflow = used + run - multi
            extra = -(-overflow // multi)
            parts += extra
            used = overflow - (extra - 1) * multi
        else:
            used += run
        if position == n:
            break
        if used + 2 > multi:
            parts += 1
            used = 0
        used += 2
        placed = position + 1
    return parts, used


def _pack_windows(text: str, units: int, multi: int, wide_in: _WideCounter) -> tuple[int, int]:
    """Greedy packing part by part, for texts dense in two-unit characters.

    Each part takes the longest run that fits; the run's end is found by stepping back half the
    overflow at a time, which never steps past it because a character is at most two units.
    """
    n = len(text)
    parts, start, left = 0, 0, units
    while True:
        parts += 1
        if left <= multi:
            return parts, left
        end = min(n, start + multi)
        used = end - start + wide_in(text, start, end)
        while used > multi:
            end -= (used - multi + 1) // 2
            used = end - start + wide_in(text, start, end)
        left -= used
        start = end
