"""The SDK internals this project leans on (see letexto_mcp/tools/sdk_bridge.py) still behave as we use them.

If one of these fails after an SDK upgrade, the message says what moved; fix `sdk_bridge` first.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

from letexto_mcp.tools.sdk_bridge import elicitation_schema, forge_signature, sdk_tool, with_output_schema

pytestmark = pytest.mark.anyio


class Echo(BaseModel):
    said: str


class Consent(BaseModel):
    approve: bool = Field(title="Send it?")


def _lenient_tool() -> Any:
    async def run(**raw: Any) -> Echo:
        return Echo(said=str(raw.get("text")))

    params = [inspect.Parameter("text", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Any)]
    forge_signature(run, "echo", params, {}, Echo)
    return sdk_tool(
        run,
        name="echo",
        title="Echo",
        description="d",
        annotations=ToolAnnotations(),
        structured_output=False,
    )


def test_a_forged_signature_becomes_the_sdks_argument_model() -> None:
    tool = _lenient_tool()
    fields = tool.fn_metadata.arg_model.model_fields
    assert list(fields) == ["text"], (
        "the SDK no longer builds its argument model from a function's __signature__: "
        "forge_signature must find the new way to give it the lenient parameters"
    )


async def test_a_given_output_schema_is_published_and_results_still_validated() -> None:
    published = {"type": "object", "properties": {"said": {"type": "string"}}, "required": ["said"]}
    tool = with_output_schema(_lenient_tool(), {"type": "object"}, Echo, published)
    assert tool.parameters == {"type": "object"}
    assert tool.output_schema == published, "FuncMetadata no longer takes a given output_schema as is"
    result = tool.fn_metadata.convert_result(Echo(said="x"))
    assert result.structured_content == {"said": "x"}, "results are no longer converted to structured content"
    with pytest.raises(Exception):  # noqa: B017 - whatever the SDK raises, it must refuse a wrong shape
        tool.fn_metadata.convert_result({"said": 3})


def test_an_elicitation_form_renders_as_the_specs_restricted_schema() -> None:
    schema = elicitation_schema(Consent)
    assert schema["type"] == "object", "render_elicitation_schema changed its output"
    assert schema["properties"]["approve"]["type"] == "boolean"
