"""HTTP under concurrency: 32 clients calling get_balance over Streamable HTTP for a bounded time.

Our server (`letexto-mcp serve --transport http --sandbox`, simulator in its process) and the bare
echo server run as separate processes on loopback ports; this process is the load generator.
Both protocol eras: the 2025-11-25 session (initialize, then calls on a session id) and the
stateless 2026-07-28 protocol. Windows alternate bare, ours, bare, ours so noise hits both
alike. Besides throughput and p99, the server's own CPU time per call is read from /proc: it
does not depend on how fast this client can go on a 2-core machine.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from bench.calls import ECHO_ARGS, tool_call
from bench.config import SANDBOX_ENV, BenchConfig
from bench.procs import (
    bare_command,
    clean_env,
    cpu_seconds,
    listening_port,
    ours_command,
    spawn,
    stop,
)
from bench.report import Figure
from bench.stats import Latency, ratio

SECTION = "HTTP under concurrency (Streamable HTTP, loopback)"
TARGET = 0.6
HTTP_KEY = "bench-http-key-0123456789"
MAX_CALLS_PER_CLIENT = 200_000
ERAS = ("legacy", "auto")


@dataclass
class Window:
    """What one timed window of load measured."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    def merge(self, other: Window) -> Window:
        return Window(
            self.seconds + other.seconds,
            self.latencies + other.latencies,
            self.errors + other.errors,
            self.server_cpu + other.server_cpu,
            self.client_cpu + other.client_cpu,
        )

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


@dataclass
class Target:
    """A server under load: its URL, the tool to call, the headers to send, its process id."""

    url: str
    tool: str
    arguments: dict[str, Any]
    headers: dict[str, str]
    pid: int


async def load_window(target: Target, era: str, clients: int, duration: float) -> Window:
    """`clients` sessions, all connected first, then calling the tool until `duration` has passed."""
    connected = 0
    go = anyio.Event()
    window = Window(duration)
    deadline = 0.0

    async def worker() -> None:
        nonlocal connected
        try:
            async with create_mcp_http_client(headers=target.headers) as http:
                transport = streamable_http_client(target.url, http_client=http)
                async with Client(transport, mode=era) as client:
                    call = tool_call(client, target.tool, target.arguments)
                    await call()
                    connected += 1
                    if connected == clients:
                        go.set()
                    await go.wait()
                    for _ in range(MAX_CALLS_PER_CLIENT):
                        if time.monotonic() >= deadline:
                            break
                        started = time.perf_counter()
                        try:
                            await call()
                        except Exception as error:
                            window.errors.append(f"{type(error).__name__}: {error}"[:200])
                        else:
                            window.latencies.append(time.perf_counter() - started)
        except Exception as error:  # a client that cannot connect is an error too, not a hang
            window.errors.append(f"connect: {type(error).__name__}: {error}"[:200])
            connected += 1
            if connected == clients:
                go.set()

    with anyio.fail_after(duration + 120):
        async with anyio.create_task_group() as group:
            for _ in range(clients):
                group.start_soon(worker)
            await go.wait()
            deadline = time.monotonic() + duration
            cpu_before, mine_before = cpu_seconds(target.pid), _own_cpu()
            await anyio.sleep(duration)
            window.server_cpu = cpu_seconds(target.pid) - cpu_before
            window.client_cpu = _own_cpu() - mine_before
    return window


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def start_servers(cfg: BenchConfig) -> tuple[dict[str, Target], list[Any]]:
    """Both servers over HTTP, each in its own process on a loopback port the kernel picks."""
    home = cfg.workdir / "home-http"
    home.mkdir(exist_ok=True)
    ours_env = clean_env(home, **SANDBOX_ENV, LETEXTO_MCP_API_KEYS=HTTP_KEY, LETEXTO_MCP_RATE_LIMIT="0")
    ours = spawn(
        ours_command("serve", "--transport", "http", "--sandbox", "--host", "127.0.0.1", "--port", "0"),
        ours_env,
        cfg.workdir / "http-ours.log",
    )
    bare = spawn(bare_command("--http", "--port", "0"), clean_env(home), cfg.workdir / "http-bare.log")
    processes = [ours, bare]
    try:
        ours_port = listening_port(ours)
        bare_port = listening_port(bare)
    except Exception:
        for process in processes:
            stop(process)
        raise
    targets = {
        "bare": Target(f"http://127.0.0.1:{bare_port}/mcp", "echo", dict(ECHO_ARGS), {}, bare.pid),
        "ours": Target(
            f"http://127.0.0.1:{ours_port}/mcp",
            "get_balance",
            {},
            {"Authorization": f"Bearer {HTTP_KEY}"},
            ours.pid,
        ),
    }
    return targets, processes


