"""JSON Schema generation for tool inputs and outputs, tuned for what MCP clients handle well.

Optional fields are published as their plain type (no `anyOf [..., null]`, no `default: null`):
clients that fill forms from the schema (n8n, Inspector) show them as ordinary optional
fields, and the input models read a missing, `null` or `""` value alike as "not given".
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

DIALECT = "https://json-schema.org/draft/2020-12/schema"


class ToolJsonSchema(GenerateJsonSchema):
    """Renders `X | None = None` as `X`, dropping the null branch and the null default."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        result = super().default_schema(schema)
        if result.get("default", ...) is None:
            result.pop("default")
        return result


def tool_input_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The `inputSchema` of a tool."""
    return model.model_json_schema(schema_generator=ToolJsonSchema)


def tool_output_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The `outputSchema` of a tool (nulls kept: results do carry null values)."""
    return model.model_json_schema(mode="serialization")
