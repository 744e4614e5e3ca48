"""Replicas behind HAProxy in the tests: skip rules, the cluster fixture, clients that see which replica
answered, and what the shared records say (the audit table, the simulator's messages).

HAProxy is Debian's package (`make lb`). Without it the replica tests are skipped, all on one line
of the summary (they skip from here); `LETEXTO_TEST_REQUIRE_LB=1` (set by `.ci/run`) fails them.

PYTEST_DONT_REWRITE: loaded as a plugin by the root conftest, and imported by the test modules.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from bench.cluster import APPROVER_KEY, CLIENT_KEYS, Cluster, haproxy_binary, run_cluster
from tests.postgres_helpers import fresh_schema

REQUIRE_LB = "LETEXTO_TEST_REQUIRE_LB"
HOW_TO_RUN = (
    "replica tests skipped: haproxy is not installed (`make lb` installs Debian's package); "
    f"{REQUIRE_LB}=1 makes this a failure"
)
KEY_ONE, KEY_TWO = CLIENT_KEYS


def require_haproxy() -> str:
    """HAProxy's path; skips the calling test (fails it when CI requires HAProxy) from this one place."""
    binary = haproxy_binary()
    if binary is None:
        if os.environ.get(REQUIRE_LB, "").strip() not in ("", "0"):
            pytest.fail(f"{REQUIRE_LB}=1 but haproxy is not installed (make lb)")
        pytest.skip(HOW_TO_RUN)
    return binary


StartCluster = Callable[..., AbstractContextManager[Cluster]]


@pytest.fixture
def start_cluster(tmp_path: Path) -> StartCluster:
    """A factory: `with start_cluster(policy=...) as cluster:` runs the simulator, two replicas on a
    fresh PostgreSQL schema of their own, and HAProxy; `state_url=` puts them on another database."""
    binary = require_haproxy()

    @contextmanager
    def started(state_url: str | None = None, **options: Any) -> Iterator[Cluster]:
        if state_url is not None:
            with run_cluster(tmp_path / "cluster", state_url, haproxy=binary, **options) as cluster:
                yield cluster
            return
        with (
            fresh_schema() as url,
            run_cluster(tmp_path / "cluster", url, haproxy=binary, **options) as cluster,
        ):
            yield cluster

    return started


@dataclass
class Hop:
    """One HTTP exchange of a client: what it asked, which replica answered (X-Served-By), the status."""

    method: str
    replica: str | None
    status: int
    answers_input: bool = False
    """A tools/call retry that carries the user's answers (2026-07-28 input-required round trip)."""


def _hop(response: httpx2.Response) -> Hop:
    method = response.request.method
    answers = False
    try:
        body = json.loads(response.request.content or b"null")
    except (ValueError, httpx2.RequestNotRead):
        body = None
    if isinstance(body, dict) and isinstance(body.get("method"), str):
        method = body["method"]
        params = body.get("params")
        answers = isinstance(params, dict) and bool(params.get("inputResponses"))
    return Hop(method, response.headers.get("x-served-by"), response.status_code, answers)


@asynccontextmanager
async def traced_client(
    url: str, *, key: str = KEY_ONE, mode: str = "auto", **kwargs: Any
) -> AsyncIterator[tuple[Client, list[Hop]]]:
    """The SDK's client on Streamable HTTP at `url` (…/mcp), and the list of its exchanges so far."""
    hops: list[Hop] = []

    async def record(response: httpx2.Response) -> None:
        hops.append(_hop(response))

    async with (
        httpx2.AsyncClient(
            headers={"Authorization": f"Bearer {key}"},
            event_hooks={"response": [record]},
            timeout=httpx2.Timeout(30, read=120),
        ) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode, **kwargs) as client,
    ):
        yield client, hops


def served_by(hops: list[Hop], method: str = "tools/call") -> list[str | None]:
    return [hop.replica for hop in hops if hop.method == method]


def on_port(url: str, port: int) -> str:
    """`url` with its port replaced: the same page, asked of one replica directly."""
    parts = urlsplit(url)
    return parts._replace(netloc=f"{parts.hostname}:{port}").geturl()


async def bot_decide(
    http: httpx.AsyncClient, approval_url: str, approve: bool = True, key: str = APPROVER_KEY
) -> httpx.Response:
    """What a chat-ops bot does with its Approve or Decline button."""
    action = "approve" if approve else "decline"
    return await http.post(f"{approval_url}/{action}", headers={"Authorization": f"Bearer {key}"})


def audit_entries(state_url: str) -> list[dict[str, Any]]:
    """Every audit entry in the replicas' schema, oldest first, with its tenant."""
    import psycopg

    with psycopg.connect(state_url, autocommit=True) as conn:
        rows = conn.execute("SELECT tenant, entry FROM audit ORDER BY id").fetchall()
    return [{**json.loads(entry), "tenant": tenant} for tenant, entry in rows]


def text_of(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


# HAProxy's httplog line: client [date] frontend backend/server Tq/Tw/Tc/Tr/Ta status bytes cookie cookie
# flags actconn/feconn/beconn/srv_conn/retries srv_queue/backend_queue "METHOD path HTTP/x"; `retries`
# starts with "+" when the request was redispatched to another server after a refused connection.
_LB_LINE = re.compile(
    r"^\S+ \[[^\]]+\] (?P<frontend>\S+) (?P<backend>[^/\s]+)/(?P<server>\S+) \S+ (?P<status>-?\d+) "
    r"\S+ \S+ \S+ \S{4} \S+/(?P<retries>\S+) \S+ \"(?P<method>\S+) (?P<path>\S+)"
)


@dataclass
class LbRequest:
    """One request as HAProxy logged it."""

    backend: str
    server: str
    status: int
    redispatched: bool
    method: str
    path: str


def lb_requests(log: str) -> list[LbRequest]:
    """The client requests in HAProxy's log (its statistics page's own lines left out)."""
    found = []
    for line in log.splitlines():
        match = _LB_LINE.match(line)
        if match and match["frontend"] != "stats":
            found.append(
                LbRequest(
                    match["backend"],
                    match["server"],
                    int(match["status"]),
                    match["retries"].startswith("+"),
                    match["method"],
                    match["path"],
                )
            )
    return found


def raised(log: str) -> list[str]:
    """The exception line that ends each traceback in a log."""
    found: list[str] = []
    inside = False
    for line in log.splitlines():
        if line.startswith("Traceback (most recent call last)"):
            inside = True
        elif inside and line and not line[0].isspace():
            found.append(line)
            inside = False
    return found


def server_errors(log: str) -> list[str]:
    """Lines of a replica's log that show a failure: tracebacks, errors, 5xx answers."""
    return [
        line
        for line in log.splitlines()
        if "Traceback" in line or " ERROR " in line or "ERROR:" in line or '" 50' in line
    ]
