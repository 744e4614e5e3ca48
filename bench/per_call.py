"""Per-call cost: tools/call latency of get_balance and preview_sms against a bare echo tool.

In memory (both protocol eras) and over stdio (a subprocess, both eras), through the SDK's own
client. What our code adds at p50 is the tool's median minus the echo's (the SDK and client
floor) minus the simulator's own time for the requests the tool made (timed separately with a
plain httpx client against the same in-process simulator): what is left is our validation,
LeTexto client, guard, store and result shaping, and the client checking our (rich) output
schema, which every SDK client does and which is timed on its own as well.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import Client, StdioServerParameters

from bench.bare_server import build_bare_server
from bench.calls import ECHO_ARGS, PREVIEW_ARGS, Call, interleaved, sandbox_server, tool_call
from bench.config import SANDBOX_ENV, BenchConfig
from bench.procs import bare_command, clean_env, ours_command
from bench.report import Figure
from bench.stats import Latency, median, ratio

SECTION = "per-call (tools/call latency)"
TARGET_MS = 1.0
ERAS = ("legacy", "auto")


@asynccontextmanager
async def simulator_calls(simulator: Any) -> AsyncIterator[dict[str, Call]]:
    """The simulator's own requests, made with a plain httpx client over ASGI (no client of ours).

    They are timed in the same interleaved loop as the tool calls, so the same noise hits both and
    their medians can be subtracted as the vendor's share.
    """
    from letexto_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_BASE_URL_IN_PROCESS

    transport = httpx.ASGITransport(app=simulator)
    async with httpx.AsyncClient(transport=transport, base_url=SANDBOX_BASE_URL_IN_PROCESS) as http:

        async def balance() -> None:
            (await http.get("/v1/users/balance", params={"token": SANDBOX_API_KEY})).raise_for_status()

        async def senders() -> None:
            bearer = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
            (await http.get("/v1/senders", headers=bearer)).raise_for_status()

        yield {"simulator balance": balance, "simulator senders": senders}


async def schema_check_ms(client: Client, name: str, arguments: dict[str, Any], count: int) -> float:
    """Median ms the SDK client spends checking one result of `name` against its output schema."""
    result = await tool_call(client, name, arguments)()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        await client.session.validate_tool_result(name, result)
        times.append(time.perf_counter() - started)
    return median(times) * 1000


async def in_memory(era: str, count: int) -> tuple[dict[str, Latency], dict[str, float]]:
    """Latencies of echo (bare), get_balance and preview_sms (ours), in process; requests per call.

    The second dict also holds, as `check:<tool>`, the ms the client spends on the output schema.
    """
    ours, simulator = sandbox_server()
    async with (
        Client(build_bare_server(), mode=era) as bare,
        Client(ours, mode=era) as client,
        simulator_calls(simulator) as vendor,
    ):
        requests_before = len(simulator.state.requests)
        await tool_call(client, "get_balance")()
        balance_requests = len(simulator.state.requests) - requests_before
        await tool_call(client, "preview_sms", PREVIEW_ARGS)()
        preview_requests = len(simulator.state.requests) - requests_before - balance_requests
        times = await interleaved(
            {
                "echo": tool_call(bare, "echo", ECHO_ARGS),
                "get_balance": tool_call(client, "get_balance"),
                "preview_sms": tool_call(client, "preview_sms", PREVIEW_ARGS),
                **vendor,
            },
            count,
        )
        per_call: dict[str, float] = {"get_balance": balance_requests, "preview_sms": preview_requests}
        per_call["check:echo"] = await schema_check_ms(bare, "echo", ECHO_ARGS, count)
        per_call["check:get_balance"] = await schema_check_ms(client, "get_balance", {}, count)
        per_call["check:preview_sms"] = await schema_check_ms(client, "preview_sms", PREVIEW_ARGS, count)
    return {name: Latency.of(values) for name, values in times.items()}, per_call


async def over_stdio(era: str, count: int) -> dict[str, Latency]:
    """The same calls to `letexto-mcp serve --sandbox` and to the bare server, each a subprocess.

    The simulator's share is timed on a simulator in this process, in the same loop.
    """
    _, simulator = sandbox_server()
    with tempfile.TemporaryDirectory(prefix="letexto-bench-stdio-") as home:
        ours = StdioServerParameters(
            command=ours_command()[0],
            args=[*ours_command("serve", "--sandbox")[1:]],
            env=clean_env(Path(home), **SANDBOX_ENV),
        )
        bare_cmd = bare_command()
        bare = StdioServerParameters(command=bare_cmd[0], args=bare_cmd[1:], env=clean_env(Path(home)))
        async with (
            Client(bare, mode=era) as bare_client,
            Client(ours, mode=era) as client,
            simulator_calls(simulator) as vendor,
        ):
            times = await interleaved(
                {
                    "echo": tool_call(bare_client, "echo", ECHO_ARGS),
                    "get_balance": tool_call(client, "get_balance"),
                    "preview_sms": tool_call(client, "preview_sms", PREVIEW_ARGS),
                    **vendor,
                },
                count,
            )
    return {name: Latency.of(values) for name, values in times.items()}


async def _profile(name: str, arguments: dict[str, Any], count: int) -> Figure:
    """Own time per call by package (cProfile, so inflated; compare the shares, not the sums)."""
    from bench.callprofile import profile_calls

    by_package = await profile_calls(name, arguments, count)
    top = ", ".join(f"{package} {ms:.2f}" for package, ms in list(by_package.items())[:10])
    ours = sum(
        ms
        for package, ms in by_package.items()
        if package.startswith("letexto_mcp") and package != "letexto_mcp.sandbox"
    )
    return Figure(
        SECTION,
        f"profile: {name} in memory, own time in letexto_mcp but the simulator (cProfile)",
        ours,
        "ms",
        note=f"by package, ms per call under cProfile: {top}",
        details={"by_package_ms": {k: round(v, 4) for k, v in by_package.items()}},
    )


def figures_for(where: str, lat: dict[str, Latency], requests: dict[str, float]) -> list[Figure]:
    """Rows for one transport: the floor, each tool beside it, and what our own code adds at p50."""
    floor = lat["echo"]
    balance, senders = lat["simulator balance"].p50, lat["simulator senders"].p50
    rows = [
        Figure(
            SECTION,
            f"{where}: echo, bare server (floor) p50",
            floor.p50,
            "ms",
            note=f"p99 {floor.p99:.2f} ms over {floor.count} calls; simulator alone (httpx over ASGI, same "
            f"loop): balance {balance:.2f} ms, senders {senders:.2f} ms at p50",
            details={"echo": floor.as_dict()},
        )
    ]
    vendor_ms = {
        "get_balance": balance * requests.get("get_balance", 1),
        "preview_sms": balance + senders * max(0, requests.get("preview_sms", 2) - 1),
    }
    for tool in ("get_balance", "preview_sms"):
        tool_lat = lat[tool]
        ours_ms = tool_lat.p50 - floor.p50 - vendor_ms[tool]
        rows.append(
            Figure(
                SECTION,
                f"{where}: {tool} p50",
                tool_lat.p50,
                "ms",
                reference=floor.p50,
                reference_name="echo",
                ratio=ratio(tool_lat.p50, floor.p50),
                note=f"p99 {tool_lat.p99:.2f} ms (echo {floor.p99:.2f}); {requests.get(tool, 0):.0f} "
                f"simulator request(s), {vendor_ms[tool]:.2f} ms of simulator time",
                details={tool: tool_lat.as_dict(), "simulator_ms": vendor_ms[tool]},
            )
        )
        check = requests.get(f"check:{tool}", 0.0) - requests.get("check:echo", 0.0)
        rows.append(
            Figure(
                SECTION,
                f"{where}: {tool}, our code at p50",
                ours_ms,
                "ms",
                target=f"< {TARGET_MS:g} ms",
                met=ours_ms < TARGET_MS,
                note=f"of which {check:.2f} ms is the client checking our output schema (beyond echo's)",
            )
        )
    return rows


def run(cfg: BenchConfig) -> list[Figure]:
    count = cfg.pick(1000, 60)
    stdio_count = cfg.pick(500, 40)

    async def measure() -> list[Figure]:
        rows: list[Figure] = []
        requests: dict[str, float] = {}
        for era in ERAS:
            lat, requests = await in_memory(era, count)
            rows += figures_for(f"in memory ({era})", lat, requests)
        for era in ERAS:
            lat = await over_stdio(era, stdio_count)
            rows += figures_for(f"stdio ({era})", lat, requests)
        missed = [f for f in rows if f.met is False]
        if missed or not cfg.quick:
            rows.append(await _profile("preview_sms", PREVIEW_ARGS, cfg.pick(500, 50)))
        return rows

    return anyio.run(measure)
