"""The OpenAPI 3.1 document of /api/v1, made from the tools themselves.

Request and response schemas are the ones `tools/list` publishes (the committed
`schemas/<tool>.<input|output>.json`), their `$defs` moved into `components/schemas` and their
`$ref`s rewritten; a test fails when an operation's schema drifts from its tool's. Descriptions
say what a no-code user and a GPT need: what the call does, the approval flow, retries, errors.
GPT Actions read at most 300 characters of an operation's description, so each operation carries a
short one and its request body the tool's full description.
"""

from __future__ import annotations

from typing import Any

from letexto_mcp import __version__
from letexto_mcp.api.operations import OPERATIONS, Operation, is_send, spec_of
from letexto_mcp.api.problems import FIELD_ERROR_SCHEMA, PROBLEM_MEDIA_TYPE, TITLES, problem_schema
from letexto_mcp.config import Settings
from letexto_mcp.guard import wording
from letexto_mcp.schemas.outputs import BalanceResult, MessageStatusResult, SendResult
from letexto_mcp.states import SendStatus
from letexto_mcp.tools.registry import build_tool

OPENAPI_VERSION = "3.1.0"
COMPONENTS = "#/components/schemas/"
_DEFS = "#/$defs/"
PROBLEM = "Problem"
FIELD_ERROR = "FieldError"

AWA = "Bonjour Awa, la réunion est à 15h."
EXAMPLE_KEY = "rappel-2026-11-26-awa"
EXAMPLE_TOKEN = "apr_q3ZK0bXo1n8Yc2Vt5Wd7Rf4h"
EXAMPLE_MESSAGE_ID = "6745a1f0c2e4b0a1b2c3d4e5"

REQUEST_EXAMPLES: dict[str, dict[str, dict[str, Any]]] = {
    "preview_sms": {
        "deux_numeros": {
            "summary": "Two numbers, written as people write them",
            "value": {"content": AWA, "to": ["07 07 12 34 56", "05 05 12 34 56"]},
        },
    },
    "send_sms": {
        "premier_appel": {
            "summary": "First call: answers confirmation_required",
            "value": {"to": "07 07 12 34 56", "content": AWA, "idempotency_key": EXAMPLE_KEY},
        },
        "apres_approbation": {
            "summary": "The same call again, once a person approved",
            "value": {
                "to": "07 07 12 34 56",
                "content": AWA,
                "idempotency_key": EXAMPLE_KEY,
                "confirmation_token": EXAMPLE_TOKEN,
            },
        },
    },
    "create_sms_campaign": {
        "rappel_personnalise": {
            "summary": "A personalised reminder to two contacts",
            "value": {
                "label": "Rappel RDV",
                "content": "Bonjour {{name}}, votre rendez-vous est demain à 10h.",
                "contacts": [
                    {"phone": "07 07 12 34 56", "name": "Awa"},
                    {"phone": "05 05 12 34 56", "name": "Koffi"},
                ],
                "idempotency_key": "rappel-rdv-2026-11-26",
            },
        },
    },
    "create_email_campaign": {
        "lettre": {
            "summary": "A newsletter to two addresses",
            "value": {
                "label": "Lettre de novembre",
                "from_email": "contact@example.ci",
                "recipients": ["awa@example.ci", "koffi@example.ci"],
                "subject": "Nos nouveautés de novembre",
                "content": "<p>Bonjour,</p><p>Voici nos nouveautés du mois.</p>",
                "idempotency_key": "lettre-2026-11",
            },
        },
    },
    "create_sender": {"nouveau": {"summary": "A new sender name", "value": {"name": "ACME"}}},
}


LINKS: dict[str, dict[str, Any]] = {
    "send_sms": {
        "operationId": "get_message_status",
        "parameters": {"message_id": "$response.body#/message_id"},
        "description": "Follow the delivery of the SMS just sent.",
    },
    "create_sms_campaign": {
        "operationId": "get_campaign_status",
        "parameters": {"campaign_id": "$response.body#/campaign_id", "channel": "sms"},
        "description": "Follow the campaign just created.",
    },
    "create_email_campaign": {
        "operationId": "get_campaign_status",
        "parameters": {"campaign_id": "$response.body#/campaign_id", "channel": "email"},
        "description": "Follow the campaign just created.",
    },
}
"""What to call after a send LeTexto accepted (OpenAPI links on its 201 answer)."""


