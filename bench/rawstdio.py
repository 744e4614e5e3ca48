"""A minimal JSON-RPC client over a server's stdin/stdout, for timing without client overhead.

The SDK's client costs more per call than some servers do, and it exists only in Python: to time
start-up and compare with a server in another runtime, this client writes newline-delimited
JSON-RPC itself (the 2025-11-25 handshake every server speaks) and reads answers line by line.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROTOCOL = "2025-11-25"


class RawStdioSession:
    """One server process, driven one request at a time."""

    def __init__(self, command: list[str], env: Mapping[str, str], stderr_log: Path, cwd: Path) -> None:
        self.started = time.perf_counter()
        with stderr_log.open("ab") as sink:
            self.process = subprocess.Popen(
                command,
                env=dict(env),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=sink,
                cwd=cwd,
            )
        self._next_id = 0

    def request(self, method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send one request and return its `result`; raise on an error answer or a dead server."""
        self._next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
        if params is not None:
            message["params"] = dict(params)
        self._write(message)
        while True:
            line = self._stdout().readline()
            if not line:
                raise RuntimeError(f"server closed stdout (exit {self.process.poll()}) waiting for {method}")
            answer = json.loads(line)
            if answer.get("id") != self._next_id:
                continue  # a notification, or a server-to-client request we do not answer
            if "error" in answer:
                raise RuntimeError(f"{method} failed: {answer['error']}")
            return dict(answer["result"])

    def notify(self, method: str, params: Mapping[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = dict(params)
        self._write(message)

    def initialize(self) -> dict[str, Any]:
        """The handshake: initialize, then the initialized notification."""
        result = self.request(
            "initialize",
            {
                "protocolVersion": PROTOCOL,
                "capabilities": {},
                "clientInfo": {"name": "letexto-mcp-bench", "version": "1"},
            },
        )
        self.notify("notifications/initialized")
        return result

    def call_tool(self, name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        result = self.request("tools/call", {"name": name, "arguments": dict(arguments)})
        if result.get("isError"):
            raise RuntimeError(f"tool {name} failed: {result.get('content')}")
        return result

    def close(self) -> None:
        """Close stdin (the polite way to stop a stdio server), then make sure it is gone."""
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        if self.process.stdout:
            self.process.stdout.close()

    def _write(self, message: Mapping[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()

    def _stdout(self) -> Any:
        assert self.process.stdout is not None
        return self.process.stdout

    def __enter__(self) -> RawStdioSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
