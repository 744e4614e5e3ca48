"""Delivery reports: signed `/dlr/<token>` URLs for sends, and the endpoint LeTexto posts to.

LeTexto calls back whatever URL a send gave it, with no credential of its own, so the URL is the
credential: `<tenant>.<nonce>.<mac>` (base64url), the MAC an HMAC-SHA256 under a server secret
kept in the state store (so every worker sharing the store verifies every other's URLs). A
forged or altered token is refused with 403 and nothing is stored. One token serves every report
of its send (PENDING, SENT, DELIVERED…), so it is not single-use; it names the tenant, never a key.

Each URL is made for one send, and is bound to that send's one message: the send tool binds the
nonce to the message id LeTexto returned (`StateStore.bind_report_url`), and a report naming any
other message gets 403. So whoever saw one report URL can report on that message only, not on the
tenant's others. (If a report arrives before the send's answer was processed, its message binds
the nonce first; the send's own binding then finds it and a mismatch is logged.)

Accepted reports are stored per tenant and `get_message_status` answers from them. Watchers of
`letexto://messages/{id}` are told through the server's subscription bus (best effort, this process
only): clients on the 2026-07-28 protocol that `subscriptions/listen` to the URI get a
resource-updated event; 2025-era clients get `notifications/resources/updated` only if the server
serves `resources/subscribe` on that bus (see `server.protocol`), and otherwise ask again. The
event names the URI only, and reading the resource is tenant-scoped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from letexto_mcp.guard import b64url
from letexto_mcp.guard.approvals import Notify, tell
from letexto_mcp.store.base import DeliveryReport, StateStore

logger = logging.getLogger("letexto_mcp.server.dlr")

SECRET_NAME = "delivery-report-urls"
MAX_TOKEN_CHARS = 400
MAX_REPORT_BYTES = 64 * 1024
_NONCE_BYTES = 9
_MAC_BYTES = 16
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")
_STATUS_KEYS = ("status", "statuts", "statut")


def message_uri(message_id: str) -> str:
    """The resource a watcher subscribes to for one message's status."""
    return f"letexto://messages/{message_id}"


class ReportSigner:
    """Issues and checks the tokens in delivery-report URLs.

    `keys` is a ring, newest first: URLs are signed with the newest and accepted under any, so a
    report for a send made before a rotation still gets through.
    """

    def __init__(self, keys: bytes | list[bytes]) -> None:
        ring = [keys] if isinstance(keys, bytes) else list(keys)
        if not ring or any(len(secret) < 16 for secret in ring):
            raise ValueError("the delivery-report secret must be at least 16 bytes")
        self._keys = [hmac.new(secret, b"letexto-mcp/dlr/v1", hashlib.sha256).digest() for secret in ring]

    def _mac(self, tenant: bytes, nonce: bytes, key: bytes | None = None) -> bytes:
        signing = self._keys[0] if key is None else key
        return hmac.new(signing, tenant + b"\0" + nonce, hashlib.sha256).digest()[:_MAC_BYTES]

    def token(self, tenant: str) -> tuple[str, str]:
        """A fresh token for one send of `tenant`, and its nonce (to bind to the message)."""
        raw_tenant, nonce = tenant.encode(), secrets.token_bytes(_NONCE_BYTES)
        parts = (raw_tenant, nonce, self._mac(raw_tenant, nonce))
        return ".".join(b64url.encode(part) for part in parts), nonce.hex()

    def verify(self, token: str) -> tuple[str, str] | None:
        """(tenant, nonce) of a genuine token, or None for anything forged or altered."""
        if len(token) > MAX_TOKEN_CHARS:
            return None
        parts = token.split(".")
        if len(parts) != 3:
            return None
        tenant, nonce, mac = (b64url.decode_strict(p) for p in parts)
        if tenant is None or nonce is None or mac is None or len(nonce) != _NONCE_BYTES:
            return None
        if not any(hmac.compare_digest(mac, self._mac(tenant, nonce, key)) for key in self._keys):
            return None
        try:
            return tenant.decode(), nonce.hex()
        except UnicodeDecodeError:
            return None

    def url(self, public_url: str, tenant: str) -> ReportUrl:
        """The `dlrUrl` to give LeTexto for one send, with the nonce to bind to its message."""
        token, nonce = self.token(tenant)
        return ReportUrl(f"{public_url.rstrip('/')}/dlr/{token}", tenant, nonce)


