"""One behavioural suite for every StateStore backend: the guards rely on exactly these semantics.

A new backend (the PostgreSQL store) is checked by adding it to `BACKENDS`: its signatures against
the protocol, and every behaviour below.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio
import pytest

from letexto_mcp.store import (
    AuditEntry,
    BudgetResult,
    MemoryStore,
    SqliteStore,
    StateStore,
    StoreError,
)
from letexto_mcp.store.base import (
    NONCE_PURGE_GRACE,
    OAUTH_GRANT_PURGE_GRACE,
    ApprovalRecord,
    Decision,
    OAuthConnection,
    OAuthGrant,
)
from letexto_mcp.store.postgres import PostgresStore
from tests.postgres_helpers import fresh_schema

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class Backend:
    """A store class, and how a test opens a fresh one (in its temporary folder, or its own schema)."""

    cls: type
    open: Callable[[Path], AbstractContextManager[StateStore]]
    needs_server: bool = False
    """Its tests are marked `postgres`: skipped without the test server (see tests/postgres_helpers)."""


@contextmanager
def _postgres(tmp_path: Path) -> Iterator[StateStore]:
    """A store in a schema of its own on the test server."""
    with fresh_schema() as url:
        yield PostgresStore(url, pool_size=4)


BACKENDS: dict[str, Backend] = {
    "memory": Backend(MemoryStore, lambda tmp_path: nullcontext(MemoryStore())),
    "sqlite": Backend(SqliteStore, lambda tmp_path: nullcontext(SqliteStore(tmp_path / "state.db"))),
    "postgres": Backend(PostgresStore, _postgres, needs_server=True),
}


@pytest.fixture(
    params=[
        pytest.param(name, marks=[pytest.mark.postgres] if backend.needs_server else [])
        for name, backend in BACKENDS.items()
    ]
)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateStore]:
    with BACKENDS[request.param].open(tmp_path) as backend:
        yield backend
        await backend.close()


# -- the protocol itself ----------------------------------------------------------------------------

PROTOCOL_METHODS = sorted(
    name for name, value in vars(StateStore).items() if inspect.isfunction(value) and not name.startswith("_")
)


def _shape(parameter: inspect.Parameter) -> tuple[str, Any, Any]:
    return parameter.name, parameter.kind, parameter.default


def _describe(parameter: inspect.Parameter) -> str:
    default = "" if parameter.default is inspect.Parameter.empty else f", default {parameter.default!r}"
    return f"{parameter.name!r} ({parameter.kind.description}{default})"


def _optional(parameter: inspect.Parameter) -> bool:
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return parameter.default is not inspect.Parameter.empty or parameter.kind in variadic


def protocol_mismatches(cls: type) -> list[str]:
    """How `cls` departs from `StateStore`: missing methods, sync methods, and parameters whose name,
    kind or default differ (an extra parameter is allowed only when callers may leave it out)."""
    problems: list[str] = []
    for name in PROTOCOL_METHODS:
        wanted = getattr(StateStore, name)
        found = getattr(cls, name, None)
        if not callable(found):
            problems.append(f"{name}: missing")
            continue
        if inspect.iscoroutinefunction(wanted) and not inspect.iscoroutinefunction(found):
            problems.append(f"{name}: not a coroutine function")
        want = list(inspect.signature(wanted).parameters.values())
        have = list(inspect.signature(found).parameters.values())
        for position, expected in enumerate(want):
            if position >= len(have):
                problems.append(f"{name}: parameter {_describe(expected)} missing")
            elif _shape(have[position]) != _shape(expected):
                problems.append(
                    f"{name}: parameter {_describe(have[position])}, the protocol has {_describe(expected)}"
                )
        problems += [
            f"{name}: extra required parameter {_describe(p)}" for p in have[len(want) :] if not _optional(p)
        ]
    return problems


@pytest.mark.parametrize("name", list(BACKENDS))
def test_every_backend_implements_the_protocol_with_its_exact_signatures(name: str) -> None:
    assert protocol_mismatches(BACKENDS[name].cls) == []


class _RenamedParameter(MemoryStore):
    async def consume_once(  # type: ignore[override]
        self, tenant: str, token: str, expires_at: float, *, now: float | None = None
    ) -> bool:
        return True


class _SyncMethod(MemoryStore):
    def close(self) -> None:  # type: ignore[override]
        return None


class _OtherDefault(MemoryStore):
    async def list_audit(  # type: ignore[override]
        self, tenant: str, *, since: float | None = None, until: float | None = None, limit: int = 50
    ) -> list[AuditEntry]:
        return []


class _PositionalNow(MemoryStore):
    async def consume_once(  # type: ignore[override]
        self, tenant: str, nonce: str, expires_at: float, now: float | None = None
    ) -> bool:
        return True


class _ExtraParameters(MemoryStore):
    async def prune(self, before: float, before_day: str, batch: int = 500) -> Any:  # type: ignore[override]
        return None

    async def refund_budget(self, tenant: str, day: str, parts: int, reason: str) -> None:  # type: ignore[override]
        return None


_WithoutPrune = type(
    "_WithoutPrune", (), {n: getattr(MemoryStore, n) for n in PROTOCOL_METHODS if n != "prune"}
)


def test_the_protocol_check_catches_what_a_backend_could_get_wrong() -> None:
    assert {"get_or_create_secret", "consume_once", "list_audit", "delivery_reports", "close"} <= set(
        PROTOCOL_METHODS
    ), "the protocol's methods are found by introspection"
    assert protocol_mismatches(_RenamedParameter) == [
        "consume_once: parameter 'token' (positional or keyword), "
        "the protocol has 'nonce' (positional or keyword)"
    ]
    assert protocol_mismatches(_SyncMethod) == ["close: not a coroutine function"]
    assert protocol_mismatches(_OtherDefault) == [
        "list_audit: parameter 'limit' (keyword-only, default 50), "
        "the protocol has 'limit' (keyword-only, default 100)"
    ]
    assert protocol_mismatches(_PositionalNow) == [
        "consume_once: parameter 'now' (positional or keyword, default None), "
        "the protocol has 'now' (keyword-only, default None)"
    ]
    assert protocol_mismatches(_ExtraParameters) == [
        "refund_budget: extra required parameter 'reason' (positional or keyword)"
    ]
    assert protocol_mismatches(_WithoutPrune) == ["prune: missing"]


# -- secrets ----------------------------------------------------------------------------------------


async def test_secret_is_created_once_and_then_kept(store: StateStore) -> None:
    calls: list[int] = []

    def factory() -> bytes:
        calls.append(1)
        return bytes([len(calls)]) * 32

    first = await store.get_or_create_secret("tokens", factory)
    second = await store.get_or_create_secret("tokens", factory)
    assert first == second == b"\x01" * 32
    assert len(calls) == 1
    other = await store.get_or_create_secret("other", factory)
    assert other == b"\x02" * 32


# -- single-use nonces ------------------------------------------------------------------------------


async def test_consume_once_is_true_the_first_time_only(store: StateStore) -> None:
    assert await store.consume_once("t1", "n1", 1000.0) is True
    assert await store.consume_once("t1", "n1", 1000.0) is False
    assert await store.consume_once("t1", "n1", 1000.0, now=500.0) is False
    assert await store.consume_once("t2", "n1", 1000.0) is True, "nonces are per tenant"
    assert await store.consume_once("t1", "n2", 1000.0) is True


async def test_expired_nonces_are_purged_only_after_the_grace(store: StateStore) -> None:
    assert await store.consume_once("t1", "old", 1000.0, now=900.0)
    # Within the grace period the nonce is still remembered.
    assert await store.consume_once("t1", "old", 1000.0, now=1000.0 + NONCE_PURGE_GRACE - 1) is False
    # Another consume long after the expiry purges it; the guard refuses such a token as expired anyway.
    assert await store.consume_once("t1", "other", 9e9, now=1000.0 + NONCE_PURGE_GRACE + 1)
    assert await store.consume_once("t1", "old", 1000.0) is True


# -- idempotency ------------------------------------------------------------------------------------


async def test_idempotency_claim_then_existing_record(store: StateStore) -> None:
    assert await store.idempotency_get("t1", "k") is None
    assert await store.idempotency_claim("t1", "k", "fp-a", 100.0) is None
    record = await store.idempotency_claim("t1", "k", "fp-b", 200.0)
    assert record is not None
    assert (record.state, record.fingerprint, record.result, record.created_at) == (
        "in_flight",
        "fp-a",
        None,
        100.0,
    )
    assert await store.idempotency_get("t1", "k") == record
    assert await store.idempotency_claim("t2", "k", "fp-a", 100.0) is None, "keys are per tenant"


async def test_idempotency_finish_keeps_the_result_as_json(store: StateStore) -> None:
    await store.idempotency_claim("t1", "k", "fp", 100.0)
    result = {
        "status": "submitted",
        "result": {"letexto_ids": ["a1", "b2"], "parts": 2, "note": "Côte d'Ivoire ✓"},
    }
    await store.idempotency_finish("t1", "k", "succeeded", result)
    record = await store.idempotency_get("t1", "k")
    assert record is not None
    assert record.state == "succeeded"
    assert record.fingerprint == "fp"
    assert record.created_at == 100.0
    assert record.result == result


async def test_idempotency_finish_refuses_unknown_states(store: StateStore) -> None:
    await store.idempotency_claim("t1", "k", "fp", 100.0)
    with pytest.raises(ValueError, match="idempotency state"):
        await store.idempotency_finish("t1", "k", "done", {})


async def test_idempotency_release_allows_a_clean_retry(store: StateStore) -> None:
    await store.idempotency_claim("t1", "k", "fp", 100.0)
    await store.idempotency_release("t1", "k")
    assert await store.idempotency_get("t1", "k") is None
    assert await store.idempotency_claim("t1", "k", "fp2", 300.0) is None
    record = await store.idempotency_get("t1", "k")
    assert record is not None and record.fingerprint == "fp2"


async def test_idempotency_claim_has_exactly_one_winner_among_tasks(store: StateStore) -> None:
    results: list[object] = []

    async def claim(i: int) -> None:
        results.append(await store.idempotency_claim("t1", "same", f"fp{i}", float(i)))

    async with anyio.create_task_group() as tg:
        for i in range(30):
            tg.start_soon(claim, i)
    assert sum(r is None for r in results) == 1
    assert len(results) == 30


async def test_any_text_round_trips_even_nul_characters(store: StateStore) -> None:
    """A caller's key or text may hold U+0000, which PostgreSQL's TEXT refuses: stored all the same."""
    odd = "k\x00ey\x01\x01\x02 é ✓"
    assert await store.idempotency_claim("t1", odd, "fp", 1.0) is None
    assert await store.idempotency_claim("t1", "k", "fp", 1.0) is None, "another key than the odd one"
    record = await store.idempotency_claim("t1", odd, "fp-2", 2.0)
    assert record is not None and record.fingerprint == "fp"
    await store.create_approval(_approval(), [("2250707123456", odd), ("2250505123456", "x\x00")])
    assert await store.approval_messages("apr-1", 0, 10) == [
        ("2250707123456", odd),
        ("2250505123456", "x\x00"),
    ]
    assert await store.approval_texts("apr-1", 0, 10) == [(odd, 1), ("x\x00", 1)]
    assert await store.bind_report_url("t1", odd, odd, 1.0) == odd


# -- duplicate marks --------------------------------------------------------------------------------


async def _mark(
    store: StateStore, tenant: str, fp: str, state: str, at: float, ref: str | None = None
) -> str:
    """One attempt's mark in a given state (claimed past any block, then settled)."""
    attempt = f"attempt-{state}-{at}"
    assert await store.claim_send(tenant, fp, attempt, 0.0, at, force=True) is None
    if state == "resolved":
        await store.release_send(tenant, fp, attempt)
    elif state != "in_flight":
        assert await store.settle_send(tenant, fp, attempt, state, at, ref)
    return attempt


