"""Field checks worded like the vendor's NestJS/class-validator messages, and its number rule.

The number rule here is the vendor's, deliberately independent of the project's own normaliser:
the simulator must reject what LeTexto rejects, not what we would have fixed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from letexto_mcp.sandbox import assumptions as A
from letexto_mcp.sandbox.clock import parse_iso
from letexto_mcp.sandbox.errors import ValidationErrors

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def is_valid_number(number: str) -> bool:
    """Digits only, no leading 0; 225 + exactly 10 digits, or 8 to 15 digits for other countries."""
    if not number.isascii() or not number.isdigit() or number.startswith("0"):
        return False
    if number.startswith(A.CI_COUNTRY_CODE):
        return len(number) == len(A.CI_COUNTRY_CODE) + A.CI_NATIONAL_DIGITS
    return A.OTHER_MIN_DIGITS <= len(number) <= A.OTHER_MAX_DIGITS


def invalid_numbers_message(field: str, numbers: Iterable[str]) -> str:
    """The vendor's wording, line break included."""
    return f"{field} contains invalid phone number (s) : {', '.join(numbers)}. \n {A.MSG_PHONE_FORMAT}"


def is_email(value: Any) -> bool:
    return isinstance(value, str) and bool(_EMAIL.match(value))


def is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class FieldChecker:
    """Reads fields from a request body, collecting one class-validator message per bad field."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: list[str] = []

    def fail(self, message: str) -> None:
        self.errors.append(message)

    def raise_if_failed(self) -> None:
        if self.errors:
            raise ValidationErrors(self.errors)

    def required_str(self, name: str, max_length: int | None = None) -> str:
        value = self.data.get(name)
        if value is None or value == "":
            self.fail(f"{name} should not be empty")
            return ""
        return self._check_str(name, value, max_length) or ""

    def optional_str(self, name: str, max_length: int | None = None) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        return self._check_str(name, value, max_length)

    def _check_str(self, name: str, value: Any, max_length: int | None) -> str | None:
        if not isinstance(value, str):
            self.fail(f"{name} must be a string")
            return None
        if max_length is not None and len(value) > max_length:
            self.fail(f"{name} must be shorter than or equal to {max_length} characters")
            return None
        return value

    def optional_date(self, name: str) -> datetime | None:
        value = self.data.get(name)
        if value is None:
            return None
        parsed = parse_iso(value) if isinstance(value, str) else None
        if parsed is None:
            self.fail(f"{name} must be a valid ISO 8601 date string")
        return parsed

    def optional_choice(self, name: str, choices: tuple[str, ...]) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or value.upper() not in choices:
            self.fail(f"{name} must be one of the following values: {', '.join(choices)}")
            return None
        return value.upper()

    def optional_url(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not is_http_url(value):
            self.fail(f"{name} must be a URL address")
            return None
        return value

    def required_email(self, name: str) -> str:
        value = self.required_str(name)
        if value and not is_email(value):
            self.fail(f"{name} must be an email")
        return value

    def required_list(self, name: str) -> list[Any]:
        value = self.data.get(name)
        if value is None or value == []:
            self.fail(f"{name} should not be empty")
            return []
        if not isinstance(value, list):
            self.fail(f"{name} must be an array")
            return []
        return value
