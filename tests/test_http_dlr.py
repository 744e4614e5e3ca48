"""Delivery reports: signed URLs go out with sends, forged reports are refused, genuine ones answer status."""

from __future__ import annotations

from typing import Any

import anyio
import httpx2
import pytest

from letexto_mcp.config import Settings
from letexto_mcp.sandbox import SANDBOX_API_KEY, SandboxConfig
from letexto_mcp.sandbox.serve import make_server
from letexto_mcp.server.dlr import ReportSigner, parse_report
from letexto_mcp.server.http import build_http_app
from tests.conftest import sandbox_settings
from tests.http_helpers import KEY_A, KEY_B, base_url, loopback_socket, mcp_client, serving
from tests.mcp_helpers import ok

pytestmark = pytest.mark.anyio

AWA = {"to": "07 07 12 34 56", "content": "Bonjour Awa, la réunion est à 15h."}


def _tamper(token: str, part: int) -> str:
    pieces = token.split(".")
    text = pieces[part]
    pieces[part] = ("B" if text[0] != "B" else "C") + text[1:]
    return ".".join(pieces)


async def test_forged_reports_are_refused_and_nothing_is_stored(simulator: Any, era: str) -> None:
    sock = loopback_socket()
    url = base_url(sock)
    settings = sandbox_settings(mcp_api_keys=[KEY_A, KEY_B], send_policy="allow", public_url=url)
    async with serving(build_http_app(settings, simulator=simulator), sock):
        async with mcp_client(f"{url}/mcp", key=KEY_A, mode=era) as client:
            sent = await ok(client, "send_sms", AWA)
            message_id = sent["message_id"]
            dlr_url = simulator.state.messages[0].dlr_url
            assert dlr_url.startswith(f"{url}/dlr/")
            assert simulator.state.messages[0].dlr_method == "POST"
            token = dlr_url.rsplit("/", 1)[1]
            assert KEY_A not in dlr_url

            report = {"id": message_id, "status": "DELIVERED", "customData": None}
            async with httpx2.AsyncClient() as http:
                forged = [
                    await http.post(f"{url}/dlr/{_tamper(token, part)}", json=report) for part in (0, 1, 2)
                ]
                forged.append(await http.post(f"{url}/dlr/not-a-token", json=report))
                forged.append(await http.get(f"{url}/dlr/{token[:-2]}", params=report | {"customData": ""}))
                assert [r.status_code for r in forged] == [403] * 5
                after_forgery = await ok(client, "get_message_status", {"message_id": message_id})
                assert after_forgery["source"] == "letexto"
                assert after_forgery["status"] == "PENDING"

                bad_body = await http.post(f"{url}/dlr/{token}", json={"status": "DELIVERED"})
                genuine = await http.post(
                    f"{url}/dlr/{token}", json={**report, "status": None, "statuts": "FAILED"}
                )
            assert bad_body.status_code == 400
            assert genuine.status_code == 200
            status = await ok(client, "get_message_status", {"message_id": message_id})
            assert status["source"] == "delivery_report"
            assert status["status"] == "FAILED" and status["final"] is True
        # Another tenant asking about the same id gets LeTexto's answer, not tenant A's report.
        async with mcp_client(f"{url}/mcp", key=KEY_B, mode=era) as other:
            theirs = await ok(other, "get_message_status", {"message_id": message_id})
        assert theirs["source"] == "letexto"