async def test_recent_send_sees_sends_within_the_window_only(store: StateStore) -> None:
    assert await store.recent_send("t1", "fp", 0.0) is None
    attempt = await _mark(store, "t1", "fp", "sent", 100.0, "msg-1")
    mark = await store.recent_send("t1", "fp", 50.0)
    assert mark is not None and (mark.state, mark.at, mark.ref, mark.attempt) == (
        "sent",
        100.0,
        "msg-1",
        attempt,
    )
    assert await store.recent_send("t2", "fp", 50.0) is None, "marks are per tenant"
    assert await store.recent_send("t1", "fp", 150.0) is None, "older than the window"


async def test_unresolved_marks_block_at_any_age_and_released_never(store: StateStore) -> None:
    await _mark(store, "t1", "unknown", "outcome_unknown", 10.0)
    await _mark(store, "t1", "flying", "in_flight", 10.0)
    await _mark(store, "t1", "done", "resolved", 10.0)
    unknown = await store.recent_send("t1", "unknown", 1e9)
    assert unknown is not None and unknown.state == "outcome_unknown"
    flying = await store.recent_send("t1", "flying", 1e9)
    assert flying is not None and flying.state == "in_flight"
    assert await store.recent_send("t1", "done", 0.0) is None


async def test_settle_send_refuses_unknown_states(store: StateStore) -> None:
    with pytest.raises(ValueError, match="send mark state"):
        await store.settle_send("t1", "fp", "a", "delivered", 1.0, None)


