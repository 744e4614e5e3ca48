"""Start-up of this checkout against an earlier commit, in one run: `python -m bench.startup_ab REF [N]`.

The `startup` section compares us with the bare SDK server; on this shared machine its ratio moves
by ±0.1 between runs, more than a change to our code moves it. To tell whether a change made
start-up slower, this starts the bare server, REF's server and ours in turn, N times each (default
31), every one with a key as a desktop user runs it and with its bytecode compiled, and prints the
medians and the paired difference. REF is checked out in a temporary git worktree, removed after.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from bench.procs import PROJECT_ROOT, bare_command, clean_env, refusing_port
from bench.startup import compile_bytecode, keyed_env, time_to_tools_list
from bench.stats import median, ratio


def _tree_env(tree: Path, work: Path, nowhere_port: int) -> dict[str, str]:
    """Run `python -m letexto_mcp` from `tree` (PYTHONPATH comes before the editable install), with a
    home and state file of its own (an older tree refuses a state file a newer one migrated)."""
    home = work / f"home-{tree.name}"
    home.mkdir(exist_ok=True)
    return keyed_env(home, work / f"state-{tree.name}.sqlite3", nowhere_port, PYTHONPATH=str(tree))


def compare(ref: str, runs: int, work: Path) -> dict[str, list[float]]:
    """Milliseconds to tools/list for `bare`, `ref` and `this`, interleaved."""
    earlier = work / "earlier"
    git = ["git", "-C", str(PROJECT_ROOT)]
    subprocess.run([*git, "worktree", "add", "--detach", str(earlier), ref], check=True, capture_output=True)
    try:
        compile_bytecode(earlier)
        compile_bytecode()
        command = [sys.executable, "-m", "letexto_mcp", "serve"]
        times: dict[str, list[float]] = {"bare": [], ref: [], "this": []}
        with refusing_port() as nowhere:
            servers = {
                "bare": (bare_command(), clean_env(work)),
                ref: (command, _tree_env(earlier, work, nowhere)),
                "this": (command, _tree_env(PROJECT_ROOT, work, nowhere)),
            }
            for command_env in servers.values():  # warm-up: the page cache, each state file created
                time_to_tools_list(*command_env, work / "warm-up.log")
            for _ in range(runs):
                for name, (cmd, env) in servers.items():
                    seconds, _ = time_to_tools_list(cmd, env, work / f"{name}.log")
                    times[name].append(seconds * 1000)
        return times
    finally:
        remove = [*git, "worktree", "remove", "--force", str(earlier)]
        subprocess.run(remove, check=False, capture_output=True)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    ref, runs = argv[0], int(argv[1]) if len(argv) > 1 else 31
    with tempfile.TemporaryDirectory(prefix="letexto-startup-ab-") as tmp:
        times = compare(ref, runs, Path(tmp))
    floor = median(times["bare"])
    for name, values in times.items():
        print(f"{name:>12}: {median(values):7.1f} ms  {ratio(median(values), floor):.3f}x bare")
    paired = [new - old for new, old in zip(times["this"], times[ref], strict=True)]
    print(f"this - {ref}: {median(paired):+.1f} ms per start (median of {runs} pairs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
