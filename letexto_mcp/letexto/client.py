"""`LetextoClient`: the nine LeTexto operations over one pooled `httpx.AsyncClient`.

Writes (a send, a campaign, a sender) are attempted exactly once: a retry after a lost answer
could send twice, so the caller decides. Reads retry with backoff. Each attempt has its own
deadline, enforced here as well as by httpx (httpx's timeouts do not apply to every transport,
the in-process ASGI one included). The key is held as a `SecretStr`, put in the `Authorization`
header or the `token` query parameter as each endpoint wants, and redacted from everything the
client says: exceptions, logs, its repr.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import anyio
import httpx
from pydantic import SecretStr

from .. import __version__
from .errors import LetextoError, RequestNotSentError
from .models import (
    SENDER_LIST_EXPECTED,
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
from .redact import install_log_redaction, redact, redact_url, register_secret, release_secret
from .responses import (
    NOT_JSON,
    WRITE_OPERATIONS,
    api_error,
    deadline_error,
    decode_json,
    describe,
    in_band_error_status,
    shape_error,
    transport_error,
)
from .retry import RetryPolicy
from .wire import API_PREFIX, campaign_contacts, format_datetime, path_segment, without_absent

if TYPE_CHECKING:
    import ssl

__all__ = ["DEFAULT_BASE_URL", "PROJECT_URL", "LetextoClient", "default_user_agent"]

DEFAULT_BASE_URL = "https://apis.letexto.com"
PROJECT_URL = "https://github.com/letexto-mcp/letexto-mcp"

logger = logging.getLogger("letexto_mcp.letexto")

T = TypeVar("T")
AuthPlace = Literal["bearer", "query"]


def default_user_agent() -> str:
    """`letexto-mcp/<version> (+<project url>; python-httpx/<version>)`: who calls, for LeTexto's logs."""
    return f"letexto-mcp/{__version__} (+{PROJECT_URL}; python-httpx/{httpx.__version__})"