async def test_claim_send_is_atomic_and_respects_the_window(store: StateStore) -> None:
    assert await store.claim_send("t1", "fp", "a1", 0.0, 100.0) is None
    again = await store.claim_send("t1", "fp", "a2", 0.0, 101.0)
    assert again is not None and again.state == "in_flight" and again.attempt == "a1"
    assert await store.settle_send("t1", "fp", "a1", "sent", 100.0, "id-9")
    blocked = await store.claim_send("t1", "fp", "a3", 50.0, 120.0)
    assert blocked is not None and blocked.state == "sent"
    assert await store.claim_send("t1", "fp", "a4", 150.0, 200.0) is None, "the earlier send left the window"

    results: list[object] = []

    async def claim(i: int) -> None:
        results.append(await store.claim_send("t1", "race", f"r{i}", 0.0, 1.0))

    async with anyio.create_task_group() as tg:
        for i in range(20):
            tg.start_soon(claim, i)
    assert sum(r is None for r in results) == 1


async def test_each_attempt_settles_and_releases_only_its_own_mark(store: StateStore) -> None:
    """Compare-and-set on the attempt: a concurrent forced attempt can never be overwritten or undone."""
    assert await store.claim_send("t1", "fp", "first", 0.0, 10.0) is None
    assert await store.claim_send("t1", "fp", "forced", 0.0, 11.0, force=True) is None
    await store.release_send("t1", "fp", "forced")  # the forced one never left
    still = await store.recent_send("t1", "fp", 1e9)
    assert still is not None and (still.attempt, still.state) == ("first", "in_flight"), "first still blocks"
    assert await store.settle_send("t1", "fp", "nobody", "sent", 12.0, None) is False
    assert await store.settle_send("t1", "fp", "first", "sent", 12.0, "m-1")
    settled = await store.recent_send("t1", "fp", 0.0)
    assert settled is not None and (settled.attempt, settled.state, settled.ref) == ("first", "sent", "m-1")


