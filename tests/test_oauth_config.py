"""OAuth settings: what turns it on, and every incomplete configuration refused at start with a sentence."""

from __future__ import annotations

from typing import Any

import pytest

from letexto_mcp.config import ConfigError, Settings, load_settings
from letexto_mcp.server.auth import bind_refusal

CONNECT = "awa:connect-key-awa-5f1c9b2e7d3a"
PUBLIC = "https://sms.example.ci"


def settings(**values: Any) -> Settings:
    return Settings(**{"state_url": "memory://", **values})


def refusal(**values: Any) -> str:
    with pytest.raises(ValueError) as caught:
        settings(**values)
    return str(caught.value)


def test_connect_keys_turn_the_built_in_server_on() -> None:
    assert settings().oauth_mode() == "off"
    on = settings(connect_keys=CONNECT, public_url=PUBLIC)
    assert on.oauth_mode() == "builtin" and [p.name for p in on.connect_keys] == ["awa"]
    assert settings(connect_keys=CONNECT, public_url=PUBLIC, oauth=False).oauth_mode() == "off"
    assert settings(oauth_issuer="https://idp.example.com/", public_url=PUBLIC).oauth_mode() == "external"
    assert (
        settings(oauth_issuer="https://idp.example.com/", public_url=PUBLIC).oauth_issuer
        == "https://idp.example.com"
    )
    multi = settings(oauth=True, multi_tenant=True, public_url=PUBLIC, state_secret="s" * 20)
    assert multi.oauth_mode() == "builtin"
    assert bind_refusal(on, "0.0.0.0") is None, "OAuth protects a public bind"


def test_incomplete_oauth_configurations_are_refused_with_a_sentence() -> None:
    assert "LETEXTO_PUBLIC_URL is not set" in refusal(connect_keys=CONNECT)
    assert "LETEXTO_PUBLIC_URL is not set" in refusal(oauth_issuer="https://idp.example.com")
    assert "https" in refusal(connect_keys=CONNECT, public_url="http://sms.example.ci")
    assert "without a path" in refusal(connect_keys=CONNECT, public_url=PUBLIC + "/letexto")
    assert "LETEXTO_MCP_STATE_SECRET" in refusal(oauth=True, multi_tenant=True, public_url=PUBLIC)
    assert "nobody could sign in" in refusal(oauth=True, public_url=PUBLIC)
    assert "replaces the built-in" in refusal(
        connect_keys=CONNECT, oauth_issuer="https://idp.example.com", public_url=PUBLIC
    )
    assert "multi-tenant" in refusal(
        oauth_issuer="https://idp.example.com", multi_tenant=True, public_url=PUBLIC
    )
    assert "https URL" in refusal(oauth_issuer="http://idp.example.com", public_url=PUBLIC)
    assert "LETEXTO_OAUTH=1 instead" in refusal(
        connect_keys=CONNECT, multi_tenant=True, oauth=True, public_url=PUBLIC
    )
    assert "LETEXTO_OAUTH_RESOURCES" in refusal(
        oauth_resources="https://other.example/mcp", public_url=PUBLIC
    )


def test_connect_keys_are_a_persons_own() -> None:
    assert "at least 16" in refusal(connect_keys="awa:short", public_url=PUBLIC)
    assert "MCP client key" in refusal(
        connect_keys="awa:same-key-as-a-client-000",
        mcp_api_keys="same-key-as-a-client-000",
        public_url=PUBLIC,
    )
    assert "approver key" in refusal(
        connect_keys="awa:shared-with-an-approver-0",
        approver_keys="bob:shared-with-an-approver-0",
        public_url=PUBLIC,
    )
    assert "one name" in refusal(
        connect_keys=CONNECT, approver_keys="awa:another-key-of-awa-00000", public_url=PUBLIC
    )


def test_a_bad_value_never_shows_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LETEXTO_CONNECT_KEYS", "awa:tooShortSecret")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "LETEXTO_CONNECT_KEYS" in str(caught.value) and "tooShortSecret" not in str(caught.value)
