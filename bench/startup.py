"""Start-up: process start to the answer of tools/list, ours against the bare SDK server.

Each run starts a fresh process and does the 2025-11-25 handshake by hand (see rawstdio), so no
client start-up is counted. Runs are interleaved (bare, ours, ours with a key, bare, ...) so
that the machine's noise hits every server alike; medians are compared. When ours misses its
target, the run also profiles where the time goes: phases in one process, and the imports that
only ours pays for.
"""

from __future__ import annotations

import compileall
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.config import SANDBOX_ENV, BenchConfig
from bench.importprofile import extra_imports, profile_start
from bench.procs import PROJECT_ROOT, bare_command, clean_env, ours_command, refusing_port
from bench.rawstdio import RawStdioSession
from bench.report import Figure
from bench.stats import median, ratio

SECTION = "start-up (stdio: process start -> tools/list answered)"
TARGET = 1.15


def time_to_tools_list(command: list[str], env: dict[str, str], log: Path) -> tuple[float, int]:
    """Seconds from spawning `command` to the tools/list answer, and how many tools it listed."""
    with RawStdioSession(command, env, log, PROJECT_ROOT) as session:
        session.initialize()
        tools = session.request("tools/list")["tools"]
        return time.perf_counter() - session.started, len(tools)


def variants(workdir: Path, nowhere_port: int) -> dict[str, tuple[list[str], dict[str, str]]]:
    """The servers started: the floor, ours in sandbox mode, ours as a user with a key runs it
    (its LeTexto at `nowhere_port`, where connections are refused)."""
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    return {
        "bare": (bare_command(), clean_env(home)),
        "ours --sandbox": (ours_command("serve", "--sandbox"), clean_env(home, **SANDBOX_ENV)),
        "ours with a key": (
            ours_command("serve"),
            keyed_env(home, workdir / "startup-state.sqlite3", nowhere_port),
        ),
    }


def keyed_env(home: Path, state_file: Path, nowhere_port: int, **extra: str) -> dict[str, str]:
    """Ours as a user with a key runs it: LeTexto at `nowhere_port` (refused), state in `state_file`."""
    return clean_env(
        home,
        LETEXTO_API_TOKEN="lt_bench_not_a_real_key_0000",
        LETEXTO_BASE_URL=f"http://127.0.0.1:{nowhere_port}",
        LETEXTO_STATE_URL=f"sqlite:///{state_file}",
        **extra,
    )


def compile_bytecode(tree: Path = PROJECT_ROOT) -> None:
    """Write the package's .pyc files in `tree`, as an installed copy has them (pip compiles at install,
    and Python writes them at the first start): the servers run with PYTHONDONTWRITEBYTECODE=1, so
    without this step a checkout would compile every module at every start and the figure would
    grow with the size of our source rather than with what a start does."""
    compileall.compile_dir(str(tree / "letexto_mcp"), quiet=1)


def phases(which: str, env: dict[str, str], runs: int) -> dict[str, float]:
    """Median ms per phase of `bench.startup_phases` over `runs` fresh interpreters."""
    samples: list[dict[str, float]] = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-m", "bench.startup_phases", which],
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {name: round(median([s[name] for s in samples]), 1) for name in samples[0]}


def run(cfg: BenchConfig) -> list[Figure]:
    with refusing_port() as nowhere:
        return _run(cfg, variants(cfg.workdir, nowhere))


def _run(cfg: BenchConfig, servers: dict[str, tuple[list[str], dict[str, str]]]) -> list[Figure]:
    runs = cfg.pick(11, 2)
    log = cfg.workdir / "startup.log"
    times: dict[str, list[float]] = {name: [] for name in servers}
    tools: dict[str, int] = {}
    compile_bytecode()
    if not cfg.quick:
        for command, env in servers.values():  # one warm-up each: the page cache
            time_to_tools_list(command, env, log)
    for _ in range(runs):
        for name, (command, env) in servers.items():
            seconds, tools[name] = time_to_tools_list(command, env, log)
            times[name].append(seconds)

    floor = median(times["bare"]) * 1000
    figures = [
        Figure(
            SECTION, "bare MCPServer, 1 tool (floor)", floor, "ms", details={"runs_ms": _ms(times["bare"])}
        )
    ]
    missed: list[str] = []
    for name in ("ours --sandbox", "ours with a key"):
        value = median(times[name]) * 1000
        share = ratio(value, floor)
        met = share <= TARGET
        if not met:
            missed.append(name)
        figures.append(
            Figure(
                SECTION,
                f"{name} ({tools[name]} tools)",
                value,
                "ms",
                reference=floor,
                reference_name="bare",
                ratio=share,
                target=f"<= {TARGET}x",
                met=met,
                note=f"adds {value - floor:.0f} ms",
                details={"runs_ms": _ms(times[name])},
            )
        )
    bare_runs: list[dict[str, int]] = []
    for name in missed[:1] if cfg.quick else missed:
        figures.append(_profile(cfg, servers, name, bare_runs, runs=cfg.pick(3, 1)))
    return figures


def _profile(
    cfg: BenchConfig,
    servers: dict[str, tuple[list[str], dict[str, str]]],
    name: str,
    bare_runs: list[dict[str, int]],
    runs: int,
) -> Figure:
    """Where `name` spends its extra start-up time: phases, and imports the bare server does not need."""
    ours_cmd, ours_env = servers[name]
    bare_cmd, bare_env = servers["bare"]
    ours_runs = [profile_start(ours_cmd, ours_env, cfg.workdir) for _ in range(runs)]
    if not bare_runs:  # measured once, shared by every variant profiled
        bare_runs.extend(profile_start(bare_cmd, bare_env, cfg.workdir) for _ in range(runs))
    imports = extra_imports(ours_runs, bare_runs)
    ours_phases = phases("ours", ours_env, runs)
    bare_phases = phases("bare", bare_env, runs)
    by_package = imports["by_package_ms"]
    total_extra = round(sum(by_package.values()), 1)
    top = ", ".join(f"{name} {ms:.0f}" for name, ms in list(by_package.items())[:8])
    extra_phases = {k: v for k, v in ours_phases.items() if not k.startswith("import SDK")}
    shown = ", ".join(f"{k} {v:.0f}" for k, v in extra_phases.items() if k != "total in process")
    details: dict[str, Any] = {
        "imports_only_ours": imports,
        "phases_ours_ms": ours_phases,
        "phases_bare_ms": bare_phases,
    }
    return Figure(
        SECTION,
        f"profile, {name}: imports only ours loads (self time)",
        total_extra,
        "ms",
        note=f"by package (ms): {top}. Phases in one process (ms): {shown}",
        details=details,
    )


def _ms(values: list[float]) -> list[float]:
    return [round(v * 1000, 1) for v in values]
