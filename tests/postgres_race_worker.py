"""One racing process: `python -m tests.postgres_race_worker URL WORKER CALLS`.

It opens its own PostgresStore on URL, then for each scenario line read on stdin (JSON: name and a
wall-clock start time shared by every worker) waits for the start, makes CALLS concurrent calls,
and prints their results as one JSON line. Standing in for a replica: its own process, its own pool.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.to_thread

from letexto_mcp.store.base import AuditEntry
from letexto_mcp.store.postgres import PostgresStore

Call = Callable[[PostgresStore, str], Awaitable[Any]]


SCENARIOS: dict[str, Call] = {
    "idempotency_claim": lambda store, me: store.idempotency_claim("t", "one-key", me, 1.0),
    "consume_once": lambda store, me: store.consume_once("t", "one-nonce", 1e12, now=1.0),
    "reserve_one_part": lambda store, me: store.reserve_budget("t", "2026-01-01", 1, 37),
    "reserve_mixed_parts": lambda store, me: store.reserve_budget(
        "t", "2026-01-02", 1 + int(me.rsplit("-", 1)[1]) % 3, 50
    ),
    "claim_send": lambda store, me: store.claim_send("t", "one-fingerprint", me, 0.0, 1.0),
    "hit_rate": lambda store, me: store.hit_rate("t", 1000.0, 60.0, 30),
    "decide_approval": lambda store, me: store.decide_approval("apr-decide", _decision(me)),
    "consume_approval": lambda store, me: store.consume_approval("apr-consume", "t", "fp-1", 210.0),
    "audit": lambda store, me: _audit(store, me),
}


def _decision(me: str) -> Any:
    from letexto_mcp.store.base import Decision

    return Decision(approve=True, by=me, via="page", at=200.0)


async def _audit(store: PostgresStore, me: str) -> str:
    opened = AuditEntry(1.0, "t", "send_sms", 1, 1, 1.0, "token", "sending", attempt=me)
    await store.append_audit(opened)
    await store.settle_audit(AuditEntry(2.0, "t", "send_sms", 1, 1, 1.0, "token", "submitted", attempt=me))
    return me


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "__dataclass_fields__"):
        return {name: _jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return str(value)


async def _one(scenario: Call, store: PostgresStore, me: str, results: list[Any], index: int) -> None:
    results[index] = _jsonable(await scenario(store, me))


async def main(url: str, worker: int, calls: int) -> None:
    store = PostgresStore(url, pool_size=10)
    await store.open()
    print(json.dumps({"ready": worker}), flush=True)
    try:
        while line := await anyio.to_thread.run_sync(sys.stdin.readline):
            order = json.loads(line)
            scenario = SCENARIOS[order["scenario"]]
            results: list[Any] = [None] * calls
            await anyio.sleep(max(0.0, order["start_at"] - time.time()))
            async with anyio.create_task_group() as group:
                for index in range(calls):
                    group.start_soon(_one, scenario, store, f"w{worker}-{index}", results, index)
            print(json.dumps({"worker": worker, "results": results}), flush=True)
    finally:
        await store.close()


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
