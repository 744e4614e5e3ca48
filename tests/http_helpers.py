"""Run ASGI apps under uvicorn on loopback ports inside the test's event loop, and connect real clients."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
import httpx2
import mcp_types as types
import uvicorn
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

KEY_A = "mcp-key-A-7f3c9e2b4d6a8f01"
KEY_B = "mcp-key-B-1e5d7c9a3b2f4e68"


def loopback_socket() -> socket.socket:
    """A socket bound to a free loopback port (handed to uvicorn, so no port race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def base_url(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@asynccontextmanager
async def serving(
    app: Any, sock: socket.socket | None = None, *, access_log: bool = False
) -> AsyncIterator[str]:
    """Serve `app` on `sock` (or a fresh loopback socket) until the block ends; yields the base URL."""
    sock = sock or loopback_socket()
    config = uvicorn.Config(
        app, lifespan="on", log_config=None, access_log=access_log, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        with anyio.fail_after(20):
            while not server.started:
                if server.should_exit:
                    raise RuntimeError("the server did not start")
                await anyio.sleep(0.01)
        try:
            yield base_url(sock)
        finally:
            server.should_exit = True


@contextmanager
def serving_in_thread(server: uvicorn.Server, sock: socket.socket | None = None) -> Iterator[str]:
    """Run a uvicorn `server` on `sock` (or a fresh loopback socket) in a thread of its own, for
    code that is not async; yields the base URL once it listens, stops it when the block ends."""
    sock = sock or loopback_socket()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        yield base_url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def headers_for(key: str | None = None, letexto_key: str | None = None, **extra: str) -> dict[str, str]:
    headers = dict(extra)
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    if letexto_key is not None:
        headers["X-LeTexto-Key"] = letexto_key
    return headers


@asynccontextmanager
async def mcp_client(
    url: str,
    *,
    key: str | None = None,
    letexto_key: str | None = None,
    mode: str = "auto",
    transport: httpx2.AsyncBaseTransport | None = None,
    **kwargs: Any,
) -> AsyncIterator[Client]:
    """The SDK's own client on Streamable HTTP (`url` ends in /mcp), with the given credentials."""
    async with (
        httpx2.AsyncClient(headers=headers_for(key, letexto_key), transport=transport, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode, cache=None, **kwargs) as client,
    ):
        yield client


@asynccontextmanager
async def sse_mcp_client(url: str, *, key: str | None = None, **kwargs: Any) -> AsyncIterator[Client]:
    """The SDK's client on the older SSE transport (`url` ends in /sse)."""
    async with Client(
        sse_client(url, headers=headers_for(key)), mode="legacy", cache=None, **kwargs
    ) as client:
        yield client


def approver(approve: bool = True) -> Any:
    """An elicitation callback answering like a user; `questions` records what was asked."""
    questions: list[str] = []

    async def callback(context: Any, params: Any) -> types.ElicitResult:
        questions.append(params.message)
        return types.ElicitResult(action="accept", content={"approve": approve})

    callback.questions = questions  # type: ignore[attr-defined]
    return callback