def run(cfg: BenchConfig) -> list[Figure]:
    clients = 32
    rounds = cfg.pick(2, 1)
    window_seconds = cfg.pickf(5.0, 1.0)
    targets, processes = start_servers(cfg)
    figures: list[Figure] = []
    try:
        for era in ERAS:
            results = anyio.run(_measure_era, targets, era, clients, rounds, window_seconds)
            figures += _figures(era, results, clients)
    finally:
        for process in processes:
            stop(process)
    return figures


async def _measure_era(
    targets: dict[str, Target], era: str, clients: int, rounds: int, seconds: float
) -> dict[str, Window]:
    merged: dict[str, Window] = {}
    for _ in range(rounds):
        for name in ("bare", "ours"):
            window = await load_window(targets[name], era, clients, seconds)
            merged[name] = merged[name].merge(window) if name in merged else window
    return merged


def _figures(era: str, results: dict[str, Window], clients: int) -> list[Figure]:
    bare, ours = results["bare"], results["ours"]
    bare_lat, ours_lat = Latency.of(bare.latencies), Latency.of(ours.latencies)
    share = ratio(ours.throughput, bare.throughput)
    bare_cpu_ms = bare.server_cpu / max(1, len(bare.latencies)) * 1000
    ours_cpu_ms = ours.server_cpu / max(1, len(ours.latencies)) * 1000
    client_busy = ours.client_cpu / ours.seconds if ours.seconds else 0.0
    where = f"{era} era, {clients} clients"
    return [
        Figure(
            SECTION,
            f"{where}: bare echo throughput",
            bare.throughput,
            "calls/s",
            note=f"p50 {bare_lat.p50:.1f} ms, p99 {bare_lat.p99:.1f} ms, {len(bare.errors)} errors, "
            f"{bare.seconds:.0f} s",
            details={"latency": bare_lat.as_dict(), "errors": bare.errors[:5]},
        ),
        Figure(
            SECTION,
            f"{where}: ours get_balance throughput",
            ours.throughput,
            "calls/s",
            reference=bare.throughput,
            reference_name="bare",
            ratio=share,
            target=f">= {TARGET}x, 0 errors",
            met=share >= TARGET and not ours.errors,
            note=f"p50 {ours_lat.p50:.1f} ms, {len(ours.errors)} errors"
            + (f" (first: {ours.errors[0]})" if ours.errors else "")
            + f"; this client was {client_busy:.0%} of a core busy",
            details={"latency": ours_lat.as_dict(), "errors": ours.errors[:5]},
        ),
        Figure(
            SECTION,
            f"{where}: ours p99",
            ours_lat.p99,
            "ms",
            reference=bare_lat.p99,
            reference_name="bare",
            ratio=ratio(ours_lat.p99, bare_lat.p99),
        ),
        Figure(
            SECTION,
            f"{where}: server CPU per call, ours",
            ours_cpu_ms,
            "ms",
            reference=bare_cpu_ms,
            reference_name="bare",
            ratio=ratio(ours_cpu_ms, bare_cpu_ms),
            note="from /proc: independent of the load generator's speed",
        ),
    ]
