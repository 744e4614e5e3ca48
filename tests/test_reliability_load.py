"""Load: 50 concurrent HTTP sessions for 60 seconds, mixing reads, previews and dry-run sends.

Real processes on loopback only: `letexto-mcp sandbox` (the simulator) and `letexto-mcp serve
--transport http` with a key, policy dry-run and a SQLite state file; this process runs the
clients (both protocol eras, sessions opened and closed as they go). Bounded in time (60 s of
load) and in count (at most 2,000 calls per client). Then: no call failed, the server logged no
error, every dry-run send has its audit entry, and the server's memory stayed flat.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from bench.procs import listening_port
from letexto_mcp.sandbox import SANDBOX_API_KEY
from tests.reliability_helpers import (
    PROJECT_ROOT,
    base_env,
    letexto_mcp_command,
    rss_mb,
)

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SESSIONS = 50
DURATION = 60.0
MAX_CALLS_PER_CLIENT = 2_000
CALLS_PER_SESSION = 40
WARM_UP = 10.0  # memory is compared from here (modules loaded, pools and caches filled) to the end
MEMORY_GROWTH_LIMIT_MB = 10.0
KEY = "load-test-key-4f1c2b9a7e"
SENDS = {"send_sms", "create_sms_campaign"}


def mixed_call(rng: random.Random, n: int) -> tuple[str, dict[str, Any]]:
    """One call of the mix: reads, previews and sends (which the dry-run policy never sends)."""
    number = (
        f"07 {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}"
    )
    roll = rng.random()
    if roll < 0.30:
        return "get_balance", {}
    if roll < 0.40:
        return "list_senders", {}
    if roll < 0.60:
        return "preview_sms", {"content": f"Bonjour, rappel n°{n} de votre rendez-vous.", "to": number}
    if roll < 0.85:
        return "send_sms", {"to": number, "content": f"Votre code est {n:06d}."}
    contacts = [{"phone": f"05 05 {i:02d} {n % 100:02d} 11", "name": f"Client {i}"} for i in range(5)]
    return "create_sms_campaign", {
        "label": f"Charge {n}",
        "content": "Bonjour {{name}} !",
        "contacts": contacts,
    }


@dataclass
class Tally:
    calls: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    sessions: int = 0


@dataclass
class Servers:
    mcp_url: str
    server: subprocess.Popen[bytes]
    state_file: Path
    server_log: Path


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    sim_log, server_log = tmp_path / "sandbox.log", tmp_path / "server.log"
    state_file = tmp_path / "state.sqlite3"
    processes: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as sink:
            process = subprocess.Popen(
                args, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink, cwd=PROJECT_ROOT
            )
        processes.append(process)
        return process

    try:
        simulator = start(
            letexto_mcp_command("sandbox", "--host", "127.0.0.1", "--port", "0"),
            base_env(tmp_path),
            sim_log,
        )
        sim_port = listening_port(simulator)
        env = base_env(
            tmp_path,
            LETEXTO_BASE_URL=f"http://127.0.0.1:{sim_port}",
            LETEXTO_API_TOKEN=SANDBOX_API_KEY,
            LETEXTO_SEND_POLICY="dry-run",
            LETEXTO_STATE_URL=f"sqlite:///{state_file}",
            LETEXTO_DEFAULT_SENDER="SMS INFO",
            LETEXTO_MCP_API_KEYS=KEY,
            LETEXTO_MCP_RATE_LIMIT="0",  # this test is about errors and memory, not the request limiter
        )
        server = start(
            letexto_mcp_command("serve", "--transport", "http", "--host", "127.0.0.1", "--port", "0"),
            env,
            server_log,
        )
        port = listening_port(server)
        yield Servers(f"http://127.0.0.1:{port}/mcp", server, state_file, server_log)
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


async def client_loop(url: str, era: str, seed: int, deadline: float, tally: Tally) -> None:
    """Sessions of CALLS_PER_SESSION mixed calls each, until the deadline or the call budget."""
    rng = random.Random(seed)
    made = 0
    while time.monotonic() < deadline and made < MAX_CALLS_PER_CLIENT:
        try:
            async with (
                httpx2.AsyncClient(
                    headers={"Authorization": f"Bearer {KEY}"}, timeout=httpx2.Timeout(30, read=120)
                ) as http,
                Client(streamable_http_client(url, http_client=http), mode=era) as client,
            ):
                tally.sessions += 1
                for _ in range(CALLS_PER_SESSION):
                    if time.monotonic() >= deadline or made >= MAX_CALLS_PER_CLIENT:
                        break
                    made += 1
                    name, arguments = mixed_call(rng, seed * 100_000 + made)
                    result = await client.call_tool(name, arguments)
                    tally.calls[name] += 1
                    if result.is_error:
                        text = " ".join(getattr(b, "text", "") for b in result.content)
                        tally.errors.append(f"{name}: {text[:300]}")
                    elif name in SENDS:
                        tally.statuses[(result.structured_content or {}).get("status", "?")] += 1
        except Exception as error:
            tally.errors.append(f"{era} session: {type(error).__name__}: {error}"[:300])
            await anyio.sleep(0.2)


def audit_rows(state_file: Path) -> list[dict[str, Any]]:
    """Every audit entry in the state file (read-only)."""
    with sqlite3.connect(f"file:{state_file}?mode=ro", uri=True) as db:
        return [json.loads(entry) for (entry,) in db.execute("SELECT entry FROM audit ORDER BY id")]


async def test_fifty_sessions_for_a_minute(servers: Servers) -> None:
    tally = Tally()
    deadline = time.monotonic() + DURATION
    rss: dict[str, float] = {}

    async def watch_memory() -> None:
        await anyio.sleep(WARM_UP)
        rss["warm"] = rss_mb(servers.server.pid)

    with anyio.fail_after(DURATION + 120):
        async with anyio.create_task_group() as group:
            group.start_soon(watch_memory)
            for i in range(SESSIONS):
                era = "legacy" if i % 2 == 0 else "auto"
                group.start_soon(client_loop, servers.mcp_url, era, i + 1, deadline, tally)
    rss["end"] = rss_mb(servers.server.pid)
    total = sum(tally.calls.values())
    sends = sum(tally.calls[name] for name in SENDS)
    print(
        f"\n{total} calls in {tally.sessions} sessions ({dict(tally.calls)}); server RSS "
        f"{rss['warm']:.1f} MB after {WARM_UP:.0f} s, {rss['end']:.1f} MB at the end"
    )

    assert tally.errors == []
    assert total >= SESSIONS * 10, "the load was too light to mean anything"
    assert tally.statuses == Counter({"dry_run": sends})
    assert servers.server.poll() is None, "the server died under load"
    log = servers.server_log.read_text(errors="replace")
    assert "Traceback" not in log
    assert " 500 " not in log and "ERROR" not in log

    entries = audit_rows(servers.state_file)
    assert Counter(e["tool"] for e in entries) == Counter({name: tally.calls[name] for name in SENDS})
    assert {e["outcome"] for e in entries} == {"dry_run"}
    assert rss["end"] - rss["warm"] <= MEMORY_GROWTH_LIMIT_MB, rss
