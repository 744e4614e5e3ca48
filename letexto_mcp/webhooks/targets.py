"""Webhook target URLs: checked when the settings are read, and shown to people without their credentials.

A receiver's URL is often its only credential: a password in its userinfo, a `?token=` in its
query, or an unguessable path (Zapier's `/hooks/catch/123/abc/`, Slack's `/services/T…/B…/…`,
n8n's `/webhook/<uuid>`). Logs, errors and `letexto-mcp webhooks list` show `mask_target(url)`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MASK = "***"
SETTING = "LETEXTO_WEBHOOK_URLS"


def _looks_secret(segment: str) -> bool:
    """A path segment worth hiding: long, or mixing in digits (ids, tokens, UUIDs), not plain words."""
    return len(segment) >= 16 or (len(segment) >= 6 and any(c.isdigit() for c in segment))


def mask_target(url: str) -> str:
    """The URL with its userinfo, every query value and token-like path segments replaced by `***`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return MASK
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{MASK}@" if parts.username or parts.password else "") + host
    if port is not None:
        netloc += f":{port}"
    path = "/".join(MASK if _looks_secret(segment) else segment for segment in parts.path.split("/"))
    query = "&".join(
        f"{pair.partition('=')[0]}={MASK}" if "=" in pair else MASK for pair in parts.query.split("&") if pair
    )
    return f"{parts.scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def parse_targets(urls: list[str]) -> list[str]:
    """Check each target (an http(s) URL with a host, no fragment) and drop repeats, keeping the order."""
    seen: list[str] = []
    for index, raw in enumerate(urls, start=1):
        url = raw.strip()
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
            raise ValueError(
                f"{SETTING} entry {index} must be an http(s) URL with a host and no #fragment, "
                f"got {mask_target(url)!r}"
            )
        if url not in seen:
            seen.append(url)
    return seen