async def test_a_forced_claim_resolves_unknown_outcomes_but_not_live_attempts(store: StateStore) -> None:
    await _mark(store, "t1", "fp", "outcome_unknown", 10.0)
    await _mark(store, "t1", "other", "outcome_unknown", 10.0)
    assert await store.claim_send("t1", "fp", "decided", 0.0, 20.0, force=True) is None
    assert await store.settle_send("t1", "fp", "decided", "sent", 21.0, "m-2")
    mark = await store.recent_send("t1", "fp", 0.0)
    assert mark is not None and (mark.attempt, mark.state) == ("decided", "sent"), "the unknown one resolved"
    assert await store.recent_send("t1", "fp", 100.0) is None, "and nothing else blocks past the window"
    other = await store.recent_send("t1", "other", 1e9)
    assert other is not None and other.state == "outcome_unknown", "another send's unknown stays"
    await store.claim_send("t1", "live", "flying", 0.0, 30.0)
    await store.claim_send("t1", "live", "forced", 0.0, 31.0, force=True)
    live = await store.recent_send("t1", "live", 1e9)
    assert live is not None and live.state == "in_flight"


async def test_a_report_url_binds_to_its_first_message_only(store: StateStore) -> None:
    assert await store.bind_report_url("t1", "n1", "msg-1", 10.0) == "msg-1"
    assert await store.bind_report_url("t1", "n1", "msg-1", 11.0) == "msg-1"
    assert await store.bind_report_url("t1", "n1", "msg-2", 12.0) == "msg-1", "bound once"
    assert await store.bind_report_url("t2", "n1", "msg-2", 12.0) == "msg-2", "per tenant"


# -- budget -----------------------------------------------------------------------------------------


