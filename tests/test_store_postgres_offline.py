"""The PostgreSQL store's parts that need no server: URLs and their secrets, the released migrations,
and stdio never loading psycopg."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from letexto_mcp.config import ConfigError, Settings, load_settings
from letexto_mcp.state_url import mask_state_url, postgres_url_problem, scrub, url_passwords
from letexto_mcp.states import AttemptState
from letexto_mcp.store import open_store
from letexto_mcp.store.base import UNRESOLVED_MARKS
from letexto_mcp.store.pg_schema import MIGRATIONS, SCHEMA_VERSION
from letexto_mcp.store.postgres import escape_text, unescape_text


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://user:pa55@db.example:5432/state", "postgresql://user:***@db.example:5432/state"),
        ("postgres://u:p%40ss@h/db?sslmode=require", "postgres://u:***@h/db?sslmode=require"),
        (
            "postgresql://u@h/db?password=pa55&sslmode=verify-full",
            "postgresql://u@h/db?password=***&sslmode=verify-full",
        ),
        ("postgresql://u:a:b@c@h1:5432,h2:5433/db", "postgresql://u:***@h1:5432,h2:5433/db"),
        ("postgresql://h/db", "postgresql://h/db"),
        ("sqlite:///state.db", "sqlite:///state.db"),
        ("memory://", "memory://"),
    ],
)
def test_a_state_url_is_shown_with_its_password_masked(url: str, shown: str) -> None:
    assert mask_state_url(url) == shown


def test_every_form_of_the_password_is_scrubbed() -> None:
    url = "postgresql://u:p%40ss%zz@h/db?password=other"
    assert url_passwords(url) == ["p%40ss%zz", "p@ss%zz", "other"]
    assert (
        scrub("libpq: bad token p@ss%zz / p%40ss%zz / other", url_passwords(url))
        == "libpq: bad token *** / *** / ***"
    )
    assert url_passwords("sqlite:///x") == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql://user:pw@db:5432/state", None),
        ("postgres://db/state", None),
        ("postgresql:///state?host=/var/run/postgresql", None),
        ("postgresql://u:pw@h1:5432,h2:5433/db", None),
        ("postgresql://u:pw@[::1]:5432/db", None),
        ("postgresql:///state", "names no host"),
        ("postgresql://u:pw@db:port/state", "port of db must be a number"),
        ("postgresql://u:pw@db:70000/state", "port of db must be a number"),
        ("postgresql://db/a/b", "must not contain '/'"),
        ("postgresql://db/x#frag", "fragment"),
    ],
)
def test_the_shape_of_a_postgres_url_is_checked(url: str, problem: str | None) -> None:
    found = postgres_url_problem(url)
    assert found is None if problem is None else found is not None and problem in found


SECRET = "a-shared-state-secret-for-replicas"


def test_settings_accept_postgres_urls_and_never_echo_their_password(monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("postgresql://user:pw@db:5432/state", "postgres://user:pw@db/state"):
        assert Settings(state_url=url, state_secret=SECRET).state_url == url
    settings = Settings(
        state_url="postgres://db/s", state_secret=SECRET, state_pool_size=3, state_statement_timeout_ms=0
    )
    assert (settings.state_pool_size, settings.state_statement_timeout_ms) == (3, 0)
    defaults = Settings()
    assert (defaults.state_pool_size, defaults.state_statement_timeout_ms) == (10, 5000)
    for bad in ("postgresql://user:TopSecret1@db:99999/state", "mysql://user:TopSecret1@db/state"):
        monkeypatch.setenv("LETEXTO_STATE_URL", bad)
        with pytest.raises(ConfigError) as caught:
            load_settings()
        assert "LETEXTO_STATE_URL" in str(caught.value) and "user:***@db" in str(caught.value)
        assert "TopSecret1" not in str(caught.value)
        with pytest.raises(ValueError) as raw:
            Settings(state_url=bad)
        assert "TopSecret1" not in str(raw.value), "pydantic's own message hides the input too"
    monkeypatch.setenv("LETEXTO_STATE_URL", "postgres://db/s")
    monkeypatch.setenv("LETEXTO_MCP_STATE_SECRET", SECRET)
    for name, value in (("LETEXTO_STATE_POOL_SIZE", "0"), ("LETEXTO_STATE_STATEMENT_TIMEOUT_MS", "-1")):
        monkeypatch.setenv(name, value)
        with pytest.raises(ConfigError, match=name):
            load_settings()
        monkeypatch.delenv(name)


def test_a_postgres_state_needs_the_shared_state_secret() -> None:
    """Signing keys are derived from it on every replica; none is ever stored in the shared database."""
    with pytest.raises(ValueError, match="LETEXTO_MCP_STATE_SECRET must be set with a PostgreSQL"):
        Settings(state_url="postgresql://user:pw@db/state")


def test_open_store_refuses_a_malformed_postgres_url_without_its_password() -> None:
    with pytest.raises(ValueError) as caught:
        open_store("postgresql://u:TopSecret1@db:0/state")
    assert "LETEXTO_STATE_URL" in str(caught.value) and "TopSecret1" not in str(caught.value)


def test_text_escaping_is_one_to_one() -> None:
    samples = ["", "plain é ✓", "\x00", "\x01", "\x01\x02", "\x00\x01\x02\x01\x01", "a\x01\x01b\x00"]
    escaped = [escape_text(s) for s in samples]
    assert all("\x00" not in e for e in escaped)
    assert len(set(escaped)) == len(samples)
    assert [unescape_text(e) for e in escaped] == samples
    assert escape_text("plain") == "plain"


def test_released_steps_never_change() -> None:
    """A released step is never edited (a replica that applied it would never see the edit): add one."""
    released = {
        1: "be07a1826487fc6ba49c674ae3d6eb864d3ab26d6941a331aeda62c5ff02420c",
        2: "4ddadc029721cc99e7b74d3a19e7ea37a19aaa5463e212fb2e6430bab6753558",
    }
    found = {step.version: hashlib.sha256(step.sql.encode()).hexdigest() for step in MIGRATIONS}
    assert {version: found[version] for version in released} == released
    assert [step.version for step in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))


def test_the_database_functions_speak_the_mark_states_vocabulary() -> None:
    """letexto_claim_send writes the states as words: they must be the ones the guard reads."""
    claim = MIGRATIONS[0].sql.split("CREATE FUNCTION letexto_claim_send", 1)[1].split("CREATE FUNCTION", 1)[0]
    blocking = claim.split("m.state IN (", 1)[1].split(")", 1)[0]
    assert {word.strip(" '") for word in blocking.split(",")} == set(UNRESOLVED_MARKS)
    for state in (
        AttemptState.SENT,
        AttemptState.RESOLVED,
        AttemptState.OUTCOME_UNKNOWN,
        AttemptState.IN_FLIGHT,
    ):
        assert f"'{state.value}'" in claim


def test_serving_with_sqlite_never_loads_psycopg(tmp_path: object) -> None:
    code = (
        "import sys, anyio\n"
        "from letexto_mcp.config import Settings\n"
        "from letexto_mcp.services import open_services\n"
        "from letexto_mcp.server.app import build_server\n"
        f"settings = Settings(sandbox=True, state_url='sqlite:///{tmp_path}/s.db')\n"
        "build_server(settings)\n"
        "async def main():\n"
        "    async with open_services(settings):\n"
        "        pass\n"
        "anyio.run(main)\n"
        "print(sorted(m for m in sys.modules if m.startswith('psycopg')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