class LetextoClient:
    """Async client for the LeTexto API; use it as `async with LetextoClient(key) as client:`."""

    def __init__(
        self,
        api_key: str | SecretStr,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 15.0,
        read_retries: int = 2,
        backoff: float = 0.25,
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str | None = None,
        max_retry_after: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        if not isinstance(key, str) or not key.strip():
            raise ValueError("the LeTexto API key is empty: set LETEXTO_API_TOKEN")
        key = key.strip()
        if any(ch.isspace() or not ch.isprintable() for ch in key):
            raise ValueError(
                "the LeTexto API key contains spaces or control characters: check LETEXTO_API_TOKEN"
            )
        if timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        if read_retries < 0 or backoff < 0:
            raise ValueError("read_retries and backoff must not be negative")
        self._key = SecretStr(key)
        install_log_redaction()
        register_secret(key)
        self._registered = True
        self._in_flight = 0
        self._close_when_idle = False
        self._base_url = base_url.rstrip("/")
        if self._base_url.endswith(API_PREFIX):
            self._base_url = self._base_url[: -len(API_PREFIX)]
        self._timeout = float(timeout)
        self._retry = RetryPolicy(retries=read_retries, backoff=backoff, max_retry_after=max_retry_after)
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            transport=transport,
            timeout=httpx.Timeout(
                connect=min(5.0, self._timeout),
                read=self._timeout,
                write=min(10.0, self._timeout),
                pool=min(5.0, self._timeout),
            ),
            headers={"User-Agent": user_agent or default_user_agent(), "Accept": "application/json"},
            follow_redirects=False,
            # Shared by many clients, a context is loaded once: each of its own costs ~0.8 MB and ~50 ms.
            verify=ssl_context if ssl_context is not None else True,
        )

    # --- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> LetextoClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections (the log filter then forgets this client's key)."""
        try:
            await self._http.aclose()
        finally:
            if self._registered:
                self._registered = False
                release_secret(self._key.get_secret_value())

    async def aclose_when_idle(self) -> None:
        """Close now, or when the calls running on it end: a tenant dropped mid-call still finishes."""
        if self._in_flight == 0:
            await self.aclose()
        else:
            self._close_when_idle = True

    @property
    def closed(self) -> bool:
        """True once the pooled connections are closed; a call then fails as not sent."""
        return self._http.is_closed

    @property
    def base_url(self) -> str:
        """The API root the client talks to, without `/v1`."""
        return self._base_url

    def __repr__(self) -> str:
        return f"<LetextoClient base_url={redact_url(self._base_url)!r} api_key={self._key!r}>"

    # --- messages ----------------------------------------------------------------------------

    async def send_sms(
        self,
        *,
        sender: str,
        to: str,
        content: str,
        dlr_url: str | None = None,
        dlr_method: Literal["GET", "POST"] | None = None,
        custom_data: str | None = None,
        send_at: datetime | None = None,
    ) -> SendResult:
        """Send one SMS (`POST /v1/messages/send`); one attempt, never retried."""
        if dlr_method is not None and str(dlr_method).upper() not in ("GET", "POST"):
            raise ValueError("dlr_method must be 'GET' or 'POST'")
        body = without_absent(
            {
                "from": sender,
                "to": to,
                "content": content,
                "dlrUrl": dlr_url,
                "dlrMethod": str(dlr_method).upper() if dlr_method else None,
                "customData": custom_data,
                "sendAt": format_datetime(send_at, field="send_at") if send_at is not None else None,
            }
        )
        return await self._call(
            "send_sms",
            "POST",
            "/messages/send",
            auth="bearer",
            json=body,
            parse=SendResult.from_payload,
            expected=SendResult.expected,
        )

    async def get_message_status(self, message_id: str) -> MessageStatus:
        """Delivery status of one SMS (`GET /v1/messages/{id}/status?token=`)."""
        segment = path_segment(message_id, field="message_id")
        return await self._call(
            "get_message_status",
            "GET",
            f"/messages/{segment}/status",
            auth="query",
            parse=lambda payload: MessageStatus.from_payload(payload, id_hint=message_id),
            expected=MessageStatus.expected,
        )

    # --- campaigns ---------------------------------------------------------------------------

    async def create_sms_campaign(
        self,
        *,
        label: str,
        sender: str,
        contacts: Sequence[Mapping[str, str]],
        content: str,
        sent_at: datetime | None = None,
    ) -> SmsCampaign:
        """Create an SMS campaign (`POST /v1/campaigns/sms`); contacts go out keyed by `numero`."""
        body = without_absent(
            {
                "label": label,
                "sender": sender,
                "contacts": campaign_contacts(contacts),
                "content": content,
                "sentAt": format_datetime(sent_at, field="sent_at") if sent_at is not None else None,
            }
        )
        return await self._call(
            "create_sms_campaign",
            "POST",
            "/campaigns/sms",
            auth="bearer",
            json=body,
            parse=SmsCampaign.from_payload,
            expected=SmsCampaign.expected,
        )

    async def create_email_campaign(
        self, *, label: str, from_email: str, recipients: Sequence[str], subject: str, content: str
    ) -> EmailCampaign:
        """Create an email campaign (`POST /v1/campaigns/emails`); `recipients` is a list of addresses."""
        if isinstance(recipients, str):
            raise TypeError("recipients must be a list of addresses, not one string")
        body = {
            "label": label,
            "from": from_email,
            "recipients": list(recipients),
            "subject": subject,
            "content": content,
        }
        return await self._call(
            "create_email_campaign",
            "POST",
            "/campaigns/emails",
            auth="bearer",
            json=body,
            parse=EmailCampaign.from_payload,
            expected=EmailCampaign.expected,
        )

    async def get_sms_campaign_status(self, campaign_id: str) -> CampaignStatus:
        """Status of an SMS campaign (`GET /v1/campaigns/sms/{id}/status?token=`)."""
        segment = path_segment(campaign_id, field="campaign_id")
        return await self._call(
            "get_sms_campaign_status",
            "GET",
            f"/campaigns/sms/{segment}/status",
            auth="query",
            parse=lambda payload: CampaignStatus.from_payload(payload, id_hint=campaign_id),
            expected=CampaignStatus.expected,
        )

    async def get_email_campaign_status(self, campaign_id: str) -> CampaignStatus:
        """Status of an email campaign (`GET /v1/campaigns/emails/{id}/status?token=`)."""
        segment = path_segment(campaign_id, field="campaign_id")
        return await self._call(
            "get_email_campaign_status",
            "GET",
            f"/campaigns/emails/{segment}/status",
            auth="query",
            parse=lambda payload: CampaignStatus.from_payload(payload, id_hint=campaign_id),
            expected=CampaignStatus.expected,
        )

    # --- senders and account -----------------------------------------------------------------

    async def create_sender(self, name: str) -> Sender:
        """Ask for a new sender name (`POST /v1/senders/create`); LeTexto must approve it before use."""
        return await self._call(
            "create_sender",
            "POST",
            "/senders/create",
            auth="bearer",
            json={"name": name},
            parse=Sender.from_payload,
            expected=Sender.expected,
        )

    async def list_senders(
        self, *, query: str | None = None, status: str | None = None, all_accounts: bool = False
    ) -> list[Sender]:
        """The account's senders (`GET /v1/senders`), optionally filtered; `allAccounts=true` if asked."""
        params = without_absent(
            {"query": query, "status": status, "allAccounts": "true" if all_accounts else None}
        )
        return await self._call(
            "list_senders",
            "GET",
            "/senders",
            auth="bearer",
            params=params,
            parse=parse_senders,
            expected=SENDER_LIST_EXPECTED,
        )

    async def get_balance(self) -> Balance:
        """The account balance (`GET /v1/users/balance?token=`)."""
        return await self._call(
            "get_balance",
            "GET",
            "/users/balance",
            auth="query",
            parse=Balance.from_payload,
            expected=Balance.expected,
        )

    # --- plumbing ----------------------------------------------------------------------------

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        auth: AuthPlace,
        parse: Callable[[object], T],
        expected: str,
        json: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> T:
        """One operation: a single attempt for writes, up to 1 + read_retries for reads."""
        if self._http.is_closed:
            raise RequestNotSentError(
                f"Could not {describe(operation)}: this connection to LeTexto was closed (the server closes "
                "the connections of tenants idle or beyond its limit). Nothing was sent; call again.",
                operation=operation,
            )
        self._in_flight += 1
        try:
            return await self._operation(
                operation, method, path, auth=auth, parse=parse, expected=expected, json=json, params=params
            )
        finally:
            self._in_flight -= 1
            if self._in_flight == 0 and self._close_when_idle:
                with anyio.CancelScope(shield=True):
                    await self.aclose()

    async def _operation(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        auth: AuthPlace,
        parse: Callable[[object], T],
        expected: str,
        json: Any,
        params: Mapping[str, str] | None,
    ) -> T:
        """The attempts of one operation, retried with backoff when it is a read."""
        attempts = 1 if operation in WRITE_OPERATIONS else 1 + self._retry.retries
        attempt = 1
        while True:
            try:
                return await self._attempt(
                    operation,
                    method,
                    path,
                    auth=auth,
                    parse=parse,
                    expected=expected,
                    json=json,
                    params=params,
                    attempt=attempt,
                )
            except LetextoError as error:
                delay = self._retry.delay(error, attempt) if attempt < attempts else None
                if delay is None:
                    raise
                logger.info(
                    "%s %s failed (%s), retrying in %.2f s (attempt %d of %d)",
                    method,
                    self._log_path(path, auth),
                    type(error).__name__,
                    delay,
                    attempt + 1,
                    attempts,
                )
            await anyio.sleep(delay)
            attempt += 1

    async def _attempt(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        auth: AuthPlace,
        parse: Callable[[object], T],
        expected: str,
        json: Any,
        params: Mapping[str, str] | None,
        attempt: int,
    ) -> T:
        """Send the request once and turn the answer into a model or one of our exceptions.

        Exceptions are raised outside the `except` blocks, so none chains to an httpx error
        (whose request carries the URL, token included).
        """
        secret = self._key.get_secret_value()
        query = dict(params or {})
        headers: dict[str, str] = {}
        if auth == "query":
            query["token"] = secret
        else:
            headers["Authorization"] = f"Bearer {secret}"
        url = API_PREFIX + path
        log_path = self._log_path(path, auth)
        started = time.perf_counter()

        failure: LetextoError | None = None
        response: httpx.Response | None = None
        try:
            with anyio.fail_after(self._timeout):
                response = await self._http.request(method, url, params=query, headers=headers, json=json)
        except TimeoutError:
            failure = deadline_error(operation=operation, timeout=self._timeout)
        except httpx.TransportError as exc:
            failure = transport_error(
                exc, operation=operation, url=self._base_url + log_path, secrets=[secret]
            )
        elapsed_ms = (time.perf_counter() - started) * 1000

        if failure is not None or response is None:
            failure = failure or deadline_error(operation=operation, timeout=self._timeout)
            logger.debug(
                "%s %s -> %s after %.1f ms (attempt %d)",
                method,
                log_path,
                type(failure).__name__,
                elapsed_ms,
                attempt,
            )
            raise failure

        logger.debug(
            "%s %s -> %d in %.1f ms (attempt %d)", method, log_path, response.status_code, elapsed_ms, attempt
        )
        payload = decode_json(response.content)
        status = response.status_code
        if not 200 <= status < 300:
            raise api_error(
                status,
                None if payload is NOT_JSON else payload,
                response.text,
                response.headers,
                operation=operation,
                secrets=[secret],
            )
        if payload is NOT_JSON:
            raise shape_error(
                status, response.text, operation=operation, expected=expected, secrets=[secret], not_json=True
            )
        in_band = in_band_error_status(payload)
        if in_band is not None:
            raise api_error(
                in_band, payload, response.text, response.headers, operation=operation, secrets=[secret]
            )
        shape_failure: PayloadShapeError | None = None
        try:
            return parse(payload)
        except PayloadShapeError as exc:
            shape_failure = exc
        raise shape_error(
            status,
            response.text,
            operation=operation,
            expected=shape_failure.expected,
            secrets=[secret],
            not_json=False,
        )

    def _log_path(self, path: str, auth: AuthPlace) -> str:
        """The path as logs and messages show it: `/v1/users/balance?token=***`."""
        shown = API_PREFIX + path + ("?token=***" if auth == "query" else "")
        return redact(shown, [self._key.get_secret_value()])
