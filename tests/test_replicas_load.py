"""Load through HAProxy: 50 clients for 60 seconds on two replicas sharing one PostgreSQL schema.

The mix: reads (get_balance, list_senders), previews, and sends under policy `approve` (the call
answers `confirmation_required` with an approval page; a bot approves it on the page's endpoint
`POST /approvals/{id}/approve` with an approver key, through HAProxy; the caller's retry with the
token sends), single SMS and small campaigns, for two tenants (two client keys). One client in five
speaks the 2025 era (sessions, sticky to one replica); the others the 2026-07-28 stateless protocol.

Then: no call failed and no request got a 5xx; every send is in the audit log once (its tenant's
`submitted` entry naming its LeTexto id) and at the simulator once (no double send); both replicas
took a share; the delivery reports LeTexto posted to the public address (HAProxy) were recorded,
whichever replica received them; and no replica logged an error.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import pytest

from bench.cluster import CLIENT_KEYS, Cluster
from tests.replica_helpers import (
    StartCluster,
    audit_entries,
    bot_decide,
    lb_requests,
    server_errors,
    text_of,
    traced_client,
)

pytestmark = [pytest.mark.anyio, pytest.mark.slow, pytest.mark.postgres, pytest.mark.lb]

CLIENTS = 50
DURATION = 60.0
LEGACY_EVERY = 5  # one client in five opens 2025-era sessions
CALLS_PER_SESSION = 25
SENDS = ("send_sms", "create_sms_campaign")
FINAL_REPORTS = {"DELIVERED", "FAILED"}
REPORTS_WAIT = 60.0


@dataclass
class Sent:
    tool: str
    key: str
    letexto_id: str
    to: str
    content: str


@dataclass
class Tally:
    calls: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    sessions: Counter[str] = field(default_factory=Counter)
    served: Counter[str] = field(default_factory=Counter)


def _number(rng: random.Random) -> str:
    return (
        f"07 {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}"
    )


async def _approved_send(
    client: Any, bot: httpx.AsyncClient, tool: str, arguments: dict[str, Any], tally: Tally
) -> dict[str, Any] | None:
    """Call, approve on the page's bot endpoint, retry with the token: the final answer (None: failed)."""
    first = await client.call_tool(tool, arguments)
    opened = first.structured_content or {}
    if first.is_error or opened.get("status") != "confirmation_required":
        tally.errors.append(f"{tool} first call: {opened.get('status')} {text_of(first)[:200]}")
        return None
    decided = await bot_decide(bot, opened["approval_url"])
    if decided.status_code != 200:
        tally.errors.append(f"{tool} approval: {decided.status_code} {decided.text[:200]}")
        return None
    retry = await client.call_tool(tool, {**arguments, "confirmation_token": opened["confirmation_token"]})
    done = retry.structured_content or {}
    if retry.is_error or done.get("status") != "submitted":
        tally.errors.append(f"{tool} retry: {done.get('status')} {text_of(retry)[:200]}")
        return None
    return done


async def _one_call(
    client: Any, bot: httpx.AsyncClient, rng: random.Random, label: str, key: str, tally: Tally
) -> None:
    roll = rng.random()
    if roll < 0.20:
        name, arguments = "get_balance", {}
    elif roll < 0.30:
        name, arguments = "list_senders", {}
    elif roll < 0.55:
        name, arguments = "preview_sms", {"to": _number(rng), "content": f"Aperçu {label}"}
    elif roll < 0.92:
        to, content = _number(rng), f"Votre code {label}"
        done = await _approved_send(client, bot, "send_sms", {"to": to, "content": content}, tally)
        tally.calls["send_sms"] += 1
        if done is not None:
            tally.sent.append(Sent("send_sms", key, done["message_id"], to, content))
        return
    else:
        contacts = [{"phone": _number(rng), "name": f"Client {i}"} for i in range(3)]
        arguments = {
            "label": f"Relance {label}",
            "content": f"Bonjour {{{{name}}}}, {label}",
            "contacts": contacts,
        }
        done = await _approved_send(client, bot, "create_sms_campaign", arguments, tally)
        tally.calls["create_sms_campaign"] += 1
        if done is not None:
            tally.sent.append(Sent("create_sms_campaign", key, done["campaign_id"], "", arguments["content"]))
        return
    result = await client.call_tool(name, arguments)
    tally.calls[name] += 1
    if result.is_error:
        tally.errors.append(f"{name}: {text_of(result)[:200]}")


async def client_loop(cluster: Cluster, n: int, deadline: float, tally: Tally) -> None:
    """One client: sessions of CALLS_PER_SESSION calls (2025 era) or one long stateless client."""
    era = "legacy" if n % LEGACY_EVERY == 0 else "auto"
    key = CLIENT_KEYS[n % len(CLIENT_KEYS)]
    rng = random.Random(n)
    made = 0
    async with httpx.AsyncClient(timeout=60) as bot:
        while time.monotonic() < deadline:
            try:
                async with traced_client(f"{cluster.url}/mcp", key=key, mode=era) as (client, hops):
                    tally.sessions[era] += 1
                    for _ in range(CALLS_PER_SESSION if era == "legacy" else 1_000_000):
                        if time.monotonic() >= deadline:
                            break
                        made += 1
                        await _one_call(client, bot, rng, f"{n}-{made}", key, tally)
                tally.served.update(hop.replica or "?" for hop in hops)
                bad = [hop for hop in hops if hop.status >= 500]
                if bad:
                    tally.errors.append(f"{era} client {n}: {bad[:3]}")
                if era == "legacy" and len({hop.replica for hop in hops}) != 1:
                    tally.errors.append(f"a 2025-era session moved between replicas: {hops[:6]}")
            except Exception as error:
                tally.errors.append(f"{era} client {n}: {describe(error)}"[:600])
                await anyio.sleep(0.2)


