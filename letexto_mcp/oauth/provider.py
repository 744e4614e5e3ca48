"""The built-in authorization server, on the SDK's `OAuthAuthorizationServerProvider` interface.

The SDK's handlers (`create_auth_routes`) parse and check the requests — client authentication,
exact redirect-URI matching, PKCE S256, the code's expiry and redirect URI — and call this provider,
which keeps everything in the state store:
- clients registered dynamically (RFC 7591): their metadata; a confidential client's secret is not
  stored but derived from its id with a server key (`derive(…, "client-secret")`), so nothing in the
  store opens a client;
- `authorize` checks the resource (RFC 8707) and sends the browser to the sign-in and consent page with
  the request sealed (HMAC, 10 minutes): nothing is stored before a person says yes;
- a yes makes a *connection* (what the operator lists and revokes) and an authorization code;
- codes and refresh tokens are stored as SHA-256 digests, used once (an atomic compare-and-set). A
  code or refresh token presented again after its use is a replay: the whole connection (every token
  of that family) is revoked;
- access tokens are ES256 JWTs (RFC 9068), 1 hour, audience-bound to the resource the person allowed,
  naming their connection (`cid`), which every request checks is still active: revocation is immediate.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    RegistrationError,
    TokenError,
    construct_redirect_uri,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl, ValidationError

from letexto_mcp.oauth.secrets import derive, digest, new_token
from letexto_mcp.oauth.signing import SigningKey
from letexto_mcp.oauth.tokens import ConnectionToken, audience_of, decode, scopes_of
from letexto_mcp.store.base import OAuthConnection, OAuthGrant, StateStore
from letexto_mcp.tools.scopes import ALL_SCOPES

logger = logging.getLogger("letexto_mcp.oauth")

CONSENT_PATH = "/oauth/consent"
ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_SECONDS = 30 * 86_400
CODE_SECONDS = 300
PENDING_SECONDS = 600
"""How long the sign-in and consent page of one authorization request stays usable."""
_SECRET_FIELD = "letexto_secret_issued"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def printable(text: str | None, limit: int = 100) -> str:
    """A client-chosen name as pages and log lines show it: no control characters (no forged log
    lines), at most `limit` characters."""
    cleaned = "".join(c if c.isprintable() else " " for c in (text or "")).strip()
    return cleaned[:limit] or "unnamed application"


def loopback_or_https(url: str) -> bool:
    """A redirect URI OAuth 2.1 accepts: https, http on loopback, or a private-use scheme (native apps)."""
    parts = urlsplit(url)
    if parts.fragment:
        return False
    if parts.scheme == "https":
        return bool(parts.netloc)
    if parts.scheme == "http":
        return parts.hostname in ("127.0.0.1", "localhost", "::1")
    return "." in parts.scheme  # RFC 8252 §7.1: com.example.app:/callback


class StoredCode(AuthorizationCode):
    connection_id: str


class StoredRefreshToken(RefreshToken):
    connection_id: str


class StoredAccessToken(ConnectionToken):
    pass


@dataclass(frozen=True)
class PendingAuthorization:
    """An authorization request waiting for a person's yes or no (sealed into the consent page's URL)."""

    client_id: str
    redirect_uri: str
    redirect_uri_provided_explicitly: bool
    code_challenge: str
    state: str | None
    scopes: list[str]
    resource: str
    expires_at: float


@dataclass(frozen=True)
class Person:
    """Who said yes on the consent page: a display name (never a key) and the tenant they act for."""

    name: str
    tenant: str
    letexto_key: str | None = None  # multi-tenant mode: the key they pasted, to be sealed


class RequestSealer:
    """Seals pending authorizations (HMAC-SHA256; the request is no secret, its integrity is)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def seal(self, pending: PendingAuthorization) -> str:
        payload = json.dumps(asdict(pending), separators=(",", ":"), sort_keys=True).encode()
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()
        return f"{_b64(payload)}.{_b64(mac)}"

    def open(self, sealed: str | None, now: float) -> PendingAuthorization | None:
        """The request, or None when it is missing, altered or past its 10 minutes."""
        if not sealed or len(sealed) > 8192 or sealed.count(".") != 1:
            return None
        body, _, signature = sealed.partition(".")
        try:
            payload, mac = _unb64(body), _unb64(signature)
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(mac, hmac.new(self._key, payload, hashlib.sha256).digest()):
            return None
        try:
            pending = PendingAuthorization(**json.loads(payload))
        except (ValueError, TypeError):
            return None
        return pending if now < pending.expires_at else None


