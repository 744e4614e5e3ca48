"""A peer in another runtime: the official TypeScript reference server, beside ours and the bare one.

`@modelcontextprotocol/server-everything` (npm, pinned) is installed once into a cache folder
with `npm install --prefix`; if npm or node is missing or the install fails, the section says
"skipped: why" instead of a figure. All three servers are driven by the same hand-written
stdio client (bench.rawstdio), so the only difference is the server: start-up to tools/list,
then echo calls (ours has no echo: its cheapest call, get_balance, and tools/list stand in).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.calls import ECHO_ARGS
from bench.config import SANDBOX_ENV, BenchConfig
from bench.procs import PROJECT_ROOT, bare_command, clean_env, ours_command
from bench.rawstdio import RawStdioSession
from bench.report import Figure
from bench.stats import Latency, median, ratio

SECTION = "peer: TypeScript reference server (stdio)"
PACKAGE = "@modelcontextprotocol/server-everything"
VERSION = "2026.8.31"
CACHE = Path(os.environ.get("LETEXTO_BENCH_CACHE", Path.home() / ".cache" / "letexto-mcp-bench")) / "npm"


class PeerUnavailable(RuntimeError):
    """The peer cannot be run here; the message says why."""


def peer_command() -> list[str]:
    """`node …/server-everything/dist/index.js stdio`, installing the pinned package first if needed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise PeerUnavailable("node and npm are needed to run the TypeScript peer, and are not on PATH")
    entry = CACHE / "node_modules" / PACKAGE / "dist" / "index.js"
    installed = CACHE / "node_modules" / PACKAGE / "package.json"
    if not entry.exists() or f'"version": "{VERSION}"' not in installed.read_text(errors="replace"):
        CACHE.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                [npm, "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", f"{PACKAGE}@{VERSION}"],
                check=True,
                capture_output=True,
                timeout=600,
                stdin=subprocess.DEVNULL,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            tail = getattr(error, "stderr", b"") or b""
            raise PeerUnavailable(f"npm install {PACKAGE}@{VERSION} failed: {tail.decode()[-300:]}") from None
    if not entry.exists():
        raise PeerUnavailable(f"{entry} is missing after npm install")
    return [node, str(entry), "stdio"]


def run(cfg: BenchConfig) -> list[Figure]:
    try:
        peer = peer_command()
    except PeerUnavailable as reason:
        print(f"peer benchmark skipped: {reason}", file=sys.stderr)
        return [Figure.skipped(SECTION, "server-everything beside ours", str(reason))]
    home = cfg.workdir / "home-peer"
    home.mkdir(exist_ok=True)
    servers = {
        "peer": (peer, clean_env(home)),
        "bare": (bare_command(), clean_env(home)),
        "ours": (ours_command("serve", "--sandbox"), clean_env(home, **SANDBOX_ENV)),
    }
    log = cfg.workdir / "peer.log"
    starts: dict[str, list[float]] = {name: [] for name in servers}
    for _ in range(cfg.pick(7, 1)):
        for name, (command, env) in servers.items():
            with RawStdioSession(command, env, log, PROJECT_ROOT) as session:
                session.initialize()
                session.request("tools/list")
                starts[name].append(time.perf_counter() - session.started)
    calls = _call_latencies(servers, log, cfg.pick(1000, 30))
    return _figures(starts, calls)


def _call_latencies(
    servers: dict[str, tuple[list[str], dict[str, str]]], log: Path, count: int
) -> dict[str, Latency]:
    """Echo on the peer and the bare server; get_balance and tools/list on ours; interleaved."""
    sessions = {name: RawStdioSession(cmd, env, log, PROJECT_ROOT) for name, (cmd, env) in servers.items()}
    try:
        for session in sessions.values():
            session.initialize()
            session.request("tools/list")
        plan = {
            "peer echo": lambda: sessions["peer"].call_tool("echo", ECHO_ARGS),
            "bare echo": lambda: sessions["bare"].call_tool("echo", ECHO_ARGS),
            "ours get_balance": lambda: sessions["ours"].call_tool("get_balance", {}),
            "peer tools/list": lambda: sessions["peer"].request("tools/list"),
            "ours tools/list": lambda: sessions["ours"].request("tools/list"),
        }
        for _ in range(20):
            for call in plan.values():
                call()
        times: dict[str, list[float]] = {name: [] for name in plan}
        for _ in range(count):
            for name, call in plan.items():
                started = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - started)
    finally:
        for session in sessions.values():
            session.close()
    return {name: Latency.of(values) for name, values in times.items()}


def _figures(starts: dict[str, list[float]], calls: dict[str, Latency]) -> list[Figure]:
    peer_start, bare_start, ours_start = (median(starts[n]) * 1000 for n in ("peer", "bare", "ours"))
    rows = [
        Figure(SECTION, f"start -> tools/list: {PACKAGE}@{VERSION} (node)", peer_start, "ms"),
        Figure(
            SECTION,
            "start -> tools/list: bare Python MCPServer",
            bare_start,
            "ms",
            reference=peer_start,
            reference_name="peer",
            ratio=ratio(bare_start, peer_start),
        ),
        Figure(
            SECTION,
            "start -> tools/list: ours --sandbox",
            ours_start,
            "ms",
            reference=peer_start,
            reference_name="peer",
            ratio=ratio(ours_start, peer_start),
        ),
    ]
    peer_echo = calls["peer echo"]
    for name in ("bare echo", "ours get_balance"):
        lat = calls[name]
        rows.append(
            Figure(
                SECTION,
                f"call p50: {name}",
                lat.p50,
                "ms",
                reference=peer_echo.p50,
                reference_name="peer echo",
                ratio=ratio(lat.p50, peer_echo.p50),
                note=f"p99 {lat.p99:.2f} ms vs peer {peer_echo.p99:.2f} ms",
            )
        )
    rows.append(
        Figure(
            SECTION,
            "tools/list p50: ours (9 tools)",
            calls["ours tools/list"].p50,
            "ms",
            reference=calls["peer tools/list"].p50,
            reference_name="peer",
            ratio=ratio(calls["ours tools/list"].p50, calls["peer tools/list"].p50),
        )
    )
    return rows
