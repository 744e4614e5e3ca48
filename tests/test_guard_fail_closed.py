"""The guard fails closed: each way a send could slip through, tried through real parts.

Each test here failed on the guard before it was rebuilt as one pipeline (see the git history):
unknown errors read as "not sent", allow_duplicate outside the approval, last-writer-wins marks,
a send with no audit row, an unreadable account shown as "unknown", duplicates by exact bytes only.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
import httpx
import mcp_types as types
import pytest
from mcp import Client

from letexto_mcp.guard import Caps, SendGuard, SendOutcome, SendPlan
from letexto_mcp.letexto import errors as lx
from letexto_mcp.letexto.outcome import send_failure
from letexto_mcp.sandbox.faults import Fault
from letexto_mcp.server.app import build_server
from letexto_mcp.states import SendFailure
from letexto_mcp.store import SqliteStore, StateStore
from tests.conftest import sandbox_settings
from tests.mcp_helpers import call, ok

pytestmark = pytest.mark.anyio

AWA = "2250707123456"


# -- 1. one place decides sent / not sent / unknown ---------------------------------------------------


def _api(kind: type[lx.LetextoAPIError], status: int) -> lx.LetextoAPIError:
    return kind("refused", operation="send_sms", status_code=status)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (lx.RequestNotSentError("refused", operation="send_sms"), SendFailure.NOT_SENT),
        (_api(lx.InvalidRequestError, 400), SendFailure.NOT_SENT),
        (_api(lx.SenderNotAuthorizedError, 400), SendFailure.NOT_SENT),
        (_api(lx.InsufficientBalanceError, 402), SendFailure.NOT_SENT),
        (_api(lx.AuthenticationError, 401), SendFailure.NOT_SENT),
        (_api(lx.RateLimitedError, 429), SendFailure.NOT_SENT),
        (lx.OutcomeUnknownError("timed out", operation="send_sms"), SendFailure.UNKNOWN),
        (_api(lx.ServerError, 502), SendFailure.UNKNOWN),
        (_api(lx.UnexpectedResponseError, 201), SendFailure.UNKNOWN),
        (_api(lx.UnexpectedResponseError, 302), SendFailure.UNKNOWN),
        (_api(lx.InvalidRequestError, 500), SendFailure.UNKNOWN),  # a 4xx class with a 5xx code: no proof
        (RuntimeError("a bug in our own code"), SendFailure.UNKNOWN),
        (httpx.ConnectError("raw, unclassified"), SendFailure.UNKNOWN),
        (KeyError("message_id"), SendFailure.UNKNOWN),
    ],
)
def test_only_a_proven_refusal_counts_as_not_sent(error: BaseException, expected: SendFailure) -> None:
    assert send_failure(error) is expected


async def test_a_send_whose_answer_breaks_our_parser_blocks_the_same_send(simulator: Any) -> None:
    """LeTexto accepted it (201) but the body is garbage: it left, so nothing may be released."""
    server = build_server(sandbox_settings(send_policy="allow"), simulator=simulator)
    simulator.faults.inject(Fault("malformed", path="/v1/messages/send", count=1))
    args = {"to": "0707123456", "content": "Rappel : réunion à 15h."}
    async with Client(server) as client:
        first = await ok(client, "send_sms", args)
        again = await ok(client, "send_sms", args)
    assert first["status"] == "outcome_unknown"
    assert again["status"] == "duplicate" and again["refusal"]["cap"] == "outcome_unknown"
    assert [r.path for r in simulator.state.requests].count("/v1/messages/send") == 1, "tried once only"


# -- 2. marks are per attempt; approvals bind allow_duplicate -------------------------------------------


def _plan(content: str = "Rappel") -> SendPlan:
    return SendPlan(
        tool="send_sms",
        tenant="acme",
        request={"to": AWA, "content": content},
        recipients=[AWA],
        parts_per_message_max=1,
        total_parts=1,
        credits=1.0,
        sender="ACME",
        sender_approved=True,
        preview={"text": content},
    )


def _guard(store: StateStore) -> SendGuard:
    def classify(error: BaseException) -> SendFailure:
        return SendFailure.NOT_SENT if isinstance(error, ConnectionRefusedError) else SendFailure.UNKNOWN

    return SendGuard(
        store=store,
        policy="allow",
        caps=Caps(max_recipients=10, max_parts_per_message=5),
        budget_limit=None,
        sends_per_minute=100,
        duplicate_window=600.0,
        token_ttl=600.0,
        classify_failure=classify,
    )


async def test_a_forced_attempt_that_fails_cannot_unblock_a_live_one(tmp_path: Path) -> None:
    """A in flight; B (allow_duplicate) fails before leaving and undoes its claim; C must still wait.

    With one mark per request, B's undo wrote "resolved" over A's "in_flight" and C sent again
    while A was still on the wire: a double send under policy allow.
    """
    store = SqliteStore(tmp_path / "state.db")
    guard = _guard(store)
    a_on_the_wire, release_a = anyio.Event(), anyio.Event()
    sent: list[str] = []

    async def slow_send() -> Mapping[str, Any]:
        sent.append("A")
        a_on_the_wire.set()
        await release_a.wait()
        return {"status": "submitted", "message_id": "m-A"}

    async def refused_send() -> Mapping[str, Any]:
        raise ConnectionRefusedError("LeTexto unreachable")

    async def quick_send() -> Mapping[str, Any]:
        sent.append("C")
        return {"status": "submitted", "message_id": "m-C"}

    outcomes: dict[str, SendOutcome] = {}

    async def attempt_a() -> None:
        answer = await guard.run(_plan(), perform=slow_send)
        assert isinstance(answer, SendOutcome)
        outcomes["A"] = answer

    async with anyio.create_task_group() as group:
        group.start_soon(attempt_a)
        await a_on_the_wire.wait()
        b = await guard.run(_plan(), perform=refused_send, allow_duplicate=True)
        c = await guard.run(_plan(), perform=quick_send)
        release_a.set()
    assert isinstance(b, SendOutcome) and b.status == "failed"
    assert isinstance(c, SendOutcome) and c.status == "duplicate" and "in progress" in c.message
    assert outcomes["A"].status == "submitted"
    assert sent == ["A"]
    await store.close()


_HOLDER = textwrap.dedent(
    """
    import sys, anyio
    from letexto_mcp.guard import Caps, SendGuard, SendPlan
    from letexto_mcp.store import SqliteStore

    async def main() -> None:
        store = SqliteStore(sys.argv[1])
        guard = SendGuard(store=store, policy="allow", caps=Caps(max_recipients=10, max_parts_per_message=5),
                          budget_limit=None, sends_per_minute=100, duplicate_window=600.0, token_ttl=600.0)
        plan = SendPlan(tool="send_sms", tenant="acme", request={"to": "2250707123456", "content": "Rappel"},
                        recipients=["2250707123456"], parts_per_message_max=1, total_parts=1, credits=1.0,
                        sender="ACME", sender_approved=True, preview={"text": "Rappel"})

        async def perform():
            print("on-the-wire", flush=True)
            await anyio.to_thread.run_sync(sys.stdin.readline)
            return {"status": "submitted", "message_id": "m-A"}

        outcome = await guard.run(plan, perform=perform)
        print(outcome.status.value, flush=True)
        await store.close()

    anyio.run(main)
    """
)


async def test_two_processes_on_one_state_file_never_send_twice(tmp_path: Path) -> None:
    """The same interleaving, attempt A in another process sharing the SQLite file."""
    path = tmp_path / "state.db"
    SqliteStore(path)  # create the schema once
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        line = await anyio.to_thread.run_sync(holder.stdout.readline)
        assert line.strip() == "on-the-wire"
        store = SqliteStore(path)
        guard = _guard(store)
        sent: list[str] = []

        async def refused_send() -> Mapping[str, Any]:
            raise ConnectionRefusedError("LeTexto unreachable")

        async def quick_send() -> Mapping[str, Any]:
            sent.append("C")
            return {"status": "submitted"}

        b = await guard.run(_plan(), perform=refused_send, allow_duplicate=True)
        c = await guard.run(_plan(), perform=quick_send)
        assert isinstance(b, SendOutcome) and b.status == "failed"
        assert isinstance(c, SendOutcome) and c.status == "duplicate"
        holder.stdin.write("go\n")
        holder.stdin.flush()
        status = await anyio.to_thread.run_sync(holder.stdout.readline)
        assert status.strip() == "submitted"
        assert sent == []
        d = await guard.run(_plan(), perform=quick_send)
        assert isinstance(d, SendOutcome) and d.status == "duplicate", "A's send now blocks the window"
        await store.close()
    finally:
        holder.kill()
        holder.wait()


async def test_an_approved_call_replayed_with_allow_duplicate_is_not_honoured(simulator: Any) -> None:
    """The model cannot lift an outcome_unknown block by adding allow_duplicate to an approved call."""
    server = build_server(sandbox_settings(send_policy="confirm"), simulator=simulator)
    args = {"to": "0707123456", "content": "Votre code : 4821"}
    async with Client(server) as client:
        first = await ok(client, "send_sms", args)
        forced = await ok(
            client,
            "send_sms",
            {**args, "allow_duplicate": True, "confirmation_token": first["confirmation_token"]},
        )
    assert forced["status"] == "refused" and "request changed" in forced["message"]
    assert simulator.state.messages == []


# -- 3. no audit entry, no send -------------------------------------------------------------------------


async def test_a_store_that_refuses_the_audit_entry_sends_nothing(simulator: Any, tmp_path: Path) -> None:
    """A real SQLite file whose audit table refuses inserts (as a full disk would)."""
    path = tmp_path / "state.db"
    SqliteStore(path)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TRIGGER audit_full BEFORE INSERT ON audit BEGIN SELECT RAISE(FAIL, 'disk full'); END"
        )
    settings = sandbox_settings(send_policy="allow", state_url=f"sqlite:///{path}", daily_budget_parts=5)
    args = {"to": "0707123456", "content": "Rappel", "idempotency_key": "run-1"}
    async with Client(build_server(settings, simulator=simulator)) as client:
        refused = await ok(client, "send_sms", args)
        with sqlite3.connect(path) as conn:
            conn.execute("DROP TRIGGER audit_full")
        retried = await ok(client, "send_sms", args)
    assert refused["status"] == "failed"
    assert refused["message"].startswith("the audit log could not be written: nothing was sent")
    assert retried["status"] == "submitted", "the key, the mark and the budget were given back"
    assert len(simulator.state.messages) == 1


# -- 5. an unreadable account is not "unknown" ------------------------------------------------------------


async def test_an_outage_is_shown_in_the_preview_and_in_the_approval_question(simulator: Any) -> None:
    questions: list[str] = []

    async def decline(context: Any, params: Any) -> types.ElicitResult:
        questions.append(params.message)
        return types.ElicitResult(action="decline")

    server = build_server(sandbox_settings(send_policy="confirm"), simulator=simulator)
    simulator.faults.inject(Fault("status", status=503, path="/v1/users/balance", count=20))
    async with Client(server, elicitation_callback=decline) as client:
        preview = await ok(client, "preview_sms", {"to": "0707123456", "content": "Bonjour"})
        result = await ok(client, "send_sms", {"to": "0707123456", "content": "Bonjour"})
    assert preview["cost"]["balance"] is None
    assert any(w.startswith("balance unknown: LeTexto could not be read") for w in preview["warnings"])
    assert "503" in " ".join(preview["warnings"]) and "Warning: balance unknown" in preview["summary"]
    assert result["status"] == "declined"
    assert "Warning: balance unknown: LeTexto could not be read" in questions[0]
    assert simulator.state.messages == []


async def test_a_refused_key_is_an_error_naming_the_setting_not_an_unknown_balance(simulator: Any) -> None:
    settings = sandbox_settings(send_policy="allow")
    server = build_server(settings, simulator=simulator)
    simulator.faults.inject(Fault("status", status=401, path="/v1/", count=10))
    async with Client(server) as client:
        preview = await call(client, "preview_sms", {"to": "0707123456", "content": "Bonjour"})
        send = await call(client, "send_sms", {"to": "0707123456", "content": "Bonjour"})
    for answer in (preview, send):
        assert answer.is_error and "LETEXTO_API_TOKEN" in answer.text
    assert simulator.state.messages == []


# -- 8. duplicates by meaning -------------------------------------------------------------------------------


async def test_the_same_campaign_with_its_contacts_reordered_is_a_duplicate(simulator: Any) -> None:
    contacts = [{"phone": "0707123456", "nom": "Awa"}, {"phone": "0505123456", "nom": "Koffi"}]
    server = build_server(sandbox_settings(send_policy="allow"), simulator=simulator)
    base = {"label": "Rappel", "content": "Bonjour {{nom}}, réunion à 15h."}
    async with Client(server) as client:
        first = await ok(client, "create_sms_campaign", {**base, "contacts": contacts})
        reordered = await ok(client, "create_sms_campaign", {**base, "contacts": contacts[::-1]})
        relabelled = await ok(client, "create_sms_campaign", {**base, "label": "Autre", "contacts": contacts})
        other_text = await ok(
            client, "create_sms_campaign", {**base, "content": "Salut {{nom}}", "contacts": contacts}
        )
    assert first["status"] == "submitted"
    assert reordered["status"] == relabelled["status"] == "duplicate"
    assert other_text["status"] == "submitted"
    assert len(simulator.state.sms_campaigns) == 2


async def test_send_sms_and_a_one_contact_campaign_with_the_same_text_are_one_send(simulator: Any) -> None:
    server = build_server(sandbox_settings(send_policy="allow"), simulator=simulator)
    async with Client(server) as client:
        single = await ok(client, "send_sms", {"to": "07 07 12 34 56", "content": "Bonjour Awa"})
        campaign = await ok(
            client,
            "create_sms_campaign",
            {
                "label": "L",
                "content": "Bonjour {{nom}}",
                "contacts": [{"phone": "+2250707123456", "nom": "Awa"}],
            },
        )
        forced = await ok(
            client,
            "create_sms_campaign",
            {
                "label": "L",
                "content": "Bonjour {{nom}}",
                "contacts": [{"phone": "+2250707123456", "nom": "Awa"}],
                "allow_duplicate": True,
            },
        )
    assert single["status"] == "submitted"
    assert campaign["status"] == "duplicate" and single["message_id"] in campaign["message"]
    assert forced["status"] == "submitted", "asked for on purpose"
    assert len(simulator.state.messages) == 1 and len(simulator.state.sms_campaigns) == 1


# -- the approval question comes after every check ---------------------------------------------------------


async def test_the_person_is_never_asked_about_a_send_that_would_be_refused(simulator: Any, era: str) -> None:
    questions: list[str] = []

    async def accept(context: Any, params: Any) -> types.ElicitResult:
        questions.append(params.message)
        return types.ElicitResult(action="accept", content={"approve": True})

    settings = sandbox_settings(
        send_policy="confirm", daily_budget_parts=2, allowed_recipients=["0707123456"]
    )
    server = build_server(settings, simulator=simulator)
    async with Client(server, mode=era, elicitation_callback=accept) as client:
        outside = await ok(client, "send_sms", {"to": "0505123456", "content": "Bonjour"})
        too_long = await ok(client, "send_sms", {"to": "0707123456", "content": "x" * 500})
        unapproved = await ok(
            client, "send_sms", {"to": "0707123456", "content": "Hi", "sender": "EN ATTENTE"}
        )
        sent = await ok(client, "send_sms", {"to": "0707123456", "content": "Bonjour"})
        again = await ok(client, "send_sms", {"to": "0707123456", "content": "Bonjour"})
    assert [r["status"] for r in (outside, too_long, unapproved, sent, again)] == [
        "refused",
        "refused",
        "refused",
        "submitted",
        "duplicate",
    ]
    assert len(questions) == 1 and "Bonjour" in questions[0]
    assert len(simulator.state.messages) == 1
