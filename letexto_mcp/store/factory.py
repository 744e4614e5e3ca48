"""Pick a state backend from `LETEXTO_STATE_URL`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from letexto_mcp.state_url import is_postgres_url, mask_state_url, postgres_url_problem
from letexto_mcp.store.base import StateStore
from letexto_mcp.store.memory import MemoryStore
from letexto_mcp.store.sqlite import SqliteStore

if TYPE_CHECKING:
    from letexto_mcp.config import Settings

SQLITE_PREFIX = "sqlite:///"
# Mirrors letexto_mcp.store.postgres, which is not imported unless a postgresql:// URL is given.
DEFAULT_POOL_SIZE = 10
DEFAULT_STATEMENT_TIMEOUT_MS = 5_000


@runtime_checkable
class Versioned(Protocol):
    """A store with a schema (SQLite, PostgreSQL): its version, as the backend has it now."""

    async def schema_version(self) -> int: ...


@runtime_checkable
class Opens(Protocol):
    """A store that connects when asked (PostgreSQL), and otherwise on first use."""

    async def open(self) -> int: ...


def open_store(
    state_url: str,
    *,
    pool_size: int = DEFAULT_POOL_SIZE,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
) -> StateStore:
    """`memory://` -> MemoryStore; `sqlite:///path` -> SqliteStore (parent folders created);
    `postgresql://…` (or `postgres://…`) -> PostgresStore, whose pool opens on first use.

    As with SQLAlchemy URLs, `sqlite:///state.db` is relative and `sqlite:////var/x.db` absolute.
    psycopg is imported only here, for a PostgreSQL URL: stdio start-up never loads it.
    """
    url = state_url.strip()
    if url == "memory://":
        return MemoryStore()
    if url.startswith(SQLITE_PREFIX):
        raw = url[len(SQLITE_PREFIX) :]
        if not raw:
            raise ValueError("LETEXTO_STATE_URL 'sqlite:///' needs a file path, e.g. sqlite:///state.sqlite3")
        return SqliteStore(raw if raw == ":memory:" else Path(raw).expanduser())
    if is_postgres_url(url):
        problem = postgres_url_problem(url)
        if problem is not None:
            raise ValueError(f"LETEXTO_STATE_URL {mask_state_url(url)!r}: {problem}")
        try:
            from letexto_mcp.store.postgres import PostgresStore
        except ImportError as error:
            raise ValueError(
                "LETEXTO_STATE_URL is a PostgreSQL URL but psycopg is not installed: "
                "install letexto-mcp[postgres]"
            ) from error
        return PostgresStore(url, pool_size=pool_size, statement_timeout_ms=statement_timeout_ms)
    raise ValueError(
        "LETEXTO_STATE_URL must be 'memory://', 'sqlite:///path/to/file' or "
        f"'postgresql://user:password@host:5432/database', got {mask_state_url(state_url)!r}"
    )


async def connect_store(settings: Settings) -> StateStore:
    """The configured store, opened now: for PostgreSQL, connected, migrated and its pool open, so
    that an unreachable database stops the start with its sentence rather than the first send."""
    store = open_store(
        settings.state_url,
        pool_size=settings.state_pool_size,
        statement_timeout_ms=settings.state_statement_timeout_ms,
    )
    if isinstance(store, Opens):
        try:
            await store.open()
        except BaseException:
            await store.close()
            raise
    return store


async def schema_version(store: StateStore) -> int | None:
    """The store's schema version, or None for a store without one (memory)."""
    return await store.schema_version() if isinstance(store, Versioned) else None
