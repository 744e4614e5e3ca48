"""The OpenAPI document of /api/v1: a valid OpenAPI 3.1 spec, public, and the tools' own schemas.

The drift test rebuilds each operation's request and response schemas from the document and
compares them with the committed `schemas/<tool>.<input|output>.json` that `tools/list` publishes.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from letexto_mcp.api.openapi import openapi_document
from letexto_mcp.schemas.files import committed_schema
from letexto_mcp.tools import all_specs
from tests.conftest import sandbox_settings
from tests.rest_helpers import rest_server

BRIEF = {
    ("POST", "/sms/preview"): "preview_sms",
    ("POST", "/sms"): "send_sms",
    ("GET", "/sms/{message_id}"): "get_message_status",
    ("POST", "/campaigns/sms"): "create_sms_campaign",
    ("POST", "/campaigns/email"): "create_email_campaign",
    ("GET", "/campaigns/{campaign_id}"): "get_campaign_status",
    ("GET", "/balance"): "get_balance",
    ("GET", "/senders"): "list_senders",
    ("POST", "/senders"): "create_sender",
}
SENDS = {"send_sms", "create_sms_campaign", "create_email_campaign"}
COMPONENTS = "#/components/schemas/"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document(sandbox_settings(mcp_api_keys=["k"]), "http://127.0.0.1:8000")


def operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, operation)."""
    found = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            found[operation["operationId"]] = (method.upper(), path, operation)
    return found


def as_tool_schema(document: dict[str, Any], ref: str) -> dict[str, Any]:
    """A component back in the tool file's shape: `$ref`s into `$defs`, the used definitions beside it."""
    schemas = document["components"]["schemas"]
    used: dict[str, Any] = {}

    def back(node: Any) -> Any:
        if isinstance(node, dict):
            copied = {key: back(value) for key, value in node.items()}
            target = copied.get("$ref")
            if isinstance(target, str) and target.startswith(COMPONENTS):
                name = target.removeprefix(COMPONENTS)
                copied["$ref"] = f"#/$defs/{name}"
                if name not in used:
                    used[name] = None
                    used[name] = back(schemas[name])
            return copied
        if isinstance(node, list):
            return [back(item) for item in node]
        return node

    schema = back(schemas[ref.removeprefix(COMPONENTS)])
    if used:
        schema = {"$defs": dict(sorted(used.items())), **schema}
    return schema


