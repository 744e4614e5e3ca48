"""`{{field}}` placeholders, as LeTexto renders them in campaign messages.

A placeholder is a field name (letters, digits, `_`, `-`, `.`) between double braces, with
optional spaces inside: `{{name}}`, `{{ name }}`. `{{numero}}` and `{{phone}}` both mean the
contact's number. Anything else in braces (`{{ first name }}`, `{single}`) is plain text.

Templates are compiled once (cached) into literal pieces and field names, so that rendering a
100,000-contact campaign is a join per contact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

__all__ = [
    "PHONE_FIELDS",
    "MissingFields",
    "literal_text",
    "missing_fields",
    "placeholders",
    "render",
    "vendor_template",
]

PHONE_FIELDS = ("phone", "numero")

_PLACEHOLDER = re.compile(r"\{\{[ \t]*([\w.\-]+)[ \t]*\}\}")
_ALIASES = {"phone": "numero", "numero": "phone"}


class MissingFields(KeyError):
    """Some placeholders have no value; `.fields` lists them in order of first use."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__(fields)
        self.fields: list[str] = fields

    def __str__(self) -> str:
        shown = ["{{" + (name if len(name) <= 40 else name[:39] + "…") + "}}" for name in self.fields[:10]]
        names = ", ".join(shown) + (f" and {len(self.fields) - 10} more" if len(self.fields) > 10 else "")
        return (
            f"no value for {names}: give every contact these fields, or remove the placeholders from the text"
        )


@lru_cache(maxsize=256)
def _compile(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(literal pieces, field names): literals[0] + value[0] + literals[1] + … + literals[-1]."""
    literals: list[str] = []
    names: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        literals.append(text[position : match.start()])
        names.append(match.group(1))
        position = match.end()
    literals.append(text[position:])
    return tuple(literals), tuple(names)


def placeholders(text: str) -> list[str]:
    """The field names `text` uses, each once, in order of first use."""
    return list(dict.fromkeys(_compile(text)[1]))


def literal_text(text: str) -> str:
    """`text` without its placeholders: what every rendered message contains whatever the values."""
    return "".join(_compile(text)[0])


def vendor_template(text: str) -> str:
    """`text` as LeTexto should receive it: `{{ name }}` -> `{{name}}`, and `{{phone}}` -> `{{numero}}`.

    Campaign contacts reach LeTexto with their number under `numero` and no `phone` key, and
    whether it accepts spaces inside the braces is not documented: send the canonical form.
    """
    return _PLACEHOLDER.sub(
        lambda m: "{{numero}}" if m.group(1) in PHONE_FIELDS else "{{" + m.group(1) + "}}", text
    )


def _lookup(fields: Mapping[str, str], name: str) -> str | None:
    value = fields.get(name)
    if value is None and name in _ALIASES:
        value = fields.get(_ALIASES[name])
    return None if value is None else str(value)


def missing_fields(text: str, fields: Mapping[str, str]) -> list[str]:
    """The placeholders of `text` that `fields` has no value for; `phone` and `numero` are interchangeable."""
    return [name for name in placeholders(text) if _lookup(fields, name) is None]


def render(text: str, fields: Mapping[str, str]) -> str:
    """`text` with every placeholder replaced; raises `MissingFields` naming those without a value."""
    literals, names = _compile(text)
    if len(names) == 1:  # the usual "Bonjour {{name}}, ...": one concatenation
        value = fields.get(names[0])
        if type(value) is str:
            return literals[0] + value + literals[1]
        return _render_slow(literals, names, fields)
    if not names:
        return text
    out = [literals[0]]
    try:
        for name, literal in zip(names, literals[1:], strict=True):
            value = fields[name]
            if type(value) is not str:
                return _render_slow(literals, names, fields)
            out.append(value)
            out.append(literal)
    except KeyError:
        return _render_slow(literals, names, fields)
    return "".join(out)


def _render_slow(literals: tuple[str, ...], names: tuple[str, ...], fields: Mapping[str, str]) -> str:
    """The path with aliases (`{{phone}}` from `numero`) and a full list of what is missing."""
    values = [_lookup(fields, name) for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if value is None]
    if missing:
        raise MissingFields(list(dict.fromkeys(missing)))
    out = [literals[0]]
    for value, literal in zip(values, literals[1:], strict=True):
        out.append(value or "")
        out.append(literal)
    return "".join(out)
