"""Memory of a multi-tenant HTTP server as distinct X-LeTexto-Key values pile up.

`letexto-mcp serve --transport http` with LETEXTO_MCP_MULTI_TENANT=1 runs as a user runs it, against
the simulator in its own process (`letexto-mcp sandbox` on a loopback port). Every request is a
stateless 2026-07-28 `get_balance` with its own key, so each key's LeTexto client makes one real
request over its own connection (the simulator refuses these unknown keys: 401, the same path for
all). RSS is read after 100 keys, at the cap, and on to the last key. The reference, in the same
run, is a second server process given the same number of requests with one key: what serving
that many requests costs without any new tenant.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx

from bench.config import BenchConfig
from bench.procs import clean_env, listening_port, ours_command, rss_mb, spawn, stop
from bench.report import Figure
from bench.stats import ratio

SECTION = "memory (multi-tenant HTTP server RSS)"
MCP_KEY = "bench-tenant-mcp-key-0123456789"
WORKERS = 4
FLAT_LIMIT_MB = 5.0
"""Growth allowed from the cap to the last key: more means something is still kept per key."""
PROTOCOL = "2026-07-28"
BODY = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {
        "name": "get_balance",
        "arguments": {},
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": PROTOCOL,
            "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "0"},
            "io.modelcontextprotocol/clientCapabilities": {},
        },
    },
}
HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Authorization": f"Bearer {MCP_KEY}",
    "MCP-Protocol-Version": PROTOCOL,
    "Mcp-Method": "tools/call",
    "Mcp-Name": "get_balance",
}


@dataclass(frozen=True)
class Plan:
    """How many keys, the server's cap, and after how many requests RSS is read (the cap among them)."""

    total: int
    cap: int
    checkpoints: tuple[int, ...]


def plan_for(cfg: BenchConfig) -> Plan:
    """Full: 10,000 keys under the default cap of 1,000. Quick: 500 keys under a cap of 100."""
    if cfg.quick:
        return Plan(500, 100, (50, 100, 250, 500))
    return Plan(10_000, 1_000, (100, 1_000, 2_500, 5_000, 10_000))


def tenant_key(i: int) -> str:
    """A distinct key per tenant, unknown to the simulator (so every key takes the same path)."""
    return f"lt_bench_tenant_{i:06d}_0f1e2d3c4b5a6978"


async def _requests(url: str, keys: list[str]) -> list[str]:
    """One get_balance per key, WORKERS at a time; returns what went wrong (an HTTP error, a refusal)."""
    errors: list[str] = []
    pending = iter(keys)
    async with httpx.AsyncClient(base_url=url, headers=HEADERS, timeout=30, trust_env=False) as http:

        async def worker() -> None:
            for key in pending:  # shared iterator: each key is taken once
                response = await http.post("/mcp", json=BODY, headers={"X-LeTexto-Key": key})
                if response.status_code != 200 or '"result"' not in response.text:
                    errors.append(f"HTTP {response.status_code}: {response.text[:120]}")

        async with anyio.create_task_group() as group:
            for _ in range(WORKERS):
                group.start_soon(worker)
    return errors


def _run_server(
    cfg: BenchConfig,
    home: Path,
    sim_port: int,
    cap: int,
    name: str,
    keys: list[str],
    checkpoints: tuple[int, ...],
) -> dict[str, Any]:
    """Start a multi-tenant HTTP server, send one request per entry of `keys`, read RSS at each checkpoint."""
    env = clean_env(
        home,
        LETEXTO_MCP_MULTI_TENANT="1",
        LETEXTO_MCP_API_KEYS=MCP_KEY,
        LETEXTO_MCP_RATE_LIMIT="0",
        LETEXTO_MCP_MAX_TENANT_CLIENTS=str(cap),
        LETEXTO_BASE_URL=f"http://127.0.0.1:{sim_port}",
        LETEXTO_STATE_URL="memory://",
        LETEXTO_DEFAULT_SENDER="SMS INFO",
    )
    command = ours_command("serve", "--transport", "http", "--host", "127.0.0.1", "--port", "0")
    server = spawn(command, env, cfg.workdir / f"tenant-memory-{name}.log")
    try:
        port = listening_port(server)
        url = f"http://127.0.0.1:{port}"
        anyio.run(_requests, url, keys[:1])  # imports and pools warm before the first reading
        samples: list[tuple[int, float]] = [(0, rss_mb(server.pid))]
        seconds: list[tuple[int, float]] = []
        errors: list[str] = []
        done = 0
        for checkpoint in checkpoints:
            started = time.perf_counter()
            errors += anyio.run(_requests, url, keys[done:checkpoint])
            seconds.append((checkpoint, round(time.perf_counter() - started, 2)))
            done = checkpoint
            samples.append((done, rss_mb(server.pid)))
    finally:
        stop(server)
    return {"samples": samples, "seconds": seconds, "errors": len(errors), "first_errors": errors[:3]}


def measure(cfg: BenchConfig, home: Path, sim_port: int) -> list[Figure]:
    """The figures: RSS after 100 keys and after the last, beside one key given as many requests."""
    plan = plan_for(cfg)
    distinct = [tenant_key(i) for i in range(plan.total)]
    one = [tenant_key(plan.total + 1)] * plan.total
    many = _run_server(cfg, home, sim_port, plan.cap, "distinct", distinct, plan.checkpoints)
    single = _run_server(cfg, home, sim_port, plan.cap, "single", one, plan.checkpoints)
    return _figures(plan, many, single)


def _figures(plan: Plan, many: dict[str, Any], single: dict[str, Any]) -> list[Figure]:
    at = dict(many["samples"])
    ref = dict(single["samples"])
    first, last = plan.checkpoints[0], plan.checkpoints[-1]
    errors = many["errors"] + single["errors"]
    trail = ", ".join(f"{n:,}: {mb:.1f}" for n, mb in many["samples"][1:])
    per_client_kb = (at[plan.cap] - at[first]) * 1024 / (plan.cap - first)
    beyond, beyond_ref = at[last] - at[plan.cap], ref[last] - ref[plan.cap]
    note_errors = (
        f"; {errors} request errors: {many['first_errors'] + single['first_errors']}" if errors else ""
    )
    return [
        Figure(
            SECTION,
            f"RSS after {first:,} distinct keys",
            at[first],
            "MB",
            reference=ref[first],
            reference_name=f"one key, {first:,} requests",
            ratio=ratio(at[first], ref[first]),
            details=many,
        ),
        Figure(
            SECTION,
            f"RSS after {last:,} distinct keys (cap {plan.cap:,})",
            at[last],
            "MB",
            reference=ref[last],
            reference_name=f"one key, {last:,} requests",
            ratio=ratio(at[last], ref[last]),
            note=f"MB after n keys: {trail}; about {per_client_kb:.0f} KB per kept client{note_errors}",
            details=single,
        ),
        Figure(
            SECTION,
            f"RSS growth, keys {plan.cap:,} -> {last:,} (past the cap)",
            beyond,
            "MB",
            reference=beyond_ref,
            reference_name="one key, same requests",
            target=f"<= {FLAT_LIMIT_MB:g} MB",
            met=beyond <= FLAT_LIMIT_MB and errors == 0,
            note="clients beyond the cap are closed with their redaction entries",
        ),
    ]
