"""The protocol methods `server.protocol` adds, through a real in-memory client in both eras."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import anyio
import mcp.types as types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import ResourceUpdated

from letexto_mcp.server.app import build_server
from letexto_mcp.server.protocol import MAX_SUBSCRIPTIONS_PER_CONNECTION
from tests.conftest import sandbox_settings

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning"),
]

ACCOUNT = types.ResourceTemplateReference(uri="letexto://account/{item}")
SENDS = types.ResourceTemplateReference(uri="letexto://sends/{day}")


async def raw_request(client: Client, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """Send params exactly as given (the typed API drops nulls), with the era's envelope stamped on."""
    session = client.session
    data: dict[str, Any] = {"method": method, "params": params}
    opts: dict[str, Any] = {}
    session._stamp(data, opts)
    return await session._dispatcher.send_raw_request(method, data["params"], opts)


async def test_capabilities_declare_logging_completions_and_legacy_subscribe(simulator: Any) -> None:
    server = build_server(sandbox_settings(), simulator=simulator)
    async with Client(server, mode="legacy") as client:
        capabilities = client.session.initialize_result.capabilities
        assert capabilities.logging is not None
        assert capabilities.completions is not None
        assert capabilities.resources is not None and capabilities.resources.subscribe is True


async def test_set_level_answers_empty_in_the_2025_era(simulator: Any) -> None:
    server = build_server(sandbox_settings(), simulator=simulator)
    async with Client(server, mode="legacy") as client:
        for level in ("debug", "warning", "emergency"):
            result = await client.set_logging_level(level)
            assert result.model_dump(exclude_none=True) == {}
        with pytest.raises(MCPError) as caught:
            await raw_request(client, "logging/setLevel", {"level": "loud"})
        assert caught.value.error.code == types.INVALID_PARAMS


async def test_set_level_is_gone_in_the_2026_era(simulator: Any) -> None:
    server = build_server(sandbox_settings(), simulator=simulator)
    async with Client(server, mode="auto") as client:
        with pytest.raises(MCPError) as caught:
            await client.set_logging_level("info")
        assert caught.value.error.code == types.METHOD_NOT_FOUND


async def test_completion_of_resource_template_arguments(mcp: Any) -> None:
    items = await mcp.complete(ACCOUNT, {"name": "item", "value": ""})
    assert items.completion.values == ["balance", "senders"]
    assert (await mcp.complete(ACCOUNT, {"name": "item", "value": "SEN"})).completion.values == ["senders"]
    assert (await mcp.complete(ACCOUNT, {"name": "item", "value": "x"})).completion.values == []

    days = (await mcp.complete(SENDS, {"name": "day", "value": ""})).completion
    today = datetime.now(timezone.utc).date().isoformat()
    assert days.values[0] == "today"
    assert today in days.values[1:3]  # the date may turn over between the two clocks
    assert all(len(value) == 10 for value in days.values[1:])
    assert days.has_more is False and days.total == len(days.values)
    assert (await mcp.complete(SENDS, {"name": "day", "value": "to"})).completion.values == ["today"]


async def test_completion_is_empty_for_free_text_and_unknown_references(mcp: Any) -> None:
    for ref, argument in (
        (types.PromptReference(name="draft_sms"), "purpose"),
        (types.PromptReference(name="no_such_prompt"), "arg1"),
        (types.ResourceTemplateReference(uri="letexto://nowhere/{x}"), "x"),
        (ACCOUNT, "not_an_argument"),
    ):
        result = await mcp.complete(ref, {"name": argument, "value": "b"})
        assert result.completion.values == []


async def test_unknown_prompt_and_missing_argument_are_invalid_params(mcp: Any) -> None:
    with pytest.raises(MCPError) as caught:
        await mcp.get_prompt("no_such_prompt")
    assert caught.value.error.code == types.INVALID_PARAMS
    assert "no_such_prompt" in caught.value.error.message

    with pytest.raises(MCPError) as caught:
        await mcp.get_prompt("draft_sms", {})
    assert caught.value.error.code == types.INVALID_PARAMS
    assert "purpose" in caught.value.error.message

    prompt = await mcp.get_prompt("draft_sms", {"purpose": "la réunion est à 15h"})
    assert "15h" in prompt.messages[0].content.text