async def test_budget_allows_up_to_the_limit_exactly(store: StateStore) -> None:
    assert await store.reserve_budget("t1", "2025-01-01", 6, 10) == BudgetResult(True, 6, 10)
    assert await store.reserve_budget("t1", "2025-01-01", 4, 10) == BudgetResult(True, 10, 10)
    assert await store.reserve_budget("t1", "2025-01-01", 1, 10) == BudgetResult(False, 10, 10)
    assert await store.reserve_budget("t1", "2025-01-02", 10, 10) == BudgetResult(True, 10, 10), "per day"
    assert await store.reserve_budget("t2", "2025-01-01", 10, 10) == BudgetResult(True, 10, 10), "per tenant"


async def test_budget_without_limit_counts_and_refund_never_goes_negative(store: StateStore) -> None:
    assert await store.reserve_budget("t1", "d", 1000, None) == BudgetResult(True, 1000, None)
    await store.refund_budget("t1", "d", 400)
    assert await store.reserve_budget("t1", "d", 0, None) == BudgetResult(True, 600, None)
    await store.refund_budget("t1", "d", 10_000)
    assert await store.reserve_budget("t1", "d", 0, None) == BudgetResult(True, 0, None)
    await store.refund_budget("t1", "never-used", 5)
    assert await store.reserve_budget("t1", "never-used", 0, None) == BudgetResult(True, 0, None)
    with pytest.raises(ValueError):
        await store.reserve_budget("t1", "d", -1, None)


async def test_budget_reservations_never_overshoot_under_concurrency(store: StateStore) -> None:
    results: list[BudgetResult] = []

    async def reserve() -> None:
        results.append(await store.reserve_budget("t1", "d", 3, 10))

    async with anyio.create_task_group() as tg:
        for _ in range(12):
            tg.start_soon(reserve)
    assert sum(r.allowed for r in results) == 3
    assert await store.reserve_budget("t1", "d", 0, 10) == BudgetResult(True, 9, 10)


# -- rate -------------------------------------------------------------------------------------------


async def test_rate_window_counts_and_tells_when_to_retry(store: StateStore) -> None:
    for i, at in enumerate((100.0, 110.0, 120.0), start=1):
        hit = await store.hit_rate("t1", at, 60.0, 3)
        assert (hit.allowed, hit.count) == (True, i)
    refused = await store.hit_rate("t1", 130.0, 60.0, 3)
    assert (refused.allowed, refused.count, refused.limit) == (False, 3, 3)
    assert refused.retry_after == pytest.approx(30.0)
    assert (await store.hit_rate("t2", 130.0, 60.0, 3)).allowed, "per tenant"
    later = await store.hit_rate("t1", 160.5, 60.0, 3)
    assert (later.allowed, later.count) == (True, 3), "the hit at 100 left the window"


# -- audit ------------------------------------------------------------------------------------------


def _entry(at: float, tenant: str = "t1", outcome: str = "submitted") -> AuditEntry:
    return AuditEntry(
        at=at,
        tenant=tenant,
        tool="send_sms",
        recipients=2,
        parts=4,
        credits=4.0,
        approval="token",
        outcome=outcome,
        letexto_ids=["m-1", "m-2"],
        detail="submitted: 2 recipients — «ok»",
        idempotency_key="key-1",
    )


async def test_audit_round_trips_and_lists_newest_first(store: StateStore) -> None:
    for at in (10.0, 30.0, 20.0):
        await store.append_audit(_entry(at))
    await store.append_audit(_entry(25.0, tenant="t2"))
    listed = await store.list_audit("t1")
    assert [e.at for e in listed] == [30.0, 20.0, 10.0]
    assert listed[0] == _entry(30.0)
    assert [e.at for e in await store.list_audit("t1", since=20.0)] == [30.0, 20.0]
    assert [e.at for e in await store.list_audit("t1", limit=1)] == [30.0]
    assert [e.tenant for e in await store.list_audit("t2")] == ["t2"]
    assert await store.list_audit("nobody") == []


async def test_audit_entries_are_copies_not_shared_objects(store: StateStore) -> None:
    entry = _entry(1.0)
    await store.append_audit(entry)
    entry.letexto_ids.append("changed-after")
    (stored,) = await store.list_audit("t1")
    assert stored.letexto_ids == ["m-1", "m-2"]


