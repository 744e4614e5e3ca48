"""A real PostgreSQL for the tests: where it is, and a schema of its own for each test.

`LETEXTO_TEST_POSTGRES_URL` (e.g. `postgresql://postgres@127.0.0.1:5432/test`) says where the
server is. Without it the PostgreSQL tests are skipped, all on one line of the summary; with
`LETEXTO_TEST_REQUIRE_POSTGRES=1` (set by `.ci/run`) a missing or unreachable server fails them.
Each test gets a fresh schema, named in the URL's search_path and dropped afterwards, so no test
ever sees another's rows.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

URL_VARIABLE = "LETEXTO_TEST_POSTGRES_URL"
REQUIRE_VARIABLE = "LETEXTO_TEST_REQUIRE_POSTGRES"
HOW_TO_RUN = (
    f"PostgreSQL tests skipped: set {URL_VARIABLE}=postgresql://postgres@127.0.0.1:5432/test "
    f"(a server where that user may create schemas) to run them; {REQUIRE_VARIABLE}=1 makes this a failure"
)
_reachable: dict[str, str | None] = {}


def _required() -> bool:
    return os.environ.get(REQUIRE_VARIABLE, "").strip() not in ("", "0")


def _problem(url: str) -> str | None:
    """Why the server cannot be used (None: it answers), asked once per run."""
    if url not in _reachable:
        import psycopg

        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
            _reachable[url] = None
        except psycopg.Error as error:
            _reachable[url] = " ".join(str(error).split())
    return _reachable[url]


def server_url() -> str:
    """The test server's URL: skips the calling test without one, or fails it when CI requires one."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if not url:
        if _required():
            pytest.fail(f"{REQUIRE_VARIABLE}=1 but {URL_VARIABLE} is not set")
        pytest.skip(HOW_TO_RUN)
    problem = _problem(url)
    if problem is not None:
        if _required():
            pytest.fail(f"the PostgreSQL server of {URL_VARIABLE} cannot be used: {problem}")
        pytest.skip(f"PostgreSQL tests skipped: the server of {URL_VARIABLE} cannot be used ({problem})")
    return url


def with_search_path(url: str, schema: str) -> str:
    """The URL with `options=-csearch_path=<schema>` (libpq passes it to the server at connect)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


def create_schema(url: str) -> str:
    """A new empty schema with a random name."""
    import psycopg
    from psycopg import sql

    name = f"lt_test_{secrets.token_hex(6)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    return name


def drop_schema(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A URL whose tables live in a new schema of their own, dropped on the way out."""
    url = server_url()
    name = create_schema(url)
    try:
        yield with_search_path(url, name)
    finally:
        drop_schema(url, name)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema's URL (see `fresh_schema`)."""
    with fresh_schema() as url:
        yield url
