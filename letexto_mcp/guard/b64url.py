"""Unpadded base64url with one spelling per value, for the signed tokens the server hands out.

Strict decoding (only the alphabet, and only the form `encode` produces) means a signed token has
exactly one accepted form: nobody can alter its text and still have it accepted.
"""

from __future__ import annotations

import base64
import binascii
import re

_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")


def encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_strict(text: str) -> bytes | None:
    """The bytes `text` encodes, or None when it is not exactly what `encode` would produce."""
    if not _ALPHABET.fullmatch(text):
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if encode(raw) == text else None
