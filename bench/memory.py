"""Memory: resident memory of an idle stdio server, and after 10,000 calls.

Ours runs as a user runs it, with a key, against the simulator in a separate process
(`letexto-mcp sandbox` on a loopback port), so the server's RSS holds only the server: calls
alternate get_balance and preview_sms. The bare echo server gets the same number of echo calls.
Growth is measured from the RSS after the first 1,000 calls (caches and pools warm) to the end.
In sandbox mode the embedded simulator keeps a record of its newest 10,000 requests (that is its
job: tests read them) and every message it "sent", so `serve --sandbox` grows until its request
log is full; it is shown too, as information.

The same run measures a multi-tenant HTTP server fed 10,000 distinct LeTexto keys (see
`bench.tenant_memory`), against the same simulator process.
"""

from __future__ import annotations

from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from bench import tenant_memory
from bench.calls import ECHO_ARGS, PREVIEW_ARGS, tool_call
from bench.config import SANDBOX_ENV, BenchConfig
from bench.procs import (
    bare_command,
    clean_env,
    listening_port,
    newest_child,
    ours_command,
    rss_mb,
    spawn,
    stop,
)
from bench.report import Figure
from bench.stats import linear_fit, ratio

SECTION = "memory (stdio server RSS)"
GROWTH_LIMIT_MB = 2.0
WARM_SHARE = 10
"""Growth is counted from the RSS after the first tenth of the calls (caches and pools warm)."""


async def rss_over_calls(
    params: StdioServerParameters, match: str, calls: list[Any], total: int
) -> dict[str, Any]:
    """RSS of the server idle, then every tenth of `total` calls; `calls` are made in turn."""
    async with Client(params, mode="legacy") as client:
        await client.list_tools()
        pid = newest_child(match)
        await anyio.sleep(1.0)
        idle = rss_mb(pid)
        made = [tool_call(client, name, args) for name, args in calls]
        samples: list[tuple[int, float]] = []
        step = max(1, total // WARM_SHARE)
        for i in range(1, total + 1):
            await made[i % len(made)]()
            if i % step == 0:
                samples.append((i, rss_mb(pid)))
    warm, end = samples[0][1], samples[-1][1]
    slope = linear_fit([n for n, _ in samples], [r for _, r in samples])[0]
    return {
        "idle_mb": idle,
        "warm_mb": warm,
        "end_mb": end,
        "growth_mb": end - warm,
        "slope_mb_per_1k": slope * 1000,
        "samples": samples,
    }


def run(cfg: BenchConfig) -> list[Figure]:
    total = cfg.pick(10_000, 400)
    home = cfg.workdir / "home-memory"
    home.mkdir(exist_ok=True)
    from letexto_mcp.sandbox.constants import SANDBOX_API_KEY

    simulator = spawn(
        ours_command("sandbox", "--host", "127.0.0.1", "--port", "0"),
        clean_env(home),
        cfg.workdir / "memory-sandbox.log",
    )
    try:
        port = listening_port(simulator)
        keyed = clean_env(
            home,
            LETEXTO_API_TOKEN=SANDBOX_API_KEY,
            LETEXTO_BASE_URL=f"http://127.0.0.1:{port}",
            LETEXTO_STATE_URL=f"sqlite:///{cfg.workdir / 'memory-state.sqlite3'}",
            LETEXTO_DEFAULT_SENDER="SMS INFO",
        )
        ours_cmd = ours_command("serve")
        bare_cmd = bare_command()
        ours_calls = [("get_balance", {}), ("preview_sms", PREVIEW_ARGS)]
        results = {
            "bare": anyio.run(
                rss_over_calls,
                StdioServerParameters(command=bare_cmd[0], args=bare_cmd[1:], env=clean_env(home)),
                "bare_server",
                [("echo", ECHO_ARGS)],
                total,
            ),
            "ours": anyio.run(
                rss_over_calls,
                StdioServerParameters(command=ours_cmd[0], args=ours_cmd[1:], env=keyed),
                "serve",
                ours_calls,
                total,
            ),
        }
        tenants = tenant_memory.measure(cfg, home, port)
        if not cfg.quick:
            sandboxed = ours_command("serve", "--sandbox")
            results["ours --sandbox"] = anyio.run(
                rss_over_calls,
                StdioServerParameters(
                    command=sandboxed[0], args=sandboxed[1:], env=clean_env(home, **SANDBOX_ENV)
                ),
                "serve",
                ours_calls,
                total,
            )
    finally:
        stop(simulator)
    return _figures(results, total) + tenants


def _figures(results: dict[str, dict[str, Any]], total: int) -> list[Figure]:
    bare, ours = results["bare"], results["ours"]
    warm = max(1, total // WARM_SHARE)
    rows = [
        Figure(SECTION, "bare: idle RSS", bare["idle_mb"], "MB", details=bare),
        Figure(
            SECTION,
            "ours (with a key): idle RSS",
            ours["idle_mb"],
            "MB",
            reference=bare["idle_mb"],
            reference_name="bare",
            ratio=ratio(ours["idle_mb"], bare["idle_mb"]),
            details=ours,
        ),
        Figure(
            SECTION,
            f"bare: RSS growth, calls {warm:,} -> {total:,}",
            bare["growth_mb"],
            "MB",
            note=f"{bare['warm_mb']:.1f} -> {bare['end_mb']:.1f} MB",
        ),
        Figure(
            SECTION,
            f"ours: RSS growth, calls {warm:,} -> {total:,}",
            ours["growth_mb"],
            "MB",
            reference=bare["growth_mb"],
            reference_name="bare",
            target=f"<= {GROWTH_LIMIT_MB:g} MB",
            met=ours["growth_mb"] <= GROWTH_LIMIT_MB,
            note=f"{ours['warm_mb']:.1f} -> {ours['end_mb']:.1f} MB; slope "
            f"{ours['slope_mb_per_1k']:.3f} MB per 1,000 calls (get_balance and preview_sms in turn)",
        ),
    ]
    if "ours --sandbox" in results:
        sandboxed = results["ours --sandbox"]
        rows.append(
            Figure(
                SECTION,
                f"ours --sandbox: RSS growth, calls {warm:,} -> {total:,}",
                sandboxed["growth_mb"],
                "MB",
                note="information: the embedded simulator logs its newest 10,000 requests "
                f"(idle {sandboxed['idle_mb']:.1f} MB, slope {sandboxed['slope_mb_per_1k']:.3f} MB "
                "per 1,000 calls)",
                details=sandboxed,
            )
        )
    return rows
