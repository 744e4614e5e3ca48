"""`python -m bench`: every benchmark, a table of figures beside their references, and a JSON file.

    python -m bench                      # the full run (about 10 minutes on 2 cores)
    python -m bench --quick              # a smoke run (under a minute): proves the harness works
    python -m bench --only startup,http  # some sections
    python -m bench --only store         # state store latency (LETEXTO_BENCH_POSTGRES_URL for PostgreSQL)
    python -m bench --only replicas      # sends/s through one and two replicas behind HAProxy
    python -m bench --json PATH          # where the figures go (default bench/results/latest.json)

The machine is shared and noisy: every figure is a median (or a percentile) measured beside a
reference from the same run, and targets are ratios to that reference, never absolute times.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from bench.config import BenchConfig
from bench.report import Figure, format_table, load_average, machine, write_json

SECTIONS: dict[str, str] = {
    "startup": "bench.startup",
    "per-call": "bench.per_call",
    "http": "bench.http_load",
    "peer": "bench.peer",
    "campaign": "bench.campaign",
    "memory": "bench.memory",
    "preview": "bench.preview_section",
    "store": "bench.store_section",
    "replicas": "bench.replicas",
}
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: small counts, under a minute")
    parser.add_argument("--only", default="", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the figures")
    return parser


def run_sections(names: Sequence[str], cfg: BenchConfig) -> list[Figure]:
    """Run each section; one that crashes is reported as a figure, never silently dropped."""
    figures: list[Figure] = []
    for name in names:
        started = time.monotonic()
        print(f"-- {name} ...", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(SECTIONS[name])
            found = module.run(cfg)
        except Exception as error:
            traceback.print_exc()
            found = [Figure(name, "benchmark", None, "", note=f"failed: {type(error).__name__}: {error}")]
        print(format_table(found), file=sys.stderr, flush=True)
        print(f"   ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
        figures.extend(found)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    kept = ("LETEXTO_BENCH_", "LETEXTO_TEST_")  # where the benchmark's own services are
    for name in [n for n in os.environ if n.startswith("LETEXTO_") and not n.startswith(kept)]:
        del os.environ[name]  # never measure a developer's own configuration
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        print(f"unknown section(s): {', '.join(unknown)}; use {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    started = datetime.now(timezone.utc)
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="letexto-bench-") as scratch:
        figures = run_sections(names, BenchConfig(quick=args.quick, workdir=Path(scratch)))
    meta = {
        "command": "python -m bench"
        + (" --quick" if args.quick else "")
        + (f" --only {args.only}" if args.only else ""),
        "started": started.isoformat(timespec="seconds"),
        "duration_s": round((datetime.now(timezone.utc) - started).total_seconds()),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "machine": machine(),
    }
    m = meta["machine"]
    print(f"letexto-mcp benchmarks ({meta['command']}), {meta['started']}, {meta['duration_s']} s")
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}")
    print(
        f"Python {m['python']}, mcp {m['mcp_sdk']}; load average before {load_before[0]:.2f}, "
        f"after {meta['load_average_after'][0]:.2f}\n"
    )
    print(format_table(figures))
    write_json(args.json, figures, meta)
    print(f"figures written to {args.json}")
    failed = [f for f in figures if f.note.startswith("failed")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
