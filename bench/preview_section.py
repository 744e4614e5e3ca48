"""The campaign-preview benchmark of `bench/bench_preview.py`, run as a section of the suite.

It times `parse_contacts + plan_campaign` against the naive way (every number through
phonenumbers) on the same contacts, in this process; its own table goes to stderr, its JSON
figures become rows here.
"""

from __future__ import annotations

import contextlib
import json
import sys

from bench import bench_preview
from bench.config import BenchConfig
from bench.report import Figure

SECTION = "campaign preview, sms/ alone (bench_preview: fast path vs naive phonenumbers)"
SPEED_TARGET = 4.0
PEAK_TARGET_MB = 200.0


def run(cfg: BenchConfig) -> list[Figure]:
    sizes = "1000,10000" if cfg.quick else "1000,10000,100000"
    out = cfg.workdir / "bench_preview.json"
    with contextlib.redirect_stdout(sys.stderr):
        bench_preview.main(["--sizes", sizes, "--runs", str(cfg.pick(5, 1)), "--json", str(out)])
    figures: list[Figure] = []
    for row in json.loads(out.read_text())["rows"]:
        n = row["contacts"]
        figures.append(
            Figure(
                SECTION,
                f"{n:,} contacts: fast preview",
                row["fast_s"] * 1000,
                "ms",
                reference=row["naive_s"] * 1000,
                reference_name="naive",
                ratio=row["fast_s"] / row["naive_s"] if row["naive_s"] else None,
                target=f"naive >= {SPEED_TARGET:g}x slower" if n == 100_000 else "",
                met=(row["ratio"] >= SPEED_TARGET) if n == 100_000 else None,
                note=f"{row['fast_us_per_contact']:.2f} µs/contact, tracemalloc peak {row['peak_mb']:.0f} MB",
                details=row,
            )
        )
        if n == 100_000:
            figures.append(
                Figure(
                    SECTION,
                    "100,000 contacts: peak memory (tracemalloc)",
                    row["peak_mb"],
                    "MB",
                    target=f"< {PEAK_TARGET_MB:g} MB",
                    met=row["peak_mb"] < PEAK_TARGET_MB,
                )
            )
    return figures
