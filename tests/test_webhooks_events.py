"""Events and signatures: the documented data shapes, no secret in an event, and Standard Webhooks
signatures that the `standardwebhooks` package verifies (and whose forgeries it rejects)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from pydantic import SecretStr
from standardwebhooks import Webhook, WebhookVerificationError

from letexto_mcp.letexto.redact import redact
from letexto_mcp.store import MemoryStore
from letexto_mcp.webhooks import EVENT_TYPES, WebhookOptions, WebhookPublisher
from letexto_mcp.webhooks.events import event_payload, iso_utc
from letexto_mcp.webhooks.signing import Signer, secret_bytes
from tests.webhook_helpers import SECRET, MovingClock, new_secret

pytestmark = pytest.mark.anyio

AT = 1_785_000_000.0  # 2026-07-25T17:20:00Z
EXAMPLES: dict[str, dict[str, Any]] = {
    "message.sent": {"message_id": "m1", "status": "SENT", "received_at": AT},
    "message.delivered": {
        "message_id": "m1",
        "status": "DELIVERED",
        "received_at": AT,
        "custom_data": {"o": 7},
    },
    "message.failed": {"message_id": "m1", "status": "FAILED", "received_at": "2026-07-25T17:20:00Z"},
    "campaign.status": {"campaign_id": "c1", "channel": "sms", "status": "SENT"},
    "approval.requested": {
        "approval_id": "ap1",
        "tool": "create_sms_campaign",
        "recipients": 3000,
        "approval_url": "https://mcp.example/approvals/ap1",
        "expires_at": AT + 600,
    },
    "approval.approved": {"approval_id": "ap1", "decided_by": "awa", "decided_at": AT},
    "approval.declined": {"approval_id": "ap1", "decided_by": "awa", "decided_at": AT},
    "send.outcome_unknown": {
        "tool": "send_sms",
        "recipients": 1,
        "detail": "timeout after the request left",
        "idempotency_key": None,
    },
    "webhook.test": {"message": "hello"},
}


def test_every_event_type_has_an_example_here() -> None:
    assert set(EXAMPLES) == EVENT_TYPES


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_payloads_follow_the_standard_webhooks_shape(event_type: str) -> None:
    body = json.loads(event_payload(event_type, "tenant-1", EXAMPLES[event_type], AT))
    assert list(body) == ["type", "timestamp", "data"]
    assert body["type"] == event_type
    assert body["timestamp"] == "2026-07-25T17:20:00.000Z"
    assert body["data"]["tenant"] == "tenant-1"
    for name, value in body["data"].items():
        if name.endswith("_at"):
            assert value.endswith("Z") or value.endswith("+00:00"), "times are ISO-8601 in UTC"


def test_epoch_times_become_iso_8601() -> None:
    body = json.loads(event_payload("approval.requested", "t", EXAMPLES["approval.requested"], AT))
    assert body["data"]["expires_at"] == iso_utc(AT + 600) == "2026-07-25T17:30:00.000Z"


@pytest.mark.parametrize(
    ("event_type", "data", "message"),
    [
        ("message.bounced", {}, "unknown webhook event type 'message.bounced'"),
        ("message.sent", {**EXAMPLES["message.sent"], "api_key": "lt_x"}, "no field 'api_key'"),
        ("webhook.test", {"message": "x", "authorization": "Bearer y"}, "no field 'authorization'"),
        ("message.sent", {"message_id": "m1"}, "lacks 'received_at', 'status'"),
        ("approval.requested", {**EXAMPLES["approval.requested"], "recipients": ["0707"]}, "a count"),
        ("campaign.status", {**EXAMPLES["campaign.status"], "status": 3}, "'status' must be a string"),
        ("approval.approved", {**EXAMPLES["approval.approved"], "decided_at": float("nan")}, "finite"),
        ("message.sent", {**EXAMPLES["message.sent"], "custom_data": {1, 2}}, "not JSON"),
        ("webhook.test", {"message": "x", "tenant": "someone-else"}, "another tenant"),
    ],
)
def test_data_outside_its_shape_is_refused(event_type: str, data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        event_payload(event_type, "t", data, AT)


async def test_emit_queues_one_delivery_per_target_with_the_same_event_id() -> None:
    store = MemoryStore()
    clock = MovingClock(AT)
    targets = ("https://a.example/hook", "https://b.example/hook")
    publisher = WebhookPublisher(store, WebhookOptions(targets, SecretStr(SECRET), clock=clock))
    event_id = await publisher.emit("message.delivered", "t", EXAMPLES["message.delivered"])
    assert event_id is not None and event_id.startswith("msg_")
    rows = await store.webhook_deliveries()
    assert {(r.event_id, r.target, r.next_attempt_at) for r in rows} == {(event_id, t, AT) for t in targets}
    assert json.loads(rows[0].payload)["data"]["custom_data"] == {"o": 7}


async def test_emit_without_targets_queues_nothing_but_still_checks_the_data() -> None:
    store = MemoryStore()
    publisher = WebhookPublisher(store, WebhookOptions())
    assert not publisher.enabled
    assert await publisher.emit("webhook.test", "t", {"message": "x"}) is None
    assert await store.webhook_deliveries() == []
    with pytest.raises(ValueError, match="no field 'token'"):
        await publisher.emit("webhook.test", "t", {"message": "x", "token": "y"})


async def test_no_key_or_secret_reaches_an_event() -> None:
    """Known secrets are masked wherever they hide in the data: the server's redaction, and the
    webhook secret itself."""
    api_key = "lt_live_9f8e7d6c5b4a39281706f5e4"
    store = MemoryStore()
    publisher = WebhookPublisher(
        store,
        WebhookOptions(("https://a.example/h",), SecretStr(SECRET)),
        redact=lambda text: redact(text, [api_key]),
    )
    leaky = {
        **EXAMPLES["message.delivered"],
        "custom_data": {"note": f"key={api_key}", api_key: [SECRET, "Bearer abc.def"]},
    }
    await publisher.emit("message.delivered", "t", leaky)
    [row] = await store.webhook_deliveries()
    assert api_key not in row.payload
    assert SECRET not in row.payload
    assert "abc.def" not in row.payload
    assert json.loads(row.payload)["data"]["custom_data"] == {"note": "key=***", "***": ["***", "Bearer ***"]}


# -- signatures -------------------------------------------------------------------------------------


def _signed(
    secret: str = SECRET, at: float | None = None, body: str = '{"type":"webhook.test"}'
) -> dict[str, str]:
    return Signer(SecretStr(secret)).headers("msg_1", time.time() if at is None else at, body)


def test_signatures_verify_with_the_standardwebhooks_package() -> None:
    body = event_payload("webhook.test", "t", {"message": "héllo"}, time.time())
    headers = _signed(body=body)
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(SECRET).verify(body.encode(), headers)["data"]["message"] == "héllo"


def test_what_a_receiver_rejects() -> None:
    body = '{"type":"webhook.test"}'
    receiver = Webhook(SECRET)
    forged = _signed(secret=new_secret(), body=body)  # signed with a key that is not ours
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        receiver.verify(body, forged)
    tampered = _signed(body=body)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        receiver.verify(body.replace("test", "tost"), tampered)
    stale = _signed(at=time.time() - 600, body=body)  # replayed ten minutes later
    with pytest.raises(WebhookVerificationError, match="too old"):
        receiver.verify(body, stale)
    other_event = {**_signed(body=body), "webhook-id": "msg_2"}  # a signature moved to another id
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        receiver.verify(body, other_event)


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("not-a-whsec", "followed by the base64"),
        ("whsec_", "holds 0 bytes"),
        ("whsec_" + base64.b64encode(b"short").decode(), "holds 5 bytes"),
        ("whsec_" + base64.b64encode(b"x" * 65).decode(), "holds 65 bytes"),
        ("whsec_" + "!" * 40, "followed by the base64"),
    ],
)
def test_malformed_secrets_are_refused_without_being_echoed(secret: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as caught:
        secret_bytes(secret)
    assert secret.removeprefix("whsec_") not in str(caught.value) or secret == "whsec_"


def test_unpadded_secrets_are_accepted_as_the_package_accepts_them() -> None:
    unpadded = SECRET.rstrip("=")
    assert secret_bytes(unpadded) == secret_bytes(SECRET)
    assert repr(Signer(SecretStr(SECRET))) == "Signer(secret=***)"
