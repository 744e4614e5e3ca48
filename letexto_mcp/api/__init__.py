"""The REST face: the same tools, guard, keys and tenants as MCP, for callers without MCP.

Make, Zapier, n8n's HTTP Request node, Power Automate and a GPT's Actions call HTTP APIs from an
OpenAPI description. Each route under `/api/v1` is built from one tool's `ToolSpec` (its models,
its handler), never a second implementation: `operations` maps tools to methods and paths,
`routes` serves them, `openapi` describes them, `caller` says who calls and how a person approves,
`problems` writes the errors (RFC 9457).

This module imports nothing heavy: the authentication middleware reads the paths from it.
"""

from __future__ import annotations

API_PREFIX = "/api/v1"
OPENAPI_PATH = API_PREFIX + "/openapi.json"


def is_api_path(path: str) -> bool:
    """Whether a request path belongs to the REST face (its errors are problem+json)."""
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")
