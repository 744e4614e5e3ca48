"""`letexto-mcp webhooks list | test`, as an operator meets them: the log masked, a test event verified."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
import uvicorn

from letexto_mcp.cli import main
from letexto_mcp.store import SqliteStore
from tests.http_helpers import loopback_socket, serving_in_thread
from tests.webhook_helpers import SECRET, Receiver

T0 = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
LEAKY = "https://hookuser:s3cr3t-pass@hooks.example.com/hooks/catch/99887766/ab12cd/?token=zz9yy8"


def _env(monkeypatch: pytest.MonkeyPatch, state: Path, urls: str) -> None:
    monkeypatch.setenv("LETEXTO_STATE_URL", f"sqlite:///{state}")
    monkeypatch.setenv("LETEXTO_WEBHOOK_URLS", urls)
    monkeypatch.setenv("LETEXTO_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("LETEXTO_API_TOKEN", "lt_live_0123456789abcdef01234567")


async def _fill(state: Path) -> None:
    store = SqliteStore(state)
    try:
        targets = [LEAKY, "https://b.example/hook"]
        await store.webhook_enqueue("msg_1", "message.delivered", "t", "{}", targets, T0)
        await store.webhook_enqueue("msg_2", "approval.requested", "t", "{}", targets[:1], T0 + 10)
        await store.webhook_claim("w", T0 + 10, T0 + 70, 10)
        await store.webhook_finish(
            "msg_1",
            LEAKY,
            "w",
            "pending",
            T0 + 11,
            status_code=503,
            error="HTTP 503: busy",
            next_attempt_at=T0 + 41,
        )
        await store.webhook_finish(
            "msg_1", "https://b.example/hook", "w", "delivered", T0 + 11, status_code=204
        )
        await store.webhook_finish(
            "msg_2", LEAKY, "w", "given_up", T0 + 12, status_code=410, error="410 Gone"
        )
        await store.webhook_enqueue("msg_3", "message.failed", "t", "{}", ["http://10.0.0.7/hook"], T0 + 20)
        await store.webhook_claim("w3", T0 + 20, T0 + 80, 10)
        await store.webhook_finish(
            "msg_3",
            "http://10.0.0.7/hook",
            "w3",
            "given_up",
            T0 + 20,
            error="refused: 10.0.0.7, a private address",
        )
    finally:
        await store.close()


def test_list_shows_the_delivery_log_with_credentials_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.db"
    anyio.run(_fill, state)
    _env(monkeypatch, state, LEAKY)
    assert main(["webhooks", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["EVENT", "TYPE", "TARGET", "ATTEMPTS", "LAST", "NEXT"]
    masked = "https://***@hooks.example.com/hooks/catch/***/***/?token=***"
    assert lines[1].split() == [
        *("msg_3", "message.failed", "http://10.0.0.7/hook", "1", "refused"),
        *("given", "up", "2027-01-15", "08:00:20", "UTC"),
    ]
    assert lines[2] == "    last error: refused: 10.0.0.7, a private address"
    assert lines[3].split() == [
        *("msg_2", "approval.requested", masked, "1", "HTTP", "410"),
        *("given", "up", "2027-01-15", "08:00:12", "UTC"),
    ]
    assert lines[4] == "    last error: 410 Gone"
    assert lines[5].split() == [
        *("msg_1", "message.delivered", "https://b.example/hook", "1", "HTTP", "204"),
        *("delivered", "2027-01-15", "08:00:11", "UTC"),
    ]
    assert lines[6].split() == [
        *("msg_1", "message.delivered", masked, "1", "HTTP", "503"),
        *("next", "attempt", "2027-01-15", "08:00:41", "UTC"),
    ]
    assert lines[7] == "    last error: HTTP 503: busy"
    assert len(lines) == 8
    for secret in ("s3cr3t-pass", "hookuser", "99887766", "zz9yy8"):
        assert secret not in out


def test_list_with_nothing_queued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LETEXTO_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.setenv("LETEXTO_API_TOKEN", "lt_live_0123456789abcdef01234567")
    assert main(["webhooks", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "LETEXTO_WEBHOOK_URLS is not set: no event is queued or sent.",
        "No webhook delivery in the state store.",
    ]


def test_test_sends_a_signed_test_event_to_every_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver = Receiver()
    sock = loopback_socket()
    dead = loopback_socket()  # bound, never listening: refused
    server = uvicorn.Server(uvicorn.Config(receiver.app, log_config=None, lifespan="off"))
    with serving_in_thread(server, sock) as url:
        down = f"http://127.0.0.1:{dead.getsockname()[1]}/hook"
        _env(monkeypatch, tmp_path / "state.db", f"{url}/hook,{down}")
        monkeypatch.setenv("LETEXTO_WEBHOOK_ALLOW_PRIVATE", "1")
        assert main(["webhooks", "test"]) == 1, "one target of two is down"
    dead.close()
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("webhook.test msg_")
    event_id = out[0].split()[1].rstrip(":")
    assert out[1] == f"  delivered to {url}/hook (HTTP 200)"
    assert out[2].startswith(f"  NOT delivered to {down}: could not connect")
    assert "a running server retries it from" in out[2]
    [seen] = receiver.accepted
    assert seen.headers["webhook-id"] == event_id
    assert seen.verified["type"] == "webhook.test"
    assert seen.verified["data"]["tenant"] == "local"


def test_test_without_targets_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LETEXTO_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.setenv("LETEXTO_API_TOKEN", "lt_live_0123456789abcdef01234567")
    assert main(["webhooks", "test"]) == 2
    assert "LETEXTO_WEBHOOK_URLS is not set" in capsys.readouterr().out
