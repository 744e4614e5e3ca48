"""Processes under test: the commands that start each server, and what /proc says about them.

Linux only (the machines here are): resident memory and CPU time come from /proc, so no
third-party package is needed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
BARE_SERVER = BENCH_DIR / "bare_server.py"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
LISTEN_STATE = "0A"  # TCP_LISTEN in /proc/net/tcp


def ours_command(*args: str) -> list[str]:
    """`letexto-mcp ARGS` as a desktop client starts it: the console script next to this Python."""
    script = Path(sys.executable).parent / "letexto-mcp"
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "letexto_mcp", *args]


def bare_command(*args: str) -> list[str]:
    """The bare echo server, run as a file so it imports nothing of this project."""
    return [sys.executable, str(BARE_SERVER), *args]


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """A minimal environment: no developer LETEXTO_* settings, a throwaway HOME."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(extra)
    return env


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port where every connection is refused, for as long as the block runs.

    The port stays bound here and never listens: the kernel answers a connection with a reset, and
    no other process can bind the port meanwhile (a port bound and released at once could be taken
    by another server before it is used).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@contextmanager
def reserved_port() -> Iterator[int]:
    """A loopback port for a server in another process whose address must be known before it starts
    (LETEXTO_PUBLIC_URL names it); prefer `--port 0` and `listening_port` when it need not be.

    The port stays bound here, with SO_REUSEADDR and never listening, until the block ends. Meanwhile
    Linux hands it to no other `bind(0)` and to no outgoing connection, while the server, which binds
    that port explicitly with SO_REUSEADDR (asyncio's default, so uvicorn's), may listen on it.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def listening_port(process: subprocess.Popen[bytes], limit: float = 30.0) -> int:
    """The TCP port `process` listens on, once it does (it is then ready to accept connections).

    Start a server with `--port 0` and ask this: the kernel picks a free port as the server binds
    it, so there is no window in which another process could take a port chosen beforehand.
    """
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        ports = listening_ports(process.pid)
        if len(ports) > 1:
            raise RuntimeError(f"server {process.pid} listens on several ports: {sorted(ports)}")
        if ports:
            return ports.pop()
        time.sleep(0.05)
    raise TimeoutError(f"server {process.pid} did not listen within {limit:.0f} s")


def listening_ports(pid: int) -> set[int]:
    """TCP ports that `pid` listens on: its socket descriptors matched against /proc/<pid>/net/tcp(6)."""
    inodes: set[str] = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    except OSError:  # the process is gone; the caller sees it exit
        return set()
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        try:
            rows = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()  # sl local_address rem_address st ... inode (the tenth)
            if fields[3] == LISTEN_STATE and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def spawn(command: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a server in the background, its output in `log`."""
    with log.open("ab") as sink:
        return subprocess.Popen(
            command, env=dict(env), stdin=subprocess.DEVNULL, stdout=sink, stderr=sink, cwd=PROJECT_ROOT
        )


def stop(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Terminate a process we started, then kill it if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(grace)


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def peak_rss_mb(pid: int | str = "self") -> float:
    """High-water resident memory of `pid` in MB (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux 4.0+); False where not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def cpu_seconds(pid: int) -> float:
    """User + system CPU time `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int | None = None) -> list[int]:
    """Direct child process ids of `pid` (default: this process)."""
    pid = pid or os.getpid()
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def newest_child(matching: str) -> int:
    """The most recently started child of this process whose command line contains `matching`."""
    candidates = []
    for pid in children():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if matching in cmdline:
            candidates.append(pid)
    if not candidates:
        raise RuntimeError(f"no child process running {matching!r}")
    return max(candidates)
