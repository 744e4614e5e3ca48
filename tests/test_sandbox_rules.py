"""The simulator's pure rules: the vendor's number check, dates, templates, clocks, config."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from letexto_mcp.sandbox import ManualClock, SandboxConfig
from letexto_mcp.sandbox.clock import WallClock, format_iso, parse_iso
from letexto_mcp.sandbox.templates import missing_fields, placeholders, render
from letexto_mcp.sandbox.validation import is_email, is_valid_number


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_an_ivorian_number_needs_225_and_its_leading_zero(rest: str) -> None:
    national = "0" + rest  # today's 10-digit national numbers all start with 0
    assert is_valid_number("225" + national)
    assert not is_valid_number("+225" + national)
    assert not is_valid_number("225" + rest)  # the 0 dropped
    assert not is_valid_number(national)  # no country code


@given(st.text(min_size=1).filter(lambda s: not (s.isascii() and s.isdigit())))
def test_anything_but_ascii_digits_is_invalid(text: str) -> None:
    assert not is_valid_number(text)


@pytest.mark.parametrize(
    ("number", "valid"), [("33612345678", True), ("2211234567", True), ("1234567", False)]
)
def test_other_countries_need_8_to_15_digits(number: str, valid: bool) -> None:
    assert is_valid_number(number) is valid


def test_dates_parse_and_format_like_the_vendor() -> None:
    when = parse_iso("2026-02-13T21:40:00.000Z")
    assert when == datetime(2026, 2, 13, 21, 40, tzinfo=timezone.utc)
    assert format_iso(when) == "2026-02-13T21:40:00.000Z"
    assert parse_iso("2026-02-13T22:40:00+01:00") == when
    assert parse_iso("2026-02-13T21:40:00") == when
    for bad in ("2026-02-13", "demain", "2026-13-13T00:00:00Z", ""):
        assert parse_iso(bad) is None


def test_templates() -> None:
    content = "Bonjour {{name}} ({{ age }}), {{name}}"
    assert placeholders(content) == ["name", "age"]
    assert render(content, {"name": "Awa", "age": 12}) == "Bonjour Awa (12), Awa"
    assert missing_fields(content, {"name": "Awa", "age": None}) == ["age"]
    assert missing_fields(content, {"name": {"nested": 1}, "age": "1"}) == ["name"]
    assert render("{{x}} et {y}", {"x": ""}) == " et {y}"


def test_emails() -> None:
    assert is_email("awa@example.ci")
    for bad in ("awa", "awa@", "@example.ci", "awa@example", "a b@example.ci", 3):
        assert not is_email(bad)


def test_manual_clock_and_wall_mapping() -> None:
    clock = ManualClock(100.0)
    origin = datetime(2026, 1, 1, tzinfo=timezone.utc)
    wall = WallClock(clock, origin)
    clock.advance(90)
    assert wall.wall_now() == datetime(2026, 1, 1, 0, 1, 30, tzinfo=timezone.utc)
    assert wall.to_reading(datetime(2026, 1, 1, 0, 10, tzinfo=timezone.utc)) == 700.0
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_config_guards() -> None:
    config = SandboxConfig(sent_after=5, delivered_after=2)
    assert config.delivered_after == 5
    assert config.reports_in_background
    assert not SandboxConfig(clock=ManualClock()).reports_in_background
    with pytest.raises(ValueError):
        SandboxConfig(latency=-1)


def test_the_simulator_imports_nothing_of_the_server_tools_or_client() -> None:
    code = (
        "import sys, letexto_mcp.sandbox, letexto_mcp.sandbox.serve\n"
        "bad = [m for m in sys.modules if m.startswith(('letexto_mcp.server', 'letexto_mcp.tools',"
        " 'letexto_mcp.letexto'))]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