@dataclass(frozen=True)
class ReportUrl:
    """A delivery-report URL made for one send; `bind` ties it to the message LeTexto returned."""

    url: str
    tenant: str
    nonce: str

    async def bind(self, store: StateStore, message_id: str) -> None:
        """Tie this URL to its message (best effort: a report that came first has bound it already)."""
        try:
            bound = await store.bind_report_url(self.tenant, self.nonce, message_id, time.time())
        except Exception:
            logger.exception("could not bind a delivery-report URL to its message")
            return
        if bound != message_id:
            logger.warning("a delivery-report URL was first used for another message than its own send's")


@dataclass(frozen=True)
class ParsedReport:
    message_id: str
    status: str
    raw: dict[str, Any]


def parse_report(data: Mapping[str, Any]) -> ParsedReport | None:
    """`{"id", "status", "customData"}` as LeTexto sends it (`statuts`/`statut` tolerated), or None."""
    message_id = data.get("id")
    status = next((data[k] for k in _STATUS_KEYS if isinstance(data.get(k), str) and data[k].strip()), None)
    if isinstance(message_id, int) and not isinstance(message_id, bool):
        message_id = str(message_id)
    if not isinstance(message_id, str) or not _MESSAGE_ID.fullmatch(message_id.strip()):
        return None
    if status is None or len(status.strip()) > 32:
        return None
    raw = {k: v for k, v in data.items() if isinstance(k, str)}
    return ParsedReport(message_id.strip(), status.strip().upper(), raw)


async def _read_body(request: Request) -> bytes | None:
    """The body, or None when it is larger than a report can be."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_REPORT_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_REPORT_BYTES:
            return None
    return bytes(body)


def _decode(body: bytes, content_type: str) -> dict[str, Any] | None:
    if "application/x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(body.decode("utf-8", "replace")))
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _refusal(status: int, error: str, message: str) -> Response:
    return JSONResponse({"error": error, "message": message}, status_code=status)


Publisher = Callable[[str], Awaitable[None]]
REPORT_EVENTS = {"SENT": "message.sent", "DELIVERED": "message.delivered", "FAILED": "message.failed"}


def report_endpoint(
    signer: Callable[[], ReportSigner],
    store: Callable[[], StateStore],
    publish: Publisher,
    notify: Callable[[], Notify | None] = lambda: None,
) -> Callable[[Request], Awaitable[Response]]:
    """The `/dlr/{token}` handler (GET with query parameters, or POST with JSON or a form)."""

    async def receive_report(request: Request) -> Response:
        verified = signer().verify(request.path_params.get("token", ""))
        if verified is None:
            logger.info("refused a delivery report with an invalid signature")
            return _refusal(403, "forbidden", "invalid delivery report URL")
        tenant, nonce = verified
        if request.method == "GET":
            data: dict[str, Any] | None = dict(request.query_params)
        else:
            body = await _read_body(request)
            if body is None:
                return _refusal(413, "too_large", f"a delivery report is at most {MAX_REPORT_BYTES} bytes")
            data = _decode(body, request.headers.get("content-type", ""))
        parsed = parse_report(data) if data is not None else None
        if parsed is None:
            return _refusal(400, "bad_report", 'expected {"id": "...", "status": "..."}')
        bound = await store().bind_report_url(tenant, nonce, parsed.message_id, time.time())
        if bound != parsed.message_id:
            logger.info("refused a delivery report for another message than its URL's")
            return _refusal(403, "forbidden", "this delivery report URL is for another message")
        received = time.time()
        await store().save_delivery_report(
            DeliveryReport(tenant, parsed.message_id, parsed.status, received, parsed.raw)
        )
        event = REPORT_EVENTS.get(parsed.status)
        if event is not None:
            data = {"message_id": parsed.message_id, "status": parsed.status, "received_at": received}
            if parsed.raw.get("customData") not in (None, ""):
                data["custom_data"] = parsed.raw["customData"]
            await tell(notify(), event, tenant, data)
        try:
            await publish(message_uri(parsed.message_id))
        except Exception:  # best effort: the report is stored, a watcher can still ask
            logger.exception("could not notify watchers of a delivery report")
        return JSONResponse({"ok": True})

    return receive_report
