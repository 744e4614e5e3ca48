"""A PostgreSQL server of the test's own (bench/postgres_server.py), which the test may stop and start.

Stopping the shared test server (`LETEXTO_TEST_POSTGRES_URL`) would break whatever else uses it
meanwhile (other tests, another worktree's suite), so an outage test gets its own cluster, made
with the machine's PostgreSQL binaries. Without them the test is skipped in one line; with
`LETEXTO_TEST_REQUIRE_POSTGRES=1` (CI) that is a failure instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bench.postgres_server import PrivatePostgres, postgres_bindir
from bench.postgres_server import private_postgres as _private_postgres
from tests.postgres_helpers import REQUIRE_VARIABLE

HOW_TO_RUN = (
    "private PostgreSQL tests skipped: initdb and pg_ctl are not installed (Debian's postgresql "
    f"package); {REQUIRE_VARIABLE}=1 makes this a failure"
)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A started private cluster (skips, or fails in CI, without the binaries)."""
    bindir = postgres_bindir()
    if bindir is None:
        if os.environ.get(REQUIRE_VARIABLE, "").strip() not in ("", "0"):
            pytest.fail(f"{REQUIRE_VARIABLE}=1 but initdb and pg_ctl are not installed")
        pytest.skip(HOW_TO_RUN)
    with _private_postgres(bindir) as server:
        yield server
