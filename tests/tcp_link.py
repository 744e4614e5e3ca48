"""A TCP link that a test can cut and mend: the network between a server and its database failing.

A forwarder on a loopback port of its own passes bytes to the target. `cut()` drops every connection
through it and each new one at once (the far side is unreachable); `mend()` lets them through again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import anyio
from anyio.abc import ByteStream, SocketStream


class CuttableLink:
    """The forwarder's state: where it listens, where it forwards, whether it is cut."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port = port
        self._target = target
        self._cut = False
        self._open: set[anyio.CancelScope] = set()

    def cut(self) -> None:
        self._cut = True
        for scope in self._open:
            scope.cancel()

    def mend(self) -> None:
        self._cut = False

    def url_through(self, url: str) -> str:
        """`url` (postgresql://user@host:port/db?…) with its host and port replaced by this link's."""
        parts = urlsplit(url)
        user = parts.netloc.rpartition("@")[0]
        netloc = f"{user}@127.0.0.1:{self.port}" if user else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    async def handle(self, client: SocketStream) -> None:
        async with client:
            if self._cut:
                return
            try:
                upstream = await anyio.connect_tcp(*self._target)
            except OSError:
                return
            async with upstream, anyio.create_task_group() as group:
                self._open.add(group.cancel_scope)
                try:
                    group.start_soon(_pump, client, upstream, group.cancel_scope)
                    group.start_soon(_pump, upstream, client, group.cancel_scope)
                    await anyio.sleep_forever()
                finally:
                    self._open.discard(group.cancel_scope)


async def _pump(source: ByteStream, sink: ByteStream, both: anyio.CancelScope) -> None:
    try:
        async for chunk in source:
            await sink.send(chunk)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
        pass
    both.cancel()  # one side closed: close the other


@asynccontextmanager
async def cuttable_link(host: str, port: int) -> AsyncIterator[CuttableLink]:
    """A link to host:port, served in the background for the duration of the block."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    link = CuttableLink(listener.extra(anyio.abc.SocketAttribute.local_port), (host, port))
    async with listener, anyio.create_task_group() as group:
        group.start_soon(listener.serve, link.handle)
        try:
            yield link
        finally:
            group.cancel_scope.cancel()
