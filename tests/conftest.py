"""Shared fixtures: every test talks to real parts (the simulator over HTTP, a real MCP client)."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
