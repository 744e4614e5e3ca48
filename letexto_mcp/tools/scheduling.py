"""Reading `send_at`: an ISO-8601 date-time with a zone, in the future, within a year."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mcp.server.mcpserver.exceptions import ToolError

MAX_AHEAD = timedelta(days=365)
GRACE = timedelta(seconds=30)


def parse_send_at(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """The UTC datetime to send at, or None for 'now'; a ToolError says what is wrong."""
    if value is None:
        return None
    text = value.strip()
    try:
        when = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise ToolError(
            f"send_at {text[:40]!r} is not an ISO-8601 date-time: write it like '2026-12-01T09:00:00Z'"
        ) from None
    if when.tzinfo is None:
        raise ToolError(
            f"send_at {text[:40]!r} has no time zone: add 'Z' for UTC (Abidjan time), e.g. "
            "'2026-12-01T09:00:00Z'"
        )
    when = when.astimezone(timezone.utc)
    current = now or datetime.now(timezone.utc)
    if when < current - GRACE:
        raise ToolError(
            f"send_at {text[:40]!r} is in the past: leave it out to send now, or give a future time"
        )
    if when > current + MAX_AHEAD:
        raise ToolError(f"send_at {text[:40]!r} is more than a year ahead: choose a nearer date")
    return when


def iso_utc(when: datetime | None) -> str | None:
    """The form shown to users and fingerprinted: `2026-12-01T09:00:00.000Z`."""
    if when is None:
        return None
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
