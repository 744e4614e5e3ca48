"""Two workers behind a round-robin balancer: approvals and tokens cross between them when state is shared."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import httpx2
import mcp.types as types
import pytest
from mcp.shared.exceptions import MCPError

from letexto_mcp.server.http import build_http_app
from tests.conftest import sandbox_settings
from tests.http_helpers import KEY_A, approver, mcp_client, serving
from tests.mcp_helpers import ok, sent_to

pytestmark = pytest.mark.anyio

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}
SECRET = "worker-shared-secret-0123456789abcdef"


class RoundRobin(httpx2.AsyncBaseTransport):
    """A load balancer in the client: each request goes to the next worker; `seen` records which."""

    def __init__(self, ports: list[int]) -> None:
        self._inner = httpx2.AsyncHTTPTransport()
        self._ports = itertools.cycle(ports)
        self.seen: list[int] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = next(self._ports)
        self.seen.append(port)
        request.url = request.url.copy_with(port=port)
        request.headers["host"] = f"127.0.0.1:{port}"
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _settings(tmp_path: Path, secret: str | None) -> Any:
    return sandbox_settings(
        mcp_api_keys=[KEY_A], state_url=f"sqlite:///{tmp_path / 'shared.sqlite3'}", state_secret=secret
    )


async def test_approval_round_trip_and_tokens_cross_workers_with_a_shared_secret(
    tmp_path: Path, simulator: Any
) -> None:
    one = build_http_app(_settings(tmp_path, SECRET), simulator=simulator)
    two = build_http_app(_settings(tmp_path, SECRET), simulator=simulator)
    async with serving(one) as url_one, serving(two) as url_two:
        ports = [int(url_one.rsplit(":", 1)[1]), int(url_two.rsplit(":", 1)[1])]
        balancer = RoundRobin(ports)
        yes = approver()
        async with mcp_client(
            f"{url_one}/mcp", key=KEY_A, transport=balancer, elicitation_callback=yes
        ) as client:
            approved = await ok(client, "send_sms", AWA)
        assert approved["status"] == "submitted", approved
        assert len(yes.questions) == 1
        assert set(balancer.seen) == set(ports)

        balancer = RoundRobin(ports)
        async with mcp_client(f"{url_one}/mcp", key=KEY_A, transport=balancer) as client:
            first = await ok(client, "send_sms", {**AWA, "content": "Deuxième message"})
            confirmed = await ok(
                client,
                "send_sms",
                {**AWA, "content": "Deuxième message", "confirmation_token": first["confirmation_token"]},
            )
            second = {**AWA, "content": "Deuxième message", "confirmation_token": first["confirmation_token"]}
            repeat = await ok(client, "send_sms", second)
            replay = await ok(client, "send_sms", {**second, "allow_duplicate": True})
    assert confirmed["status"] == "submitted"
    assert repeat["status"] == "duplicate"  # the duplicate marks are shared
    assert replay["status"] == "refused"  # and so is the token's single use
    assert sent_to(simulator) == ["2250707123456", "2250707123456"]


async def test_without_a_shared_secret_an_approval_on_another_worker_fails_safe(
    tmp_path: Path, simulator: Any
) -> None:
    one = build_http_app(_settings(tmp_path, None), simulator=simulator)
    two = build_http_app(_settings(tmp_path, None), simulator=simulator)
    async with serving(one) as url_one, serving(two) as url_two:
        ports = [int(url_one.rsplit(":", 1)[1]), int(url_two.rsplit(":", 1)[1])]
        yes = approver()
        balancer = RoundRobin(ports)
        with pytest.raises(Exception) as failure:
            async with mcp_client(
                f"{url_one}/mcp", key=KEY_A, transport=balancer, elicitation_callback=yes
            ) as client:
                await ok(client, "send_sms", AWA)
    # The answered retry reached the worker that did not seal the request state, which refused it:
    # that refusal, and nothing else, is what the client got (inside its task groups' wrapping).
    leaves = _leaves(failure.value)
    assert [type(leaf) for leaf in leaves] == [MCPError], leaves
    refusal = leaves[0].error
    assert (refusal.code, refusal.message, refusal.data) == (
        types.INVALID_PARAMS,
        "Invalid or expired requestState",
        {"reason": "invalid_request_state"},
    )
    assert len(yes.questions) == 1
    assert set(balancer.seen) == set(ports)
    assert simulator.state.messages == []


def _leaves(error: BaseException) -> list[BaseException]:
    inner = getattr(error, "exceptions", None)  # an exception group, from the client's task groups
    if inner:
        return [leaf for exc in inner for leaf in _leaves(exc)]
    return [error]
