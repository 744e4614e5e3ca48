"""GSM 03.38 part counting: which encoding a text needs and how many SMS parts it costs.

LeTexto bills by part, so this is the price of a message. The rules are the standard ones
(see ../shared/letexto-api.md): GSM-7 fits 160 septets in one part and 153 per part when
split, the extension characters take two septets and never straddle a part boundary; one
character outside GSM-7 makes the whole text UCS-2: 70 UTF-16 units alone, 67 per part,
a surrogate pair never split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SegmentCount:
    """How a text will travel: encoding, parts, and the units used and left in the last part."""

    encoding: Encoding
    parts: int
    units: int
    characters: int
    per_part: int
    remaining_in_last_part: int
    non_gsm_characters: tuple[tuple[int, str], ...] = field(default=())


def is_gsm7(text: str) -> bool:
    """True when every character of `text` has a GSM-7 encoding (basic or extension table)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def non_gsm_characters(text: str) -> tuple[tuple[int, str], ...]:
    """The (position, character) pairs that force UCS-2, positions counted in characters."""
    return tuple((i, ch) for i, ch in enumerate(text) if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION)


def _pack(unit_sizes: list[int], single: int, multi: int) -> tuple[int, int, int]:
    """Pack indivisible units into parts; return (parts, total units, units used in the last part)."""
    total = sum(unit_sizes)
    if total == 0:
        return 0, 0, 0
    if total <= single:
        return 1, total, total
    parts, used = 1, 0
    for size in unit_sizes:
        if used + size > multi:
            parts += 1
            used = 0
        used += size
    return parts, total, used


def count_segments(text: str) -> SegmentCount:
    """Count the parts `text` costs. An empty text costs 0 parts."""
    culprits = non_gsm_characters(text)
    if not culprits:
        sizes = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        single, multi, encoding = GSM7_SINGLE, GSM7_MULTI, "GSM-7"
    else:
        sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        single, multi, encoding = UCS2_SINGLE, UCS2_MULTI, "UCS-2"
    parts, units, last = _pack(sizes, single, multi)
    per_part = single if parts <= 1 else multi
    return SegmentCount(
        encoding=encoding,
        parts=parts,
        units=units,
        characters=len(text),
        per_part=per_part,
        remaining_in_last_part=per_part - last if parts else single,
        non_gsm_characters=culprits,
    )
