"""Every message a send would put on a phone: its identity for the duplicate window, and its texts.

Filled while the send is planned (`plan_sms(each=...)`), so a 100,000-contact campaign is walked
once: the `MessageSetDigest` names what reaches whom (order and tool do not matter), and the
distinct texts are counted for the approval question.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from letexto_mcp.guard.fingerprint import MessageSetDigest, meaning_fingerprint

EXAMPLES = 3


class WhatLeaves:
    """Collects (recipient, text) pairs; see the module docstring."""

    def __init__(self) -> None:
        self._digest = MessageSetDigest()
        self._texts: set[int] = set()
        self.examples: list[str] = []
        self.messages: list[tuple[str, str]] = []
        """Every (recipient, text), in order: what an approval page lists."""

    def add(self, recipient: str, text: str) -> None:
        self._digest.add(recipient, text)
        self.messages.append((recipient, text))
        marker = hash(text)
        if marker not in self._texts:
            self._texts.add(marker)
            if len(self.examples) < EXAMPLES:
                self.examples.append(text)

    @property
    def distinct_count(self) -> int:
        """How many different texts leave (1 for a plain SMS, up to one per contact when personalised)."""
        return len(self._texts)

    def meaning(self, channel: str, envelope: Mapping[str, Any]) -> str:
        """The send's duplicate-window fingerprint (see `guard.fingerprint.meaning_fingerprint`)."""
        return meaning_fingerprint(channel, envelope, self._digest)
