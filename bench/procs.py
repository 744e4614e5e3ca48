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
from collections.abc import Mapping
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
BARE_SERVER = BENCH_DIR / "bare_server.py"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None, limit: float = 30.0) -> None:
    """Block until something accepts connections on 127.0.0.1:`port` (or the process died)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {limit:.0f} s")


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
