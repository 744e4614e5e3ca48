"""An outside issuer (LETEXTO_OAUTH_ISSUER): the company's own OIDC or OAuth server issues the tokens.

Its keys come from its metadata (RFC 8414 `/.well-known/oauth-authorization-server`, else OIDC's
`/.well-known/openid-configuration`, in both placements for an issuer with a path) → `jwks_uri`, are
kept in memory, and are fetched again when a token names a key we do not hold (the issuer rotated its
keys), at most once every `REFRESH_SECONDS`, so a flood of forged `kid`s cannot make us hammer it.
A token must be signed by one of those keys, name the issuer in `iss`, this resource in `aud`, and
not be expired; its scopes come from `scope` or `scp`. Revocation at the issuer is not seen: tokens
live until they expire (keep them short there).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
import jwt

from letexto_mcp.oauth.tokens import ConnectionToken, audience_of, decode, scopes_of, unverified_kid

logger = logging.getLogger("letexto_mcp.oauth.external")

REFRESH_SECONDS = 60.0
FETCH_TIMEOUT_SECONDS = 10.0
MAX_DOCUMENT_BYTES = 512 * 1024


def metadata_urls(issuer: str) -> list[str]:
    """Where an issuer's metadata may live (RFC 8414 §3.1 and OIDC Discovery §4)."""
    parts = urlsplit(issuer)
    origin, path = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
    urls = [f"{origin}/.well-known/oauth-authorization-server{path}"]
    urls.append(f"{origin}{path}/.well-known/openid-configuration")
    if path:
        urls.append(f"{origin}/.well-known/openid-configuration{path}")
    return urls


def external_tenant(secret: bytes, issuer: str, subject: str) -> str:
    """The tenant of a person the outside issuer names: an HMAC of (issuer, subject), never either."""
    material = b"oauth-external\0" + issuer.encode() + b"\0" + subject.encode()
    return "oauth:" + hmac.new(secret, material, hashlib.sha256).hexdigest()[:32]


class ExternalIssuer:
    """Verifies the outside issuer's JWT access tokens for this server's resources."""

    def __init__(
        self,
        issuer: str,
        tenant_secret: Callable[[], bytes | None],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self._tenant_secret = tenant_secret
        self._transport = transport
        self._clock = clock
        self._jwks_uri: str | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = anyio.Lock()

    async def verify(self, token: str, audiences: list[str]) -> ConnectionToken | None:
        """The caller's identity, or None for a token this issuer did not sign for us (or expired)."""
        secret = self._tenant_secret()
        key = await self._key(unverified_kid(token))
        if key is None or secret is None:
            return None
        claims = decode(token, key.key, issuer=self.issuer, audiences=audiences)
        if claims is None:
            return None
        subject = str(claims["sub"])
        client_id = claims.get("client_id") or claims.get("azp") or "external"
        return ConnectionToken(
            token=token,
            client_id=str(client_id),
            scopes=scopes_of(claims),
            expires_at=int(claims["exp"]),
            resource=audience_of(claims, audiences),
            subject=subject,
            claims={"iss": self.issuer},
            tenant=external_tenant(secret, self.issuer, subject),
        )

    async def _key(self, kid: str | None) -> jwt.PyJWK | None:
        found = self._pick(kid)
        if found is not None:
            return found
        async with self._lock:
            found = self._pick(kid)  # another request may have refreshed meanwhile
            now = self._clock()
            if found is None and (self._fetched_at is None or now - self._fetched_at >= REFRESH_SECONDS):
                self._fetched_at = now
                try:
                    self._keys = await self._fetch_keys()
                except (httpx.HTTPError, ValueError, jwt.PyJWTError) as error:
                    logger.warning("the keys of %s could not be read: %s", self.issuer, error)
                found = self._pick(kid)
        return found

    def _pick(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is not None:
            return self._keys.get(kid)
        return next(iter(self._keys.values())) if len(self._keys) == 1 else None

    async def _fetch_keys(self) -> dict[str, jwt.PyJWK]:
        async with httpx.AsyncClient(
            transport=self._transport, timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False
        ) as http:
            if self._jwks_uri is None:
                self._jwks_uri = await self._discover(http)
            document = await self._json(http, self._jwks_uri)
        keys: dict[str, jwt.PyJWK] = {}
        for index, entry in enumerate(document.get("keys", [])):
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key type or algorithm we do not use
            keys[str(entry.get("kid") or f"#{index}")] = key
        logger.info("read %d signing key(s) of %s", len(keys), self.issuer)
        return keys

    async def _discover(self, http: httpx.AsyncClient) -> str:
        for url in metadata_urls(self.issuer):
            try:
                metadata = await self._json(http, url)
            except (httpx.HTTPError, ValueError):
                continue
            if metadata.get("issuer", "").rstrip("/") != self.issuer:
                continue  # RFC 8414 §3.3: the metadata must name the issuer it was asked for
            jwks_uri = metadata.get("jwks_uri")
            if isinstance(jwks_uri, str) and jwks_uri.startswith(("https://", "http://")):
                return jwks_uri
        raise ValueError(f"no metadata with a jwks_uri found for {self.issuer}")

    @staticmethod
    async def _json(http: httpx.AsyncClient, url: str) -> dict[str, Any]:
        response = await http.get(url, headers={"Accept": "application/json"})
        if response.status_code != 200 or len(response.content) > MAX_DOCUMENT_BYTES:
            raise ValueError(f"{url} answered {response.status_code}")
        document = response.json()
        if not isinstance(document, dict):
            raise ValueError(f"{url} is not a JSON object")
        return document
