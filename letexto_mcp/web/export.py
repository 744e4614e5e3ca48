"""Every recipient of an approval and the text they get, as CSV, streamed a slice at a time.

A cell that a spreadsheet would take for a formula (starting with = + - @, a tab or a carriage
return) gets a leading apostrophe: opening the file must never run anything.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from letexto_mcp.store.base import StateStore

SLICE = 1000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(cell: str) -> str:
    """The cell as text a spreadsheet shows and never evaluates."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _rows(rows: list[tuple[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([neutral(recipient), neutral(text)] for recipient, text in rows)
    return buffer.getvalue()


async def recipients_csv(store: StateStore, approval_id: str) -> AsyncIterator[bytes]:
    """The file: a BOM (so spreadsheets read accents right), a header row, then one row per recipient."""
    yield ("\ufeff" + _rows([("recipient", "text")])).encode()
    offset = 0
    while True:
        rows = await store.approval_messages(approval_id, offset, SLICE)
        if rows:
            yield _rows(rows).encode()
        if len(rows) < SLICE:
            return
        offset += SLICE