async def test_a_report_url_reports_on_its_own_message_only(simulator: Any) -> None:
    """Whoever saw one report URL cannot mark the tenant's other messages FAILED (and invite a resend)."""
    sock = loopback_socket()
    url = base_url(sock)
    settings = sandbox_settings(mcp_api_keys=[KEY_A], send_policy="allow", public_url=url)
    async with (
        serving(build_http_app(settings, simulator=simulator), sock),
        mcp_client(f"{url}/mcp", key=KEY_A) as client,
    ):
        first = await ok(client, "send_sms", AWA)
        second = await ok(client, "send_sms", {**AWA, "content": "Rappel : la réunion est à 15h."})
        first_url, second_url = (m.dlr_url for m in simulator.state.messages)
        async with httpx2.AsyncClient() as http:
            crossed = await http.post(first_url, json={"id": second["message_id"], "status": "FAILED"})
            own = await http.post(second_url, json={"id": second["message_id"], "status": "SENT"})
            again = await http.post(first_url, json={"id": first["message_id"], "status": "DELIVERED"})
        assert crossed.status_code == 403
        assert "another message" in crossed.json()["message"]
        assert (own.status_code, again.status_code) == (200, 200)
        status = await ok(client, "get_message_status", {"message_id": second["message_id"]})
        assert status["status"] != "FAILED", "the crossed report was not stored"


async def test_a_genuine_report_from_the_simulator_over_loopback() -> None:
    """The simulator on its own port (as `letexto-mcp sandbox` runs it) posts to this server's /dlr."""
    config = SandboxConfig(sender_approval_delay=0, sent_after=0.3, delivered_after=0.6)
    sim_sock, mcp_sock = loopback_socket(), loopback_socket()
    sim_server = make_server("127.0.0.1", sim_sock.getsockname()[1], config)
    mcp_url = base_url(mcp_sock)
    settings = Settings(
        api_token=SANDBOX_API_KEY,
        base_url=base_url(sim_sock),
        state_url="memory://",
        default_sender="SMS INFO",
        send_policy="allow",
        mcp_api_keys=[KEY_A],
        public_url=mcp_url,
    )
    async with (
        serving(sim_server.config.app, sim_sock),
        serving(build_http_app(settings), mcp_sock),
        mcp_client(f"{mcp_url}/mcp", key=KEY_A) as client,
    ):
        sent = await ok(client, "send_sms", AWA)
        uri = f"letexto://messages/{sent['message_id']}"
        heard: list[str] = []
        async with client.listen(resource_subscriptions=[uri]) as subscription:
            with anyio.fail_after(15):
                async for event in subscription:
                    heard.append(getattr(event, "uri", type(event).__name__))
                    if heard[-1] == uri:
                        break
        assert heard and heard[-1] == uri
        with anyio.fail_after(15):
            while True:
                status = await ok(client, "get_message_status", {"message_id": sent["message_id"]})
                if status["final"] and status["source"] == "delivery_report":
                    break  # (LeTexto may say DELIVERED a moment before its report reaches us)
                await anyio.sleep(0.1)
        resource = await client.read_resource(uri)
    assert status["source"] == "delivery_report"
    assert status["status"] in {"DELIVERED", "FAILED"}
    assert '"delivery_report"' in resource.contents[0].text
    deliveries = sim_server.config.app.state.dlr_deliveries
    assert deliveries and all(d.http_status == 200 for d in deliveries)


def test_signer_refuses_anything_it_did_not_issue() -> None:
    signer = ReportSigner(b"s" * 32)
    token, nonce = signer.token("http:abc")
    assert signer.verify(token) == ("http:abc", nonce)
    assert signer.token("http:abc")[0] != token  # a fresh nonce each time
    assert ReportSigner(b"t" * 32).verify(token) is None
    for part in (0, 1, 2):
        assert signer.verify(_tamper(token, part)) is None
    assert signer.verify(token + "=") is None and signer.verify("") is None and signer.verify("a.b.c") is None
    assert signer.url("https://mcp.example.com/", "local").url.startswith("https://mcp.example.com/dlr/")


def test_parse_report_tolerates_the_vendor_spellings() -> None:
    assert parse_report({"id": "m1", "status": "delivered"}).status == "DELIVERED"  # type: ignore[union-attr]
    assert parse_report({"id": "m1", "statuts": "SENT"}).status == "SENT"  # type: ignore[union-attr]
    assert parse_report({"id": 42, "statut": "FAILED"}).message_id == "42"  # type: ignore[union-attr]
    assert parse_report({"status": "SENT"}) is None
    assert parse_report({"id": "m1"}) is None
    assert parse_report({"id": "../etc", "status": "SENT"}) is None
