"""One delivery attempt: resolve and check the target, POST the signed event, judge the answer.

- The host is resolved once, every address checked by the SSRF guard, and the connection made to
  the checked address itself (the URL's host swapped for it, `Host` and the TLS server name kept
  as the target's): nothing can be resolved again between the check and the connection.
- Redirects are never followed (a receiver cannot bounce the request into the private network);
  no proxy from the environment is used.
- One deadline (LETEXTO_WEBHOOK_TIMEOUT_SECONDS) covers resolving, connecting, sending and the
  answer; each network step also has that timeout of its own.
- A 2xx is success and its body is not read; of any other answer at most
  LETEXTO_WEBHOOK_MAX_RESPONSE_BYTES are read, and a short excerpt is kept for the delivery log.
- 410 Gone stops the delivery, as does a refused target; anything else is tried again later.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Literal

import anyio
import httpx

from letexto_mcp import __version__
from letexto_mcp.letexto.redact import redact
from letexto_mcp.store.base import WebhookDelivery
from letexto_mcp.webhooks.options import WebhookOptions
from letexto_mcp.webhooks.signing import Signer
from letexto_mcp.webhooks.ssrf import TargetRefused, checked_addresses
from letexto_mcp.webhooks.targets import mask_target

USER_AGENT = f"letexto-mcp/{__version__} (Standard Webhooks)"
EXCERPT_CHARS = 200
_CHUNK = 8192


@dataclass(frozen=True)
class Attempt:
    """How an attempt went: `delivered`, `retry` (failed, try again later) or `stop` (never again)."""

    outcome: Literal["delivered", "retry", "stop"]
    status_code: int | None = None
    error: str | None = None


@dataclass
class _Answer:
    """What came back so far; filled in as the response arrives, so a deadline keeps what was seen."""

    status_code: int | None = None
    location: str | None = None
    body: bytearray = field(default_factory=bytearray)


def _hidden_parts(target: str) -> list[str]:
    """Pieces of a target URL that may be credentials, to strip from any error text."""
    url = httpx.URL(target)
    parts = [url.password or "", url.username or "", url.query.decode("ascii", "replace")]
    return [part for part in parts if len(part) >= 3]


class DeliveryClient:
    """POSTs signed events to their targets within the options' bounds."""

    def __init__(self, options: WebhookOptions) -> None:
        if options.secret is None:
            raise ValueError("webhooks need LETEXTO_WEBHOOK_SECRET to sign events")
        self._options = options
        self._signer = Signer(options.secret)
        self._ssl: ssl.SSLContext | None = None

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:  # made once: loading the CA bundle per attempt would cost ~20 ms each
            self._ssl = httpx.create_ssl_context(trust_env=False)
        return self._ssl

    def clean(self, text: str, target: str) -> str:
        """An error text without the target's credentials or the signing secret, on one line."""
        secret = self._options.secret
        hidden = _hidden_parts(target) + ([secret.get_secret_value()] if secret is not None else [])
        return " ".join(redact(text.replace(target, mask_target(target)), hidden).split())

    async def attempt(self, delivery: WebhookDelivery) -> Attempt:
        """One POST of `delivery` to its target; never raises for a network or receiver problem."""
        answer = _Answer()
        timeout = self._options.timeout
        try:
            with anyio.move_on_after(timeout) as deadline:
                await self._post(delivery, answer)
        except TargetRefused as refused:
            return Attempt("stop", None, str(refused))
        except httpx.TimeoutException as error:
            return Attempt("retry", None, f"{_timeout_phase(error)} timed out ({timeout:g} s)")
        except httpx.ConnectError as error:
            return Attempt("retry", None, self.clean(f"could not connect: {error}", delivery.target))
        except httpx.TransportError as error:
            return Attempt("retry", None, self.clean(f"{type(error).__name__}: {error}", delivery.target))
        except OSError as error:  # resolving the host
            host = httpx.URL(delivery.target).host
            return Attempt("retry", None, f"could not resolve {host}: {error.strerror or error}")
        if answer.status_code is None:
            if deadline.cancelled_caught:
                return Attempt("retry", None, f"timed out: no answer within {timeout:g} s")
            return Attempt("retry", None, "no answer")
        return self._judge(answer, delivery.target)

    async def _post(self, delivery: WebhookDelivery, answer: _Answer) -> None:
        options = self._options
        url = httpx.URL(delivery.target)
        host = url.raw_host.decode("ascii")  # IDNA-encoded: what DNS and TLS see
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = await checked_addresses(host, port, options.policy, options.resolver)
        headers = {
            **self._signer.headers(delivery.event_id, options.clock(), delivery.payload),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "accept-encoding": "identity",
            "host": url.netloc.decode("ascii"),
        }
        extensions = {"sni_hostname": host} if url.scheme == "https" else {}
        body = delivery.payload.encode("utf-8")
        for index, address in enumerate(addresses):
            pinned = url.copy_with(host=str(address))
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(options.timeout),
                follow_redirects=False,
                trust_env=False,
                verify=self._ssl_context(),
            )
            try:
                request = client.build_request(
                    "POST", pinned, content=body, headers=headers, extensions=extensions
                )
                try:
                    response = await client.send(request, stream=True)
                except (httpx.ConnectError, httpx.ConnectTimeout):
                    if index + 1 < len(addresses):
                        continue  # the next address of the same host
                    raise
                try:
                    answer.status_code = response.status_code
                    answer.location = response.headers.get("location")
                    if not response.is_success:
                        await self._read_capped(response, answer)
                finally:
                    with anyio.CancelScope(shield=True):  # the deadline must not leave the socket open
                        await response.aclose()
                return
            finally:
                with anyio.CancelScope(shield=True):
                    await client.aclose()

    async def _read_capped(self, response: httpx.Response, answer: _Answer) -> None:
        """Read at most max_response_bytes of the body; a body that breaks off is kept as far as it came."""
        cap = self._options.max_response_bytes
        try:
            async for chunk in response.aiter_raw(_CHUNK):
                answer.body += chunk[: cap - len(answer.body)]
                if len(answer.body) >= cap:
                    break  # the rest is never downloaded: the connection is closed with the response
        except httpx.TransportError:
            pass

    def _judge(self, answer: _Answer, target: str) -> Attempt:
        status = answer.status_code
        assert status is not None
        if 200 <= status < 300:
            return Attempt("delivered", status)
        if status == 410:
            return Attempt("stop", status, "410 Gone: the receiver wants no more of this delivery")
        if 300 <= status < 400:
            where = "nowhere"
            if answer.location:
                where = mask_target(str(httpx.URL(target).join(answer.location)))
            advice = "put the final address in LETEXTO_WEBHOOK_URLS"
            return Attempt("retry", status, f"HTTP {status} redirect to {where} not followed; {advice}")
        excerpt = self.clean(answer.body.decode("utf-8", "replace"), target)[:EXCERPT_CHARS]
        return Attempt("retry", status, f"HTTP {status}" + (f": {excerpt}" if excerpt else ""))


def _timeout_phase(error: httpx.TimeoutException) -> str:
    if isinstance(error, httpx.ConnectTimeout):
        return "connecting"
    if isinstance(error, httpx.ReadTimeout):
        return "waiting for the answer"
    if isinstance(error, httpx.WriteTimeout):
        return "sending"
    return "the request"
