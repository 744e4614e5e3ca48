"""Delivery reports (DLR): who may receive them, and one attempt to deliver one.

Reports only ever reach allowed hosts (loopback by default) so that a simulator exposed to a
flow designer cannot be turned into a tool for probing other machines.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from letexto_mcp.sandbox import assumptions as A
from letexto_mcp.sandbox.records import DlrDelivery, SentMessage


def host_allowed(url: str, allow: Iterable[str]) -> bool:
    """True when the URL's host is one of `allow`: a CIDR network, an address, or an exact name."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in allow:
        if address is None:
            if host == entry.lower().rstrip("."):
                return True
            continue
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def report_payload(message: SentMessage, status: str) -> dict[str, Any]:
    return {"id": message.id, "status": status, "customData": message.custom_data}


async def deliver(message: SentMessage, status: str, allow: Iterable[str], at: datetime) -> DlrDelivery:
    """Send one report for `message` now, or record it as refused when its host is not allowed."""
    url = message.dlr_url or ""
    method = message.dlr_method or A.DEFAULT_DLR_METHOD
    payload = report_payload(message, status)
    record = DlrDelivery(message.id, url, method, payload, status, at)
    if not host_allowed(url, allow):
        record.refused = True
        record.error = "refused: host not in the simulator's dlr_allow_hosts"
        return record
    try:
        async with httpx.AsyncClient(timeout=A.DLR_TIMEOUT_SECONDS, trust_env=False) as client:
            if method == "GET":
                params = {k: "" if v is None else str(v) for k, v in payload.items()}
                response = await client.get(url, params=params)
            else:
                response = await client.post(url, json=payload)
        record.http_status = response.status_code
    except httpx.HTTPError as exc:
        record.error = f"{type(exc).__name__}: {exc}"
    return record
