"""Shared fixtures: every test talks to real parts (the simulator over HTTP, a real MCP client)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

pytest_plugins = ["tests.sandbox_fixtures", "tests.postgres_helpers", "tests.replica_helpers"]

# Tests never read a developer's real configuration (LETEXTO_TEST_* are the test suite's own switches).
for _name in list(os.environ):
    if _name.startswith("LETEXTO_") and not _name.startswith("LETEXTO_TEST_"):
        del os.environ[_name]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked `postgres` need the test server, tests marked `lb` HAProxy: skipped without
    (a single line of the summary each, since they all skip from the same place), failed instead
    when CI requires them."""
    if item.get_closest_marker("postgres") is not None:
        from tests.postgres_helpers import server_url

        server_url()
    if item.get_closest_marker("lb") is not None:
        from tests.replica_helpers import require_haproxy

        require_haproxy()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> Any:
    from letexto_mcp.sandbox import ManualClock

    return ManualClock()


@pytest.fixture
def simulator(clock: Any) -> Any:
    from letexto_mcp.sandbox import SandboxConfig, create_app

    return create_app(SandboxConfig(clock=clock, sender_approval_delay=60.0))


def sandbox_settings(**overrides: Any) -> Any:
    """Settings for a server on the in-process simulator, state in memory."""
    from letexto_mcp.config import Settings

    # Policy `confirm` unless a test says otherwise: most tests drive the caller's side of approval;
    # the person's side (policy `approve`, the product's default) has tests of its own.
    values: dict[str, Any] = {
        "sandbox": True,
        "state_url": "memory://",
        "default_sender": "SMS INFO",
        "send_policy": "confirm",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(params=["legacy", "auto"])
def era(request: pytest.FixtureRequest) -> str:
    """Both protocol eras: the 2025 handshake and the 2026-07-28 stateless protocol."""
    return request.param


@pytest.fixture
async def mcp(simulator: Any, era: str) -> AsyncIterator[Any]:
    from mcp import Client

    from letexto_mcp.server.app import build_server

    server = build_server(sandbox_settings(), simulator=simulator)
    async with Client(server, mode=era) as client:
        yield client


@pytest.fixture
def loopback_sandbox() -> Any:
    """The simulator served by uvicorn on a loopback socket of its own, in a thread; yields its base URL."""
    from letexto_mcp.sandbox import SandboxConfig
    from letexto_mcp.sandbox.serve import make_server
    from tests.http_helpers import loopback_socket, serving_in_thread

    sock = loopback_socket()
    server = make_server("127.0.0.1", sock.getsockname()[1], SandboxConfig(sender_approval_delay=600))
    with serving_in_thread(server, sock) as url:
        yield url