async def test_a_closed_store_refuses_work(store: StateStore) -> None:
    await store.close()
    with pytest.raises(StoreError):
        await store.reserve_budget("t1", "d", 1, None)


async def test_settling_replaces_the_attempts_sending_entry(store: StateStore) -> None:
    opened = AuditEntry(**{**_entry(10.0, outcome="sending").__dict__, "attempt": "a-1"})
    await store.append_audit(opened)
    await store.append_audit(_entry(11.0))
    other_tenant = AuditEntry(**{**_entry(10.0, tenant="t2", outcome="sending").__dict__, "attempt": "a-1"})
    await store.append_audit(other_tenant)
    await store.settle_audit(AuditEntry(**{**opened.__dict__, "outcome": "submitted"}))
    listed = await store.list_audit("t1")
    assert [(e.at, e.outcome, e.attempt) for e in listed] == [
        (11.0, "submitted", None),
        (10.0, "submitted", "a-1"),
    ]
    (untouched,) = await store.list_audit("t2")
    assert untouched.outcome == "sending", "another tenant's attempt of the same name is not touched"


async def test_settling_an_attempt_never_opened_appends_it(store: StateStore) -> None:
    await store.settle_audit(AuditEntry(**{**_entry(5.0).__dict__, "attempt": "lost-opening"}))
    await store.settle_audit(_entry(6.0))
    assert [(e.at, e.attempt) for e in await store.list_audit("t1")] == [(6.0, None), (5.0, "lost-opening")]


async def test_audit_lists_a_window_with_until(store: StateStore) -> None:
    for at in (10.0, 20.0, 30.0, 40.0):
        await store.append_audit(_entry(at))
    assert [e.at for e in await store.list_audit("t1", since=20.0, until=40.0)] == [30.0, 20.0]
    assert [e.at for e in await store.list_audit("t1", until=20.0)] == [10.0]
    # A past day stays readable however many entries came after it.
    assert [e.at for e in await store.list_audit("t1", since=10.0, until=20.0, limit=1)] == [10.0]


# -- retention --------------------------------------------------------------------------------------


async def test_prune_forgets_what_is_older_than_the_retention_and_keeps_the_rest(store: StateStore) -> None:
    for tenant in ("t1", "t2"):
        await store.append_audit(_entry(100.0, tenant=tenant))
        await store.append_audit(_entry(300.0, tenant=tenant))
        assert await store.idempotency_claim(tenant, "old-key", "fp", 100.0) is None
        assert await store.idempotency_claim(tenant, "new-key", "fp", 300.0) is None
        await _mark(store, tenant, "old-fp", "outcome_unknown", 100.0)
        await _mark(store, tenant, "new-fp", "sent", 300.0)
        await store.reserve_budget(tenant, "2026-01-01", 5, None)
        await store.reserve_budget(tenant, "2026-03-01", 7, None)

    pruned = await store.prune(200.0, "2026-02-01")

    assert (pruned.audit, pruned.idempotency, pruned.send_marks, pruned.budget_days) == (2, 2, 2, 2)
    for tenant in ("t1", "t2"):
        assert [e.at for e in await store.list_audit(tenant)] == [300.0]
        assert await store.idempotency_get(tenant, "old-key") is None
        assert await store.idempotency_get(tenant, "new-key") is not None
        assert await store.recent_send(tenant, "old-fp", 0.0) is None
        assert await store.recent_send(tenant, "new-fp", 0.0) is not None
        assert (await store.reserve_budget(tenant, "2026-01-01", 1, None)).used == 1, "forgotten day"
        assert (await store.reserve_budget(tenant, "2026-03-01", 1, None)).used == 8, "kept day"
    assert (await store.prune(200.0, "2026-02-01")).total == 2, "only the two days just re-created"


# -- approvals ----------------------------------------------------------------------------------------


def _approval(
    approval_id: str = "apr-1", *, tenant: str = "t1", expires_at: float = 1000.0
) -> ApprovalRecord:
    return ApprovalRecord(
        id=approval_id,
        tenant=tenant,
        tool="create_sms_campaign",
        fingerprint="fp-1",
        summary={"sender": "SMS INFO", "parts": 3},
        recipients=3,
        distinct_texts=2,
        created_at=100.0,
        expires_at=expires_at,
    )


MESSAGES = [
    ("2250707123456", "Bonjour Awa"),
    ("2250505123456", "Bonjour Koffi"),
    ("2250101123456", "Bonjour Awa"),
]


