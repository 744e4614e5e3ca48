"""`letexto-mcp demo` (the README's first command) runs the whole walkthrough and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_walks_through_and_exits_zero(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "letexto_mcp", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = result.stdout
    for step in ("preview_sms", "UCS-2, 2 parts", "GSM-7 rewrite (1 part)", "status submitted", "DELIVERED"):
        assert step in out, step
    assert "status duplicate — nothing sent twice" in out
    assert "demo finished" in out
