"""The server killed with SIGKILL in the middle of a send, then started again.

Real processes only: the simulator is `letexto-mcp sandbox` on a loopback port, the server is
`letexto-mcp serve` over stdio with the sandbox key, policy `allow` and its state in a SQLite
file. A fault holds the send at the "vendor"; once the simulator has it, the server is killed.
Started again on the same state file, the same call (same idempotency key, then the same request
without one) must not reach LeTexto a second time, and the answer must say what happened: still
in progress, or outcome unknown; and the audit log keeps the killed attempt as `sending`.

Two holds: `latency` holds the request before the vendor handles it (the request is on the
wire; the vendor drops it when the connection dies), and `stall` lets the vendor handle it (the
message is sent, the simulator shows it) and then holds the answer: the worst case, where only
the server's own records stop a second send.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters

from bench.procs import listening_port
from letexto_mcp.sandbox import SANDBOX_API_KEY
from tests.mcp_helpers import ok
from tests.reliability_helpers import (
    ADMIN_HEADERS,
    PROJECT_ROOT,
    base_env,
    letexto_mcp_command,
)

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

HOLD = 4.0  # seconds the simulator holds the killed request
SEND = "/v1/messages/send"
CAMPAIGN = "/v1/campaigns/sms"
HOLDS = {
    "latency": {"kind": "latency", "delay": HOLD},  # held before the vendor reads it
    "stall": {"kind": "stall", "delay": HOLD},  # handled (sent), then the answer held
}


@dataclass
class Scenario:
    tool: str
    path: str
    arguments: dict[str, Any]


SCENARIOS = {
    "send_sms": Scenario(
        "send_sms", SEND, {"to": "07 07 12 34 56", "content": "Bonjour Awa, votre rendez-vous est confirmé."}
    ),
    "create_sms_campaign": Scenario(
        "create_sms_campaign",
        CAMPAIGN,
        {
            "label": "Relance avril",
            "content": "Bonjour {{name}}, votre colis vous attend.",
            "contacts": [
                {"phone": "07 07 12 34 56", "name": "Awa"},
                {"phone": "05 05 12 34 56", "name": "Koffi"},
                {"phone": "01 01 12 34 56", "name": "Aya"},
            ],
        },
    ),
}


@dataclass
class Sandbox:
    url: str
    process: subprocess.Popen[bytes]

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.url, headers=ADMIN_HEADERS, timeout=10) as http:
            answer = await http.request(method, f"/_sandbox{path}", json=body)
            answer.raise_for_status()
            return answer.json()

    async def requests_to(self, path: str) -> list[dict[str, Any]]:
        return [r for r in (await self.admin("GET", "/state"))["requests"] if r["path"].startswith(path)]

    async def sent(self) -> int:
        """Messages and campaigns the "vendor" accepted."""
        state = await self.admin("GET", "/state")
        return len(state["messages"]) + len(state["smsCampaigns"])


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    log = (tmp_path / "sandbox.log").open("wb")
    process = subprocess.Popen(
        letexto_mcp_command("sandbox", "--host", "127.0.0.1", "--port", "0"),
        env=base_env(tmp_path),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        cwd=PROJECT_ROOT,
    )
    try:
        yield Sandbox(f"http://127.0.0.1:{listening_port(process)}", process)
    finally:
        process.terminate()
        process.wait(10)
        log.close()


LEASE_SECONDS = 3  # the killed server's lease lapses this long after its last heartbeat


def server_params(tmp_path: Path, sandbox: Sandbox) -> StdioServerParameters:
    command = letexto_mcp_command("serve")
    env = base_env(
        tmp_path,
        LETEXTO_BASE_URL=sandbox.url,
        LETEXTO_API_TOKEN=SANDBOX_API_KEY,
        LETEXTO_SEND_POLICY="allow",
        LETEXTO_STATE_URL=f"sqlite:///{tmp_path / 'state.sqlite3'}",
        LETEXTO_DEFAULT_SENDER="SMS INFO",
        LETEXTO_TIMEOUT_SECONDS="60",
        LETEXTO_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    return StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=str(PROJECT_ROOT))


def server_pid() -> int:
    """The `letexto_mcp serve` process this test started (a child of this process)."""
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        with contextlib.suppress(OSError):
            for pid in (task / "children").read_text().split():
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if b"letexto_mcp" in cmdline and b"serve" in cmdline:
                    found.append(int(pid))
    assert len(found) == 1, f"expected one server process, found {found}"
    return found[0]


async def kill_mid_send(
    params: StdioServerParameters, sandbox: Sandbox, scenario: Scenario, key: str, *, vendor_sent: bool
) -> None:
    """Start the call, wait until the simulator holds it (and has sent it, if asked), SIGKILL the server."""
    killed: list[int] = []

    async def call_and_lose_the_server(client: Client) -> None:
        with contextlib.suppress(Exception):  # the server dies under it: any error is expected
            await client.call_tool(scenario.tool, {**scenario.arguments, "idempotency_key": key})

    with anyio.fail_after(60), contextlib.suppress(Exception):
        async with Client(params, mode="legacy") as client, anyio.create_task_group() as group:
            pid = server_pid()
            group.start_soon(call_and_lose_the_server, client)
            while not await sandbox.requests_to(scenario.path) or (vendor_sent and not await sandbox.sent()):
                await anyio.sleep(0.05)
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    assert killed, "the server was not killed"
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        os.waitpid(killed[0], 0)


@pytest.fixture
async def restarted(tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[Any]:
    """A factory: kill the server mid-send in `scenario`, then yield a client of a fresh server."""

    @contextlib.asynccontextmanager
    async def after_kill(scenario: Scenario, key: str, hold: str) -> AsyncIterator[Client]:
        params = server_params(tmp_path, sandbox)
        await sandbox.admin("POST", "/faults", {**HOLDS[hold], "path": scenario.path})
        await kill_mid_send(params, sandbox, scenario, key, vendor_sent=hold == "stall")
        await sandbox.admin("DELETE", "/faults")
        async with Client(params, mode="legacy") as client:
            yield client

    yield after_kill


@pytest.mark.parametrize("hold", list(HOLDS))
@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_after_a_kill_mid_send_nothing_is_sent_twice(
    restarted: Any, sandbox: Sandbox, name: str, hold: str
) -> None:
    scenario = SCENARIOS[name]
    key = f"kill-{name}"
    async with restarted(scenario, key, hold) as client:
        # Until the killed server's lease lapses its send counts as in progress (it might be a live
        # replica); then the restarted one settles it as unknown. Never sent again meanwhile.
        with anyio.fail_after(LEASE_SECONDS * 5):
            while True:
                with_key = await ok(client, scenario.tool, {**scenario.arguments, "idempotency_key": key})
                if with_key["status"] != "duplicate":
                    break
                assert "in progress" in with_key["message"], with_key
                await anyio.sleep(0.2)
        assert with_key["status"] == "outcome_unknown", with_key  # its process died: nobody knows
        assert "unknown" in with_key["message"]
        without_key = await ok(client, scenario.tool, scenario.arguments)
        assert without_key["status"] == "duplicate", without_key
        assert "may already have reached" in without_key["message"]
        await anyio.sleep(HOLD + 0.5)  # let the simulator finish with the killed request, whatever it does
        assert len(await sandbox.requests_to(scenario.path)) == 1
        assert await sandbox.sent() == (1 if hold == "stall" else 0)

        history = json.loads((await client.read_resource("letexto://sends/today")).contents[0].text)
        outcomes = [entry["outcome"] for entry in history["entries"]]
        # Newest first: the answers after the restart, then the killed attempt, written as `sending`
        # before it left and settled as unknown by the restarted server once its lease lapsed.
        assert outcomes[:2] == ["duplicate", "outcome_unknown"], outcomes
        assert set(outcomes[2:-1]) <= {"duplicate"} and outcomes[-1] == "outcome_unknown", outcomes
        killed = history["entries"][-1]
        assert "stopped before LeTexto answered (its lease lapsed)" in killed["detail"]

        other = {**scenario.arguments, "idempotency_key": f"{key}-new"}
        if name == "send_sms":
            other["to"] = "05 05 99 88 77"
        else:  # another campaign: other messages (a new label alone is the same send, see duplicates)
            other["label"] = "Relance mai"
            other["content"] = "Bonjour {{name}}, votre colis part demain."
        fresh = await ok(client, scenario.tool, other)
        assert fresh["status"] == "submitted", fresh  # the server serves new sends normally
