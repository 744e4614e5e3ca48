"""The webhook settings: each bad value is refused with a sentence naming its variable, no secret
echoed, and every setting documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from letexto_mcp.config import ConfigError, load_settings
from tests.webhook_helpers import SECRET


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"LETEXTO_WEBHOOK_URLS": "https://a.example/h"},
            "LETEXTO_WEBHOOK_URLS is set but LETEXTO_WEBHOOK_SECRET is not",
        ),
        (
            {"LETEXTO_WEBHOOK_URLS": "ftp://a.example/h", "LETEXTO_WEBHOOK_SECRET": SECRET},
            "LETEXTO_WEBHOOK_URLS entry 1 must be an http(s) URL",
        ),
        ({"LETEXTO_WEBHOOK_URLS": "https://a.example/h#x", "LETEXTO_WEBHOOK_SECRET": SECRET}, "no #fragment"),
        ({"LETEXTO_WEBHOOK_URLS": "https://a.example:99999/h", "LETEXTO_WEBHOOK_SECRET": SECRET}, "entry 1"),
        (
            {"LETEXTO_WEBHOOK_SECRET": "sk_live_abcdefabcdefabcdefabcdef"},
            "LETEXTO_WEBHOOK_SECRET must be 'whsec_'",
        ),
        ({"LETEXTO_WEBHOOK_SECRET": "whsec_c2hvcnQ="}, "this one holds 5 bytes"),
        ({"LETEXTO_WEBHOOK_TIMEOUT_SECONDS": "0"}, "LETEXTO_WEBHOOK_TIMEOUT_SECONDS"),
        ({"LETEXTO_WEBHOOK_MAX_RESPONSE_BYTES": "10"}, "LETEXTO_WEBHOOK_MAX_RESPONSE_BYTES"),
        ({"LETEXTO_WEBHOOK_RETRY_HOURS": "-1"}, "LETEXTO_WEBHOOK_RETRY_HOURS"),
        ({"LETEXTO_WEBHOOK_ALLOW_PRIVATE": "perhaps"}, "LETEXTO_WEBHOOK_ALLOW_PRIVATE"),
    ],
)
def test_bad_webhook_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert message in str(caught.value)
    assert "abcdefabcdef" not in str(caught.value), "a secret is never echoed"


def test_a_bad_url_is_echoed_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LETEXTO_WEBHOOK_URLS", "ftp://user:hunter2hunter2@a.example/h?token=abc123")
    monkeypatch.setenv("LETEXTO_WEBHOOK_SECRET", SECRET)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "'ftp://***@a.example/h?token=***'" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_webhook_settings_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "LETEXTO_WEBHOOK_URLS", " https://a.example/h , https://b.example/h,https://a.example/h "
    )
    monkeypatch.setenv("LETEXTO_WEBHOOK_SECRET", SECRET)
    settings = load_settings()
    assert settings.webhook_urls == ["https://a.example/h", "https://b.example/h"], "trimmed, repeats dropped"
    assert settings.webhook_secret is not None and SECRET not in repr(settings)
    assert (settings.webhook_allow_private, settings.webhook_timeout_seconds) == (False, 10.0)
    assert (settings.webhook_max_response_bytes, settings.webhook_retry_hours) == (65536, 24.0)


def test_every_webhook_setting_is_in_the_readme() -> None:
    from letexto_mcp.config import Settings

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    names = [f"LETEXTO_{name.upper()}" for name in Settings.model_fields if name.startswith("webhook_")]
    assert len(names) == 6
    for name in names:
        assert f"`{name}`" in readme, name
