"""Helpers for the reliability tests: the simulator on a real loopback port, driven over its admin API.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from letexto_mcp.sandbox import SANDBOX_API_KEY, SandboxConfig
from tests.http_helpers import loopback_socket, serving_in_thread

ADMIN_HEADERS = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def letexto_mcp_command(*args: str) -> list[str]:
    """`letexto-mcp ARGS` with this interpreter."""
    return [sys.executable, "-m", "letexto_mcp", *args]


def base_env(home: Path, **extra: str) -> dict[str, str]:
    """A minimal environment for a subprocess: no LETEXTO_* of the developer, a throwaway HOME."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class LoopbackSimulator:
    """The simulator served by uvicorn on 127.0.0.1 in a background thread; use it as a context manager."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        from letexto_mcp.sandbox.serve import make_server

        self._sock = loopback_socket()  # bound now and served as is: no other process can take the port
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_headers = dict(ADMIN_HEADERS)
        self._server = make_server("127.0.0.1", self.port, config or SandboxConfig())
        self._server.config.access_log = False
        self._running = ExitStack()

    def __enter__(self) -> LoopbackSimulator:
        self._running.enter_context(serving_in_thread(self._server, self._sock))
        return self

    def __exit__(self, *exc: object) -> None:
        self._running.close()

    async def _admin(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.url, headers=self.admin_headers, timeout=10) as http:
            answer = await http.request(method, f"/_sandbox{path}", json=body)
            answer.raise_for_status()
            return answer.json()

    async def reset(self) -> None:
        """Forget everything: accounts re-seeded, no messages, no faults."""
        await self._admin("POST", "/reset")

    async def inject(self, fault: dict[str, Any]) -> None:
        await self._admin("POST", "/faults", fault)

    async def clear_faults(self) -> None:
        await self._admin("DELETE", "/faults")

    async def state(self) -> dict[str, Any]:
        return dict(await self._admin("GET", "/state"))

    async def count(self, path: str) -> int:
        """API requests received whose path starts with `path` (retries included)."""
        return sum(1 for r in (await self.state())["requests"] if r["path"].startswith(path))
