"""`/healthz` (the process answers) and `/readyz` (LeTexto answers), for load balancers and orchestrators.

Neither needs a key and neither says anything secret: no balance, no key, no error text. The
readiness probe reads the balance with the server's key at most once every few seconds, whoever
asks, so an unauthenticated caller cannot turn it into load on LeTexto.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from letexto_mcp import __version__
from letexto_mcp.letexto import errors as lx
from letexto_mcp.services import Services

READY_CACHE_SECONDS = 5.0
READY_TIMEOUT_SECONDS = 10.0


class Readiness:
    """Whether LeTexto is reachable with the server's key, remembered for `ttl` seconds."""

    def __init__(
        self,
        services: Callable[[], Services | None],
        ttl: float = READY_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._services = services
        self._ttl = ttl
        self._clock = clock
        self._lock = anyio.Lock()
        self._last: tuple[float, bool, str] | None = None

    async def check(self) -> tuple[bool, str]:
        """(ready, reason): reason is `reachable`, `unreachable`, `key_refused` or `starting`."""
        async with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last[0] < self._ttl:
                return self._last[1], self._last[2]
            ready, reason = await self._probe()
            self._last = (now, ready, reason)
            return ready, reason

    async def _probe(self) -> tuple[bool, str]:
        services = self._services()
        if services is None:
            return False, "starting"
        try:
            with anyio.fail_after(min(READY_TIMEOUT_SECONDS, services.settings.timeout_seconds * 2)):
                await services.client.get_balance()
        except lx.AuthenticationError:
            settings = services.settings
            # A multi-tenant server without a key of its own: a refusal proves LeTexto answers.
            if settings.multi_tenant and settings.api_token is None and not settings.sandbox:
                return True, "reachable"
            return False, "key_refused"
        except (lx.LetextoError, TimeoutError):
            return False, "unreachable"
        return True, "reachable"


def health_routes(readiness: Readiness) -> list[Route]:
    """The two probe routes."""

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "service": "letexto-mcp", "version": __version__})

    async def readyz(request: Request) -> JSONResponse:
        ready, reason = await readiness.check()
        body = {"status": "ready" if ready else "not_ready", "letexto": reason}
        return JSONResponse(body, status_code=200 if ready else 503)

    return [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]
