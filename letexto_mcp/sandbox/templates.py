"""`{{field}}` rendering for SMS campaigns, as the vendor does it per contact."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


def placeholders(content: str) -> list[str]:
    """The field names used in `content`, in order of first use."""
    return list(dict.fromkeys(PLACEHOLDER.findall(content)))


def missing_fields(content: str, contact: Mapping[str, Any]) -> list[str]:
    """Placeholders of `content` that `contact` has no usable value for."""
    return [name for name in placeholders(content) if _text(contact.get(name)) is None]


def render(content: str, contact: Mapping[str, Any]) -> str:
    """Fill every placeholder from `contact`; call `missing_fields` first."""
    return PLACEHOLDER.sub(lambda m: _text(contact.get(m.group(1))) or "", content)


def _text(value: Any) -> str | None:
    """Strings and numbers render as text; anything else (missing, null, objects) does not."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        return str(value)
    return None
