"""Write every tool's input and output JSON Schema to `letexto_mcp/schemas/*.json`, and the
tool list of `manifest.json`.

It lives with the tools, not in `schemas/`, because it reads every tool: `schemas/` holds only the
models and the committed files, and imports nothing from `tools/` (no cycle between the two).

Run `python -m letexto_mcp.tools.generate_schemas` (or `make schemas`) after changing a tool;
`--check` exits 1 when the committed files differ from the code (a test runs it too).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from letexto_mcp.schemas.files import SCHEMA_DIR
from letexto_mcp.schemas.jsonschema import DIALECT
from letexto_mcp.tools import all_specs
from letexto_mcp.tools.registry import derived_tool

MANIFEST = SCHEMA_DIR.parent.parent / "manifest.json"
_SENTENCE_END = re.compile(r"(?<!e\.g)(?<!i\.e)\.(?:\s|$)")


def first_sentence(text: str) -> str:
    """The first sentence of a tool description, for the bundle manifest."""
    match = _SENTENCE_END.search(text)
    return text[: match.start() + 1] if match else text


def rendered_manifest() -> str | None:
    """manifest.json with its `tools` rebuilt from the server's tools; None when there is no manifest."""
    if not MANIFEST.is_file():
        return None
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    manifest["tools"] = [{"name": s.name, "description": first_sentence(s.description)} for s in all_specs()]
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def rendered_schemas() -> dict[str, str]:
    """File name -> file text for every tool, exactly as `tools/list` publishes them."""
    files: dict[str, str] = {}
    for spec in all_specs():
        tool = derived_tool(spec)
        for kind, schema in (("input", tool.parameters), ("output", tool.output_schema)):
            document: dict[str, Any] = {"$schema": DIALECT, "title": f"{spec.name} {kind}", **(schema or {})}
            files[f"{spec.name}.{kind}.json"] = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return files


def drift() -> list[str]:
    """Names of schema files that are missing, stale or no longer produced."""
    wanted = rendered_schemas()
    present = {p.name for p in SCHEMA_DIR.glob("*.json")}
    stale = [
        name
        for name, text in wanted.items()
        if not (SCHEMA_DIR / name).is_file() or (SCHEMA_DIR / name).read_text(encoding="utf-8") != text
    ]
    manifest = rendered_manifest()
    if manifest is not None and MANIFEST.read_text(encoding="utf-8") != manifest:
        stale.append("../../manifest.json")
    return sorted(stale + sorted(present - set(wanted)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    args = parser.parse_args(argv)
    if args.check:
        changed = drift()
        for name in changed:
            print(f"out of date: letexto_mcp/schemas/{name}", file=sys.stderr)
        return 1 if changed else 0
    wanted = rendered_schemas()
    for stale in SCHEMA_DIR.glob("*.json"):
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        (SCHEMA_DIR / name).write_text(text, encoding="utf-8")
    manifest = rendered_manifest()
    if manifest is not None:
        MANIFEST.write_text(manifest, encoding="utf-8")
    print(
        f"wrote {len(wanted)} schema files to {SCHEMA_DIR} and the tools of {MANIFEST.name}", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
