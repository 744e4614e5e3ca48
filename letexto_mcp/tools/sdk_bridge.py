"""Every place this project reaches past the SDK's public surface, in one module.

We publish our own strict input schemas and validate arguments ourselves (see `tools.registry`),
so the SDK must (1) accept a function with a *lenient* signature built at run time, (2) take a
given output schema instead of generating one, and (3) render an elicitation schema for a form we
send ourselves (2026-07-28 input-required round trips); the REST face (4) reads its arguments the
way the SDK reads a tool call's. Each of these leans on SDK internals:
`FuncMetadata`, forged `__signature__`s, `render_elicitation_schema`. If the SDK changes
underneath, `tests/test_sdk_bridge.py` fails here, with a sentence naming what moved, rather than
somewhere deep in a tool call.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.elicitation import render_elicitation_schema
from mcp.server.mcpserver.tools.base import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp_types import ToolAnnotations
from pydantic import BaseModel

__all__ = ["elicitation_schema", "forge_signature", "lenient_arguments", "sdk_tool", "with_output_schema"]


def forge_signature(
    fn: Callable[..., Awaitable[Any]],
    name: str,
    parameters: list[inspect.Parameter],
    annotations: dict[str, Any],
    return_annotation: Any,
) -> None:
    """Give `fn(**raw)` the signature the SDK inspects to build its argument model."""
    fn.__signature__ = inspect.Signature(parameters, return_annotation=return_annotation)  # type: ignore[attr-defined]
    fn.__annotations__ = {**annotations, "return": return_annotation}
    fn.__name__ = fn.__qualname__ = name


def sdk_tool(
    fn: Callable[..., Awaitable[Any]],
    *,
    name: str,
    title: str,
    description: str,
    annotations: ToolAnnotations,
    structured_output: bool | None,
) -> Tool:
    """The SDK's `Tool` for a function (its argument model built from the forged signature)."""
    return Tool.from_function(
        fn,
        name=name,
        title=title,
        description=description,
        annotations=annotations,
        structured_output=structured_output,
    )


def with_output_schema(
    tool: Tool, input_schema: dict[str, Any], output_model: type[BaseModel], output_schema: dict[str, Any]
) -> Tool:
    """The tool advertising the given schemas, its results still validated against `output_model`."""
    metadata = FuncMetadata(
        arg_model=tool.fn_metadata.arg_model, output_model=output_model, output_schema=output_schema
    )
    return tool.model_copy(update={"parameters": input_schema, "fn_metadata": metadata})


def elicitation_schema(form: type[BaseModel]) -> dict[str, Any]:
    """A form model rendered as the spec's restricted `requestedSchema`."""
    return render_elicitation_schema(form)


def lenient_arguments(tool: Tool, raw: dict[str, Any]) -> dict[str, Any]:
    """`raw` as the SDK hands it to the tool's function: JSON text in list/object fields parsed, text
    fields checked to be text. Raises pydantic's ValidationError; the strict model validates next."""
    return tool.fn_metadata.validate_arguments(raw)
