"""A PostgreSQL cluster of our own: `initdb` in a temporary folder, `pg_ctl` on a reserved loopback port.

For what must not touch a shared server: the outage test stops and starts it (stopping the shared
test server would break whatever else uses it meanwhile), and the `replicas` benchmark reads the
CPU time of every one of its processes (on a shared server other clients' backends would count).
Same binaries as the machine's server (Debian's postgresql package), default settings but the
address, so commits wait for the disk as they do there. Run as the `postgres` user when this
process is root, since PostgreSQL refuses to run as root.
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

from bench.procs import children, reserved_port

BINARY_FOLDERS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def postgres_bindir() -> Path | None:
    """The folder of initdb and pg_ctl: pg_config's answer, else the newest Debian version's; None."""
    pg_config = shutil.which("pg_config")
    candidates: list[Path] = []
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(found.stdout.strip()))
    candidates += BINARY_FOLDERS
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


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
            raise RuntimeError(f"{Path(command[0]).name} failed: {result.stdout}{result.stderr}")

    def init(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8", "--locale", "C",
        )  # fmt: skip
        where = f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = ''\n"
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n" + where)

    def start(self) -> None:
        log = str(self.folder / "server.log")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", log, "-w", "-t", "60", "start")

    def stop(self) -> None:
        """A fast shutdown: open connections are closed at once, as when a database server goes away."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def pids(self) -> list[int]:
        """The postmaster and every process it started (backends, WAL writer, checkpointer…)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        return [postmaster, *children(postmaster)]


@contextmanager
def private_postgres(bindir: Path) -> Iterator[PrivatePostgres]:
    """A started private cluster, stopped and deleted on the way out."""
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