async def test_null_input_responses_are_refused(mcp: Any) -> None:
    with pytest.raises(MCPError) as caught:
        await raw_request(mcp, "tools/call", {"name": "get_balance", "arguments": {}, "inputResponses": None})
    assert caught.value.error.code == types.INVALID_PARAMS
    assert "inputResponses" in caught.value.error.message

    ok = await raw_request(mcp, "tools/call", {"name": "get_balance", "arguments": {}})
    assert ok["structuredContent"]["balance"] > 0


# Updates reach a connection in the order they were published (the bus hands them over synchronously,
# one notification task each, in order). So once an update published last -- on a URI the connection
# watches for that purpose -- has arrived, any update published before it has arrived too: a test
# waits for that marker instead of sleeping to show that something did not come.
MARKER = "letexto://messages/marker"


async def heard_up_to_marker(heard: list[str], count: int = 1) -> list[str]:
    """Wait (a guard against hanging, not a timing) until the marker arrived `count` times in all."""
    with anyio.fail_after(5):
        while heard.count(MARKER) < count:
            await anyio.sleep(0.01)
    return heard


async def test_legacy_subscriber_hears_resource_updates_until_it_unsubscribes(simulator: Any) -> None:
    server = build_server(sandbox_settings(), simulator=simulator)
    heard: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            heard.append(message.params.uri)

    async def publish(uri: str) -> None:
        await server._subscriptions.publish(ResourceUpdated(uri=uri))

    watched = "letexto://messages/msg-1"
    async with Client(server, mode="legacy", message_handler=on_message) as client:
        await client.subscribe_resource(MARKER)
        await client.subscribe_resource(watched)
        await client.subscribe_resource(watched)  # twice is once
        await publish(watched)
        await publish("letexto://messages/someone-else")
        await publish(MARKER)
        assert await heard_up_to_marker(heard) == [watched, MARKER]

        await client.unsubscribe_resource(watched)
        await client.unsubscribe_resource("letexto://never-subscribed")
        await publish(watched)
        await publish(MARKER)
        assert await heard_up_to_marker(heard, 2) == [watched, MARKER, MARKER]


async def test_each_connection_hears_only_its_own_subscriptions(simulator: Any) -> None:
    server = build_server(sandbox_settings(), simulator=simulator)
    heard: dict[str, list[str]] = {"a": [], "b": []}

    def handler(name: str) -> Any:
        async def on_message(message: Any) -> None:
            if isinstance(message, types.ResourceUpdatedNotification):
                heard[name].append(message.params.uri)

        return on_message

    async with (
        Client(server, mode="legacy", message_handler=handler("a")) as a,
        Client(server, mode="legacy", message_handler=handler("b")) as b,
    ):
        await a.subscribe_resource("letexto://messages/1")
        await b.subscribe_resource("letexto://messages/2")
        for client in (a, b):
            await client.subscribe_resource(MARKER)
        await server._subscriptions.publish(ResourceUpdated(uri="letexto://messages/2"))
        await server._subscriptions.publish(ResourceUpdated(uri=MARKER))
        await heard_up_to_marker(heard["a"])
        await heard_up_to_marker(heard["b"])
        assert heard == {"a": [MARKER], "b": ["letexto://messages/2", MARKER]}


async def test_subscriptions_per_connection_are_capped(simulator: Any) -> None:
    server = build_server(sandbox_settings(), simulator=simulator)
    async with Client(server, mode="legacy") as client:
        for n in range(MAX_SUBSCRIPTIONS_PER_CONNECTION):
            await client.subscribe_resource(f"letexto://messages/{n}")
        await client.subscribe_resource("letexto://messages/0")  # already watched: still fine
        with pytest.raises(MCPError) as caught:
            await client.subscribe_resource("letexto://messages/one-too-many")
        assert caught.value.error.code == types.INVALID_PARAMS


async def test_resources_subscribe_is_gone_in_the_2026_era(simulator: Any) -> None:
    server = build_server(sandbox_settings(), simulator=simulator)
    async with Client(server, mode="auto") as client:
        with pytest.raises(MCPError) as caught:
            await client.subscribe_resource("letexto://messages/msg-1")
        assert caught.value.error.code == types.METHOD_NOT_FOUND
