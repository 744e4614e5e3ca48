"""The benchmark harness works: `python -m bench --quick` runs every section and writes its figures.

The figures of a quick run mean little (tiny counts on a shared machine); this only proves the
harness runs end to end, so `make bench` does not rot between full runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cluster import haproxy_binary
from bench.postgres_server import postgres_bindir
from tests.reliability_helpers import PROJECT_ROOT, base_env

pytestmark = pytest.mark.slow

SECTIONS = {
    "start-up",
    "per-call",
    "HTTP under concurrency",
    "peer",
    "campaign scale",
    "memory",
    "campaign preview",
    "state store",
    "replicas behind HAProxy",
}


def test_quick_bench_runs_every_section(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    env = base_env(Path.home())  # the peer's npm cache lives under the real HOME
    postgres = os.environ.get("LETEXTO_TEST_POSTGRES_URL", "")
    if postgres:
        env["LETEXTO_BENCH_POSTGRES_URL"] = postgres
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "figures written to" in result.stdout
    figures = json.loads(out.read_text())["figures"]
    sections = {f["section"] for f in figures}
    for name in SECTIONS:
        assert any(section.startswith(name) for section in sections), (name, sections)
    failed = [f for f in figures if (f["note"] or "").startswith("failed")]
    assert failed == []
    skipped = [f for f in figures if f["value"] is None]
    may_skip = ("peer",) if postgres else ("peer", "state store")  # the store's PostgreSQL half
    if haproxy_binary() is None or postgres_bindir() is None:
        may_skip += ("replicas",)
    assert all(f["section"].startswith(may_skip) for f in skipped), skipped
    assert all(f["note"].startswith("skipped: ") for f in skipped)


def test_startup_ab_compares_a_commit_with_this_checkout_and_removes_its_worktree() -> None:
    before = subprocess.run(["git", "worktree", "list"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    result = subprocess.run(
        [sys.executable, "-m", "bench.startup_ab", "HEAD", "1"],
        cwd=PROJECT_ROOT,
        env=base_env(Path.home()),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert [line.split(":")[0].strip() for line in lines[:3]] == ["bare", "HEAD", "this"]
    assert lines[-1].startswith("this - HEAD: ") and lines[-1].endswith("ms per start (median of 1 pairs)")
    after = subprocess.run(["git", "worktree", "list"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert after.stdout == before.stdout  # the temporary worktree is gone
