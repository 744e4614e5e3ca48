"""Approvals that cross replicas: opened on one, decided on another, consumed on a third (or the first
again), and the 2026-07-28 input-required round trip answered on the other replica. One send each.

Two replicas share one PostgreSQL schema, LETEXTO_MCP_STATE_SECRET, the client keys and the
approver keys; HAProxy runs docs/deploy/haproxy.cfg in front. Where a step must happen on a given
replica the test asks that replica's port directly; the rest goes through HAProxy.
"""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from bench.cluster import APPROVER_KEY, Cluster
from tests.approval_helpers import csrf_of
from tests.http_helpers import approver
from tests.mcp_helpers import ok
from tests.replica_helpers import (
    StartCluster,
    audit_entries,
    bot_decide,
    on_port,
    server_errors,
    traced_client,
)

pytestmark = [pytest.mark.anyio, pytest.mark.postgres, pytest.mark.lb]

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}


async def _open_on(cluster: Cluster, replica: str, arguments: dict[str, str]) -> dict[str, str]:
    """A send through one replica directly, by a client that cannot show a dialog: the page's record."""
    async with traced_client(f"{cluster.replica(replica).url}/mcp", mode="legacy") as (client, hops):
        opened = await ok(client, "send_sms", arguments)
    assert {hop.replica for hop in hops} == {None}  # straight to the replica, no HAProxy header
    assert opened["status"] == "confirmation_required", opened
    # The page's address is LETEXTO_PUBLIC_URL (HAProxy's), whichever replica opened the record.
    assert opened["approval_url"].startswith(f"{cluster.url}/approvals/"), opened
    return opened


async def _sent_once(cluster: Cluster, opened: dict[str, str], arguments: dict[str, str]) -> None:
    """The retry with the token, through HAProxy, sends; replays on each replica send nothing more."""
    retry = {**arguments, "confirmation_token": opened["confirmation_token"]}
    async with traced_client(f"{cluster.url}/mcp") as (client, _):
        sent = await ok(client, "send_sms", retry)
    assert sent["status"] == "submitted", sent
    for replica in cluster.replicas:
        async with traced_client(f"{replica.url}/mcp") as (client, _):
            again = await ok(client, "send_sms", retry)
        assert again["status"] == "duplicate", again
    state = await cluster.simulator.state()
    assert [(m["to"], m["content"]) for m in state["messages"]] == [("2250707123456", arguments["content"])]
    assert state["messages"][0]["id"] == sent["message_id"]
    outcomes = Counter(entry["outcome"] for entry in audit_entries(cluster.state_url))
    assert outcomes == Counter({"confirmation_required": 1, "submitted": 1, "duplicate": 2}), outcomes
    for replica in cluster.replicas:
        assert server_errors(replica.log_text()) == []


async def test_a_bot_decides_on_another_replica_and_the_retry_sends_once(start_cluster: StartCluster) -> None:
    with start_cluster(policy="approve") as cluster:
        r1, r2 = cluster.replicas
        opened = await _open_on(cluster, "r1", AWA)
        async with httpx.AsyncClient(timeout=30) as http:
            decided = await bot_decide(http, on_port(opened["approval_url"], r2.port))
            on_the_first = await bot_decide(http, on_port(opened["approval_url"], r1.port), approve=False)
        assert decided.status_code == 200 and decided.json() == {"status": "approved"}
        # The opening replica sees the other's decision at once: it is in the shared database.
        assert on_the_first.status_code == 409 and on_the_first.json() == {"status": "approved"}
        assert (await cluster.simulator.state())["messages"] == []  # approving sends nothing by itself
        await _sent_once(cluster, opened, AWA)


async def test_a_person_signed_in_on_one_replica_approves_on_the_other(start_cluster: StartCluster) -> None:
    """The sign-in cookie and the page's CSRF token are signed with keys from the shared state secret."""
    arguments = {**AWA, "content": "Bonjour Awa, rendez-vous demain à 9h."}
    with start_cluster(policy="approve") as cluster:
        r1, r2 = cluster.replicas
        opened = await _open_on(cluster, "r2", arguments)
        page_on_r1 = on_port(opened["approval_url"], r1.port)
        page_on_r2 = on_port(opened["approval_url"], r2.port)
        path = httpx.URL(page_on_r1).path
        # One browser: cookies belong to the host, whatever the port, so r2 gets r1's sign-in cookie.
        async with httpx.AsyncClient(timeout=30, follow_redirects=False) as browser:
            signed = await browser.post(f"{r1.url}/approvals/login", data={"key": APPROVER_KEY, "next": path})
            assert signed.status_code == 303, signed.text
            shown_on_r1 = await browser.get(page_on_r1)
            assert shown_on_r1.status_code == 200
            decided = await browser.post(
                f"{page_on_r2}/approve", data={"csrf": csrf_of(shown_on_r1.text, "approve")}
            )
            assert decided.status_code == 303, decided.text
            after_on_r1 = await browser.get(page_on_r1)
        assert "<form" not in after_on_r1.text  # decided: no buttons left, on either replica
        await _sent_once(cluster, opened, arguments)


async def test_a_2026_approval_answered_on_the_other_replica_sends_once(start_cluster: StartCluster) -> None:
    """2026-07-28: no session; the question goes out sealed in requestState and the answered retry
    lands on the other replica (round robin), which opens the state with the shared keys."""
    arguments = {**AWA, "content": "Bonjour Awa, votre commande est prête."}
    yes = approver()
    with start_cluster(policy="approve") as cluster:
        await cluster.lb.wait_for({"r1": "UP", "r2": "UP"})
        async with traced_client(f"{cluster.url}/mcp", mode="auto", elicitation_callback=yes) as (
            client,
            hops,
        ):
            sent = await ok(client, "send_sms", arguments)
        assert sent["status"] == "submitted", sent
        assert len(yes.questions) == 1
        calls = [hop for hop in hops if hop.method == "tools/call"]
        assert [hop.answers_input for hop in calls] == [False, True], hops
        asked, answered = calls
        assert {asked.replica, answered.replica} == {"r1", "r2"}, hops
        state = await cluster.simulator.state()
        assert [m["content"] for m in state["messages"]] == [arguments["content"]]
        entries = audit_entries(cluster.state_url)
        assert [(e["outcome"], e["letexto_ids"]) for e in entries] == [("submitted", [sent["message_id"]])]
