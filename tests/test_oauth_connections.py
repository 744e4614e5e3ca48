"""The operator's side: connections listed and revoked with `letexto-mcp connections` and on the
connections page; revoking stops the very next call (401) on a server sharing the state file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
import httpx
import jwt
import pytest

from letexto_mcp.cli import main
from tests.oauth_helpers import AWA_CONNECT_KEY, BOB_APPROVER_KEY, connect_with_forms, hidden, oauth_server

pytestmark = pytest.mark.anyio


async def cli(argv: list[str]) -> int:
    """The command line, as an operator runs it (its own event loop: in a thread here)."""
    return await anyio.to_thread.run_sync(main, argv)


async def status(url: str, access_token: str) -> int:
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={"Authorization": f"Bearer {access_token}"},
        )
    return answer.status_code


async def test_the_command_lists_and_revokes_connections(
    simulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    async with oauth_server(simulator, state_url=state) as server:
        connected = await connect_with_forms(server.url)
        assert await status(server.mcp, connected.access_token) != 401
        monkeypatch.setenv("LETEXTO_STATE_URL", state)
        assert await cli(["connections", "list"]) == 0
        listing = capsys.readouterr().out
        assert "Test assistant" in listing and "awa" in listing and "letexto.read letexto.send" in listing
        assert "127.0.0.1:9" in listing and "active" in listing
        connection_id = re.search(r"con_[A-Za-z0-9_-]+", listing).group(0)  # type: ignore[union-attr]
        assert AWA_CONNECT_KEY not in listing and connected.access_token not in listing

        assert await cli(["connections", "revoke", connection_id]) == 0
        assert "revoked" in capsys.readouterr().out
        assert await status(server.mcp, connected.access_token) == 401
        assert await cli(["connections", "revoke", connection_id]) == 0
        assert "revoked already" in capsys.readouterr().out
        assert await cli(["connections", "revoke", "con_unknown"]) == 1
        assert await cli(["connections", "list"]) == 0
        assert "No connection" in capsys.readouterr().out
        assert await cli(["connections", "list", "--all"]) == 0
        assert "revoked 20" in capsys.readouterr().out


async def test_the_connections_page_shows_each_person_theirs_and_revokes(simulator: Any) -> None:
    async with oauth_server(simulator) as server:
        awas = await connect_with_forms(server.url)
        bobs = await connect_with_forms(server.url, key=BOB_APPROVER_KEY)
        async with httpx.AsyncClient(base_url=server.url) as awa:
            assert (await awa.get("/oauth/connections")).status_code == 401  # the sign-in form
            signed = await awa.post("/oauth/login", data={"key": AWA_CONNECT_KEY})
            assert signed.status_code == 303
            page = await awa.get("/oauth/connections")
            assert page.status_code == 200 and page.text.count("/revoke") == 1, "a connect key sees its own"
            assert "awa" in page.text and "Test assistant" in page.text
        async with httpx.AsyncClient(base_url=server.url) as bob:
            await bob.post("/oauth/login", data={"key": BOB_APPROVER_KEY})
            page = await bob.get("/oauth/connections")
            assert page.text.count("/revoke") == 2, "an approver sees every connection"
            connection_id = re.search(r"/oauth/connections/(con_[^/]+)/revoke", page.text).group(1)  # type: ignore[union-attr]
            assert (
                await bob.post(f"/oauth/connections/{connection_id}/revoke", data={"csrf": "forged"})
            ).status_code == 403
            csrf = hidden(page.text.split(connection_id, 1)[1], "csrf")
            done = await bob.post(f"/oauth/connections/{connection_id}/revoke", data={"csrf": csrf})
            assert done.status_code == 303
        revoked = [
            c for c in await server.store().oauth_list_connections(include_revoked=True) if not c.active
        ]
        assert [c.id for c in revoked] == [connection_id]
        for connected in (awas, bobs):
            cid = jwt.decode(connected.access_token, options={"verify_signature": False})["cid"]
            expected_401 = cid == connection_id
            assert (await status(server.mcp, connected.access_token) == 401) is expected_401
