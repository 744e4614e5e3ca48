"""Campaign scale: preview and submit a personalised campaign of 1,000 / 10,000 / 100,000 contacts.

Through the MCP tools in memory (the 2025-11-25 transport, so arguments and results cross a
real JSON-RPC session), policy `allow`, to the in-process simulator. Each size runs in a fresh
process (`python -m bench.campaign --child N`), so its peak memory (VmHWM above the RSS before
the call) is its own; the submit's peak includes the simulator's (which keeps every rendered
message, as the vendor would), so the simulator alone is measured too, on the same body, for
time and for memory. Growth should be linear: the section fits a line through the sizes and reports the
per-contact slope and how far the largest size strays from the smallest one's per-contact cost.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from bench.config import BenchConfig
from bench.procs import PROJECT_ROOT
from bench.report import Figure
from bench.stats import linear_fit, median, ratio

SECTION = "campaign scale (in memory, policy allow, simulator in process)"
LINEARITY_LIMIT = 1.5


async def _child(size: int, runs: int) -> dict[str, Any]:
    import httpx
    from mcp import Client

    from bench.bench_preview import TEMPLATE, build_items
    from bench.calls import sandbox_server, tool_call
    from bench.procs import peak_rss_mb, reset_peak_rss, rss_mb
    from letexto_mcp.sandbox import SANDBOX_API_KEY, SANDBOX_BASE_URL_IN_PROCESS
    from letexto_mcp.sms.contacts import parse_contacts
    from letexto_mcp.sms.templates import vendor_template

    items = build_items(size)
    server, simulator = sandbox_server(
        send_policy="allow", max_recipients=1_000_000, sends_per_minute=10_000, duplicate_window_seconds=0
    )
    figures: dict[str, Any] = {"contacts": size, "payload_mb": len(json.dumps(items)) / 1e6}
    async with Client(server, mode="legacy") as client:
        await tool_call(client, "preview_sms", {"content": TEMPLATE, "contacts": build_items(20)})()
        await tool_call(
            client,
            "create_sms_campaign",
            {"label": "warm-up", "content": TEMPLATE, "contacts": build_items(20)},
        )()
        gc.collect()
        base = rss_mb("self")
        peaks_ok = reset_peak_rss()
        preview_times = []
        for _ in range(runs):
            started = time.perf_counter()
            result = await tool_call(client, "preview_sms", {"content": TEMPLATE, "contacts": items})()
            preview_times.append(time.perf_counter() - started)
            del result
        figures["preview_peak_mb"] = peak_rss_mb() - base if peaks_ok else None
        submit_times = []
        for run in range(runs):
            simulator.state.reset()  # each run starts from the same vendor state (the last one is kept)
            gc.collect()
            base = rss_mb("self")
            reset_peak_rss()
            arguments = {"label": f"bench {size} #{run}", "content": TEMPLATE, "contacts": items}
            started = time.perf_counter()
            result = await tool_call(client, "create_sms_campaign", arguments)()
            submit_times.append(time.perf_counter() - started)
            if run == 0:
                figures["submit_peak_mb"] = peak_rss_mb() - base if peaks_ok else None
            status = (result.structured_content or {}).get("status")
            if status != "submitted":
                raise RuntimeError(f"campaign of {size} not submitted: {result.structured_content}")
            del result
    figures["recipients"] = simulator.state.sms_campaigns[-1].contact_count
    body = {
        "label": "simulator alone",
        "sender": "SMS INFO",
        "content": vendor_template(TEMPLATE),
        "contacts": [{"numero": c.phone, **c.fields} for c in parse_contacts(items).contacts],
    }
    vendor_times = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=simulator), base_url=SANDBOX_BASE_URL_IN_PROCESS
    ) as http:
        for run in range(runs):
            simulator.state.reset()
            gc.collect()
            base = rss_mb("self")
            reset_peak_rss()
            started = time.perf_counter()
            answer = await http.post(
                "/v1/campaigns/sms", json=body, headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"}
            )
            vendor_times.append(time.perf_counter() - started)
            if run == 0:
                figures["simulator_peak_mb"] = peak_rss_mb() - base if peaks_ok else None
            answer.raise_for_status()
    figures.update(
        preview_s=median(preview_times),
        submit_s=median(submit_times),
        simulator_s=median(vendor_times),
        runs=runs,
    )
    return figures


def measure_size(size: int, runs: int) -> dict[str, Any]:
    """One size in a fresh interpreter; its figures as a dict."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.campaign", "--child", str(size), "--runs", str(runs)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if out.returncode != 0:
        raise RuntimeError(f"campaign of {size} failed: {out.stderr[-1500:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run(cfg: BenchConfig) -> list[Figure]:
    sizes = [1_000, 10_000] if cfg.quick else [1_000, 10_000, 100_000]
    runs = cfg.pick(3, 1)
    rows = [measure_size(size, runs) for size in sizes]
    figures: list[Figure] = []
    for row in rows:
        n = row["contacts"]
        ours_submit = row["submit_s"] - row["simulator_s"]
        figures.append(
            Figure(
                SECTION,
                f"{n:,} contacts: preview_sms",
                row["preview_s"] * 1000,
                "ms",
                note=f"{row['preview_s'] / n * 1e6:.1f} µs/contact; peak +{_mb(row['preview_peak_mb'])} MB; "
                f"arguments {row['payload_mb']:.1f} MB of JSON",
                details=row,
            )
        )
        figures.append(
            Figure(
                SECTION,
                f"{n:,} contacts: create_sms_campaign",
                row["submit_s"] * 1000,
                "ms",
                reference=row["simulator_s"] * 1000,
                reference_name="simulator alone",
                ratio=ratio(row["submit_s"], row["simulator_s"]),
                note=f"ours {ours_submit * 1000:.0f} ms = {ours_submit / n * 1e6:.1f} µs/contact; "
                f"peak +{_mb(row['submit_peak_mb'])} MB "
                f"(simulator alone +{_mb(row['simulator_peak_mb'])} MB)",
            )
        )
    figures += _growth(rows)
    return figures


def _growth(rows: list[dict[str, Any]]) -> list[Figure]:
    """Slopes through the sizes, and how linear the growth is (largest vs smallest per-contact cost)."""
    xs = [float(r["contacts"]) for r in rows]
    out: list[Figure] = []
    series = {
        "preview time": ([r["preview_s"] * 1e6 for r in rows], "µs/contact"),
        "submit time (ours, simulator excluded)": (
            [(r["submit_s"] - r["simulator_s"]) * 1e6 for r in rows],
            "µs/contact",
        ),
        "preview peak memory": ([(r["preview_peak_mb"] or 0) * 1024 for r in rows], "KB/contact"),
        "submit peak memory": ([(r["submit_peak_mb"] or 0) * 1024 for r in rows], "KB/contact"),
    }
    for name, (ys, unit) in series.items():
        slope, _, r2 = linear_fit(xs, ys)
        growth = ratio(ys[-1] / xs[-1], ys[0] / xs[0]) if ys[0] > 0 else float("nan")
        is_time = unit.startswith("µs")
        out.append(
            Figure(
                SECTION,
                f"slope: {name}",
                slope,
                unit,
                ratio=growth if is_time else None,
                target=f"per-contact cost at {int(xs[-1]):,} <= {LINEARITY_LIMIT}x at {int(xs[0]):,}"
                if is_time
                else "",
                met=(growth <= LINEARITY_LIMIT) if is_time else None,
                note=f"fit r² {r2:.3f}; ratio = per-contact cost at the largest size / at the smallest",
            )
        )
    return out


def _mb(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}"


def _main(argv: Sequence[str] | None = None) -> int:
    import anyio

    parser = argparse.ArgumentParser(description="one campaign size, in this process (used by the bench)")
    parser.add_argument("--child", type=int, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(anyio.run(_child, args.child, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
