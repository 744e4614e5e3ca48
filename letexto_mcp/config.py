"""One settings object, read from the environment (and overridden by command-line flags).

Secrets are `SecretStr`: they never appear in a repr, a log line or `doctor`'s output
(which shows at most `lt_…abcd`). Bad values fail at start-up with a sentence that says
which variable is wrong and what is expected.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, TypedDict
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from letexto_mcp.state_url import is_postgres_url, mask_state_url, postgres_url_problem
from letexto_mcp.webhooks.signing import secret_bytes
from letexto_mcp.webhooks.targets import parse_targets

DEFAULT_BASE_URL = "https://apis.letexto.com"
SendPolicy = Literal["approve", "confirm", "dry-run", "allow"]
MIN_APPROVER_KEY = 16


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it and says what is expected."""


def default_state_url() -> str:
    """A SQLite file in the user's data folder (XDG on Unix, %LOCALAPPDATA% on Windows)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return f"sqlite:///{base / 'letexto-mcp' / 'state.sqlite3'}"


def mask_secret(value: str | SecretStr | None) -> str:
    """Show a secret the way `doctor` may: its first three and last four characters at most."""
    if value is None:
        return "(not set)"
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if len(raw) < 12:
        return "…" + "*" * 3
    return f"{raw[:3]}…{raw[-4:]}"


@dataclass(frozen=True)
class ApproverKey:
    """A person who may approve sends: a name (shown in the audit log, never the key) and their key.

    `tenants` limits whose approvals they see and decide (None: every tenant's).
    """

    name: str
    key: SecretStr
    tenants: frozenset[str] | None = None

    def may_decide(self, tenant: str) -> bool:
        return self.tenants is None or tenant in self.tenants


def parse_approver_keys(
    entries: list[str], *, setting: str = "LETEXTO_APPROVER_KEYS", tenants: bool = True
) -> list[ApproverKey]:
    """`name:key`, `key` or `name:key@tenant` entries; the same key named again adds a tenant.

    Connect keys (LETEXTO_CONNECT_KEYS) are read the same way, without `@tenant` (`tenants=False`).
    """
    by_key: dict[str, ApproverKey] = {}
    default_name = "approver" if tenants else "person"
    for index, entry in enumerate(entries, start=1):
        head, _, tenant = entry.partition("@") if tenants else (entry, "", "")
        name, _, key = head.rpartition(":")
        name, key, tenant = name.strip() or f"{default_name}{index}", key.strip(), tenant.strip()
        if len(key) < MIN_APPROVER_KEY:
            raise ValueError(
                f"{setting}: the key of entry {index} ({name}) is {len(key)} characters; "
                f"use at least {MIN_APPROVER_KEY} random characters"
            )
        if not all(c.isalnum() or c in "_-." for c in name) or len(name) > 40:
            raise ValueError(f"{setting}: entry {index}: a name is up to 40 letters, digits, '_', '-' or '.'")
        known = by_key.get(key)
        if known is not None and known.name != name:
            raise ValueError(f"{setting}: one key is given two names ({known.name}, {name})")
        scope: frozenset[str] | None = frozenset({tenant}) if tenant else None
        if known is not None:
            scope = None if known.tenants is None or scope is None else known.tenants | scope
        by_key[key] = ApproverKey(name, SecretStr(key), scope)
    return list(by_key.values())


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Everything the server needs to know, from `LETEXTO_*` variables."""

    # hide_input_in_errors: a rejected value may hold a secret (a key, a database password).
    model_config = SettingsConfigDict(
        env_prefix="LETEXTO_", extra="ignore", populate_by_name=True, hide_input_in_errors=True
    )

    api_token: SecretStr | None = Field(default=None, description="The LeTexto API key.")
    base_url: str = Field(default=DEFAULT_BASE_URL, description="LeTexto API root, without /v1.")
    sandbox: bool = Field(default=False, description="Run against the embedded simulator, no key needed.")
    default_sender: str | None = Field(default=None, description="Sender name used when a send gives none.")
    send_policy: SendPolicy = Field(
        default="approve", description="approve (a person decides) | confirm (the caller) | dry-run | allow."
    )
    state_url: str = Field(
        default_factory=default_state_url,
        description="sqlite:///path, postgresql://user:password@host:5432/db or memory://",
        repr=False,  # it may hold a database password: shown only through mask_state_url
    )
    state_pool_size: int = Field(
        default=10, ge=1, le=1000, description="PostgreSQL: connections each process may open at most."
    )
    state_statement_timeout_ms: int = Field(
        default=5000,
        ge=0,
        le=3_600_000,
        description="PostgreSQL: a statement running longer is cancelled and the operation fails (0: none).",
    )
    max_recipients: int = Field(default=10_000, ge=1, le=1_000_000)
    max_parts_per_message: int = Field(default=10, ge=1, le=255)
    daily_budget_parts: int | None = Field(default=None, ge=0)
    allowed_recipients: Annotated[list[str], NoDecode] = Field(default_factory=list)
    sends_per_minute: int = Field(default=30, ge=1)
    duplicate_window_seconds: int = Field(default=600, ge=0)
    confirmation_ttl_seconds: int = Field(default=600, ge=30, le=3600)
    default_region: str = Field(default="CI", min_length=2, max_length=2)
    timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    read_retries: int = Field(default=2, ge=0, le=10)
    state_retention_days: int = Field(
        default=90,
        ge=0,
        le=3650,
        description="Days the audit log, idempotency keys and send marks are kept; 0 keeps them forever.",
    )
    lease_seconds: int = Field(
        default=30,
        ge=2,
        le=600,
        description="A replica that has not renewed its lease this long is dead: its sends on the wire "
        "become outcome_unknown (never resent).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "WARNING"
    mcp_api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, validation_alias="LETEXTO_MCP_API_KEYS"
    )
    # --- HTTP transport (`serve --transport http`) ---
    multi_tenant: bool = Field(
        default=False,
        validation_alias="LETEXTO_MCP_MULTI_TENANT",
        description="Each HTTP client brings its own LeTexto key in X-LeTexto-Key.",
    )
    trusted_proxy: bool = Field(
        default=False,
        validation_alias="LETEXTO_MCP_TRUSTED_PROXY",
        description="An authenticating reverse proxy stands in front: serve beyond loopback without keys.",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias="LETEXTO_MCP_ALLOWED_HOSTS",
        description="Host header values accepted besides loopback and the bind address (DNS rebinding).",
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias="LETEXTO_MCP_ALLOWED_ORIGINS",
        description="Browser origins (scheme://host[:port]) allowed to call the server (CORS, rebinding).",
    )
    max_body_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=1024,
        validation_alias="LETEXTO_MCP_MAX_BODY_BYTES",
        description="Largest HTTP request body accepted; bigger gets 413.",
    )
    rate_limit: int = Field(
        default=240,
        ge=0,
        validation_alias="LETEXTO_MCP_RATE_LIMIT",
        description="HTTP requests per minute per client key (0: no limit); over it gets 429.",
    )
    session_idle_seconds: int = Field(
        default=600,
        ge=1,
        le=86_400,
        validation_alias="LETEXTO_MCP_SESSION_IDLE_SECONDS",
        description="A 2025-era HTTP session idle this long is closed (automations such as n8n open "
        "one per run and never close it).",
    )
    max_sessions: int = Field(
        default=10_000,
        ge=1,
        validation_alias="LETEXTO_MCP_MAX_SESSIONS",
        description="2025-era HTTP sessions open at once; one more gets 503 until some close.",
    )
    max_tenant_clients: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        validation_alias="LETEXTO_MCP_MAX_TENANT_CLIENTS",
        description="Multi-tenant mode: LeTexto clients (connection pools) kept at once, one per recent "
        "X-LeTexto-Key; the least recently used is closed beyond it.",
    )
    tenant_idle_seconds: int = Field(
        default=600,
        ge=1,
        le=86_400,
        validation_alias="LETEXTO_MCP_TENANT_IDLE_SECONDS",
        description="Multi-tenant mode: a tenant's LeTexto client unused this long is closed.",
    )
    state_secret: SecretStr | None = Field(
        default=None,
        validation_alias="LETEXTO_MCP_STATE_SECRET",
        description="Secret shared by every worker (comma-separated to rotate: the first one signs).",
    )
    public_url: str | None = Field(
        default=None,
        description="URL at which LeTexto (delivery reports) and people (approval pages) reach this server.",
    )
    # --- approval by a person (policy `approve`) ---
    approver_keys: Annotated[list[ApproverKey], NoDecode] = Field(
        default_factory=list,
        description="People who approve sends on the approval page or from a bot: `name:key`, `key` or "
        "`name:key@tenant`, comma-separated; keys of 16+ characters, never a client or LeTexto key.",
    )
    approval_browser: bool = Field(
        default=True, description="stdio: open the approval page in the user's browser when a send needs it."
    )
    approval_port: int = Field(
        default=0, ge=0, le=65535, description="stdio: the loopback port of the approval page (0: any free)."
    )
    approval_wait_seconds: int = Field(
        default=120,
        ge=0,
        le=900,
        description="How long a call that opened the page through the client (URL elicitation) waits for "
        "the decision before answering approval_pending.",
    )

    # --- remote connectors: OAuth 2.1 (see letexto_mcp/oauth) ---
    connect_keys: Annotated[list[ApproverKey], NoDecode] = Field(
        default_factory=list,
        description="People who may connect a hosted assistant (Claude.ai, ChatGPT) by OAuth: `name:key`, "
        "comma-separated; keys of 16+ characters, never a client or LeTexto key. Turns the built-in "
        "authorization server on.",
    )
    oauth: bool | None = Field(
        default=None,
        description="Serve the built-in OAuth authorization server (on by itself with LETEXTO_CONNECT_KEYS; "
        "set 1 in multi-tenant mode, where people sign in with their own LeTexto key).",
    )
    oauth_issuer: str | None = Field(
        default=None,
        description="An outside OAuth/OIDC issuer whose JWT access tokens are accepted instead of the "
        "built-in authorization server's.",
    )
    oauth_resources: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Other servers (resource URLs, e.g. https://sms2.example.ci/mcp) the built-in "
        "authorization server may issue tokens for: those that name it in their LETEXTO_OAUTH_ISSUER.",
    )

    # --- outbound webhooks (Standard Webhooks; see letexto_mcp/webhooks) ---
    webhook_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Where events are POSTed: comma-separated http(s) URLs."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="`whsec_` + base64 of 24-64 random bytes: signs every event."
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Let webhooks reach loopback, private, link-local and CGNAT addresses (sandbox: "
        "loopback is allowed anyway).",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="Deadline of one delivery attempt, all steps included."
    )
    webhook_max_response_bytes: int = Field(
        default=64 * 1024, ge=1024, le=16 * 1024 * 1024, description="Most of a receiver's answer read."
    )
    webhook_retry_hours: float = Field(
        default=24.0, gt=0, le=24 * 30, description="Failed deliveries are retried this long, then given up."
    )

    @field_validator(
        "allowed_recipients",
        "mcp_api_keys",
        "allowed_hosts",
        "allowed_origins",
        "webhook_urls",
        "oauth_resources",
        mode="before",
    )
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return _split_commas(value)

    @field_validator("webhook_urls")
    @classmethod
    def _webhook_urls(cls, value: list[str]) -> list[str]:
        return parse_targets(value)

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret(cls, value: object) -> object:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(raw, str):
            if not raw.strip():
                return None
            secret_bytes(raw.strip())  # ValueError with the expected form, never the secret itself
            return SecretStr(raw.strip())
        return value

    @model_validator(mode="after")
    def _webhooks_are_signed(self) -> Settings:
        if self.webhook_urls and self.webhook_secret is None:
            raise ValueError(
                "LETEXTO_WEBHOOK_URLS is set but LETEXTO_WEBHOOK_SECRET is not: every event is signed; "
                "set a whsec_ secret (the receivers verify with the same one)"
            )
        return self

    @field_validator("approver_keys", mode="before")
    @classmethod
    def _approvers(cls, value: object) -> object:
        if isinstance(value, str):
            value = _split_commas(value)
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return parse_approver_keys(value)
        return value

    @model_validator(mode="after")
    def _shared_database_needs_the_state_secret(self) -> Settings:
        if is_postgres_url(self.state_url) and self.state_secret is None:
            raise ValueError(
                "LETEXTO_MCP_STATE_SECRET must be set with a PostgreSQL LETEXTO_STATE_URL: every replica "
                "signs tokens, report URLs and sessions with keys derived from it, and none is ever "
                "stored readable in the shared database (16+ random characters, the same on every replica)"
            )
        return self

    @model_validator(mode="after")
    def _approvers_are_not_clients(self) -> Settings:
        others = {key.get_secret_value() for key in self.mcp_api_keys}
        if self.api_token is not None:
            others.add(self.api_token.get_secret_value())
        for approver in self.approver_keys:
            if approver.key.get_secret_value() in others:
                raise ValueError(
                    f"LETEXTO_APPROVER_KEYS: the key of {approver.name} is also an MCP client key or the "
                    "LeTexto key; an approver's key must be their own (a client must never approve)"
                )
        return self

    @field_validator("connect_keys", mode="before")
    @classmethod
    def _connect_keys(cls, value: object) -> object:
        if isinstance(value, str):
            value = _split_commas(value)
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return parse_approver_keys(value, setting="LETEXTO_CONNECT_KEYS", tenants=False)
        return value

    @field_validator("oauth_issuer", mode="before")
    @classmethod
    def _oauth_issuer(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip().rstrip("/")
        if not text:
            return None
        parts = urlsplit(text)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError(
                f"LETEXTO_OAUTH_ISSUER must be an https URL (http only on loopback), got {value!r}"
            )
        if not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"LETEXTO_OAUTH_ISSUER must be an issuer URL without query, got {value!r}")
        return text

    @field_validator("oauth_resources")
    @classmethod
    def _oauth_resources(cls, value: list[str]) -> list[str]:
        for resource in value:
            parts = urlsplit(resource)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
                raise ValueError(
                    "LETEXTO_OAUTH_RESOURCES entries are resource URLs like https://sms2.example.ci/mcp, "
                    f"got {resource!r}"
                )
        return [resource.rstrip("/") for resource in value]

    @model_validator(mode="after")
    def _connect_keys_are_people(self) -> Settings:
        others = {key.get_secret_value() for key in self.mcp_api_keys}
        if self.api_token is not None:
            others.add(self.api_token.get_secret_value())
        approvers = {a.key.get_secret_value() for a in self.approver_keys}
        for person in self.connect_keys:
            key = person.key.get_secret_value()
            if key in others:
                raise ValueError(
                    f"LETEXTO_CONNECT_KEYS: the key of {person.name} is also an MCP client key or the "
                    "LeTexto key; a person's connect key must be their own"
                )
            if person.name in {a.name for a in self.approver_keys}:
                raise ValueError(
                    f"LETEXTO_CONNECT_KEYS: {person.name} is also the name of an approver; give each person "
                    "one name (an approver may connect with their approver key)"
                )
            if key in approvers:
                raise ValueError(
                    f"LETEXTO_CONNECT_KEYS: the key of {person.name} is also an approver key; approver keys "
                    "may connect already: leave it in LETEXTO_APPROVER_KEYS only"
                )
        return self

    @model_validator(mode="after")
    def _oauth_is_complete(self) -> Settings:
        mode = self.oauth_mode()
        if self.oauth_issuer is not None and (self.connect_keys or self.oauth):
            raise ValueError(
                "LETEXTO_OAUTH_ISSUER replaces the built-in authorization server: leave LETEXTO_CONNECT_KEYS "
                "and LETEXTO_OAUTH unset with it"
            )
        if self.oauth_resources and mode != "builtin":
            raise ValueError(
                "LETEXTO_OAUTH_RESOURCES is for the built-in authorization server (LETEXTO_OAUTH=1)"
            )
        if mode == "off":
            return self
        if self.public_url is None:
            raise ValueError(
                "OAuth is configured (LETEXTO_CONNECT_KEYS, LETEXTO_OAUTH or LETEXTO_OAUTH_ISSUER) but "
                "LETEXTO_PUBLIC_URL is not set: set it to the https address assistants reach this server at "
                "(it names the issuer and the protected resource)"
            )
        public = urlsplit(self.public_url)
        if public.scheme != "https" and public.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(
                "with OAuth, LETEXTO_PUBLIC_URL must be an https URL (OAuth 2.1 allows plain http on "
                f"loopback only), got {self.public_url!r}"
            )
        if public.path not in ("", "/"):
            raise ValueError(
                "with OAuth, LETEXTO_PUBLIC_URL must be an origin without a path (https://sms.example.ci): "
                "the OAuth metadata lives at the root of the host"
            )
        if self.multi_tenant and self.connect_keys:
            raise ValueError(
                "LETEXTO_CONNECT_KEYS is for single-account mode: in multi-tenant mode people connect with "
                "their own LeTexto API key; set LETEXTO_OAUTH=1 instead"
            )
        if mode == "external" and self.multi_tenant:
            raise ValueError(
                "LETEXTO_OAUTH_ISSUER cannot be used in multi-tenant mode: an outside issuer's token carries "
                "no LeTexto key; use the built-in authorization server (LETEXTO_OAUTH=1)"
            )
        if mode == "builtin" and self.multi_tenant and not self.state_secrets():
            raise ValueError(
                "LETEXTO_OAUTH in multi-tenant mode needs LETEXTO_MCP_STATE_SECRET: each connection's "
                "LeTexto key is stored encrypted with a key derived from it"
            )
        if mode == "builtin" and not self.multi_tenant and not (self.connect_keys or self.approver_keys):
            raise ValueError(
                "LETEXTO_OAUTH=1 but nobody could sign in: set LETEXTO_CONNECT_KEYS (name:key, "
                "comma-separated) or LETEXTO_APPROVER_KEYS"
            )
        return self

    def oauth_mode(self) -> Literal["off", "builtin", "external"]:
        """`builtin` (our authorization server), `external` (LETEXTO_OAUTH_ISSUER's tokens) or `off`."""
        if self.oauth_issuer is not None:
            return "external"
        if self.oauth or (self.oauth is None and self.connect_keys):
            return "builtin"
        return "off"

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
                raise ValueError(
                    "LETEXTO_MCP_ALLOWED_ORIGINS entries are origins like https://app.example.com, "
                    f"got {origin!r}"
                )
        return [origin.rstrip("/") for origin in value]

    @field_validator("state_secret")
    @classmethod
    def _state_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        parts = [p.strip() for p in value.get_secret_value().split(",") if p.strip()]
        if not parts:
            return None
        if any(len(p) < 16 for p in parts):
            raise ValueError("LETEXTO_MCP_STATE_SECRET must be at least 16 characters (each, when rotating)")
        return value

    @field_validator("public_url", mode="before")
    @classmethod
    def _public_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip().rstrip("/")
        if not text:
            return None
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"LETEXTO_PUBLIC_URL must be an http(s) URL without query, got {value!r}")
        return text

    def state_secrets(self) -> list[bytes]:
        """The LETEXTO_MCP_STATE_SECRET ring (first signs, all verify), or [] when not set."""
        if self.state_secret is None:
            return []
        return [p.strip().encode() for p in self.state_secret.get_secret_value().split(",") if p.strip()]

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("send_policy", mode="before")
    @classmethod
    def _lower_policy(cls, value: object) -> object:
        return value.strip().lower().replace("_", "-") if isinstance(value, str) else value

    @field_validator("default_region", mode="before")
    @classmethod
    def _upper_region(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("api_token", "default_sender", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"LETEXTO_BASE_URL must be an http(s) URL, got {value!r}")
        return value.strip().rstrip("/")

    @field_validator("state_url")
    @classmethod
    def _state_url(cls, value: str) -> str:
        if value == "memory://" or value.startswith("sqlite:///"):
            return value
        if is_postgres_url(value):
            problem = postgres_url_problem(value)
            if problem is None:
                return value.strip()
            raise ValueError(f"LETEXTO_STATE_URL {mask_state_url(value)!r}: {problem}")
        raise ValueError(
            "LETEXTO_STATE_URL must be 'memory://', 'sqlite:///path/to/file' or "
            f"'postgresql://user:password@host:5432/database', got {mask_state_url(value)!r}"
        )

    def require_api_token(self) -> SecretStr:
        """The key, or a ConfigError that tells the user how to provide one."""
        if self.api_token is None:
            raise ConfigError(
                "LETEXTO_API_TOKEN is not set: put your LeTexto API key in it, "
                "or run with --sandbox (LETEXTO_SANDBOX=1) to use the embedded simulator."
            )
        return self.api_token


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        name = "LETEXTO_" + "_".join(str(p) for p in item["loc"]).upper() if item["loc"] else "LETEXTO"
        name = name.removeprefix("LETEXTO_") if name.startswith("LETEXTO_LETEXTO_") else name
        message = item["msg"].removeprefix("Value error, ")
        lines.append(message if message.startswith("LETEXTO_") else f"{name}: {message}")
    return "; ".join(lines)


class _FlagOverrides(TypedDict, total=False):
    """The settings a command-line flag can set; a flag left off is absent, so the environment decides."""

    sandbox: bool
    trusted_proxy: bool


def load_settings(*, sandbox: bool | None = None, trusted_proxy: bool | None = None) -> Settings:
    """Read the environment, apply the flags that were given (not None), and explain any bad value."""
    flags: _FlagOverrides = {}
    if sandbox is not None:
        flags["sandbox"] = sandbox
    if trusted_proxy is not None:
        flags["trusted_proxy"] = trusted_proxy
    try:
        return Settings(**flags)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
