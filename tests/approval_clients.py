"""Approval tests from the caller's side: a person approving on the bot endpoint, and a URL-only client.

The "person" here uses the real bot endpoint with an approver key over real HTTP; browser tests
drive the page itself (tests/test_web_*.py).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import httpx
import mcp_types as types
from mcp import Client
from mcp.client.session import ClientSession

APPROVER = "awa"
APPROVER_KEY = "approver-key-awa-5b8e2c7d9f1a3e6b"
OTHER_APPROVER_KEY = "approver-key-kof-0c4a8e2b6d9f1735"


async def decide(approval_url: str, approve: bool = True, key: str = APPROVER_KEY) -> httpx.Response:
    """What a chat-ops bot does with its Approve/Decline button."""
    action = "approve" if approve else "decline"
    async with httpx.AsyncClient() as http:
        return await http.post(f"{approval_url}/{action}", headers={"Authorization": f"Bearer {key}"})


class _UrlOnlySession(ClientSession):
    """A session that advertises URL-mode elicitation only (as VS Code's URL branch does)."""

    def _build_capabilities(self, version: str) -> types.ClientCapabilities:
        built = super()._build_capabilities(version)
        return built.model_copy(
            update={"elicitation": types.ElicitationCapability(url=types.UrlElicitationCapability())}
        )


class UrlOnlyClient(Client):
    """The SDK's client, declaring `elicitation.url` without form mode.

    (The SDK's client always declares both when given a callback; this narrows the capability ad,
    through a private hook of the client, to stand for a client that opens URLs but shows no forms.)
    """

    async def _build_session(self, exit_stack: AsyncExitStack) -> ClientSession:
        session = await super()._build_session(exit_stack)
        session.__class__ = _UrlOnlySession
        return session


def url_params(params: Any) -> str | None:
    """The URL of a URL-mode elicitation request, or None for a form."""
    return getattr(params, "url", None) if getattr(params, "mode", None) == "url" else None
