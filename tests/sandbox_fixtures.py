"""Fixtures for talking to the LeTexto simulator, in process and over loopback sockets.

Load them with `pytest_plugins = ["tests.sandbox_fixtures"]` (a test module or the root conftest).
PYTEST_DONT_REWRITE: test modules import its helpers before pytest loads it as a plugin.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import anyio
import httpx
import pytest

from letexto_mcp.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_BASE_URL_IN_PROCESS,
    ManualClock,
    SandboxApp,
    SandboxConfig,
    create_app,
)

BEARER = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
TOKEN = {"token": SANDBOX_API_KEY}


@asynccontextmanager
async def in_process_client(sim: SandboxApp) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client wired to `sim` through ASGITransport; cancels report tasks on exit."""
    transport = httpx.ASGITransport(app=sim)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=SANDBOX_BASE_URL_IN_PROCESS) as client:
            yield client
    finally:
        await sim.aclose()


def send_body(**overrides: Any) -> dict[str, Any]:
    """A valid send request, changed by `overrides` (a value of None removes the field)."""
    body: dict[str, Any] = {"from": "SMS INFO", "to": "2250707123456", "content": "Bonjour Awa"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> SandboxApp:
    return create_app(SandboxConfig(clock=clock))


@pytest.fixture
async def client(sim: SandboxApp) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process_client(sim) as c:
        yield c


@dataclass
class ReceivedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LoopbackReceiver:
    """A tiny HTTP/1.1 server on 127.0.0.1 that keeps every request it gets (a DLR endpoint)."""

    reply_status: int = 200
    received: list[ReceivedRequest] = field(default_factory=list)
    port: int = 0
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/dlr"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        parts = urlsplit(target)
        request = ReceivedRequest(method, parts.path, dict(parse_qsl(parts.query)), headers, body)
        writer.write(
            f"HTTP/1.1 {self.reply_status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()
        async with self._arrived:
            self.received.append(request)
            self._arrived.notify_all()

    async def wait_for(self, count: int, limit: float = 5.0) -> list[ReceivedRequest]:
        """Wait until `count` requests arrived (a guard against hanging, not a timing assertion)."""
        with anyio.fail_after(limit):
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(self.received) >= count)
        return self.received


@pytest.fixture
async def receiver() -> AsyncIterator[LoopbackReceiver]:
    recv = LoopbackReceiver()
    server = await asyncio.start_server(recv.handle, "127.0.0.1", 0)
    recv.port = server.sockets[0].getsockname()[1]
    async with server:
        yield recv
