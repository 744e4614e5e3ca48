"""`/healthz` (the process answers) and `/readyz` (this replica can serve), for balancers and orchestrators.

A replica is ready when its state store answers: without it no send can be recorded, so none is
made. LeTexto's reachability is reported beside it but does not decide readiness — a LeTexto
outage is the same for every replica, and taking them all out of the balancer at once would only
turn readable errors ("LeTexto could not be reached") into connection failures.

Neither probe needs a key and neither says anything secret: no balance, no key, no error text.
Both checks are remembered a few seconds, whoever asks, so an unauthenticated caller cannot turn
the probe into load on LeTexto or on the database.
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
from letexto_mcp.store.base import StoreError

READY_CACHE_SECONDS = 5.0
READY_TIMEOUT_SECONDS = 10.0


class Readiness:
    """Whether the store answers and LeTexto is reachable with the server's key, remembered `ttl` seconds."""

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
        self._last: tuple[float, str, str] | None = None

    async def check(self) -> tuple[str, str]:
        """(store, letexto): store `ok`, `unavailable` or `starting`; letexto `reachable`,
        `unreachable`, `key_refused` or `starting`."""
        async with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last[0] < self._ttl:
                return self._last[1], self._last[2]
            store, letexto = await self._store(), await self._letexto()
            self._last = (now, store, letexto)
            return store, letexto

    async def _store(self) -> str:
        services = self._services()
        if services is None:
            return "starting"
        try:
            with anyio.fail_after(READY_TIMEOUT_SECONDS):
                await services.store.budget_used("readyz", "0000-00-00")
        except (StoreError, TimeoutError):
            return "unavailable"
        return "ok"

    async def _letexto(self) -> str:
        probed = await self._probe()
        return probed[1]

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
        store, letexto = await readiness.check()
        ready = store == "ok"
        body = {"status": "ready" if ready else "not_ready", "store": store, "letexto": letexto}
        return JSONResponse(body, status_code=200 if ready else 503)

    return [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]
