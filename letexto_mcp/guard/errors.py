"""Why the guard refused a send, in words an assistant can act on and fields a program can read."""

from __future__ import annotations

from typing import Any


class GuardRefusal(Exception):
    """Base of every refusal: `message` says what was wrong and what to do next."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CapRefused(GuardRefusal):
    """A cap stopped the send: which one, the figure asked for, the limit, and the setting to change.

    `figure` and `limit` are numbers (or None) so that every refusal has one JSON shape.
    """

    def __init__(
        self,
        cap: str,
        figure: int | float | None,
        limit: int | float | None,
        setting: str | None,
        message: str,
    ) -> None:
        super().__init__(message)
        self.cap = cap
        self.figure = figure
        self.limit = limit
        self.setting = setting

    def as_dict(self) -> dict[str, Any]:
        """The machine-readable part, as `SendOutcome.refusal` carries it."""
        return {"cap": self.cap, "figure": self.figure, "limit": self.limit, "setting": self.setting}


class TokenRefused(GuardRefusal):
    """A confirmation token cannot be used; `reason_code` is stable, `message` says what to do."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code
