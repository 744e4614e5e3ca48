"""Schemathesis against the live REST face: every operation, positive and negative cases.

The whole HTTP app runs under uvicorn on a loopback socket, on the simulator, with a client key;
schemathesis (its own command line, in a child process) reads the served OpenAPI document and runs
its examples, coverage and fuzzing phases with a bounded number of cases per operation. It checks
that nothing answers 5xx and that every response (status, content type, headers, body) is one the
document describes (see tests/schemathesis.toml for the two check settings and why). Afterwards
the simulator's own record shows that nothing was sent: under `approve` only a person can let a
send go, under `confirm` only a token the server issued, and a fuzzer has neither.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.approval_clients import APPROVER, APPROVER_KEY
from tests.http_helpers import KEY_A
from tests.rest_helpers import rest_server

pytestmark = pytest.mark.anyio
pytest.importorskip("schemathesis", reason="schemathesis needs Python 3.11 or later")

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES_PER_OPERATION = 20
# `approve` (the default policy) with the approval page reachable runs in every suite; `confirm` with
# the slow tests (each run takes about a minute).
POLICIES = {
    "approve": {"send_policy": "approve", "approver_keys": [f"{APPROVER}:{APPROVER_KEY}"]},
    "confirm": {"send_policy": "confirm"},
}


@pytest.mark.parametrize("policy", ["approve", pytest.param("confirm", marks=pytest.mark.slow)])
async def test_schemathesis_finds_no_failure_and_nothing_is_sent(
    simulator: Any, tmp_path: Path, policy: str
) -> None:
    report = tmp_path / "schemathesis.json"
    settings = {**POLICIES[policy], "rate_limit": 0, "max_body_bytes": 256 * 1024}
    async with rest_server(simulator, **settings) as base:
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(CONFIG),
            "run",
            f"{base}/api/v1/openapi.json",
            "--header",
            f"Authorization: Bearer {KEY_A}",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--seed",
            "20261126",
            "--workers",
            "1",
            "--report",
            "json",
            "--report-json-path",
            str(report),
            "--no-color",
        ]
        started = time.monotonic()
        with anyio.fail_after(300):
            done = await anyio.run_process(
                command,
                check=False,
                cwd=tmp_path,
                env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"},
            )
        seconds = time.monotonic() - started
    output = done.stdout.decode(errors="replace")
    assert done.returncode == 0, output[-6000:] + done.stderr.decode(errors="replace")[-2000:]
    result = json.loads(report.read_text())
    assert result["failures"] == [] and result["errors"] == []
    assert result["operations"] == {**result["operations"], "total": 9, "tested": 9, "errored": 0}
    assert all(
        phase["status"] == "success" for phase in result["phases"].values() if phase["skip_reason"] is None
    )
    cases = result["test_cases"]["generated"]
    assert cases >= 9 * 10
    print(f"schemathesis ({policy}): 9 operations, {cases} cases, {seconds:.0f} s")
    assert simulator.state.messages == []
    assert simulator.state.sms_campaigns == []
    assert simulator.state.email_campaigns == []