def _response_examples(tool: str, base: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Examples of successful answers by status code, built with the output models (so they conform)."""
    if tool == "send_sms":
        approval_url = f"{base}/approvals/{EXAMPLE_TOKEN.removeprefix('apr_')}"
        waiting = SendResult(
            status=SendStatus.CONFIRMATION_REQUIRED,
            message=wording.approval_page(tool, approval_url, opened=False),
            recipients=1,
            parts=1,
            credits=1.0,
            confirmation_token=EXAMPLE_TOKEN,
            approval_url=approval_url,
            idempotency_key=EXAMPLE_KEY,
        )
        sent = SendResult(
            status=SendStatus.SUBMITTED,
            message=wording.sent("submitted", 1, 1, [EXAMPLE_MESSAGE_ID]),
            message_id=EXAMPLE_MESSAGE_ID,
            recipients=1,
            parts=1,
            credits=1.0,
            idempotency_key=EXAMPLE_KEY,
        )
        return {
            "200": {"approbation": {"summary": "Waiting for a person", "value": _dump(waiting)}},
            "201": {"envoye": {"summary": "Sent", "value": _dump(sent)}},
        }
    if tool == "get_message_status":
        status = MessageStatusResult(
            message_id=EXAMPLE_MESSAGE_ID,
            status="DELIVERED",
            meaning="The operator confirmed delivery to the recipient's phone.",
            final=True,
            source="delivery_report",
            to="2250707123456",
            sender="SMS INFO",
        )
        return {"200": {"livre": {"summary": "Delivered", "value": _dump(status)}}}
    if tool == "get_balance":
        balance = BalanceResult(balance=1250.0, unit="credits (1 credit = 1 SMS part)", low=False)
        return {"200": {"solde": {"summary": "The balance", "value": _dump(balance)}}}
    return {}


def _dump(result: SendResult | MessageStatusResult | BalanceResult) -> dict[str, Any]:
    return result.model_dump(mode="json", by_alias=True)


def _rewritten(node: Any) -> Any:
    """A copy of a tool schema with `#/$defs/X` references pointing into the components."""
    if isinstance(node, dict):
        copied = {key: _rewritten(value) for key, value in node.items()}
        ref = copied.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS):
            copied["$ref"] = COMPONENTS + ref.removeprefix(_DEFS)
        return copied
    if isinstance(node, list):
        return [_rewritten(item) for item in node]
    return node


def _add_component(components: dict[str, Any], name: str, schema: dict[str, Any]) -> str:
    """Put a tool schema into the components (its `$defs` beside it); the `$ref` to it."""
    schema = dict(schema)
    for def_name, definition in schema.pop("$defs", {}).items():
        _put(components, def_name, _rewritten(definition))
    _put(components, name, _rewritten(schema))
    return COMPONENTS + name


def _put(components: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    existing = components.setdefault(name, schema)
    if existing != schema:  # two tools sharing a model name must share the model
        raise ValueError(f"two different schemas are both named {name!r}")


def _problem_response(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": COMPONENTS + PROBLEM}}},
    }
    if headers:
        response["headers"] = headers
    return response


_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "string"}}
}
ERROR_RESPONSES: dict[str, tuple[str, dict[str, Any]]] = {
    "400": ("BadRequest", _problem_response("The body is not valid JSON.")),
    "401": (
        "Unauthorized",
        _problem_response(
            "No key, or a key this server does not accept: send 'Authorization: Bearer <client key>'.",
            {"WWW-Authenticate": {"description": "The Bearer challenge.", "schema": {"type": "string"}}},
        ),
    ),
    "403": ("Forbidden", _problem_response("A browser request from an origin this server does not allow.")),
    "404": (
        "NotFound",
        _problem_response("LeTexto knows no such message, campaign or sender on this account."),
    ),
    "409": (
        "Conflict",
        _problem_response("LeTexto refused because of the account's state (e.g. the sender name exists)."),
    ),
    "413": ("PayloadTooLarge", _problem_response("The body is larger than LETEXTO_MCP_MAX_BODY_BYTES.")),
    "415": ("UnsupportedMediaType", _problem_response("The body is not sent as application/json.")),
    "421": ("MisdirectedRequest", _problem_response("This Host name is not served here.")),
    "422": (
        "InvalidArguments",
        _problem_response(
            "Invalid arguments (`errors` names each field and the fix), a request the tool cannot carry "
            "out (e.g. no valid recipient, send_at in the past), or an idempotency key already used for "
            "another request."
        ),
    ),
    "429": (
        "TooManyRequests",
        _problem_response("More requests a minute than LETEXTO_MCP_RATE_LIMIT allows.", _RETRY_AFTER),
    ),
    "502": (
        "BadGateway",
        _problem_response("LeTexto could not be reached, answered an error, or refused the API key."),
    ),
    "503": (
        "ServiceUnavailable",
        _problem_response("The server is starting, or LeTexto asks to slow down.", _RETRY_AFTER),
    ),
    "504": ("GatewayTimeout", _problem_response("LeTexto did not answer in time.")),
}
_BODY_ERRORS = ("400", "413", "415")


def _idempotency_header(input_schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(input_schema["properties"]["idempotency_key"])
    schema.pop("description", None)
    return {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": (
            "The same as the body's idempotency_key (send either, or both equal). The same key with the "
            "same body returns the first result and never sends twice; with another body: 422."
        ),
        "schema": schema,
    }


def _parameters(operation: Operation, input_schema: dict[str, Any]) -> list[dict[str, Any]]:
    """GET operations take the tool's arguments from the path and the query string."""
    required = set(input_schema.get("required", []))
    parameters = []
    for name, schema in input_schema.get("properties", {}).items():
        in_path = name in operation.path_parameters
        parameter: dict[str, Any] = {
            "name": name,
            "in": "path" if in_path else "query",
            "required": in_path or name in required,
            "schema": _rewritten(schema),
        }
        if "description" in schema:
            parameter["description"] = schema["description"]
        parameters.append(parameter)
    return parameters


def _operation(operation: Operation, components: dict[str, Any], base: str) -> dict[str, Any]:
    spec = spec_of(operation)
    tool = build_tool(spec)
    input_schema = tool.parameters
    output_schema = tool.output_schema or {}
    output_ref = _add_component(components, f"{spec.name}_output", output_schema)
    examples = _response_examples(spec.name, base)

    def success(description: str, code: str) -> dict[str, Any]:
        media: dict[str, Any] = {"schema": {"$ref": output_ref}}
        if code in examples:
            media["examples"] = examples[code]
        return {"description": description, "content": {"application/json": media}}

    send = is_send(spec)
    responses: dict[str, Any] = {}
    if operation.creates:
        responses["201"] = success("Created.", "201")
    elif send:
        responses["200"] = success(
            "A decision, not an error: confirmation_required (show approval_url or the preview), "
            "approval_pending, declined, duplicate (the first result), refused (see refusal), dry_run, "
            "outcome_unknown or failed. Nothing was sent unless the status says so.",
            "200",
        )
        responses["201"] = success("submitted or scheduled: LeTexto accepted the send.", "201")
        if spec.name in LINKS:
            responses["201"]["links"] = {"follow": LINKS[spec.name]}
    else:
        responses["200"] = success("The result.", "200")
    for code, (name, _) in ERROR_RESPONSES.items():
        if code in _BODY_ERRORS and not operation.reads_body:
            continue
        responses[code] = {"$ref": f"#/components/responses/{name}"}

    document: dict[str, Any] = {
        "operationId": spec.name,
        "summary": spec.title,
        "description": operation.summary,
        "tags": [operation.tag],
        "x-openai-isConsequential": not bool(spec.annotations.read_only_hint),
    }
    parameters: list[dict[str, Any]] = []
    if operation.reads_body:
        media: dict[str, Any] = {
            "schema": {"$ref": _add_component(components, f"{spec.name}_input", input_schema)}
        }
        if spec.name in REQUEST_EXAMPLES:
            media["examples"] = REQUEST_EXAMPLES[spec.name]
        document["requestBody"] = {
            "required": True,
            "description": spec.description,
            "content": {"application/json": media},
        }
    else:
        parameters = _parameters(operation, input_schema)
    if send:
        parameters.append(_idempotency_header(input_schema))
    if parameters:
        document["parameters"] = parameters
    document["responses"] = responses
    return document


def _description(settings: Settings) -> str:
    tenant_key = (
        " This server is multi-tenant: also send your own LeTexto API key in `X-LeTexto-Key`."
        if settings.multi_tenant
        else ""
    )
    problem_types = "\n".join(f"- `{uri}`: {title}" for uri, title in TITLES.items())
    return f"""\
SMS, SMS campaigns and email campaigns through LeTexto (Arolitec, Côte d'Ivoire), with the same
tools, safety checks, keys and tenants as this server's MCP endpoint (`/mcp`).

**Key.** Every operation needs `Authorization: Bearer <client key>` (one of the server's
LETEXTO_MCP_API_KEYS).{tenant_key} This document itself needs no key.

**Sending, step by step.** 1. `preview_sms` prices the text (parts, credits, balance after) and
checks the numbers, nothing sent. 2. `send_sms` (or a campaign) usually answers `200` with
`status: "confirmation_required"`, a `confirmation_token` and, when a person approves on the
server's page, an `approval_url`: show that link to the person who approves. 3. Once they approved,
repeat the same request with `confirmation_token`: `201`, `status: "submitted"`. Nothing leaves
before; asking again before the decision answers `approval_pending`. Any change to the request
needs a new approval.

**Statuses are decisions, not errors.** `confirmation_required`, `approval_pending`, `declined`,
`duplicate`, `refused` (a safety cap: see `refusal`), `dry_run`, `outcome_unknown` (check before
retrying) and `failed` answer `200` with the result; `submitted` and `scheduled` answer `201`.

**Retries.** Send an `Idempotency-Key` header, or `idempotency_key` in the body (a GPT cannot set
headers: use the body): the same key with the same body returns the first result and never sends
twice; the same key with another body is `422`.

**Errors** are RFC 9457 problem details (`application/problem+json`): `400` body not JSON, `401`
key, `404` unknown id or path, `413` body too large, `415` not JSON, `422` invalid arguments
(`errors` lists each field and the fix, never your values), `429` too many requests (`Retry-After`),
`502`/`503`/`504` LeTexto unreachable, refusing the key, or slow. Problem types:
{problem_types}

**Events.** Delivery reports and approval decisions can be pushed to your flow as signed webhooks
(see Webhooks in the README).
"""


def openapi_document(settings: Settings, base: str) -> dict[str, Any]:
    """The whole document; `base` is where callers reach this server (LETEXTO_PUBLIC_URL or the request's)."""
    base = base.rstrip("/")
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(
            operation, components, base
        )
    components[PROBLEM] = problem_schema(COMPONENTS + FIELD_ERROR)
    components[FIELD_ERROR] = FIELD_ERROR_SCHEMA
    security_schemes: dict[str, Any] = {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "One of the server's client keys (LETEXTO_MCP_API_KEYS).",
        }
    }
    requirement: dict[str, list[str]] = {"bearerAuth": []}
    if settings.multi_tenant:
        security_schemes["letextoKey"] = {
            "type": "apiKey",
            "in": "header",
            "name": "X-LeTexto-Key",
            "description": "Your own LeTexto API key (multi-tenant server).",
        }
        requirement["letextoKey"] = []
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "LeTexto SMS and email (letexto-mcp REST API)",
            "version": __version__,
            "description": _description(settings),
        },
        "servers": [{"url": f"{base}/api/v1", "description": "This server"}],
        "security": [requirement],
        "tags": [
            {"name": "SMS", "description": "Preview, send and follow one SMS."},
            {"name": "Campaigns", "description": "Personalised SMS campaigns and email campaigns."},
            {"name": "Account", "description": "The LeTexto balance."},
            {"name": "Senders", "description": "The names SMS are sent from."},
        ],
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": {name: response for name, response in ERROR_RESPONSES.values()},
            "securitySchemes": security_schemes,
        },
    }
