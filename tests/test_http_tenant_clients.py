"""Multi-tenant mode keeps a bounded LRU of LeTexto clients: at most LETEXTO_MCP_MAX_TENANT_CLIENTS,
none idle beyond LETEXTO_MCP_TENANT_IDLE_SECONDS, each closed with its redaction entry, never under
a request still using it.

Anyone holding an MCP key can bring a new X-LeTexto-Key with every request: before this, each
distinct key kept an httpx pool and a log-filter entry for the life of the process.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import httpx2
import pytest

from letexto_mcp.config import Settings
from letexto_mcp.letexto.client import LetextoClient
from letexto_mcp.letexto.redact import MASK, active_secret_count
from letexto_mcp.sandbox import Fault, SandboxApp, SandboxConfig, create_app
from letexto_mcp.sandbox.constants import SANDBOX_APPROVED_SENDER
from letexto_mcp.server.http import HttpRuntime, build_http_app, open_files_limit
from letexto_mcp.server.logs import SecretLogFilter
from letexto_mcp.server.tenants import TENANT_PREFIX, TenantClients, tenant_client_id
from tests.conftest import sandbox_settings
from tests.http_helpers import KEY_A, headers_for, mcp_client, serving
from tests.mcp_helpers import initialize_request, ok
from tests.reliability_helpers import rss_mb

pytestmark = pytest.mark.anyio

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}
BALANCE = "/v1/users/balance"
SEND = "/v1/messages/send"
MODERN = "2026-07-28"
LEGACY = "2025-06-18"
ACCEPT = {"Accept": "application/json, text/event-stream"}


def tenant_key(i: int) -> str:
    """A LeTexto key of the shape LeTexto gives, distinct for each `i`."""
    return f"lt_live_tenant{i:06d}_9f8e7d6c5b4a3210"


def with_accounts(sim: SandboxApp, count: int) -> list[str]:
    """Open `count` accounts at the simulator and return their keys."""
    keys = [tenant_key(i) for i in range(count)]
    for key in keys:
        sim.state.add_account(key, balance=100 + int(key[14:20]), senders=[SANDBOX_APPROVED_SENDER])
    return keys


async def eventually(check: Callable[[], bool]) -> None:
    """Until `check()` holds: the server ends a request a moment after its client has hung up."""
    with anyio.fail_after(10):
        while not check():
            await anyio.sleep(0.01)


def tenants_of(app: Any) -> TenantClients:
    runtime: HttpRuntime = app.state.runtime
    return runtime.tenants()


def tenant_of(app: Any, letexto_key: str) -> str:
    """The tenant id the server gives a caller with KEY_A and `letexto_key` (as the middleware does)."""
    runtime: HttpRuntime = app.state.runtime
    assert runtime.tenant_secret is not None
    return TENANT_PREFIX + tenant_client_id(runtime.tenant_secret, KEY_A, letexto_key)


async def client_of(app: Any, letexto_key: str) -> LetextoClient:
    return await tenants_of(app).client(tenant_of(app, letexto_key))


def modern_call(name: str, arguments: dict[str, Any] | None = None, request_id: int = 2) -> dict[str, Any]:
    """A raw 2026-07-28 `tools/call`: one self-contained POST, no session."""
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "raw-test", "version": "0"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    params = {"name": name, "arguments": arguments or {}, "_meta": meta}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def modern_headers(letexto_key: str, name: str) -> dict[str, str]:
    return {
        **ACCEPT,
        **headers_for(KEY_A, letexto_key),
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": name,
    }


def structured(response: httpx.Response | httpx2.Response) -> dict[str, Any]:
    """The structured result of a JSON (not SSE) tools/call answer."""
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert not result.get("isError"), result
    return result["structuredContent"]


@asynccontextmanager
async def in_process(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, called through httpx's ASGI transport (no sockets)."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as http,
    ):
        yield http


def multi_tenant(**overrides: Any) -> Settings:
    return sandbox_settings(mcp_api_keys=[KEY_A], multi_tenant=True, rate_limit=0, **overrides)


async def test_beyond_the_cap_the_least_recently_used_tenant_is_closed(simulator: Any, era: str) -> None:
    a, b, c = with_accounts(simulator, 3)
    before = active_secret_count()
    app = build_http_app(multi_tenant(max_tenant_clients=2), simulator=simulator)
    async with serving(app) as url:
        balances: dict[str, float] = {}
        for key in (a, b, a):  # `a` used last: `b` is now the least recently used
            async with mcp_client(f"{url}/mcp", key=KEY_A, letexto_key=key, mode=era) as client:
                balances[key] = (await ok(client, "get_balance"))["balance"]
        first_a, first_b = await client_of(app, a), await client_of(app, b)
        assert len(tenants_of(app)) == 2 and active_secret_count() == before + 2

        async with mcp_client(f"{url}/mcp", key=KEY_A, letexto_key=c, mode=era) as client:
            balances[c] = (await ok(client, "get_balance"))["balance"]
        await eventually(lambda: first_b.closed)  # the least recently used tenant's pool is closed
        assert not first_a.closed and not (await client_of(app, c)).closed
        assert len(tenants_of(app)) == 2 and tenants_of(app).held_after_drop == 0
        assert active_secret_count() == before + 2, "b's redaction entry went with its client"

        # b comes back: its request carries its key, so a new client is made (and `a` goes).
        async with mcp_client(f"{url}/mcp", key=KEY_A, letexto_key=b, mode=era) as client:
            again = (await ok(client, "get_balance"))["balance"]
        assert again == balances[b] == simulator.state.balance(b)
        assert (await client_of(app, b)) is not first_b
        await eventually(lambda: first_a.closed)
        assert len(tenants_of(app)) == 2 and active_secret_count() == before + 2
    assert balances == {key: simulator.state.balance(key) for key in (a, b, c)}
    assert active_secret_count() == before, "every client is closed with the server"


async def test_a_live_tenants_key_is_masked_in_logs_and_an_evicted_ones_is_no_longer_kept(
    simulator: Any,
) -> None:
    evicted, live = with_accounts(simulator, 2)
    app = build_http_app(multi_tenant(max_tenant_clients=1), simulator=simulator)
    log_filter = SecretLogFilter()  # what `serve --transport http` puts on every handler

    def logged(text: str) -> str:
        record = logging.LogRecord("letexto_mcp.test", logging.WARNING, __file__, 1, text, None, None)
        log_filter.filter(record)
        return record.getMessage()

    async with in_process(app) as http:
        first = await http.post(
            "/mcp", json=modern_call("get_balance"), headers=modern_headers(evicted, "get_balance")
        )
        assert first.status_code == 200
        assert logged(f"key {evicted}") == f"key {MASK}", "masked while its client exists"
        await http.post("/mcp", json=modern_call("get_balance"), headers=modern_headers(live, "get_balance"))
        assert logged(f"a {live} b") == f"a {MASK} b"
        # The evicted key is not held any more, not even by the log filter.
        assert logged(f"key {evicted}") == f"key {evicted}"
        assert len(tenants_of(app)) == 1


async def test_an_idle_tenant_is_closed_and_a_busy_one_is_not(simulator: Any) -> None:
    idle, busy = with_accounts(simulator, 2)
    before = active_secret_count()
    app = build_http_app(multi_tenant(tenant_idle_seconds=1), simulator=simulator)
    async with in_process(app) as http:
        balance = modern_call("get_balance")
        structured(await http.post("/mcp", json=balance, headers=modern_headers(idle, "get_balance")))
        idle_client = await client_of(app, idle)
        simulator.faults.inject(Fault("latency", delay=3.0, path=BALANCE))
        async with anyio.create_task_group() as tg:
            answers: list[dict[str, Any]] = []

            async def slow_read() -> None:
                response = await http.post("/mcp", json=balance, headers=modern_headers(busy, "get_balance"))
                answers.append(structured(response))

            tg.start_soon(slow_read)
            with anyio.fail_after(10):
                while not idle_client.closed:  # swept every quarter of the idle time
                    await anyio.sleep(0.05)
            busy_client = await client_of(app, busy)
            assert not busy_client.closed, "a tenant whose request is running is not idle"
            assert len(tenants_of(app)) == 1 and active_secret_count() == before + 1
        assert answers == [{"balance": simulator.state.balance(busy), "unit": "SMS", "low": False}]
        with anyio.fail_after(10):
            while not busy_client.closed:
                await anyio.sleep(0.05)
        assert len(tenants_of(app)) == 0 and active_secret_count() == before
        again = await http.post("/mcp", json=balance, headers=modern_headers(idle, "get_balance"))
        assert structured(again)["balance"] == simulator.state.balance(idle)


@asynccontextmanager
async def over_loopback(**overrides: Any) -> AsyncIterator[tuple[SandboxApp, Any, str]]:
    """The simulator on a real socket (closing a pool then cuts real connections) and the server."""
    sim = create_app(SandboxConfig(), in_process=False)
    async with serving(sim) as sim_url:
        settings = Settings(
            base_url=sim_url,
            state_url="memory://",
            default_sender=SANDBOX_APPROVED_SENDER,
            send_policy="allow",
            mcp_api_keys=[KEY_A],
            multi_tenant=True,
            rate_limit=0,
            **overrides,
        )
        app = build_http_app(settings)
        async with serving(app) as url:
            yield sim, app, url


async def wait_for_request(sim: SandboxApp, path: str) -> None:
    """Until the simulator has received a request on `path` (it records one on arrival)."""
    with anyio.fail_after(10):
        while not any(r.path == path for r in sim.state.requests):
            await anyio.sleep(0.01)


async def test_a_tenant_evicted_mid_call_finishes_its_call(era: str) -> None:
    async with over_loopback(max_tenant_clients=1) as (sim, app, url):
        sender, other = with_accounts(sim, 2)
        # send_sms reads the balance and senders, then sends: LeTexto holds the first read a second,
        # and the tenant is evicted meanwhile. The rest of the request must run as if nothing happened.
        sim.faults.inject(Fault("latency", delay=1.0, path=BALANCE))
        async with anyio.create_task_group() as tg:
            results: list[dict[str, Any]] = []

            async def send() -> None:
                async with mcp_client(f"{url}/mcp", key=KEY_A, letexto_key=sender, mode=era) as client:
                    results.append(await ok(client, "send_sms", AWA))

            tg.start_soon(send)
            await wait_for_request(sim, BALANCE)
            in_flight = await client_of(app, sender)
            async with mcp_client(f"{url}/mcp", key=KEY_A, letexto_key=other, mode=era) as client:
                await ok(client, "get_balance")  # a second tenant: over the cap of one
            assert not in_flight.closed, "evicted, but its request is still using it"
            assert tenants_of(app).held_after_drop == 1 and len(tenants_of(app)) == 1
        assert results[0]["status"] == "submitted", results
        assert [m.to for m in sim.state.messages] == ["2250707123456"]
        # The client's own last requests (a 2025-era DELETE, a 2026-era tools/list to check the
        # result) may come after the call: `sender` is then back in the LRU, with the same client
        # if a request still held it, else a new one. Whichever: the old one is closed unless kept.
        tenants, tenant = tenants_of(app), tenant_of(app, sender)
        await eventually(lambda: tenants.held_after_drop == 0 and tenants.in_use(tenant) == 0)
        kept = await client_of(app, sender) if tenants.in_lru(tenant) else None
        assert in_flight.closed is (kept is not in_flight) and len(tenants) == 1
        async with mcp_client(f"{url}/mcp", key=KEY_A, letexto_key=sender, mode=era) as client:
            assert (await ok(client, "get_balance"))["balance"] == sim.state.balance(sender)
        assert len(tenants) == 1


async def test_a_call_outliving_its_request_still_finishes_when_its_tenant_is_evicted() -> None:
    """2025 era: a client that hangs up mid-call leaves the tool running in its session."""
    async with over_loopback(max_tenant_clients=1) as (sim, app, url):
        sender, other = with_accounts(sim, 2)
        legacy = {**ACCEPT, **headers_for(KEY_A, sender)}
        async with httpx2.AsyncClient(base_url=url, headers=legacy, timeout=10) as http:
            opened = await http.post("/mcp", json=initialize_request(LEGACY))
            on_session = {"Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": LEGACY}
            initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
            assert (await http.post("/mcp", json=initialized, headers=on_session)).status_code == 202
            sim.faults.inject(Fault("latency", delay=1.0, path=SEND))
            arguments = {**AWA, "idempotency_key": "hang-up-1"}
            call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call"}
            call["params"] = {"name": "send_sms", "arguments": arguments}

            async def post_and_hang_up() -> None:
                await http.post("/mcp", json=call, headers=on_session)

            async with anyio.create_task_group() as tg:
                tg.start_soon(post_and_hang_up)
                await wait_for_request(sim, SEND)
                in_flight = await client_of(app, sender)
                tg.cancel_scope.cancel()  # the client hangs up; the tool keeps running
            tenant = tenant_of(app, sender)
            with anyio.fail_after(10):
                while tenants_of(app).in_use(tenant):  # until the server has ended that request
                    await anyio.sleep(0.01)
            async with mcp_client(f"{url}/mcp", key=KEY_A, letexto_key=other) as client:
                await ok(client, "get_balance")  # evicts `sender` while its send is still held
            assert tenants_of(app).held_after_drop == 0, "no request holds it any more"
            assert not in_flight.closed, "the call running on it keeps it open"
            with anyio.fail_after(10):
                while not in_flight.closed:
                    await anyio.sleep(0.05)
        assert [m.to for m in sim.state.messages] == ["2250707123456"]
        async with mcp_client(f"{url}/mcp", key=KEY_A, letexto_key=sender) as client:
            again = await ok(client, "send_sms", {**AWA, "idempotency_key": "hang-up-1"})
        assert again["status"] == "duplicate", "the first send was recorded as sent, not unknown"
        assert again.get("message_id") == sim.state.messages[0].id, again
        assert len(sim.state.messages) == 1


async def test_ten_thousand_distinct_keys_keep_clients_entries_and_memory_flat() -> None:
    """10,000 keys, a cap of 100: never more than 100 clients or redaction entries, and RSS flat."""
    total, cap, warm, every = 10_000, 100, 2_000, 50
    sim = create_app(SandboxConfig(request_log_limit=100))
    keys = [tenant_key(i) for i in range(total)]
    for key in keys[::every]:
        sim.state.add_account(key)
    before = active_secret_count()
    app = build_http_app(multi_tenant(max_tenant_clients=cap), simulator=sim)
    # A 2026-era notification is authenticated, leased and answered 202 at once (under 1 ms);
    # every 50th key makes a real get_balance through its own client.
    progress = {"progressToken": 1, "progress": 1}
    notification = {"jsonrpc": "2.0", "method": "notifications/progress", "params": progress}
    notify = {**ACCEPT, "MCP-Protocol-Version": MODERN, "Mcp-Method": "notifications/progress"}
    balance = modern_call("get_balance")
    rss: dict[int, float] = {}
    async with in_process(app) as http:
        for i, key in enumerate(keys, 1):
            if i % every == 1:
                response = await http.post("/mcp", json=balance, headers=modern_headers(key, "get_balance"))
                assert structured(response)["balance"] == sim.state.balance(key)
            else:
                response = await http.post(
                    "/mcp", json=notification, headers={**notify, **headers_for(KEY_A, key)}
                )
                assert response.status_code == 202, response.text
            assert len(tenants_of(app)) == min(i, cap)
            assert active_secret_count() - before == min(i, cap)
            if i % warm == 0:
                gc.collect()
                rss[i] = rss_mb(os.getpid())
        assert tenants_of(app).held_after_drop == 0
        # The first key, evicted 9,900 keys ago, works again from the key its request carries.
        response = await http.post("/mcp", json=balance, headers=modern_headers(keys[0], "get_balance"))
        assert structured(response)["balance"] == sim.state.balance(keys[0])
        assert len(tenants_of(app)) == cap and active_secret_count() - before == cap
    assert active_secret_count() == before
    # Before the cap, the 8,000 keys after the first 2,000 added about 27 MB (3.4 KB each).
    growth = max(rss.values()) - rss[warm]
    assert growth < 8.0, {n: f"{mb:.1f} MB" for n, mb in rss.items()}


def test_the_limits_are_read_from_the_environment_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from letexto_mcp.config import ConfigError, load_settings

    defaults = load_settings()
    assert (defaults.max_tenant_clients, defaults.tenant_idle_seconds) == (1000, 600)
    monkeypatch.setenv("LETEXTO_MCP_MAX_TENANT_CLIENTS", "250")
    monkeypatch.setenv("LETEXTO_MCP_TENANT_IDLE_SECONDS", "120")
    assert (load_settings().max_tenant_clients, load_settings().tenant_idle_seconds) == (250, 120)
    for name, bad in (("LETEXTO_MCP_MAX_TENANT_CLIENTS", "0"), ("LETEXTO_MCP_TENANT_IDLE_SECONDS", "soon")):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ConfigError, match=name):
            load_settings()
        monkeypatch.delenv(name)


async def test_a_limit_above_the_open_files_limit_is_warned_about(simulator: Any, caplog: Any) -> None:
    limit = open_files_limit()
    if limit is None or limit > 100_000:
        pytest.skip("no open-files limit to compare with")
    caplog.set_level(logging.WARNING, logger="letexto_mcp.server.http")
    app = build_http_app(multi_tenant(max_tenant_clients=limit), simulator=simulator)
    async with in_process(app):
        pass
    warned = [r.getMessage() for r in caplog.records if "ulimit -n" in r.getMessage()]
    assert warned and "LETEXTO_MCP_MAX_TENANT_CLIENTS" in warned[0]
    caplog.clear()
    async with in_process(build_http_app(multi_tenant(max_tenant_clients=10), simulator=simulator)):
        pass
    assert not [r for r in caplog.records if "ulimit -n" in r.getMessage()]


async def test_tenant_clients_share_one_tls_context() -> None:
    """An httpx client loads the CA bundle into a TLS context of its own (0.8 MB, 50 ms) unless given one."""
    settings = Settings(
        base_url="https://apis.letexto.invalid",  # never reached: these requests make clients, no calls
        state_url="memory://",
        mcp_api_keys=[KEY_A],
        multi_tenant=True,
        rate_limit=0,
    )
    app = build_http_app(settings)
    progress = {"progressToken": 1, "progress": 1}
    notification = {"jsonrpc": "2.0", "method": "notifications/progress", "params": progress}
    notify = {**ACCEPT, "MCP-Protocol-Version": MODERN, "Mcp-Method": "notifications/progress"}
    async with in_process(app) as http:
        first = await http.post(
            "/mcp", json=notification, headers={**notify, **headers_for(KEY_A, tenant_key(0))}
        )
        assert first.status_code == 202
        gc.collect()
        start = rss_mb(os.getpid())
        for i in range(1, 201):
            response = await http.post(
                "/mcp", json=notification, headers={**notify, **headers_for(KEY_A, tenant_key(i))}
            )
            assert response.status_code == 202
        gc.collect()
        grown = rss_mb(os.getpid()) - start
        assert len(tenants_of(app)) == 201
    assert grown < 25.0, f"{grown:.1f} MB for 200 tenant clients (one TLS context each would be ~170 MB)"