def normalised(schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    if "$defs" in schema:
        schema["$defs"] = dict(sorted(schema["$defs"].items()))
    return schema


def test_the_document_is_a_valid_openapi_3_1_spec(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"
    multi = openapi_document(sandbox_settings(multi_tenant=True, mcp_api_keys=["k"]), "http://h")
    validate(multi)
    assert multi["security"] == [{"bearerAuth": [], "letextoKey": []}]
    assert multi["components"]["securitySchemes"]["letextoKey"]["name"] == "X-LeTexto-Key"


def test_every_tool_has_its_operation_named_after_it(document: dict[str, Any]) -> None:
    found = {(method, path): tool for tool, (method, path, _) in operations(document).items()}
    assert found == BRIEF
    assert set(found.values()) == {spec.name for spec in all_specs()}
    assert document["security"] == [{"bearerAuth": []}]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        **document["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }


@pytest.mark.parametrize("tool", sorted(BRIEF.values()))
def test_no_operation_drifts_from_its_tools_committed_schemas(document: dict[str, Any], tool: str) -> None:
    method, _, operation = operations(document)[tool]
    committed_input = committed_schema(tool, "input")
    committed_output = committed_schema(tool, "output")
    assert committed_input is not None and committed_output is not None
    success = "201" if "201" in operation["responses"] and "200" not in operation["responses"] else "200"
    output_ref = operation["responses"][success]["content"]["application/json"]["schema"]["$ref"]
    assert normalised(as_tool_schema(document, output_ref)) == normalised(committed_output)
    if tool in SENDS:
        created = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
        assert created == output_ref
    if method == "POST":
        input_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert normalised(as_tool_schema(document, input_ref)) == normalised(committed_input)
        return
    parameters = {p["name"]: p for p in operation.get("parameters", []) if p["in"] in ("path", "query")}
    assert {name: p["schema"] for name, p in parameters.items()} == committed_input.get("properties", {})
    required = {name for name, p in parameters.items() if p["required"] and p["in"] == "query"}
    assert required == set(committed_input.get("required", [])) - {
        n for n, p in parameters.items() if p["in"] == "path"
    }
    assert all(p["required"] for p in parameters.values() if p["in"] == "path")


def test_descriptions_fit_what_a_gpt_reads(document: dict[str, Any]) -> None:
    for tool, (_, _, operation) in operations(document).items():
        assert 40 <= len(operation["description"]) <= 300, tool
        assert len(operation["summary"]) <= 300, tool
        for parameter in operation.get("parameters", []):
            assert len(parameter.get("description", "")) <= 700, (tool, parameter["name"])
        assert operation["x-openai-isConsequential"] is (tool in SENDS or tool == "create_sender")
        if tool in SENDS:
            assert (
                "approval_url" in operation["description"] and "idempotency_key" in operation["description"]
            )
            header = [p for p in operation["parameters"] if p["in"] == "header"]
            assert [p["name"] for p in header] == ["Idempotency-Key"]
    assert "approval_url" in document["info"]["description"]
    assert "Idempotency-Key" in document["info"]["description"]


def test_every_example_is_french_and_matches_its_schema(document: dict[str, Any]) -> None:
    components = document["components"]
    seen = 0
    for _, _, operation in operations(document).values():
        media = [operation.get("requestBody", {}).get("content", {}).get("application/json", {})]
        for response in operation["responses"].values():
            media.append(response.get("content", {}).get("application/json", {}))
        for item in media:
            for example in item.get("examples", {}).values():
                schema = {"components": components, **item["schema"]}
                Draft202012Validator(schema).validate(example["value"])
                seen += 1
    assert seen >= 10
    send = operations(document)["send_sms"][2]
    first = send["requestBody"]["content"]["application/json"]["examples"]["premier_appel"]["value"]
    assert first["content"] == "Bonjour Awa, la réunion est à 15h." and first["to"] == "07 07 12 34 56"


def test_problem_responses_are_documented_on_every_operation(document: dict[str, Any]) -> None:
    responses = document["components"]["responses"]
    for tool, (method, _, operation) in operations(document).items():
        codes = set(operation["responses"])
        assert {"401", "403", "404", "422", "429", "502", "503", "504"} <= codes, tool
        assert ({"400", "413", "415"} <= codes) is (method == "POST"), tool
        for code in codes - {"200", "201"}:
            name = operation["responses"][code]["$ref"].rsplit("/", 1)[-1]
            assert set(responses[name]["content"]) == {"application/problem+json"}


@pytest.mark.anyio
async def test_the_served_document_is_public_valid_and_names_this_server(simulator: Any) -> None:
    async with rest_server(simulator) as base, httpx.AsyncClient() as http:
        served = await http.get(f"{base}/api/v1/openapi.json")
        posted = await http.post(f"{base}/api/v1/openapi.json")
    assert served.status_code == 200 and served.headers["content-type"] == "application/json"
    document = served.json()
    validate(document)
    assert document["servers"] == [{"url": f"{base}/api/v1", "description": "This server"}]
    assert posted.status_code == 405 and posted.headers["allow"] == "GET"


def test_the_drift_check_notices_a_changed_schema(document: dict[str, Any]) -> None:
    import copy

    changed = copy.deepcopy(document)
    changed["components"]["schemas"]["RecipientsSummary"]["properties"]["count"]["type"] = "string"
    ref = COMPONENTS + "preview_sms_output"
    assert as_tool_schema(document, ref) == normalised(committed_schema("preview_sms", "output") or {})
    assert as_tool_schema(changed, ref) != normalised(committed_schema("preview_sms", "output") or {})
