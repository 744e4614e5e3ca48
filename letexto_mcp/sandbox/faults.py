"""Fault injection: make the next matching requests fail the ways real networks and vendors do.

In process (httpx.ASGITransport) an exception raised by the app reaches the httpx caller, so
`reset_before` raises httpx.ConnectError, `reset_after` httpx.RemoteProtocolError and `timeout`
httpx.ReadTimeout (the transport enforces no timeout itself). Over a real port (uvicorn) the
simulator cannot reset a socket through ASGI: it starts a response and closes the connection
without its body, which the client sees as httpx.RemoteProtocolError.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import KW_ONLY, asdict, dataclass
from typing import Any, Literal, get_args

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from letexto_mcp.sandbox.errors import error_body

FaultKind = Literal[
    "status", "latency", "stall", "timeout", "malformed", "truncated", "reset_before", "reset_after"
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
DEFAULT_TIMEOUT_HANG = 30.0
MALFORMED_BODY = (
    b"<html><head><title>LeTexto</title></head><body>Service momentanement indisponible</body></html>"
)


@dataclass
class Fault:
    """One fault rule: what goes wrong, for which requests (`path` prefix, `method`), how often.

    `count` is the number of next matching requests it hits; `probability`, when set, replaces the
    count: every matching request is hit with that chance until the faults are cleared.
    """

    kind: FaultKind
    _: KW_ONLY
    status: int | None = None
    delay: float = 0.0
    count: int = 1
    probability: float | None = None
    path: str | None = None
    method: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {', '.join(FAULT_KINDS)}")
        if self.kind == "status" and self.status is None:
            self.status = 500
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status code")
        if self.delay < 0 or self.count < 1:
            raise ValueError("delay must be >= 0 and count >= 1")
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if self.method is not None:
            self.method = self.method.upper()

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method.upper()) and (
            self.path is None or path.startswith(self.path)
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        """Build from an admin request body; raises ValueError or TypeError on a bad one."""
        if not isinstance(data, dict) or "kind" not in data:
            raise ValueError("a fault is a JSON object with at least a 'kind'")
        fields = dict(data)
        return cls(fields.pop("kind"), **fields)


class FaultInjector:
    """The active fault rules of one simulator (`sim.faults`)."""

    def __init__(self, seed: int | None = None) -> None:
        self.active: list[Fault] = []
        self._random = random.Random(seed)

    def inject(self, fault: Fault) -> Fault:
        self.active.append(fault)
        return fault

    def clear(self) -> int:
        """Remove every rule; return how many there were."""
        count = len(self.active)
        self.active.clear()
        return count

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that hits this request, if any, using up one of its count."""
        for fault in self.active:
            if not fault.matches(method, path):
                continue
            if fault.probability is not None:
                if self._random.random() < fault.probability:
                    return fault
                continue
            fault.count -= 1
            if fault.count <= 0:
                self.active.remove(fault)
            return fault
        return None


async def run_with_fault(
    fault: Fault, app: ASGIApp, scope: Scope, receive: Receive, send: Send, *, in_process: bool
) -> None:
    """Answer the request as `fault` says, calling `app` only when the vendor would have handled it."""
    if fault.kind == "status":
        status = fault.status or 500
        headers = {"retry-after": "1"} if status in (429, 503) else {}
        await _send_json(send, status, error_body(status, _phrase(status)), headers)
    elif fault.kind == "latency":
        await asyncio.sleep(fault.delay)
        await app(scope, receive, send)
    elif fault.kind == "stall":
        # The vendor handles the request at once (a send is recorded and debited), then its answer
        # is held: the worst case for a client that gives up or dies while waiting.
        status, captured, body = await _capture(app, scope, receive)
        await asyncio.sleep(fault.delay or DEFAULT_TIMEOUT_HANG)
        await _send_raw(send, status, body, _header(captured, b"content-type") or "application/json")
    elif fault.kind == "timeout":
        await asyncio.sleep(fault.delay or DEFAULT_TIMEOUT_HANG)
        await _drop(send, httpx.ReadTimeout("simulated timeout: LeTexto did not answer"), in_process)
    elif fault.kind == "malformed":
        await _send_raw(send, 200, MALFORMED_BODY, "text/html; charset=utf-8")
    elif fault.kind == "truncated":
        status, captured, body = await _capture(app, scope, receive)
        cut = body[: max(1, len(body) // 2)]
        await _send_raw(send, status, cut, _header(captured, b"content-type") or "application/json")
    elif fault.kind == "reset_before":
        await _drop(
            send, httpx.ConnectError("simulated connection reset before the request arrived"), in_process
        )
    else:
        await _capture(app, scope, receive)
        await _drop(send, httpx.RemoteProtocolError("simulated connection reset after handling"), in_process)


def _phrase(status: int) -> str:
    return str(error_body(status, "")["errors"])


async def _drop(send: Send, error: httpx.HTTPError, in_process: bool) -> None:
    """Lose the answer: raise `error` to an in-process caller, or cut the connection over a socket."""
    if in_process:
        raise error
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]})


async def _capture(
    app: ASGIApp, scope: Scope, receive: Receive
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run `app` fully and keep its answer instead of sending it."""
    status, headers, chunks = 500, [], []

    async def keep(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, keep)
    return status, headers, b"".join(chunks)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in headers if k.lower() == name), None)


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
    raw = json.dumps(body).encode()
    await _send_raw(send, status, raw, "application/json", headers)


async def _send_raw(
    send: Send, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
