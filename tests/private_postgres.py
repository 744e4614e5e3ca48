"""A PostgreSQL server of the test's own, which the test may stop and start at will.

Stopping the shared test server (`LETEXTO_TEST_POSTGRES_URL`) would break whatever else uses it
meanwhile (other tests, another worktree's suite), so an outage test gets its own: `initdb` into a
temporary folder and `pg_ctl` on a loopback port reserved for it, with the same binaries as the
shared server (Debian's postgresql package). Run as the `postgres` user when this process is root,
since PostgreSQL refuses to run as root.

Without the binaries the test is skipped in one line; with `LETEXTO_TEST_REQUIRE_POSTGRES=1` (CI)
that is a failure instead.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from bench.procs import reserved_port
from tests.postgres_helpers import REQUIRE_VARIABLE

BINARY_FOLDERS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
HOW_TO_RUN = (
    "private PostgreSQL tests skipped: initdb and pg_ctl are not installed (Debian's postgresql "
    f"package); {REQUIRE_VARIABLE}=1 makes this a failure"
)


def _bindir() -> Path | None:
    """The folder of initdb and pg_ctl: pg_config's answer, else the newest Debian version's."""
    pg_config = shutil.which("pg_config")
    candidates: list[Path] = []
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(found.stdout.strip()))
    candidates += BINARY_FOLDERS
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


def require_bindir() -> Path:
    """The binaries' folder, or skip (fail in CI) from this one place."""
    found = _bindir()
    if found is None:
        if os.environ.get(REQUIRE_VARIABLE, "").strip() not in ("", "0"):
            pytest.fail(f"{REQUIRE_VARIABLE}=1 but initdb and pg_ctl are not installed")
        pytest.skip(HOW_TO_RUN)
    return found


class PrivatePostgres:
    """One throwaway cluster: `start`, `stop`, `start` again; its URL does not change."""

    def __init__(self, bindir: Path, folder: Path, port: int) -> None:
        self.bindir = bindir
        self.folder = folder
        self.data = folder / "data"
        self.port = port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
            owner = pwd.getpwnam("postgres")
            os.chown(folder, owner.pw_uid, owner.pw_gid)

    def _run(self, *command: str) -> None:
        result = subprocess.run(
            [*self._as_postgres, *command], capture_output=True, text=True, check=False, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stdout}{result.stderr}")

    def init(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8", "--locale", "C",
        )  # fmt: skip
        settings = (
            f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = ''\n"
            "max_connections = 100\n"
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(settings)

    def start(self) -> None:
        log = str(self.folder / "server.log")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", log, "-w", "-t", "60", "start")

    def stop(self) -> None:
        """A fast shutdown: open connections are closed at once, as when a database server goes away."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A started private cluster, stopped and deleted on the way out."""
    bindir = require_bindir()
    with ExitStack() as stack:
        port = stack.enter_context(reserved_port())
        folder = Path(tempfile.mkdtemp(prefix="letexto-pg-"))
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        server = PrivatePostgres(bindir, folder, port)
        server.init()
        server.start()
        try:
            yield server
        finally:
            if server.running():
                server.stop()
