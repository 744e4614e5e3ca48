"""Who a presented key is: an approver, a key that must never approve, or nobody.

Every key is compared, in constant time, whatever matched before: the time an answer takes says
nothing about which key (or how much of one) was right.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from letexto_mcp.config import ApproverKey


@dataclass(frozen=True)
class Refused:
    """An MCP client key or the LeTexto key: it names no approver, ever."""


REFUSED = Refused()


class Keyring:
    """The approvers' keys and the keys refused outright."""

    def __init__(self, approvers: Sequence[ApproverKey], refused: Sequence[str]) -> None:
        self._approvers = [(a.key.get_secret_value().encode(), a) for a in approvers]
        self._refused = [key.encode() for key in refused if key]
        self._by_name = {a.name: a for a in approvers}

    def identify(self, presented: str) -> ApproverKey | Refused | None:
        """The approver whose key this is, REFUSED for a client or LeTexto key, else None."""
        given = presented.encode()
        found: ApproverKey | None = None
        refused = False
        for key, approver in self._approvers:
            if hmac.compare_digest(given, key):
                found = approver
        for key in self._refused:
            if hmac.compare_digest(given, key):
                refused = True
        if refused:
            return REFUSED  # the settings forbid an approver key equal to these; refusal wins anyway
        return found

    def by_name(self, name: str) -> ApproverKey | None:
        return self._by_name.get(name)
