"""State behind one small async interface: idempotency, nonces, budget, rate, duplicates, audit, reports.

`PostgresStore` is not exported here: it lives in `letexto_mcp.store.postgres`, imported only for a
postgresql:// URL (`open_store`), since psycopg is an optional extra that stdio start-up never loads.
"""

from __future__ import annotations

from letexto_mcp.store.base import (
    AuditEntry,
    BudgetResult,
    DeliveryReport,
    IdempotencyRecord,
    Pruned,
    RateResult,
    SendMark,
    StateStore,
    StoreError,
)
from letexto_mcp.store.factory import open_store
from letexto_mcp.store.memory import MemoryStore
from letexto_mcp.store.sqlite import SqliteStore

__all__ = [
    "AuditEntry",
    "BudgetResult",
    "DeliveryReport",
    "IdempotencyRecord",
    "MemoryStore",
    "Pruned",
    "RateResult",
    "SendMark",
    "SqliteStore",
    "StateStore",
    "StoreError",
    "open_store",
]
