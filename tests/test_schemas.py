"""The committed JSON Schemas match the code, are valid 2020-12, and are what clients see."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jsonschema
import pytest

from letexto_mcp.schemas.files import committed_schema
from letexto_mcp.tools import all_specs
from letexto_mcp.tools.generate_schemas import SCHEMA_DIR, drift, rendered_schemas
from letexto_mcp.tools.registry import ToolSpec, build_tool, derived_tool


def test_committed_schema_files_match_the_code() -> None:
    assert drift() == [], "run `make schemas` and commit the result"


@pytest.mark.parametrize("name", sorted(rendered_schemas()))
def test_every_schema_is_valid_json_schema_2020_12(name: str) -> None:
    document = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)


def test_input_schemas_accept_what_the_tools_accept() -> None:
    document = json.loads((SCHEMA_DIR / "send_sms.input.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(document)
    assert validator.is_valid({"to": "07 07 12 34 56", "content": "Bonjour"})
    assert not validator.is_valid({"to": "07 07 12 34 56"})
    assert not validator.is_valid({"to": "0707123456", "content": "x", "sender": "TWELVE CHARS"})


@pytest.mark.anyio
async def test_tools_list_publishes_the_committed_schemas(mcp: Any) -> None:
    for tool in (await mcp.list_tools()).tools:
        committed = json.loads((SCHEMA_DIR / f"{tool.name}.input.json").read_text(encoding="utf-8"))
        committed.pop("$schema"), committed.pop("title")
        published = {k: v for k, v in tool.input_schema.items() if k != "title"}
        assert published == committed


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.name)
def test_the_server_publishes_from_the_files_exactly_what_the_models_generate(spec: ToolSpec) -> None:
    """Start-up reads the committed files instead of generating: they must say the same, key for key."""
    published, generated = build_tool(spec), derived_tool(spec)
    assert published.parameters == generated.parameters
    assert published.output_schema == generated.output_schema
    assert published.fn_metadata.output_model is spec.output_model
    assert published.fn_metadata.wrap_output is False


def test_a_tool_without_committed_files_generates_its_schemas() -> None:
    spec = next(s for s in all_specs() if s.name == "get_balance")
    renamed = dataclasses.replace(spec, name="get_balance_renamed")
    assert committed_schema(renamed.name, "input") is None
    tool = build_tool(renamed)
    assert tool.parameters == derived_tool(spec).parameters
    assert tool.output_schema == derived_tool(spec).output_schema