def _yes(at: float = 200.0, by: str = "awa") -> Decision:
    return Decision(approve=True, by=by, via="page", at=at, from_address="127.0.0.1")


async def test_an_approval_keeps_every_message_and_reads_them_a_page_at_a_time(store: StateStore) -> None:
    await store.create_approval(_approval(), MESSAGES)
    record = await store.get_approval("apr-1")
    assert (
        record is not None
        and record.state == "pending"
        and record.summary == {"sender": "SMS INFO", "parts": 3}
    )
    assert await store.get_approval("nope") is None
    assert await store.approval_messages("apr-1", 0, 2) == MESSAGES[:2]
    assert await store.approval_messages("apr-1", 2, 2) == MESSAGES[2:]
    assert await store.approval_texts("apr-1", 0, 10) == [("Bonjour Awa", 2), ("Bonjour Koffi", 1)]
    assert await store.approval_texts("apr-1", 1, 10) == [("Bonjour Koffi", 1)]
    with pytest.raises(StoreError):
        await store.create_approval(_approval(), MESSAGES)


async def test_a_decision_is_taken_once_and_never_after_expiry(store: StateStore) -> None:
    await store.create_approval(_approval(), MESSAGES)
    await store.create_approval(_approval("apr-late", expires_at=150.0), MESSAGES)
    results: list[ApprovalRecord | None] = []

    async def decide(i: int) -> None:
        results.append(await store.decide_approval("apr-1", Decision(i % 2 == 0, f"p{i}", "page", 200.0)))

    async with anyio.create_task_group() as group:
        for i in range(20):
            group.start_soon(decide, i)
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    stored = await store.get_approval("apr-1")
    assert (
        stored is not None and stored.state == winners[0].state and stored.decided_by == winners[0].decided_by
    )
    assert stored.decided_via == "page" and stored.decided_at == 200.0
    assert await store.decide_approval("apr-late", _yes(at=150.0)) is None, "expired"
    assert await store.decide_approval("nope", _yes()) is None


async def test_an_approval_is_consumed_once_by_exactly_its_request(store: StateStore) -> None:
    await store.create_approval(_approval(), MESSAGES)
    assert await store.consume_approval("apr-1", "t1", "fp-1", 210.0) is None, "not approved yet"
    assert await store.decide_approval("apr-1", _yes()) is not None
    assert await store.consume_approval("apr-1", "t2", "fp-1", 210.0) is None, "another tenant"
    assert await store.consume_approval("apr-1", "t1", "fp-2", 210.0) is None, "another request"
    assert await store.consume_approval("apr-1", "t1", "fp-1", 1000.0) is None, "expired"
    results: list[ApprovalRecord | None] = []

    async def consume() -> None:
        results.append(await store.consume_approval("apr-1", "t1", "fp-1", 210.0))

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(consume)
    assert sum(r is not None for r in results) == 1
    await store.settle_approval("apr-1", {"status": "submitted", "letexto_ids": ["m-1"]})
    record = await store.get_approval("apr-1")
    assert record is not None and record.state == "consumed"
    assert record.outcome == {"status": "submitted", "letexto_ids": ["m-1"]}


async def test_a_declined_approval_cannot_be_consumed_or_approved(store: StateStore) -> None:
    await store.create_approval(_approval(), MESSAGES)
    declined = await store.decide_approval("apr-1", Decision(False, "koffi", "bot", 200.0))
    assert declined is not None and declined.state == "declined" and declined.decided_via == "bot"
    assert await store.decide_approval("apr-1", _yes()) is None
    assert await store.consume_approval("apr-1", "t1", "fp-1", 210.0) is None


async def test_prune_forgets_old_approvals_and_their_messages(store: StateStore) -> None:
    await store.create_approval(_approval("old"), MESSAGES)
    await store.create_approval(replace(_approval("new"), created_at=300.0), MESSAGES)
    pruned = await store.prune(200.0, "2000-01-01")
    assert pruned.approvals == 1
    assert await store.get_approval("old") is None and await store.approval_messages("old", 0, 10) == []
    assert await store.get_approval("new") is not None


# -- OAuth: registered clients, connections, codes and refresh tokens ---------------------------------


