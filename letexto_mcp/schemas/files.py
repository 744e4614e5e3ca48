"""The committed schema files (`letexto_mcp/schemas/<tool>.<input|output>.json`), read back.

The server publishes these instead of generating the same schemas from the models at every
start: generating them is the largest part of building the server (pydantic JSON Schema
generation, ~40 ms for nine tools), and a desktop client pays it at every launch. The files are
written from the models by `python -m letexto_mcp.tools.generate_schemas`, and a test fails when they
drift from the models or when what the server publishes differs from what the models say.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

SCHEMA_DIR = Path(__file__).parent
DIALECT_KEY = "$schema"
Kind = Literal["input", "output"]


def schema_file(tool: str, kind: Kind) -> Path:
    return SCHEMA_DIR / f"{tool}.{kind}.json"


def committed_schema(tool: str, kind: Kind) -> dict[str, Any] | None:
    """The schema as `tools/list` publishes it (without the file's `$schema`), or None if unreadable."""
    try:
        document = json.loads(schema_file(tool, kind).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    document.pop(DIALECT_KEY, None)
    return document
