"""`LETEXTO_STATE_URL` without its secrets: its shape, its masked form, the passwords it holds.

No dependencies on purpose: the settings (validation, `doctor`) and the PostgreSQL store (its error
messages and log lines) both need these, and a password must be hidden the same way everywhere.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

POSTGRES_SCHEMES = ("postgresql", "postgres")
MASK = "***"


def is_postgres_url(url: str) -> bool:
    return url.strip().lower().startswith(tuple(f"{scheme}://" for scheme in POSTGRES_SCHEMES))


def _query_items(query: str) -> list[tuple[str, str]]:
    pairs = []
    for item in query.split("&"):
        if item:
            name, _, value = item.partition("=")
            pairs.append((name, value))
    return pairs


def _has_authority(url: str) -> bool:
    return "://" in url and not url.strip().lower().startswith(("sqlite:", "memory:"))


def mask_state_url(url: str) -> str:
    """The URL as it may be shown: `postgresql://user:***@host:5432/db` (a `password=` option masked too).

    Any scheme is masked, not only PostgreSQL's: a mistyped one (`mysql://…`) is quoted in errors.
    """
    if not _has_authority(url):
        return url
    parts = urlsplit(url.strip())
    userinfo, at, hosts = parts.netloc.rpartition("@")
    netloc = parts.netloc
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:{MASK}@{hosts}"
    query = "&".join(
        f"{name}={MASK}" if unquote(name).lower() == "password" else f"{name}={value}" if value else name
        for name, value in _query_items(parts.query)
    )
    masked = f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")
    return scrub(masked, url_passwords(url))  # the password may be written elsewhere in the URL too


def url_passwords(url: str) -> list[str]:
    """Every form of every password in the URL (as written and percent-decoded), longest first."""
    if not _has_authority(url):
        return []
    parts = urlsplit(url.strip())
    found: set[str] = set()
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        found.add(userinfo.split(":", 1)[1])
    found.update(value for name, value in _query_items(parts.query) if unquote(name).lower() == "password")
    forms = found | {unquote(value) for value in found}
    return sorted((form for form in forms if form), key=len, reverse=True)


def scrub(text: str, passwords: list[str]) -> str:
    """`text` with every password replaced by ***."""
    for password in passwords:
        text = text.replace(password, MASK)
    return text


def postgres_url_problem(url: str) -> str | None:
    """What is wrong with the shape of a postgresql:// URL (None: nothing); never quotes its password."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in POSTGRES_SCHEMES:
        return "its scheme must be postgresql:// or postgres://"
    if parts.fragment:
        return "it must not have a #fragment"
    _, _, hosts = parts.netloc.rpartition("@")
    named_host = any(unquote(name).lower() in ("host", "hostaddr") for name, _ in _query_items(parts.query))
    if not hosts and not named_host:
        return "it names no host (postgresql://user:password@host:5432/database)"
    for host in hosts.split(","):
        name, colon, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
        if colon and (not port.isdigit() or not 0 < int(port) < 65536):
            return f"the port of {name or 'its host'} must be a number from 1 to 65535"
    if parts.path.count("/") > 1:
        return "its database name must not contain '/'"
    return None