def _connection(connection_id: str = "con-1", at: float = 100.0, **changes: Any) -> OAuthConnection:
    return replace(
        OAuthConnection(
            id=connection_id,
            client_id="client-1",
            client_name="Claude",
            redirect_host="claude.ai",
            person="awa",
            tenant="oauth:abc",
            scopes=["letexto.read", "letexto.send"],
            resource="https://sms.example.ci/mcp",
            created_at=at,
            sealed_key="v1.sealed-bytes",
        ),
        **changes,
    )


def _grant(digest: str = "d" * 64, kind: str = "refresh", expires_at: float = 500.0) -> OAuthGrant:
    return OAuthGrant(digest, kind, "con-1", "client-1", expires_at, {"scopes": ["letexto.read"], "n": 1.5})


async def test_an_oauth_client_is_registered_once_and_read_back(store: StateStore) -> None:
    metadata = {"client_name": "Cl\u00e9 \u00e0 \u00e9crire", "redirect_uris": ["https://claude.ai/cb"]}
    await store.oauth_save_client("client-1", metadata, 100.0)
    assert await store.oauth_get_client("client-1") == metadata
    assert await store.oauth_get_client("client-2") is None
    with pytest.raises(StoreError):
        await store.oauth_save_client("client-1", {"client_name": "another"}, 101.0)
    assert await store.oauth_get_client("client-1") == metadata


async def test_connections_are_listed_newest_first_and_revoked_once(store: StateStore) -> None:
    await store.oauth_create_connection(_connection("con-1", 100.0))
    await store.oauth_create_connection(_connection("con-2", 200.0, sealed_key=None))
    with pytest.raises(StoreError):
        await store.oauth_create_connection(_connection("con-1", 300.0))
    assert [c.id for c in await store.oauth_list_connections()] == ["con-2", "con-1"]
    assert [c.id for c in await store.oauth_list_connections(limit=1)] == ["con-2"]
    assert await store.oauth_get_connection("con-1") == _connection("con-1", 100.0)

    results: list[bool] = []

    async def revoke() -> None:
        results.append(await store.oauth_revoke_connection("con-1", 250.0))

    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(revoke)
    assert results.count(True) == 1
    revoked = await store.oauth_get_connection("con-1")
    assert revoked is not None and revoked.revoked_at == 250.0 and not revoked.active
    assert revoked.sealed_key is None, "a revoked connection forgets the LeTexto key it held"
    assert [c.id for c in await store.oauth_list_connections()] == ["con-2"]
    assert [c.id for c in await store.oauth_list_connections(include_revoked=True)] == ["con-2", "con-1"]
    assert await store.oauth_revoke_connection("nope", 250.0) is False
    assert await store.oauth_get_connection("nope") is None


async def test_a_grant_is_used_once_and_never_after_it_expired(store: StateStore) -> None:
    await store.oauth_save_grant(_grant(), 100.0)
    assert await store.oauth_get_grant("d" * 64) == _grant()
    with pytest.raises(StoreError):
        await store.oauth_save_grant(_grant(), 100.0)
    results: list[bool] = []

    async def use() -> None:
        results.append(await store.oauth_use_grant("d" * 64, 200.0))

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(use)
    assert results.count(True) == 1
    used = await store.oauth_get_grant("d" * 64)
    assert used is not None and used.used_at == 200.0, "a used grant is kept: presenting it again is a replay"

    await store.oauth_save_grant(_grant("e" * 64, kind="code", expires_at=300.0), 100.0)
    assert await store.oauth_use_grant("e" * 64, 300.0) is False, "expired"
    assert await store.oauth_use_grant("f" * 64, 100.0) is False, "unknown"
    with pytest.raises(ValueError):
        await store.oauth_save_grant(_grant("g" * 64, kind="access"), 100.0)


async def test_grants_long_expired_are_forgotten_when_new_ones_are_saved(store: StateStore) -> None:
    await store.oauth_save_grant(_grant("a" * 64, expires_at=100.0), 50.0)
    await store.oauth_save_grant(_grant("b" * 64, expires_at=100.0 + OAUTH_GRANT_PURGE_GRACE), 50.0)
    await store.oauth_save_grant(_grant("c" * 64, expires_at=10**9), 101.0 + OAUTH_GRANT_PURGE_GRACE)
    assert await store.oauth_get_grant("a" * 64) is None
    assert await store.oauth_get_grant("b" * 64) is not None
