"""`python -X importtime` read back: what our server imports that the bare SDK server does not.

Both servers are started for real (PYTHONPROFILEIMPORTTIME=1) and answer tools/list; the
modules only ours loads are summed by package (self time, median over runs), so the lead can
see which imports to make lazy.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from bench.procs import PROJECT_ROOT
from bench.rawstdio import RawStdioSession

_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def parse_importtime(text: str) -> dict[str, int]:
    """Module -> self time in microseconds, from `-X importtime` output."""
    found: dict[str, int] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if match:
            found[match.group(4)] = found.get(match.group(4), 0) + int(match.group(1))
    return found


def group_of(module: str) -> str:
    """Our packages by sub-package (`letexto_mcp.sandbox`), others by top-level name."""
    parts = module.split(".")
    if parts[0] == "letexto_mcp" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def profile_start(command: list[str], env: Mapping[str, str], workdir: Path) -> dict[str, int]:
    """Start `command` with import profiling on, wait for tools/list, return its import self times."""
    log = workdir / f"importtime-{len(list(workdir.glob('importtime-*')))}.log"
    with RawStdioSession(command, {**env, "PYTHONPROFILEIMPORTTIME": "1"}, log, PROJECT_ROOT) as session:
        session.initialize()
        session.request("tools/list")
    return parse_importtime(log.read_text(errors="replace"))


def extra_imports(ours: list[dict[str, int]], bare: list[dict[str, int]]) -> dict[str, dict[str, float]]:
    """Per package: median ms of self time over runs, for modules that only ours imports."""
    bare_modules = set().union(*bare) if bare else set()
    per_group: dict[str, list[float]] = defaultdict(list)
    per_module: dict[str, list[float]] = defaultdict(list)
    for run in ours:
        totals: dict[str, float] = defaultdict(float)
        for module, micros in run.items():
            if module in bare_modules:
                continue
            totals[group_of(module)] += micros / 1000
            per_module[module].append(micros / 1000)
        for group, ms in totals.items():
            per_group[group].append(ms)
    groups = {g: round(statistics.median(v), 1) for g, v in per_group.items()}
    modules = {m: round(statistics.median(v), 1) for m, v in per_module.items()}
    return {
        "by_package_ms": dict(sorted(groups.items(), key=lambda kv: -kv[1])),
        "top_modules_ms": dict(sorted(modules.items(), key=lambda kv: -kv[1])[:25]),
    }