@dataclass(frozen=True)
class ServerConfig:
    """The issuer, the resources it issues tokens for (the first is the default), and the token lives."""

    issuer: str
    resources: Sequence[str]
    access_token_seconds: int = ACCESS_TOKEN_SECONDS
    refresh_token_seconds: int = REFRESH_TOKEN_SECONDS
    code_seconds: int = CODE_SECONDS


class LetextoAuthorizationServer:
    """`OAuthAuthorizationServerProvider[StoredCode, StoredRefreshToken, StoredAccessToken]` on the store."""

    def __init__(
        self,
        store: StateStore,
        signing_key: SigningKey,
        secret: bytes,
        config: ServerConfig,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.signing_key = signing_key
        self.config = config
        self.sealer = RequestSealer(derive(secret, "pending-authorizations"))
        self._client_secret_key = derive(secret, "client-secrets")
        self._clock = clock

    # -- clients ----------------------------------------------------------------------------------------

    def _client_secret(self, client_id: str) -> str:
        return _b64(hmac.new(self._client_secret_key, client_id.encode(), hashlib.sha256).digest())

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        if not client_id or len(client_id) > 200:
            return None
        metadata = await self.store.oauth_get_client(client_id)
        if metadata is None:
            return None
        issued = bool(metadata.pop(_SECRET_FIELD, False))
        try:
            client = OAuthClientInformationFull.model_validate(metadata)
        except ValidationError:
            return None
        if issued:
            client.client_secret = self._client_secret(client_id)
        return client

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        uris = [str(uri) for uri in client_info.redirect_uris or []]
        if not uris or not all(loopback_or_https(uri) for uri in uris):
            raise RegistrationError(
                "invalid_redirect_uri",
                "redirect URIs must be https, http on a loopback address, or a private-use scheme",
            )
        if len(uris) > 10 or len(client_info.client_name or "") > 100:
            raise RegistrationError(
                "invalid_client_metadata", "at most 10 redirect URIs and a 100-character name"
            )
        issued = client_info.client_secret is not None
        if issued:  # the handler answers with this object: the client learns the derived secret
            client_info.client_secret = self._client_secret(client_info.client_id)
        metadata = client_info.model_dump(mode="json", exclude={"client_secret"}, exclude_none=True)
        await self.store.oauth_save_client(
            client_info.client_id, {**metadata, _SECRET_FIELD: issued}, self._clock()
        )
        logger.info("OAuth client registered: %s", printable(client_info.client_name))

    # -- authorization: the consent page ----------------------------------------------------------------

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        resource = (params.resource or self.config.resources[0]).rstrip("/")
        if resource not in self.config.resources:
            raise AuthorizeError(
                "invalid_target", f"this server issues tokens for {', '.join(self.config.resources)} only"
            )
        requested = params.scopes if params.scopes is not None else list(ALL_SCOPES)
        scopes = [scope for scope in ALL_SCOPES if scope in requested]
        if not scopes:
            raise AuthorizeError("invalid_scope", f"ask for {' and/or '.join(ALL_SCOPES)}")
        if len(params.code_challenge) != 43:  # base64url of a SHA-256 (RFC 7636 S256)
            raise AuthorizeError(
                "invalid_request", "code_challenge must be the S256 challenge (43 characters)"
            )
        pending = PendingAuthorization(
            client_id=client.client_id,
            redirect_uri=str(params.redirect_uri),
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            code_challenge=params.code_challenge,
            state=params.state,
            scopes=scopes,
            resource=resource,
            expires_at=self._clock() + PENDING_SECONDS,
        )
        return construct_redirect_uri(self.config.issuer + CONSENT_PATH, request=self.sealer.seal(pending))

    def refused(self, pending: PendingAuthorization) -> str:
        """Where the browser goes when the person refuses: the client's redirect URI with access_denied."""
        return construct_redirect_uri(
            pending.redirect_uri,
            error="access_denied",
            error_description="the person refused to connect this application",
            state=pending.state,
            iss=self.config.issuer,
        )

    async def allowed(
        self,
        pending: PendingAuthorization,
        client: OAuthClientInformationFull,
        person: Person,
        sealed_key: Callable[[str], str] | None = None,
    ) -> tuple[OAuthConnection, str]:
        """The person said yes: a new connection and a code; returns it and where the browser goes."""
        now = self._clock()
        connection_id = "con_" + secrets.token_urlsafe(12)
        connection = OAuthConnection(
            id=connection_id,
            client_id=client.client_id,
            client_name=printable(client.client_name),
            redirect_host=urlsplit(pending.redirect_uri).netloc or urlsplit(pending.redirect_uri).scheme,
            person=person.name,
            tenant=person.tenant,
            scopes=list(pending.scopes),
            resource=pending.resource,
            created_at=now,
            sealed_key=sealed_key(connection_id) if sealed_key is not None else None,
        )
        await self.store.oauth_create_connection(connection)
        code = new_token()
        data = {
            "scopes": pending.scopes,
            "resource": pending.resource,
            "redirect_uri": pending.redirect_uri,
            "redirect_uri_provided_explicitly": pending.redirect_uri_provided_explicitly,
            "code_challenge": pending.code_challenge,
        }
        grant = OAuthGrant(
            digest(code), "code", connection_id, client.client_id, now + self.config.code_seconds, data
        )
        await self.store.oauth_save_grant(grant, now)
        logger.info(
            "connection %s… allowed by %s for %s", connection_id[:8], person.name, connection.client_name
        )
        url = construct_redirect_uri(
            pending.redirect_uri, code=code, state=pending.state, iss=self.config.issuer
        )
        return connection, url

    # -- codes and tokens --------------------------------------------------------------------------------

    async def _live_grant(
        self, token: str, kind: str, client: OAuthClientInformationFull
    ) -> OAuthGrant | None:
        """The grant if it is this client's, unused and its connection active; a used one is a replay,
        which revokes the connection (the token family) before answering None."""
        grant = await self.store.oauth_get_grant(digest(token))
        if grant is None or grant.kind != kind or grant.client_id != client.client_id:
            return None
        if grant.used_at is not None:
            await self._replayed(grant)
            return None
        connection = await self.store.oauth_get_connection(grant.connection_id)
        return grant if connection is not None and connection.active else None

    async def _replayed(self, grant: OAuthGrant) -> None:
        if await self.store.oauth_revoke_connection(grant.connection_id, self._clock()):
            logger.warning(
                "a used %s was presented again: connection %s… revoked",
                "authorization code" if grant.kind == "code" else "refresh token",
                grant.connection_id[:8],
            )

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> StoredCode | None:
        grant = await self._live_grant(authorization_code, "code", client)
        if grant is None:
            return None
        data = grant.data
        return StoredCode(
            code=authorization_code,
            scopes=list(data["scopes"]),
            expires_at=grant.expires_at,
            client_id=grant.client_id,
            code_challenge=str(data["code_challenge"]),
            redirect_uri=AnyUrl(str(data["redirect_uri"])),
            redirect_uri_provided_explicitly=bool(data["redirect_uri_provided_explicitly"]),
            resource=str(data["resource"]),
            connection_id=grant.connection_id,
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: StoredCode
    ) -> OAuthToken:
        await self._use(authorization_code.code, "authorization code")
        return await self._issue(
            authorization_code.connection_id,
            client.client_id,
            authorization_code.scopes,
            authorization_code.resource,
        )

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> StoredRefreshToken | None:
        grant = await self._live_grant(refresh_token, "refresh", client)
        if grant is None:
            return None
        return StoredRefreshToken(
            token=refresh_token,
            client_id=grant.client_id,
            scopes=list(grant.data["scopes"]),
            expires_at=int(grant.expires_at),
            resource=str(grant.data["resource"]),
            connection_id=grant.connection_id,
        )

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: StoredRefreshToken, scopes: list[str]
    ) -> OAuthToken:
        await self._use(refresh_token.token, "refresh token")
        return await self._issue(
            refresh_token.connection_id, client.client_id, scopes, refresh_token.resource
        )

    async def _use(self, token: str, what: str) -> None:
        """Mark a code or refresh token used; losing the race to another use is a replay."""
        if await self.store.oauth_use_grant(digest(token), self._clock()):
            return
        grant = await self.store.oauth_get_grant(digest(token))
        if grant is not None:
            await self._replayed(grant)
        raise TokenError("invalid_grant", f"this {what} was already used")

    async def _issue(
        self, connection_id: str, client_id: str, scopes: list[str], resource: str | None
    ) -> OAuthToken:
        connection = await self.store.oauth_get_connection(connection_id)
        if connection is None or not connection.active:
            raise TokenError("invalid_grant", "this connection was revoked")
        now = self._clock()
        audience = resource or connection.resource
        claims = {
            "iss": self.config.issuer,
            "sub": connection.tenant,
            "aud": audience,
            "client_id": client_id,
            "cid": connection.id,
            "scope": " ".join(scopes),
            "iat": int(now),
            "exp": int(now) + self.config.access_token_seconds,
            "jti": secrets.token_urlsafe(12),
        }
        refresh = new_token()
        grant = OAuthGrant(
            digest(refresh),
            "refresh",
            connection.id,
            client_id,
            now + self.config.refresh_token_seconds,
            {"scopes": scopes, "resource": audience},
        )
        await self.store.oauth_save_grant(grant, now)
        return OAuthToken(
            access_token=self.signing_key.sign(claims),
            expires_in=self.config.access_token_seconds,
            scope=" ".join(scopes),
            refresh_token=refresh,
        )

    # -- access tokens ----------------------------------------------------------------------------------

    async def verify(
        self, token: str, audiences: list[str]
    ) -> tuple[StoredAccessToken, OAuthConnection] | None:
        """An access token of ours for one of `audiences`, whose connection is still active."""
        claims = decode(
            token, self.signing_key.verifying_key(), issuer=self.config.issuer, audiences=audiences
        )
        if claims is None or not isinstance(claims.get("cid"), str):
            return None
        connection = await self.store.oauth_get_connection(claims["cid"])
        if connection is None or not connection.active:
            return None
        access = StoredAccessToken(
            token=token,
            client_id=str(claims.get("client_id", connection.client_id)),
            scopes=scopes_of(claims),
            expires_at=int(claims["exp"]),
            resource=audience_of(claims, audiences),
            subject=str(claims["sub"]),
            claims={"iss": self.config.issuer},
            tenant=connection.tenant,
            connection_id=connection.id,
        )
        return access, connection

    async def load_access_token(self, token: str) -> StoredAccessToken | None:
        verified = await self.verify(token, list(self.config.resources))
        return verified[0] if verified is not None else None

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        """Revoking either token revokes the connection: every access and refresh token of it."""
        connection_id = getattr(token, "connection_id", None)
        if isinstance(connection_id, str) and await self.store.oauth_revoke_connection(
            connection_id, self._clock()
        ):
            logger.info("connection %s… revoked by its client", connection_id[:8])

    async def exchange_identity_assertion(
        self, client: OAuthClientInformationFull, params: Any
    ) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "the JWT bearer grant is not supported here")
