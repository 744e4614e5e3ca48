"""The real command over stdio, as Claude Desktop starts it: a subprocess and a real MCP client."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from tests.mcp_helpers import initialize_request, ok

pytestmark = pytest.mark.anyio


def _params(tmp_path: Any, **env: str) -> StdioServerParameters:
    base = {
        "LETEXTO_SANDBOX": "1",
        "LETEXTO_STATE_URL": f"sqlite:///{tmp_path / 'state.sqlite3'}",
        "LETEXTO_SEND_POLICY": "confirm",  # the caller's approval; the person's has tests of its own
        "HOME": str(tmp_path),
    }
    return StdioServerParameters(
        command=sys.executable, args=["-m", "letexto_mcp", "serve", "--sandbox"], env={**base, **env}
    )


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_stdio_preview_confirm_send_and_status(tmp_path: Any, mode: str) -> None:
    async with Client(_params(tmp_path), mode=mode) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {"send_sms", "preview_sms", "get_balance"} <= tools
        balance = (await ok(client, "get_balance"))["balance"]
        awa = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}
        preview = await ok(client, "preview_sms", awa)
        assert preview["cost"]["credits"] == 1
        first = await ok(client, "send_sms", awa)
        assert first["status"] == "confirmation_required"
        sent = await ok(client, "send_sms", {**awa, "confirmation_token": first["confirmation_token"]})
        assert sent["status"] == "submitted"
        status = await ok(client, "get_message_status", {"message_id": sent["message_id"]})
        assert status["status"] in {"PENDING", "SENT", "DELIVERED"}
        assert (await ok(client, "get_balance"))["balance"] == balance - 1


async def test_stdio_without_a_key_fails_with_a_clear_message(tmp_path: Any) -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "letexto_mcp", "serve"],
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert "LETEXTO_API_TOKEN" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_stdio_like_claude_desktop_approval_then_delivery(tmp_path: Any, mode: str) -> None:
    """Preview, approval asked by the client, send, then the status reaches DELIVERED."""
    import anyio
    import mcp_types as types

    asked: list[str] = []

    async def approve(context: Any, params: Any) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"approve": True})

    async with Client(_params(tmp_path), mode=mode, elicitation_callback=approve) as client:
        awa = {"to": "+225 07 07 12 34 56", "content": "La réunion est à 15h."}
        preview = await ok(client, "preview_sms", awa)
        assert preview["ready"] is True
        sent = await ok(client, "send_sms", awa)
        assert sent["status"] == "submitted", sent
        assert len(asked) == 1 and "2250707123456" in asked[0]
        seen = []
        with anyio.fail_after(30):
            while not seen or seen[-1] not in {"DELIVERED", "FAILED"}:
                status = await ok(client, "get_message_status", {"message_id": sent["message_id"]})
                seen.append(status["status"])
                await anyio.sleep(0.25)
        assert seen[-1] == "DELIVERED"
        assert seen[0] in {"PENDING", "SENT"}


async def test_stdio_every_tool_once(tmp_path: Any) -> None:
    """Each of the nine tools answers over stdio, sends completing through the confirmation token."""
    async with Client(_params(tmp_path)) as client:
        assert "SMS INFO" in (await ok(client, "list_senders"))["usable"]
        created = await ok(client, "create_sender", {"name": "STDIO"})
        assert created["sender"]["approved"] is False
        campaign_args = {
            "label": "stdio",
            "content": "Bonjour {{name}}",
            "contacts_csv": "phone,name\n0707123456,Awa\n0505123456,Koffi",
        }
        first = await ok(client, "create_sms_campaign", campaign_args)
        done = await ok(
            client,
            "create_sms_campaign",
            {**campaign_args, "confirmation_token": first["confirmation_token"]},
        )
        assert done["status"] == "submitted" and done["recipients"] == 2
        status = await ok(client, "get_campaign_status", {"campaign_id": done["campaign_id"]})
        assert status["status"] in {"CREATED", "SENDING", "SENT"}
        email_args = {
            "label": "stdio",
            "from_email": "a@example.ci",
            "recipients": ["b@example.ci"],
            "subject": "S",
            "content": "C",
        }
        first = await ok(client, "create_email_campaign", email_args)
        email = await ok(
            client, "create_email_campaign", {**email_args, "confirmation_token": first["confirmation_token"]}
        )
        assert email["status"] == "submitted"
        status = await ok(
            client, "get_campaign_status", {"campaign_id": email["campaign_id"], "channel": "email"}
        )
        assert status["channel"] == "email"


def test_a_client_that_quits_mid_answer_ends_the_server_quietly(tmp_path: Any) -> None:
    """The client closes its end of stdout, then the server has an answer to write: exit 0, no traceback."""
    import json
    import subprocess

    server = subprocess.Popen(
        [sys.executable, "-m", "letexto_mcp", "serve", "--sandbox"],
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LETEXTO_STATE_URL": "memory://"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert server.stdin is not None and server.stdout is not None and server.stderr is not None
    try:
        server.stdin.write((json.dumps(initialize_request()) + "\n").encode())
        server.stdin.flush()
        assert json.loads(server.stdout.readline())["id"] == 1
        server.stdout.close()  # the client quits: nobody reads the answers any more
        server.stdin.write(
            b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n'
            b'{"jsonrpc": "2.0", "id": 2, "method": "tools/list"}\n'
        )
        server.stdin.close()  # and goes: the server still has the tools/list answer to write
        stderr = server.stderr.read().decode()  # until the server exits
        assert server.wait(30) == 0, stderr
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(5)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
