"""An asyncio event loop whose clock a test moves forward, so time-outs are tested without sleeping.

Everything that waits on the event loop's clock -- anyio cancel-scope deadlines (the SDK's session
idle time-out among them), `asyncio.sleep`, `call_later` timers -- sees the moved clock: after
`await advance_clock(600)` a deadline 600 s away has fired, and one 601 s away has not. Nothing of
the code under test is replaced.

A module uses it by overriding the `anyio_backend` fixture:

    @pytest.fixture
    def anyio_backend() -> tuple[str, dict[str, Any]]:
        return SETTABLE_CLOCK_BACKEND
"""

from __future__ import annotations

import asyncio
from typing import Any

import anyio


class SettableClockLoop(asyncio.SelectorEventLoop):
    """The usual selector loop, its `time()` ahead of the monotonic clock by what tests advanced."""

    def __init__(self) -> None:
        super().__init__()
        self._advanced = 0.0

    def time(self) -> float:
        return super().time() + self._advanced

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._advanced += seconds


SETTABLE_CLOCK_BACKEND: tuple[str, dict[str, Any]] = ("asyncio", {"loop_factory": SettableClockLoop})


async def advance_clock(seconds: float) -> None:
    """Let `seconds` pass on an idle loop (the test must run on `SettableClockLoop`).

    First every other task finishes what it was doing (a server may still be wrapping up a request
    whose response the client already has), as it would long before `seconds` went by; then the
    clock moves; then the loop runs what came due (timers, the cancellations they cause) until
    every task waits again.
    """
    loop = asyncio.get_running_loop()
    if not isinstance(loop, SettableClockLoop):
        raise RuntimeError("this test needs anyio_backend = SETTABLE_CLOCK_BACKEND (tests/loop_clock.py)")
    await anyio.wait_all_tasks_blocked()
    loop.advance(seconds)
    await anyio.wait_all_tasks_blocked()
