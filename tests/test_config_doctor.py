"""Settings fail early with a sentence naming the variable; `doctor` reports and fails on trouble."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from letexto_mcp.config import ConfigError, load_settings, mask_secret
from letexto_mcp.sandbox.constants import SANDBOX_API_KEY


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("LETEXTO_BASE_URL", "apis.letexto", "LETEXTO_BASE_URL must be an http(s) URL, got 'apis.letexto'"),
        ("LETEXTO_BASE_URL", "ftp://apis.letexto.com", "LETEXTO_BASE_URL must be an http(s) URL"),
        ("LETEXTO_SEND_POLICY", "yolo", "LETEXTO_SEND_POLICY"),
        ("LETEXTO_STATE_URL", "mysql://x", "LETEXTO_STATE_URL must be 'memory://', 'sqlite:///"),
        ("LETEXTO_STATE_URL", "postgres://u:pw@x:port/db", "LETEXTO_STATE_URL 'postgres://u:***@x:port/db'"),
        ("LETEXTO_MAX_RECIPIENTS", "many", "LETEXTO_MAX_RECIPIENTS"),
        ("LETEXTO_MAX_RECIPIENTS", "0", "LETEXTO_MAX_RECIPIENTS"),
        ("LETEXTO_TIMEOUT_SECONDS", "-1", "LETEXTO_TIMEOUT_SECONDS"),
        ("LETEXTO_LOG_LEVEL", "LOUD", "LETEXTO_LOG_LEVEL"),
        ("LETEXTO_STATE_RETENTION_DAYS", "-1", "LETEXTO_STATE_RETENTION_DAYS"),
        ("LETEXTO_STATE_RETENTION_DAYS", "forever", "LETEXTO_STATE_RETENTION_DAYS"),
    ],
)
def test_bad_values_are_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert expected in str(caught.value)


def test_lists_and_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LETEXTO_ALLOWED_RECIPIENTS", "0707123456, +225 05 05 12 34 56 ,")
    monkeypatch.setenv("LETEXTO_MCP_API_KEYS", "k1,k2")
    monkeypatch.setenv("LETEXTO_DEFAULT_SENDER", "  ")
    monkeypatch.setenv("LETEXTO_SEND_POLICY", "DRY_RUN")
    settings = load_settings()
    assert settings.allowed_recipients == ["0707123456", "+225 05 05 12 34 56"]
    assert [k.get_secret_value() for k in settings.mcp_api_keys] == ["k1", "k2"]
    assert settings.default_sender is None
    assert settings.send_policy == "dry-run"


def test_retention_defaults_to_ninety_days_and_zero_keeps_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().state_retention_days == 90
    monkeypatch.setenv("LETEXTO_STATE_RETENTION_DAYS", "0")
    assert load_settings().state_retention_days == 0


def test_missing_key_says_how_to_fix() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings().require_api_token()
    assert "LETEXTO_API_TOKEN" in str(caught.value) and "--sandbox" in str(caught.value)


def test_mask_shows_at_most_seven_characters() -> None:
    assert mask_secret("lt_abcdefghijklmnop1234") == "lt_…1234"
    assert mask_secret("short") == "…***"
    assert mask_secret(None) == "(not set)"


def _cli(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "letexto_mcp", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_doctor_against_the_sandbox(tmp_path: Path) -> None:
    result = _cli("doctor", "--sandbox", env={}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "SMS INFO" in result.stdout and "balance" in result.stdout
    assert "LETEXTO_STATE_RETENTION_DAYS" in result.stdout and "90 days" in result.stdout
    assert SANDBOX_API_KEY not in result.stdout + result.stderr


def test_doctor_without_a_key_fails(tmp_path: Path) -> None:
    result = _cli("doctor", env={}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "LETEXTO_API_TOKEN" in result.stderr


def test_doctor_with_a_bad_setting_fails(tmp_path: Path) -> None:
    result = _cli("doctor", env={"LETEXTO_BASE_URL": "apis.letexto"}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "LETEXTO_BASE_URL must be an http(s) URL" in result.stderr


def test_doctor_reports_a_refused_key(tmp_path: Path, loopback_sandbox: Any) -> None:
    key = "lt_live_nottherightkey0000"
    env = {"LETEXTO_API_TOKEN": key, "LETEXTO_BASE_URL": loopback_sandbox, "LETEXTO_STATE_URL": "memory://"}
    result = _cli("doctor", env=env, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "Problems" in result.stdout and "balance" in result.stdout
    assert "lt_…0000" in result.stdout
    assert key not in result.stdout + result.stderr


def test_doctor_with_the_right_key_over_http(tmp_path: Path, loopback_sandbox: Any) -> None:
    env = {
        "LETEXTO_API_TOKEN": SANDBOX_API_KEY,
        "LETEXTO_BASE_URL": loopback_sandbox,
        "LETEXTO_STATE_URL": "memory://",
        "LETEXTO_DEFAULT_SENDER": "SMS INFO",
    }
    result = _cli("doctor", env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "EN ATTENTE (PENDING)" in result.stdout


def test_migrate_prints_the_schema_version_of_sqlite_and_says_memory_has_none(tmp_path: Path) -> None:
    from letexto_mcp.store.sqlite import SCHEMA_VERSION

    state = tmp_path / "deep" / "state.sqlite3"
    result = _cli("migrate", env={"LETEXTO_STATE_URL": f"sqlite:///{state}"}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"sqlite:///{state}: schema version {SCHEMA_VERSION}"
    assert state.exists()
    memory = _cli("migrate", env={"LETEXTO_STATE_URL": "memory://"}, tmp_path=tmp_path)
    assert memory.returncode == 0 and "no schema to migrate" in memory.stdout
    bad = _cli("migrate", env={"LETEXTO_STATE_URL": "postgresql://u:TopSecret1@db:0/x"}, tmp_path=tmp_path)
    assert bad.returncode == 2 and "LETEXTO_STATE_URL" in bad.stderr
    assert "TopSecret1" not in bad.stdout + bad.stderr


def test_doctor_shows_the_state_schema(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    result = _cli("doctor", "--sandbox", env={"LETEXTO_STATE_URL": f"sqlite:///{state}"}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "state schema" in result.stdout and "version " in result.stdout
