"""`letexto-mcp serve --transport http` as a user starts it: a subprocess, a real client, its real log."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest

from bench.procs import reserved_port
from letexto_mcp.sandbox import SANDBOX_API_KEY
from tests.http_helpers import KEY_A, headers_for, mcp_client
from tests.mcp_helpers import ok

pytestmark = pytest.mark.anyio

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), **extra}


def test_non_loopback_bind_without_keys_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "letexto_mcp",
            "serve",
            "--transport",
            "http",
            "--host",
            "0.0.0.0",
            "--sandbox",
        ],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert "LETEXTO_MCP_API_KEYS" in result.stderr and "--trusted-proxy" in result.stderr
    assert result.stdout == ""


@pytest.fixture
def public_port() -> Iterator[int]:
    """The server's port, known before it starts (LETEXTO_PUBLIC_URL names it) and held until it ends."""
    with reserved_port() as port:
        yield port


async def test_served_over_http_with_a_clean_log(tmp_path: Path, public_port: int) -> None:
    port = public_port
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "stderr.log"
    env = _env(
        tmp_path,
        LETEXTO_MCP_API_KEYS=KEY_A,
        LETEXTO_PUBLIC_URL=base,
        LETEXTO_STATE_URL=f"sqlite:///{tmp_path / 'state.sqlite3'}",
        LETEXTO_LOG_LEVEL="INFO",
        LETEXTO_SEND_POLICY="confirm",
    )
    command = [
        sys.executable,
        "-m",
        "letexto_mcp",
        "serve",
        "--transport",
        "http",
        "--sandbox",
        "--port",
        str(port),
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL
        )
    try:
        async with httpx2.AsyncClient() as http:
            with anyio.fail_after(30):
                while True:
                    assert process.poll() is None, log_path.read_text()
                    try:
                        if (await http.get(f"{base}/healthz")).status_code == 200:
                            break
                    except httpx2.TransportError:
                        await anyio.sleep(0.05)
            forged = await http.post(
                f"{base}/dlr/Zm9yZ2Vk.bm9uY2U.c2lnbmF0dXJl", json={"id": "x", "status": "SENT"}
            )
            leaky = await http.get(f"{base}/mcp?token={KEY_A}", headers=headers_for(KEY_A + "0"))
        async with mcp_client(f"{base}/mcp", key=KEY_A, mode="legacy") as client:
            first = await ok(client, "send_sms", AWA)
            sent = await ok(client, "send_sms", {**AWA, "confirmation_token": first["confirmation_token"]})
            status = await ok(client, "get_message_status", {"message_id": sent["message_id"]})
    finally:
        process.send_signal(signal.SIGINT)
        try:
            stdout, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, _ = process.communicate()
    log = log_path.read_text()
    assert forged.status_code == 403 and leaky.status_code == 401
    assert sent["status"] == "submitted" and status["message_id"] == sent["message_id"]
    assert stdout == b""
    assert '"POST /mcp HTTP/1.1" 200' in log  # the access log is on
    assert "/dlr/*** " in log
    for secret in (KEY_A, SANDBOX_API_KEY, first["confirmation_token"], "Zm9yZ2Vk.bm9uY2U"):
        assert secret not in log
    assert not re.search(r"/dlr/(?!\*\*\*)", log)
