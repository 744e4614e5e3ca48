"""Turn a tool spec (strict pydantic input model + handler) into an MCP tool.

Why not let the SDK validate arguments itself: its errors echo the caller's values and read
like a stack trace, it turns JSON-looking text (an SMS saying `[1,2]`) into lists, and it
cannot know that `""` from an automation platform means "not given". So each tool gets a
lenient signature (every field optional, text kept as text), the advertised `inputSchema`
is the strict model's schema, and the strict model validates inside with readable messages.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Union, cast

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools.base import Tool
from mcp_types import InputRequiredResult, ToolAnnotations
from pydantic import BeforeValidator, ValidationError
from pydantic_core import PydanticCustomError

from letexto_mcp.schemas.common import ToolInput, ToolOutput
from letexto_mcp.schemas.files import committed_schema
from letexto_mcp.schemas.jsonschema import tool_input_schema
from letexto_mcp.services import Services
from letexto_mcp.tools.caller import Caller
from letexto_mcp.tools.scopes import tool_refusal
from letexto_mcp.tools.sdk_bridge import forge_signature, sdk_tool, with_output_schema
from letexto_mcp.tools.tenancy import caller_token, tenant_of

MAX_ERRORS_SHOWN = 8

Handler = Callable[..., Awaitable[ToolOutput | InputRequiredResult]]


@dataclass(frozen=True)
class ToolSpec:
    """Everything that defines one tool; `build_tool` makes it an MCP tool."""

    name: str
    title: str
    description: str
    input_model: type[ToolInput]
    output_model: type[ToolOutput]
    handler: Handler
    annotations: ToolAnnotations


def _as_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    kind = {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__
    )
    raise PydanticCustomError("not_text", "must be text, got {kind}", {"kind": kind})


RawText = Annotated[str, BeforeValidator(_as_text)]


def _is_text_field(annotation: Any) -> bool:
    """True for `str`, `Annotated[str, …]` and their Optional forms."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _is_text_field(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return len(args) == 1 and _is_text_field(args[0])
    return annotation is str


def _raw_parameters(model: type[ToolInput]) -> list[inspect.Parameter]:
    params = []
    for name, field in model.model_fields.items():
        annotation = RawText if _is_text_field(field.annotation) else Any
        params.append(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
        )
    return params


def validation_messages(error: ValidationError) -> list[tuple[str, str]]:
    """(field, what is wrong) for each problem, value-free (the REST face lists them one by one)."""
    found = []
    for item in error.errors()[:MAX_ERRORS_SHOWN]:
        where = ".".join(str(p) for p in item["loc"]) or "arguments"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required"
        found.append((where, message))
    return found


def format_validation_error(tool: str, error: ValidationError) -> str:
    """A short, value-free account of what is wrong with the arguments and how to fix them."""
    lines = [f"{where}: {message}" for where, message in validation_messages(error)]
    more = len(error.errors()) - MAX_ERRORS_SHOWN
    if more > 0:
        lines.append(f"… and {more} more")
    return f"Invalid arguments for {tool}: " + "; ".join(lines) + ". Correct them and call again."


def validate_input(spec: ToolSpec, raw: dict[str, Any]) -> ToolInput:
    """The strict model from raw arguments (None means not given); pydantic's ValidationError if invalid."""
    given = {k: v for k, v in raw.items() if v is not None}
    return spec.input_model.model_validate(given)


def parse_input(spec: ToolSpec, raw: dict[str, Any]) -> ToolInput:
    """Validate raw arguments with the strict model, or raise a ToolError that says what to fix."""
    try:
        return validate_input(spec, raw)
    except ValidationError as error:
        raise ToolError(format_validation_error(spec.name, error)) from None


def services_of(ctx: Context) -> Services:
    # The SDK types the lifespan context as a plain dict; ours is the Services that open_services yields.
    return cast(Services, ctx.request_context.lifespan_context)


def mcp_caller(ctx: Context, services: Services) -> Caller:
    """An MCP call's tenant and its way to a person (the client's dialog, or the approval page)."""
    from letexto_mcp.tools.approval import McpApprover

    return Caller(tenant_of(ctx), McpApprover(ctx, services))


def _tool_function(spec: ToolSpec) -> Callable[..., Awaitable[ToolOutput | InputRequiredResult]]:
    """The function the SDK calls: a lenient signature, strict validation inside."""

    async def run(ctx: Context, **raw: Any) -> ToolOutput | InputRequiredResult:
        refusal = tool_refusal(caller_token(ctx), spec.name)  # an OAuth token without this tool's scope
        if refusal is not None:
            raise ToolError(refusal)
        args = parse_input(spec, raw)
        services = services_of(ctx)
        return await spec.handler(services, args, mcp_caller(ctx, services))

    params = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
    params.extend(_raw_parameters(spec.input_model))
    forge_signature(run, spec.name, params, {"ctx": Context}, spec.output_model)
    return run


def _sdk_tool(spec: ToolSpec, *, structured_output: bool | None) -> Tool:
    return sdk_tool(
        _tool_function(spec),
        name=spec.name,
        title=spec.title,
        description=spec.description,
        annotations=spec.annotations,
        structured_output=structured_output,
    )


def derived_tool(spec: ToolSpec) -> Tool:
    """The tool with its schemas generated from the models (what the committed files are made from)."""
    tool = _sdk_tool(spec, structured_output=None)
    return tool.model_copy(update={"parameters": tool_input_schema(spec.input_model)})


def build_tool(spec: ToolSpec) -> Tool:
    """An MCP `Tool` whose schema is the strict input model and whose body validates with it.

    Its schemas come from the committed files (see `schemas.files`: the same schemas, without
    generating them at start-up); without readable files it falls back to `derived_tool`.
    """
    input_schema = committed_schema(spec.name, "input")
    output_schema = committed_schema(spec.name, "output")
    if input_schema is None or output_schema is None:
        return derived_tool(spec)
    tool = _sdk_tool(spec, structured_output=False)  # the output schema is given below, not generated
    return with_output_schema(tool, input_schema, spec.output_model, output_schema)
