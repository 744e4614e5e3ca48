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
from typing import Annotated, Any, Union

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools.base import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp_types import ToolAnnotations
from pydantic import BaseModel, BeforeValidator, Field, ValidationError
from pydantic_core import PydanticCustomError

from letexto_mcp.schemas.common import ToolInput, ToolOutput
from letexto_mcp.schemas.files import committed_schema
from letexto_mcp.schemas.jsonschema import tool_input_schema
from letexto_mcp.tools.services import Services

MAX_ERRORS_SHOWN = 8


class ApprovalForm(BaseModel):
    """The one question the user answers when the client can ask them."""

    approve: bool = Field(title="Send it?", description="Tick to send exactly what is described above.")


class NotAsked(BaseModel):
    """Marker: the approval resolver chose not to ask (policy, token given, invalid input…)."""

    not_asked: bool = True


Handler = Callable[..., Awaitable[ToolOutput]]
QuestionBuilder = Callable[[Services, Any], Awaitable[str | None]]


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
    approval_question: QuestionBuilder | None = None


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


def format_validation_error(tool: str, error: ValidationError) -> str:
    """A short, value-free account of what is wrong with the arguments and how to fix them."""
    lines = []
    for item in error.errors()[:MAX_ERRORS_SHOWN]:
        where = ".".join(str(p) for p in item["loc"]) or "arguments"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required"
        lines.append(f"{where}: {message}")
    more = len(error.errors()) - MAX_ERRORS_SHOWN
    if more > 0:
        lines.append(f"… and {more} more")
    return f"Invalid arguments for {tool}: " + "; ".join(lines) + ". Correct them and call again."


def parse_input(spec: ToolSpec, raw: dict[str, Any]) -> ToolInput:
    """Validate raw arguments with the strict model, or raise a ToolError that says what to fix."""
    given = {k: v for k, v in raw.items() if v is not None}
    try:
        return spec.input_model.model_validate(given)
    except ValidationError as error:
        raise ToolError(format_validation_error(spec.name, error)) from None


def services_of(ctx: Context) -> Services:
    return ctx.request_context.lifespan_context


def can_ask_user(ctx: Context) -> bool:
    """Whether this client can be asked for approval during this call (either protocol era)."""
    caps = ctx.client_capabilities
    if caps is None or caps.elicitation is None:
        return False
    elicitation = caps.elicitation
    if getattr(elicitation, "form", None) is None and getattr(elicitation, "url", None) is not None:
        return False
    version = ctx.protocol_version or ""
    if version >= "2026-07-28":
        return True
    return bool(ctx.session.can_send_request)


def _make_resolver(spec: ToolSpec) -> Callable[..., Awaitable[Any]]:
    async def ask_approval(ctx: Context, **raw: Any) -> ApprovalForm | NotAsked | Elicit[ApprovalForm]:
        services = services_of(ctx)
        if spec.approval_question is None or services.settings.send_policy != "confirm":
            return NotAsked()
        if not can_ask_user(ctx):
            return NotAsked()
        try:
            args = spec.input_model.model_validate({k: v for k, v in raw.items() if v is not None})
        except ValidationError:
            return NotAsked()
        if getattr(args, "confirmation_token", None):
            return NotAsked()
        question = await spec.approval_question(services, args)
        if question is None:
            return NotAsked()
        return Elicit(question, ApprovalForm)

    ctx_param = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)
    ask_approval.__signature__ = inspect.Signature([ctx_param, *_raw_parameters(spec.input_model)])  # type: ignore[attr-defined]
    ask_approval.__annotations__ = {"ctx": Context, "return": ApprovalForm | NotAsked | Elicit[ApprovalForm]}
    ask_approval.__name__ = ask_approval.__qualname__ = f"ask_approval_{spec.name}"
    return ask_approval


def approval_from(answer: Any) -> str:
    """Map the resolver's outcome to the guard's vocabulary."""
    if answer is None:
        return "none"
    action = getattr(answer, "action", None)
    data = getattr(answer, "data", None)
    if isinstance(data, NotAsked) or (action == "accept" and data is None):
        return "none"
    if action == "accept" and isinstance(data, ApprovalForm):
        return "elicited-accept" if data.approve else "elicited-decline"
    if action == "decline":
        return "elicited-decline"
    if action == "cancel":
        return "elicited-cancel"
    return "none"


def _tool_function(spec: ToolSpec) -> Callable[..., Awaitable[ToolOutput]]:
    """The function the SDK calls: a lenient signature, strict validation inside, approval resolved."""
    resolver = _make_resolver(spec) if spec.approval_question is not None else None

    async def run(ctx: Context, approval: Any = None, **raw: Any) -> ToolOutput:
        args = parse_input(spec, raw)
        if resolver is None:
            return await spec.handler(services_of(ctx), args, ctx)
        return await spec.handler(services_of(ctx), args, ctx, approval_from(approval))

    params = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
    annotations: dict[str, Any] = {"ctx": Context, "return": spec.output_model}
    if resolver is not None:
        approval_type = Annotated[ElicitationResult[ApprovalForm], Resolve(resolver)]
        params.append(inspect.Parameter("approval", inspect.Parameter.KEYWORD_ONLY, annotation=approval_type))
        annotations["approval"] = approval_type
    params.extend(_raw_parameters(spec.input_model))
    run.__signature__ = inspect.Signature(params, return_annotation=spec.output_model)  # type: ignore[attr-defined]
    run.__annotations__ = annotations
    run.__name__ = run.__qualname__ = spec.name
    return run


def _sdk_tool(spec: ToolSpec, *, structured_output: bool | None) -> Tool:
    return Tool.from_function(
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
    # FuncMetadata takes a given output_schema as is and validates results against output_model.
    metadata = FuncMetadata(
        arg_model=tool.fn_metadata.arg_model, output_model=spec.output_model, output_schema=output_schema
    )
    return tool.model_copy(update={"parameters": input_schema, "fn_metadata": metadata})
