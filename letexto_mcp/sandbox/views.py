"""JSON bodies the simulator answers with, one function per record kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from letexto_mcp.sandbox.clock import format_iso
from letexto_mcp.sandbox.records import (
    Account,
    DlrDelivery,
    EmailCampaign,
    RequestRecord,
    Sender,
    SentMessage,
    SmsCampaign,
    mask_key,
)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else format_iso(when)


def sender_body(sender: Sender) -> dict[str, Any]:
    return {
        "id": sender.id,
        "name": sender.name,
        "status": sender.status,
        "createdAt": _iso(sender.created_at),
        "account": sender.account_name,
    }


def message_status_body(message: SentMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "status": message.status,
        "partCount": message.parts,
        "to": message.to,
        "from": message.sender,
        "customData": message.custom_data,
        "sendAt": _iso(message.send_at),
        "createdAt": _iso(message.created_at),
        "updatedAt": _iso(message.updated_at),
    }


def sms_campaign_status_body(campaign: SmsCampaign) -> dict[str, Any]:
    return {"status": campaign.status, "sender": campaign.sender, "id": campaign.id, "label": campaign.label}


def email_campaign_status_body(campaign: EmailCampaign) -> dict[str, Any]:
    return {
        "status": campaign.status,
        "id": campaign.id,
        "label": campaign.label,
        "subject": campaign.subject,
        "from": campaign.from_email,
        "recipientsCount": len(campaign.recipients),
    }


# -- the admin snapshot (GET /_sandbox/state): everything, keys masked --------------------------


def account_snapshot(account: Account) -> dict[str, Any]:
    return {
        "key": account.key_hint,
        "name": account.name,
        "balance": account.balance,
        "parent": None if account.parent is None else mask_key(account.parent),
        "senders": [sender_body(s) for s in account.senders],
    }


def message_snapshot(message: SentMessage) -> dict[str, Any]:
    return {
        **message_status_body(message),
        "account": message.account_key_hint,
        "content": message.content,
        "encoding": message.encoding,
        "dlrUrl": message.dlr_url,
        "dlrMethod": message.dlr_method,
        "via": message.via,
    }


def sms_campaign_snapshot(campaign: SmsCampaign) -> dict[str, Any]:
    return {
        **sms_campaign_status_body(campaign),
        "account": campaign.account_key_hint,
        "content": campaign.content,
        "contactCount": campaign.contact_count,
        "partCount": campaign.part_count,
        "sentAt": _iso(campaign.sent_at),
        "createdAt": _iso(campaign.created_at),
        "messages": [
            {"to": m.to, "content": m.content, "parts": m.parts, "encoding": m.encoding}
            for m in campaign.messages
        ],
    }


def email_campaign_snapshot(campaign: EmailCampaign) -> dict[str, Any]:
    return {
        **email_campaign_status_body(campaign),
        "account": campaign.account_key_hint,
        "recipients": campaign.recipients,
        "content": campaign.content,
        "createdAt": _iso(campaign.created_at),
    }


def delivery_snapshot(delivery: DlrDelivery) -> dict[str, Any]:
    return {
        "messageId": delivery.message_id,
        "url": delivery.url,
        "method": delivery.method,
        "payload": delivery.payload,
        "status": delivery.reported_status,
        "httpStatus": delivery.http_status,
        "error": delivery.error,
        "refused": delivery.refused,
        "at": _iso(delivery.at),
    }


def request_snapshot(record: RequestRecord) -> dict[str, Any]:
    return {
        "method": record.method,
        "path": record.path,
        "auth": record.auth,
        "fault": record.fault,
        "status": record.status,
    }
