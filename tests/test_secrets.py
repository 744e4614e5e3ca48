"""The LeTexto key never surfaces: not in a tool result, an error, a log line, the audit log or a resource.

The server runs as in production (a real key, not sandbox mode) against the simulator over HTTP,
and every failure kind is provoked while the key travels in both places (Bearer and `?token=`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from mcp import Client

from letexto_mcp.config import Settings
from letexto_mcp.sandbox import Fault
from letexto_mcp.sandbox.constants import SANDBOX_BASE_URL_IN_PROCESS
from letexto_mcp.server.app import build_server
from tests.mcp_helpers import call

pytestmark = pytest.mark.anyio

KEY = "lt_live_S3CRETkey0123456789abcdef"
WRONG_KEY = "lt_live_WR0NGkey9876543210fedcba"


def _server(simulator: Any, key: str, **overrides: Any) -> Any:
    settings = Settings(
        api_token=key,
        base_url=SANDBOX_BASE_URL_IN_PROCESS,
        state_url="memory://",
        default_sender="SMS INFO",
        send_policy="allow",
        read_retries=1,
        timeout_seconds=0.5,
        log_level="DEBUG",
        **overrides,
    )
    return build_server(settings, transport=httpx.ASGITransport(app=simulator))


async def test_no_secret_in_results_errors_logs_or_audit(simulator: Any, caplog: Any) -> None:
    simulator.state.add_account(KEY, balance=100, senders=["SMS INFO"])
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []

    async def record(client: Any, tool: str, args: dict[str, Any] | None = None) -> Any:
        outcome = await call(client, tool, args or {})
        texts.append(outcome.text)
        texts.append(json.dumps(outcome.data))
        return outcome

    async with Client(_server(simulator, KEY)) as client:
        await record(client, "get_balance")
        sent = await record(client, "send_sms", {"to": "0707123456", "content": "Bonjour"})
        assert sent.data["status"] == "submitted"
        await record(client, "get_message_status", {"message_id": sent.data["message_id"]})
        for fault in (
            Fault("status", status=503, count=5),
            Fault("malformed", count=5),
            Fault("truncated", count=5),
            Fault("reset_before", count=5),
            Fault("timeout", delay=2.0, count=5),
            Fault("status", status=429, count=5),
        ):
            simulator.faults.clear()
            simulator.faults.inject(fault)
            balance = await record(client, "get_balance")
            assert balance.is_error
            senders = await record(client, "list_senders")
            assert senders.is_error
            await record(client, "get_message_status", {"message_id": sent.data["message_id"]})
            await record(
                client,
                "send_sms",
                {"to": "0505123456", "content": f"Test {fault.kind}", "allow_duplicate": True},
            )
        simulator.faults.clear()
        simulator.faults.inject(Fault("reset_after", count=1, path="/v1/messages/send"))
        unknown = await record(client, "send_sms", {"to": "0101123456", "content": "Perdu ?"})
        assert unknown.data["status"] == "outcome_unknown"
        simulator.faults.clear()
        await record(client, "get_campaign_status", {"campaign_id": "000000000000000000000000"})
        audit = await client.read_resource("letexto://sends/today")
        texts.append(audit.contents[0].text)
        assert '"outcome_unknown"' in audit.contents[0].text

    async with Client(_server(simulator, WRONG_KEY)) as client:
        refused = await record(client, "get_balance")
        assert refused.is_error and "LETEXTO_API_TOKEN" in refused.text
        preview = await record(client, "preview_sms", {"content": "x", "to": "0707123456"})
        assert preview.is_error and "LETEXTO_API_TOKEN" in preview.text, "a refused key is not 'unknown'"

    logged = [record.getMessage() for record in caplog.records]
    logged += [str(record.args) for record in caplog.records]
    logged += [str(record.exc_info) for record in caplog.records if record.exc_info]
    everything = "\n".join(texts + logged)
    assert len(caplog.records) > 10, "the test must see the client's log lines"
    for secret in (KEY, WRONG_KEY):
        assert secret not in everything
        assert secret[8:] not in everything


async def test_settings_and_errors_never_show_the_key() -> None:
    settings = Settings(api_token=KEY)
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())
    from letexto_mcp.config import mask_secret

    assert mask_secret(settings.api_token) == "lt_…cdef"
