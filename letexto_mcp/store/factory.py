"""Pick a state backend from `LETEXTO_STATE_URL`."""

from __future__ import annotations

from pathlib import Path

from letexto_mcp.store.base import StateStore
from letexto_mcp.store.memory import MemoryStore
from letexto_mcp.store.sqlite import SqliteStore

SQLITE_PREFIX = "sqlite:///"


def open_store(state_url: str) -> StateStore:
    """`memory://` -> MemoryStore; `sqlite:///path` -> SqliteStore (parent folders created).

    As with SQLAlchemy URLs, `sqlite:///state.db` is relative and `sqlite:////var/x.db` absolute.
    """
    url = state_url.strip()
    if url == "memory://":
        return MemoryStore()
    if url.startswith(SQLITE_PREFIX):
        raw = url[len(SQLITE_PREFIX) :]
        if not raw:
            raise ValueError("LETEXTO_STATE_URL 'sqlite:///' needs a file path, e.g. sqlite:///state.sqlite3")
        return SqliteStore(raw if raw == ":memory:" else Path(raw).expanduser())
    raise ValueError(f"LETEXTO_STATE_URL must be 'memory://' or 'sqlite:///path/to/file', got {state_url!r}")
