"""The static caps on one send: recipients, parts per message, allow-list, sender approval.

Pure checks on a `SendPlan` (no I/O), so they run under every policy, dry-run included. The
allow-list is normalised with the same function as the recipients, so `07 07 12 34 56`,
`+2250707123456` and `2250707123456` are one number; entries with an `@` are e-mail addresses,
compared case-insensitively. The normaliser is injected so this module needs no phone library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from letexto_mcp.config import ConfigError
from letexto_mcp.guard.errors import CapRefused
from letexto_mcp.guard.plan import SendPlan

Normalise = Callable[[str], str]
SHOWN = 3


class AllowListError(ConfigError):
    """Some `LETEXTO_ALLOWED_RECIPIENTS` entries are not numbers (or addresses) we can match."""


def _shown(items: list[str]) -> str:
    head = ", ".join(items[:SHOWN])
    return head + (", …" if len(items) > SHOWN else "")


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


class Caps:
    """The per-send limits from the settings; `check(plan)` raises `CapRefused` naming the setting."""

    def __init__(
        self,
        *,
        max_recipients: int,
        max_parts_per_message: int,
        allowed_recipients: Iterable[str] = (),
        normalise: Normalise | None = None,
    ) -> None:
        self.max_recipients = max_recipients
        self.max_parts_per_message = max_parts_per_message
        self._normalise = normalise
        entries = [entry.strip() for entry in allowed_recipients if entry.strip()]
        if entries and normalise is None:
            raise ValueError("an allow-list needs a phone number normaliser")
        allowed: set[str] = set()
        bad: list[str] = []
        for entry in entries:
            key = self._key(entry)
            if key is None:
                bad.append(entry)
            else:
                allowed.add(key)
        if bad:
            raise AllowListError(
                f"LETEXTO_ALLOWED_RECIPIENTS: {_plural(len(bad), 'entry', 'entries')} cannot be read as a "
                f"phone number or e-mail address ({_shown(bad)}); fix or remove them"
            )
        self.allowed: frozenset[str] | None = frozenset(allowed) if entries else None

    @classmethod
    def from_settings(cls, settings: Any, normalise: Normalise | None) -> Caps:
        """From a `Settings` (or anything with the same attribute names)."""
        return cls(
            max_recipients=settings.max_recipients,
            max_parts_per_message=settings.max_parts_per_message,
            allowed_recipients=getattr(settings, "allowed_recipients", ()) or (),
            normalise=normalise,
        )

    def _key(self, value: str) -> str | None:
        """The comparable form of a number or address, or None when it cannot be read."""
        if "@" in value:
            return value.strip().lower()
        if self._normalise is None:
            return value
        try:
            return self._normalise(value)
        except ValueError:
            return None

    def allows(self, recipient: str) -> bool:
        """Whether one recipient may receive messages (always, when there is no allow-list)."""
        if self.allowed is None:
            return True
        if recipient in self.allowed:  # vendor digits already: skip the normaliser
            return True
        key = self._key(recipient)
        return key is not None and key in self.allowed

    def check(self, plan: SendPlan) -> None:
        """Raise `CapRefused` for the first cap this plan breaks."""
        count = len(plan.recipients)
        if count == 0:
            raise CapRefused(
                "recipients", 0, 1, None, "refused: this send has no recipients; give at least one recipient"
            )
        if count > self.max_recipients:
            raise CapRefused(
                "max_recipients",
                count,
                self.max_recipients,
                "LETEXTO_MAX_RECIPIENTS",
                f"refused: this send has {count} recipients, more than LETEXTO_MAX_RECIPIENTS "
                f"({self.max_recipients}); split it into smaller sends or raise LETEXTO_MAX_RECIPIENTS",
            )
        if plan.parts_per_message_max > self.max_parts_per_message:
            raise CapRefused(
                "max_parts_per_message",
                plan.parts_per_message_max,
                self.max_parts_per_message,
                "LETEXTO_MAX_PARTS_PER_MESSAGE",
                f"refused: a message here needs {plan.parts_per_message_max} SMS parts, more than "
                f"LETEXTO_MAX_PARTS_PER_MESSAGE ({self.max_parts_per_message}); shorten the text (characters "
                "outside GSM-7 cut a part to 67 characters) or raise LETEXTO_MAX_PARTS_PER_MESSAGE",
            )
        if plan.sender_approved is False:
            usable = ", ".join(plan.usable_senders) if plan.usable_senders else "none yet (see list_senders)"
            raise CapRefused(
                "sender",
                None,
                None,
                None,
                f"refused: sender {plan.sender!r} is not approved for sending at LeTexto (pending, rejected "
                f"or unknown); use one of: {usable}, or wait for LeTexto to validate it",
            )
        if plan.balance is not None and plan.credits > plan.balance:
            raise CapRefused(
                "balance",
                plan.credits,
                plan.balance,
                None,
                f"refused: this send costs {plan.credits:g} credits but the LeTexto balance is "
                f"{plan.balance:g}; top up the account or send to fewer recipients",
            )
        if self.allowed is not None:
            outside = [recipient for recipient in plan.recipients if not self.allows(recipient)]
            if outside:
                verb = "is" if len(outside) == 1 else "are"
                raise CapRefused(
                    "allowed_recipients",
                    len(outside),
                    0,
                    "LETEXTO_ALLOWED_RECIPIENTS",
                    f"refused: {_plural(len(outside), 'recipient')} {verb} not in LETEXTO_ALLOWED_RECIPIENTS "
                    f"({_shown(outside)}); add them there or remove them",
                )
