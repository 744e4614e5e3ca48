"""A real Standard Webhooks receiver (Starlette, served over loopback by uvicorn) and a clock tests move.

The receiver verifies every request with the `standardwebhooks` package itself, the way a user's
endpoint would, and records what it saw and what it accepted. Its routes:
- `/hook`: verify, then answer `status` (200 unless a test changes it); holds the answer while
  `hold` is set (a slow receiver, or one whose worker is killed mid-delivery);
- `/gone`: 410; `/redirect`: 307 to `/hook`; `/slow`: answers after 30 s;
- `/huge`: 503 with an endless body; `/down`: 503 without verifying (time may be far ahead).
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from letexto_mcp.webhooks import WebhookOptions
from letexto_mcp.webhooks.ssrf import AddressPolicy

SECRET = "whsec_" + base64.b64encode(b"letexto-mcp webhook tests, 32 b").decode()


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


@dataclass
class Seen:
    """One request as the receiver got it."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: Any = None  # the parsed payload when the signature verified
    error: str | None = None  # why verification failed
    answered: int | None = None  # the status the receiver answered


@dataclass
class Receiver:
    """What a webhook endpoint sees; `app` is the ASGI app to serve."""

    secret: str = SECRET
    status: int = 200
    hold: anyio.Event | None = None
    seen: list[Seen] = field(default_factory=list)
    huge_stopped: bool = False

    @property
    def accepted(self) -> list[Seen]:
        """Requests whose signature verified and that were answered 2xx."""
        return [
            s for s in self.seen if s.verified is not None and s.answered is not None and s.answered < 300
        ]

    def ids(self, path: str = "/hook") -> list[str]:
        return [s.headers["webhook-id"] for s in self.seen if s.path == path]

    async def _record(self, request: Request, verify: bool = True) -> Seen:
        body = await request.body()
        seen = Seen(request.url.path, dict(request.headers), body)
        if verify:
            try:
                seen.verified = Webhook(self.secret).verify(body, dict(request.headers))
            except WebhookVerificationError as error:
                seen.error = str(error)
        self.seen.append(seen)
        return seen

    async def hook(self, request: Request) -> Response:
        seen = await self._record(request)
        if seen.error is not None:
            seen.answered = 400
            return JSONResponse({"error": seen.error}, status_code=400)
        if self.hold is not None:
            await self.hold.wait()
        seen.answered = self.status
        return JSONResponse({"ok": self.status < 300}, status_code=self.status)

    async def gone(self, request: Request) -> Response:
        await self._record(request)
        return Response(status_code=410)

    async def redirect(self, request: Request) -> Response:
        await self._record(request)
        return RedirectResponse("/hook", status_code=307)

    async def slow(self, request: Request) -> Response:
        await self._record(request)
        with anyio.move_on_after(30):
            while not await request.is_disconnected():  # until the sender hangs up
                await anyio.sleep(0.05)
        return Response(status_code=200)

    async def huge(self, request: Request) -> Response:
        await self._record(request)

        async def endless() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield b"x" * 65536
                    await anyio.sleep(0)
            finally:
                self.huge_stopped = True

        return StreamingResponse(endless(), status_code=503, media_type="text/plain")

    async def down(self, request: Request) -> Response:
        await self._record(request, verify=False)
        return Response("Service Unavailable", status_code=503)

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/hook", self.hook, methods=["POST"]),
                Route("/gone", self.gone, methods=["POST"]),
                Route("/redirect", self.redirect, methods=["POST"]),
                Route("/slow", self.slow, methods=["POST"]),
                Route("/huge", self.huge, methods=["POST"]),
                Route("/down", self.down, methods=["POST"]),
            ]
        )


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Until `condition()` holds (polled), failing the test after `timeout` seconds."""
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.01)


class MovingClock:
    """Epoch seconds that start now and move only when a test says so."""

    def __init__(self, now: float | None = None) -> None:
        import time

        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now


LOOPBACK_ALLOWED = AddressPolicy(allow_loopback=True)


def options_for(*targets: str, clock: MovingClock | None = None, **overrides: Any) -> WebhookOptions:
    """Options for test targets on loopback (as in sandbox mode), signed with SECRET."""
    from pydantic import SecretStr

    values: dict[str, Any] = {
        "targets": tuple(targets),
        "secret": SecretStr(SECRET),
        "policy": LOOPBACK_ALLOWED,
        "timeout": 5.0,
    }
    if clock is not None:
        values["clock"] = clock
    values.update(overrides)
    return WebhookOptions(**values)


MESSAGE = {"message_id": "65f0c1d2e3f4a5b6c7d8e9f0", "status": "DELIVERED", "received_at": 1_785_000_000.0}
