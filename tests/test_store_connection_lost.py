"""The state database's connections cut while LeTexto holds the answer to a send (PostgreSQL).

The write-ahead `sending` entry is in the database, the request has left, and every connection of
the server is terminated by the database (`pg_terminate_backend`, as a failover or a network cut
would). The answer comes back; the outcome cannot be recorded at once. What must hold: the client
gets the answer, nothing is sent twice meanwhile (a retry of the same key, or the same text,
answers `duplicate`), and the outcome is recorded once the database answers again, at a beat of
the lease, without a restart: the entry does not stay `sending`.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import anyio
import psycopg
import pytest
from mcp import Client

from letexto_mcp.sandbox import Fault
from letexto_mcp.server.app import build_server
from tests.conftest import sandbox_settings
from tests.mcp_helpers import call, ok
from tests.postgres_helpers import fresh_schema

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

SEND = "/v1/messages/send"
AWA = {
    "to": "07 07 12 34 56",
    "content": "Bonjour Awa, la réunion est à 15h.",
    "idempotency_key": "reunion-15h",
}
HELD = 3.0  # seconds the simulator holds its answer to the send


async def rows(url: str, query: str) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        return await (await conn.execute(query)).fetchall()


async def audit_outcomes(client: Any) -> list[str]:
    result = await client.read_resource("letexto://sends/today")
    return [entry["outcome"] for entry in json.loads(result.contents[0].text)["entries"]]


async def test_a_connection_cut_while_the_answer_is_awaited_is_recorded_later_and_never_resent(
    simulator: Any,
) -> None:
    app_name = f"lost-{secrets.token_hex(4)}"  # only this server's connections are cut
    with fresh_schema() as schema_url:
        url = f"{schema_url}&application_name={app_name}"
        settings = sandbox_settings(
            state_url=url,
            state_secret="connection-lost-state-secret-0123",
            send_policy="allow",
            lease_seconds=6,
        )
        async with Client(build_server(settings, simulator=simulator)) as client:
            simulator.faults.inject(Fault("latency", delay=HELD, path=SEND))
            answers: list[Any] = []
            async with anyio.create_task_group() as group:

                async def send() -> None:
                    answers.append(await ok(client, "send_sms", AWA))

                group.start_soon(send)
                with anyio.fail_after(10):  # the write-ahead entry is written before the request leaves
                    while not await rows(schema_url, "SELECT 1 FROM audit WHERE entry LIKE '%\"sending\"%'"):
                        await anyio.sleep(0.05)
                cut = await rows(
                    schema_url,
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE application_name = '{app_name}'",
                )
                assert cut, "the server held connections to cut"

            assert answers[0]["status"] == "submitted", answers
            assert len(simulator.state.messages) == 1

            # Until the outcome is recorded, the same key and the same text are held back, never sent.
            again = await call(client, "send_sms", AWA)
            assert again.data["status"] in {"duplicate", "submitted"}, again.data
            same_text = await call(client, "send_sms", {**AWA, "idempotency_key": "other-key"})
            assert same_text.data["status"] == "duplicate", same_text.data

            with anyio.fail_after(30):  # recorded at a beat of the lease (every 2 s here)
                while "in progress" in (replay := await ok(client, "send_sms", AWA))["message"]:
                    await anyio.sleep(0.5)
            assert replay["status"] == "duplicate" and "submitted" in replay["message"], replay
            assert replay["message_id"] == answers[0]["message_id"], "the key answers with its first result"
            outcomes = await audit_outcomes(client)
            assert "sending" not in outcomes and outcomes.count("submitted") == 1, outcomes
            assert len(simulator.state.messages) == 1, "never sent a second time"