def describe(error: BaseException) -> str:
    """The error, or the leaves of an exception group (the SDK client wraps errors in task groups)."""
    inner = getattr(error, "exceptions", None)
    if inner:
        return "; ".join(describe(leaf) for leaf in inner)
    return f"{type(error).__name__}: {error}"


async def _final_reports(cluster: Cluster, ids: set[str]) -> dict[str, dict[str, Any]]:
    """Poll the simulator until it has posted a final report for each of `ids`; the final posts."""
    with anyio.move_on_after(REPORTS_WAIT):
        while True:
            state = await cluster.simulator.state()
            final = {d["messageId"]: d for d in state["dlrDeliveries"] if d["status"] in FINAL_REPORTS}
            if ids <= set(final):
                return final
            await anyio.sleep(0.5)
    raise AssertionError(f"{len(ids - set(final))} final delivery reports never posted")


def _report_rows(state_url: str) -> list[tuple[str, str, str]]:
    import psycopg

    with psycopg.connect(state_url, autocommit=True) as conn:
        rows = conn.execute("SELECT tenant, message_id, status FROM delivery_reports").fetchall()
    return [(str(t), str(m), str(s)) for t, m, s in rows]


async def test_fifty_clients_for_a_minute_through_haproxy(start_cluster: StartCluster) -> None:
    tally = Tally()
    with start_cluster(
        policy="approve", LETEXTO_MCP_RATE_LIMIT="0", LETEXTO_SENDS_PER_MINUTE="1000000"
    ) as cluster:
        await cluster.lb.wait_for({"r1": "UP", "r2": "UP"})
        deadline = time.monotonic() + DURATION
        with anyio.fail_after(DURATION + 240):
            async with anyio.create_task_group() as group:
                for n in range(CLIENTS):
                    group.start_soon(client_loop, cluster, n, deadline, tally)

        singles = [s for s in tally.sent if s.tool == "send_sms"]
        campaigns = [s for s in tally.sent if s.tool == "create_sms_campaign"]
        reports = await _final_reports(cluster, {s.letexto_id for s in singles})
        state = await cluster.simulator.state()
        entries = audit_entries(cluster.state_url)
        report_rows = _report_rows(cluster.state_url)
        logged = lb_requests(cluster.lb.log_text())
        assert all(replica.running() for replica in cluster.replicas)
        for replica in cluster.replicas:
            assert server_errors(replica.log_text()) == [], replica.name

    print(
        f"\n{sum(tally.calls.values())} calls ({dict(tally.calls)}), {len(tally.sent)} approved sends; "
        f"sessions {dict(tally.sessions)}; requests per replica {dict(tally.served)}; "
        f"{len(logged)} requests through HAProxy, {len(report_rows)} delivery reports recorded"
    )
    assert tally.errors == []
    assert sum(tally.calls.values()) >= CLIENTS * 5, "the load was too light to mean anything"
    assert len(tally.sent) == tally.calls["send_sms"] + tally.calls["create_sms_campaign"]
    assert tally.sessions["legacy"] >= CLIENTS // LEGACY_EVERY
    assert {line.status for line in logged} <= {200, 202}, Counter(line.status for line in logged)
    assert min(tally.served["r1"], tally.served["r2"]) >= 0.3 * sum(tally.served.values()), tally.served

    # The audit log: each send's tenant has one `submitted` entry naming it, and nothing else sent.
    submitted = [e for e in entries if e["outcome"] == "submitted"]
    named = Counter(letexto_id for e in submitted for letexto_id in e["letexto_ids"])
    assert named == Counter(s.letexto_id for s in tally.sent)
    assert Counter(e["outcome"] for e in entries) == Counter(
        {"confirmation_required": len(tally.sent), "submitted": len(tally.sent)}
    )
    tenants = {e["tenant"] for e in submitted}
    assert len(tenants) == len(CLIENT_KEYS)  # one per client key
    tenant_of = {letexto_id: e["tenant"] for e in submitted for letexto_id in e["letexto_ids"]}
    by_key = {key: {tenant_of[s.letexto_id] for s in tally.sent if s.key == key} for key in CLIENT_KEYS}
    assert all(len(found) == 1 for found in by_key.values()) and len(set.union(*by_key.values())) == 2

    # The simulator: every message and campaign once, and nothing it did not hear about.
    assert sorted(m["id"] for m in state["messages"]) == sorted(s.letexto_id for s in singles)
    assert sorted(c["id"] for c in state["smsCampaigns"]) == sorted(s.letexto_id for s in campaigns)
    pairs = Counter((m["to"], m["content"]) for m in state["messages"])
    assert max(pairs.values(), default=1) == 1
    posts = Counter(r["path"] for r in state["requests"] if r["method"] == "POST")
    assert posts["/v1/messages/send"] == len(singles) and posts["/v1/campaigns/sms"] == len(campaigns)

    # Delivery reports came back through HAProxy and were recorded under the sender's tenant.
    assert {d["httpStatus"] for d in reports.values()} == {200}
    final_rows = {(t, m) for t, m, s in report_rows if s in FINAL_REPORTS}
    assert final_rows == {(tenant_of[s.letexto_id], s.letexto_id) for s in singles}
