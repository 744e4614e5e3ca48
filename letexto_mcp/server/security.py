"""Which Host and Origin headers the HTTP server accepts (DNS rebinding), and CORS for browsers.

Protection is always on: loopback names, the bind address (unless it is a wildcard such as
0.0.0.0), the host of LETEXTO_PUBLIC_URL and LETEXTO_MCP_ALLOWED_HOSTS are accepted; any other
Host gets 421 and any other Origin 403 (from the SDK's transport checks on /mcp, /sse and
/messages/). A server bound to 0.0.0.0 must therefore be told its public names. Browsers may
call from the same origins only, and can read `Mcp-Session-Id` from the answers.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from mcp.server.transport_security import TransportSecuritySettings

from letexto_mcp.config import Settings

WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::", "[::]"})  # noqa: S104 - recognised, not bound
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")

CORS_ALLOW_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "Last-Event-ID",
    "Mcp-Session-Id",
    "Mcp-Protocol-Version",
    "Mcp-Method",
    "Mcp-Name",
    "X-LeTexto-Key",
    "Idempotency-Key",  # the REST face's sends (/api/v1)
)
CORS_EXPOSE_HEADERS = ("Mcp-Session-Id", "WWW-Authenticate", "Retry-After")


def is_loopback(host: str) -> bool:
    """True for loopback names and addresses (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _bracketed(host: str) -> str:
    """IPv6 addresses are written in brackets in Host headers and URLs."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _host_patterns(host: str) -> list[str]:
    """`name` matches the name alone (default port) and with any port; `name:port` only itself."""
    host = host.strip().lower()
    has_port = host.rsplit("]", 1)[-1].count(":") == 1 if host.startswith("[") else host.count(":") == 1
    if has_port:
        return [host]
    host = _bracketed(host)
    return [host, f"{host}:*"]


def allowed_hosts(settings: Settings, bind_host: str) -> list[str]:
    """Host header values accepted for this bind address and these settings."""
    hosts: list[str] = []
    for name in _LOOPBACK_HOSTS:
        hosts += _host_patterns(name)
    if bind_host.strip().lower() not in WILDCARD_BINDS:
        hosts += _host_patterns(_bracketed(bind_host))
    if settings.public_url:
        hosts += _host_patterns(urlsplit(settings.public_url).netloc)
    for host in settings.allowed_hosts:
        hosts += _host_patterns(host)
    return list(dict.fromkeys(hosts))


def allowed_origins(settings: Settings) -> list[str]:
    """Origin header values accepted: loopback pages, the public URL's origin, and the configured ones."""
    origins: list[str] = []
    for name in _LOOPBACK_HOSTS:
        origins += [f"http://{name}", f"http://{name}:*"]
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    origins += settings.allowed_origins
    return list(dict.fromkeys(origins))


def transport_security(settings: Settings, bind_host: str) -> TransportSecuritySettings:
    """The SDK's DNS-rebinding settings for this server (always enabled)."""
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=allowed_hosts(settings, bind_host),
        allowed_origins=allowed_origins(settings),
    )


def cors_origin_regex(origins: list[str]) -> str:
    """One anchored pattern for CORSMiddleware: `origin` exactly, `origin:*` with any port."""
    alternatives = []
    for origin in origins:
        if origin.endswith(":*"):
            alternatives.append(re.escape(origin[:-2]) + r":\d{1,5}")
        else:
            alternatives.append(re.escape(origin))
    return "^(?:" + "|".join(alternatives) + ")$"
