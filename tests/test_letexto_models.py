"""Lenient parsing of LeTexto bodies, including shapes the simulator never produces.

These call the parsing functions with decoded JSON payloads directly: no HTTP is faked.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from letexto_mcp.letexto import (
    APPROVED_SENDER_STATUSES,
    Balance,
    CampaignStatus,
    EmailCampaign,
    MessageStatus,
    PayloadShapeError,
    Sender,
    SendResult,
    SmsCampaign,
    parse_senders,
)


def test_send_result_documented_shape() -> None:
    payload = {"status": "submitted", "id": "aze135dfr-aze135dr", "partCount": 4}
    result = SendResult.from_payload(payload)
    assert (result.id, result.status, result.part_count) == ("aze135dfr-aze135dr", "submitted", 4)
    assert result.raw == payload


def test_send_result_under_data_with_numeric_id_and_string_count() -> None:
    payload = {"success": True, "data": {"id": 1234, "status": "submitted", "partCount": "2", "extra": [1]}}
    result = SendResult.from_payload(payload)
    assert (result.id, result.part_count) == ("1234", 2)
    assert result.raw == payload  # the body as received, wrapper included


def test_send_result_without_id_is_a_shape_error() -> None:
    with pytest.raises(PayloadShapeError) as info:
        SendResult.from_payload({"status": "submitted", "partCount": 1})
    assert '"id"' in info.value.expected


def test_sms_campaign_accepts_statut_and_status() -> None:
    documented = {
        "label": "My campaign",
        "sender": "MYSENDERID",
        "id": "34567890456789",
        "contactCount": 4,
        "statut": "CREATED",
        "partCount": 4,
    }
    campaign = SmsCampaign.from_payload(documented)
    assert campaign.status == "CREATED"
    assert (campaign.label, campaign.sender, campaign.contact_count, campaign.part_count) == (
        "My campaign",
        "MYSENDERID",
        4,
        4,
    )
    other = SmsCampaign.from_payload({"data": {**documented, "statut": None, "status": "SCHEDULED"}})
    assert other.status == "SCHEDULED"


def test_email_campaign_documented_shape() -> None:
    payload = {
        "id": 11,
        "label": "My campaign publipostage",
        "subject": "subject",
        "from": "sender@gmail.com",
        "recipientsCount": 3,
        "status": "Created",
    }
    campaign = EmailCampaign.from_payload(payload)
    assert (campaign.id, campaign.from_email, campaign.recipients_count, campaign.status) == (
        "11",
        "sender@gmail.com",
        3,
        "Created",
    )


def test_campaign_status_prefers_the_wrapped_object_and_fills_the_id() -> None:
    envelope = {"status": "success", "data": {"statut": "SENT", "label": "L", "sender": "SMS INFO"}}
    status = CampaignStatus.from_payload(envelope, id_hint="c-1")
    assert (status.status, status.id, status.label, status.sender) == ("SENT", "c-1", "L", "SMS INFO")


def test_campaign_status_without_any_status_is_a_shape_error() -> None:
    with pytest.raises(PayloadShapeError):
        CampaignStatus.from_payload({"id": "c-1", "label": "L"})


@pytest.mark.parametrize(
    ("payload", "expected", "unit"),
    [
        (1500, 1500.0, None),
        (12.5, 12.5, None),
        ("250", 250.0, None),
        ({"balance": 1000.0, "currency": "SMS"}, 1000.0, "SMS"),
        ({"solde": "1 500,50", "devise": "XOF"}, 1500.5, "XOF"),
        ({"credits": 42}, 42.0, None),
        ({"credit": 7, "unit": "SMS"}, 7.0, "SMS"),
        ({"amount": 3}, 3.0, None),
        ({"data": {"balance": 99, "currency": "XOF"}}, 99.0, "XOF"),
        ({"data": 17}, 17.0, None),
        ({"data": {"balance": {"amount": 5, "currency": "XOF"}}}, 5.0, "XOF"),
    ],
)
def test_balance_shapes(payload: object, expected: float, unit: str | None) -> None:
    balance = Balance.from_payload(payload)
    assert balance.balance == expected
    assert balance.unit == unit
    assert isinstance(balance.raw, dict)


@pytest.mark.parametrize(
    "payload",
    [{"message": "ok"}, {"balance": "beaucoup"}, True, None, "n/a", [1, 2], {"balance": float("nan")}],
)
def test_balance_without_a_number_is_a_shape_error(payload: object) -> None:
    with pytest.raises(PayloadShapeError) as info:
        Balance.from_payload(payload)
    assert "balance" in info.value.expected


def test_bare_number_balance_keeps_it_in_raw() -> None:
    assert Balance.from_payload(8).raw == {"value": 8}


@pytest.mark.parametrize("status", ["ACTIVE", "active", "Validated", "APPROVED", "enabled", " VALID "])
def test_sender_approved_statuses(status: str) -> None:
    assert Sender.from_payload({"id": "s1", "name": "SMS INFO", "status": status}).is_approved


@pytest.mark.parametrize("status", ["PENDING", "VALIDATING", "REJECTED", "", None])
def test_sender_not_approved_statuses(status: str | None) -> None:
    sender = Sender.from_payload({"name": "ACME", "status": status})
    assert sender.is_approved is False
    assert sender.model_dump()["is_approved"] is False


def test_approved_set_is_documented_in_upper_case() -> None:
    assert {"ACTIVE", "VALIDATED", "APPROVED", "ENABLED", "VALID"} <= APPROVED_SENDER_STATUSES


@pytest.mark.parametrize(
    "payload",
    [
        [
            {"id": "1", "name": "SMS INFO", "status": "ACTIVE"},
            {"id": "2", "name": "ACME", "status": "PENDING"},
        ],
        {
            "data": [
                {"id": "1", "name": "SMS INFO", "status": "ACTIVE"},
                {"id": "2", "name": "ACME", "status": "PENDING"},
            ]
        },
        {
            "items": [
                {"id": "1", "name": "SMS INFO", "status": "ACTIVE"},
                {"id": "2", "name": "ACME", "status": "PENDING"},
            ]
        },
        {
            "senders": [
                {"id": "1", "name": "SMS INFO", "status": "ACTIVE"},
                {"id": "2", "name": "ACME", "status": "PENDING"},
            ]
        },
        {
            "data": {
                "items": [
                    {"id": "1", "name": "SMS INFO", "status": "ACTIVE"},
                    {"name": "ACME", "statut": "PENDING"},
                ]
            }
        },
    ],
)
def test_sender_list_shapes(payload: object) -> None:
    senders = parse_senders(payload)
    assert [(s.name, s.is_approved) for s in senders] == [("SMS INFO", True), ("ACME", False)]


def test_sender_list_of_bare_names() -> None:
    senders = parse_senders(["SMS INFO"])
    assert senders[0].name == "SMS INFO" and senders[0].status is None and not senders[0].is_approved


@pytest.mark.parametrize("payload", [{"message": "ok"}, "SMS INFO", 3, [{"status": "ACTIVE"}]])
def test_sender_list_of_no_known_shape_is_a_shape_error(payload: object) -> None:
    with pytest.raises(PayloadShapeError):
        parse_senders(payload)


def test_message_status_reads_the_documented_and_guessed_keys() -> None:
    payload = {
        "id": "m1",
        "statuts": "DELIVERED",
        "partCount": 2,
        "to": "2250707123456",
        "from": "SMS INFO",
        "updatedAt": "2026-02-13T21:40:00.000Z",
        "customData": "x",
    }
    status = MessageStatus.from_payload(payload)
    assert (status.id, status.status, status.part_count, status.to, status.sender) == (
        "m1",
        "DELIVERED",
        2,
        "2250707123456",
        "SMS INFO",
    )
    assert status.updated_at == datetime(2026, 2, 13, 21, 40, tzinfo=timezone.utc)


def test_message_status_tolerates_bad_optional_fields() -> None:
    status = MessageStatus.from_payload(
        {"status": "SENT", "partCount": "two", "updatedAt": "yesterday", "to": {"n": 1}}, id_hint="m9"
    )
    assert (status.id, status.status, status.part_count, status.updated_at, status.to) == (
        "m9",
        "SENT",
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    "model", [SendResult, SmsCampaign, EmailCampaign, CampaignStatus, MessageStatus, Sender]
)
@pytest.mark.parametrize("payload", [None, "text", 42, [], {}])
def test_non_objects_and_empty_objects_are_shape_errors(model: type[SendResult], payload: object) -> None:
    with pytest.raises(PayloadShapeError):
        model.from_payload(payload)


def test_unknown_keys_are_ignored_and_raw_is_kept() -> None:
    payload = {"id": "x", "status": "submitted", "partCount": 1, "raw": "vendor field", "new": {"a": 1}}
    result = SendResult.from_payload(payload)
    assert result.raw == payload
    assert "new" not in result.model_dump()
