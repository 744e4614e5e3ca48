"""A real HTTP server under policy `approve` with approvers, and the moves a person or a bot makes on it.

Records are opened the way they are in use: an MCP client (no elicitation) calls a send tool and
gets `confirmation_required` with an `approval_url` and a `confirmation_token`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from letexto_mcp.server.http import build_http_app
from letexto_mcp.server.tenants import TENANT_PREFIX, tenant_client_id, tenant_secret
from letexto_mcp.store.base import ApprovalRecord
from letexto_mcp.store.factory import open_store
from letexto_mcp.store.memory import MemoryStore
from tests.conftest import sandbox_settings
from tests.http_helpers import KEY_A, KEY_B, mcp_client, serving
from tests.mcp_helpers import ok

STATE_SECRET = "approval-tests-shared-secret-0123456789"
AWA_KEY = "approver-awa-9f8e7d6c5b4a3210"  # every tenant's approvals
BOB_KEY = "approver-bob-0a1b2c3d4e5f6789"  # tenant B's only
AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}


async def tenant_of(mcp_key: str) -> str:
    """The tenant id the HTTP server gives a client key (derived from the shared state secret)."""
    settings = sandbox_settings(state_secret=STATE_SECRET)
    secret = await tenant_secret(settings, MemoryStore())
    return TENANT_PREFIX + tenant_client_id(secret, mcp_key)


def csrf_of(html: str, action: str) -> str:
    """The CSRF token of the page's Approve or Decline form."""
    form = re.search(
        rf'action="/approvals/[^"]+/{action}">\s*<input type="hidden" name="csrf" value="([^"]+)"', html
    )
    assert form is not None, f"no {action} form on the page"
    return form.group(1)


def path_of(url: str) -> str:
    return urlsplit(url).path


@dataclass
class ApprovalServer:
    """The served app, its simulator, and what a test does with them."""

    url: str
    simulator: Any
    settings: Any

    async def open(
        self, tool: str = "send_sms", arguments: dict[str, Any] | None = None, *, key: str = KEY_A
    ) -> dict[str, Any]:
        """Call a send tool as an MCP client that cannot ask its user: the result names the record."""
        async with mcp_client(f"{self.url}/mcp", key=key, mode="legacy") as client:
            result = await ok(client, tool, arguments or AWA)
        assert result["status"] == "confirmation_required", result
        assert result["approval_url"].startswith(f"{self.url}/approvals/"), result
        return result

    async def retry(
        self,
        opened: dict[str, Any],
        tool: str = "send_sms",
        arguments: dict[str, Any] | None = None,
        *,
        key: str = KEY_A,
    ) -> dict[str, Any]:
        """The caller's next call: the same arguments plus the token naming the record."""
        async with mcp_client(f"{self.url}/mcp", key=key, mode="legacy") as client:
            return await ok(
                client, tool, {**(arguments or AWA), "confirmation_token": opened["confirmation_token"]}
            )

    def browser(self, **kwargs: Any) -> httpx.AsyncClient:
        """An HTTP client that keeps cookies like a browser (redirects are not followed)."""
        return httpx.AsyncClient(base_url=self.url, follow_redirects=False, timeout=30, **kwargs)

    async def sign_in(self, http: httpx.AsyncClient, key: str, page_url: str) -> httpx.Response:
        return await http.post("/approvals/login", data={"key": key, "next": path_of(page_url)})

    async def record(self, page_url: str) -> ApprovalRecord:
        """The record as the server's state file holds it (read by a second store on the same file)."""
        store = open_store(self.settings.state_url)
        try:
            record = await store.get_approval(path_of(page_url).rsplit("/", 1)[-1])
        finally:
            await store.close()
        assert record is not None
        return record


async def approver_keys() -> list[str]:
    return [f"awa:{AWA_KEY}", f"bob:{BOB_KEY}@{await tenant_of(KEY_B)}"]


@asynccontextmanager
async def approval_server(simulator: Any, state: Path, **overrides: Any) -> AsyncIterator[ApprovalServer]:
    """The HTTP app under policy `approve`: client keys A and B, approvers awa (all) and bob (B only),
    state in a SQLite file in the folder `state`."""
    values: dict[str, Any] = {
        "state_url": f"sqlite:///{state / 'state.sqlite3'}",
        "send_policy": "approve",
        "mcp_api_keys": [KEY_A, KEY_B],
        "approver_keys": await approver_keys(),
        "state_secret": STATE_SECRET,
    }
    values.update(overrides)
    settings = sandbox_settings(**values)
    async with serving(build_http_app(settings, simulator=simulator)) as url:
        yield ApprovalServer(url, simulator, settings)
