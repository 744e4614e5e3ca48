"""Delivery end to end: the real worker, the real store, a real receiver over HTTP on loopback.

Time moves by the clock the options carry (`MovingClock`), never by sleeping: a retry due in
30 s is tried by setting the clock to its `next_attempt_at` and running one pass.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from pydantic import SecretStr

from letexto_mcp.config import Settings
from letexto_mcp.store import MemoryStore, SqliteStore, StateStore
from letexto_mcp.store.base import WebhookDelivery
from letexto_mcp.webhooks import Deliverer, WebhookOptions, WebhookPublisher
from letexto_mcp.webhooks.retry import SCHEDULE
from letexto_mcp.webhooks.ssrf import AddressPolicy
from tests.http_helpers import base_url, loopback_socket, serving
from tests.webhook_helpers import MESSAGE, SECRET, MovingClock, Receiver, options_for, wait_for

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def receiving(receiver: Receiver, sock: Any = None) -> AsyncIterator[str]:
    async with serving(receiver.app, sock) as url:
        yield url


async def _row(store: StateStore, event_id: str) -> WebhookDelivery:
    [row] = await store.webhook_deliveries(event_id=event_id)
    return row


async def _emit(store: StateStore, options: WebhookOptions, event_type: str = "message.delivered") -> str:
    event_id = await WebhookPublisher(store, options).emit(event_type, "tenant-1", MESSAGE)
    assert event_id is not None
    return event_id


async def test_a_delivery_arrives_signed_and_verifiable() -> None:
    receiver, clock, store = Receiver(), MovingClock(), MemoryStore()
    async with receiving(receiver) as url:
        options = options_for(f"{url}/hook", clock=clock)
        event_id = await _emit(store, options)
        assert await Deliverer(options, store).deliver_due() == 1

    [seen] = receiver.accepted
    assert seen.verified == json.loads(seen.body)
    assert seen.verified["type"] == "message.delivered"
    assert seen.verified["data"] == {
        "tenant": "tenant-1",
        **MESSAGE,
        "received_at": "2026-07-25T17:20:00.000Z",
    }
    assert seen.headers["webhook-id"] == event_id
    assert seen.headers["webhook-timestamp"] == str(int(clock.now))
    assert seen.headers["content-type"] == "application/json"
    row = await _row(store, event_id)
    assert (row.state, row.attempts, row.last_status, row.last_error) == ("delivered", 1, 200, None)


async def test_the_receiver_rejects_what_is_not_ours(tmp_path: Path) -> None:
    """What the receiver's verification refuses when someone else posts to it: a forged signature,
    a tampered body, a replayed (stale) request. Only the genuine one is accepted."""
    import httpx

    from letexto_mcp.webhooks.signing import Signer
    from tests.webhook_helpers import new_secret

    receiver = Receiver()
    body = (
        '{"type":"webhook.test","timestamp":"2026-07-25T17:20:00.000Z","data":{"tenant":"t","message":"x"}}'
    )
    now = MovingClock().now
    genuine = Signer(SecretStr(SECRET)).headers("msg_1", now, body)
    attempts = {
        "forged": Signer(SecretStr(new_secret())).headers("msg_1", now, body),
        "tampered": genuine,
        "stale": Signer(SecretStr(SECRET)).headers("msg_1", now - 3600, body),
        "genuine": genuine,
    }
    async with receiving(receiver) as url, httpx.AsyncClient() as http:
        answers = {}
        for name, headers in attempts.items():
            sent = body.replace('"x"', '"y"') if name == "tampered" else body
            answers[name] = (await http.post(f"{url}/hook", content=sent, headers=headers)).status_code
    assert answers == {"forged": 400, "tampered": 400, "stale": 400, "genuine": 200}
    assert [s.error for s in receiver.seen] == [
        "No matching signature found",
        "No matching signature found",
        "Message timestamp too old",
        None,
    ]
    assert len(receiver.accepted) == 1


async def test_a_receiver_that_is_down_gets_the_event_once_it_is_back_even_across_a_restart(
    tmp_path: Path,
) -> None:
    """Port closed, then 503, then up: retried on the backoff schedule with the same webhook-id; the
    publisher restarts (a new store object on the same file) in between and nothing is lost."""
    path, clock, receiver = tmp_path / "state.db", MovingClock(), Receiver()
    sock = loopback_socket()  # bound, not yet listening: connections are refused
    target = f"{base_url(sock)}/hook"
    options = options_for(target, clock=clock)

    first = SqliteStore(path)
    event_id = await _emit(first, options)
    assert await Deliverer(options, first).deliver_due() == 1
    row = await _row(first, event_id)
    assert (row.state, row.attempts, row.last_status) == ("pending", 1, None)
    assert row.last_error is not None and row.last_error.startswith("could not connect")
    assert row.next_attempt_at is not None
    assert clock.now + SCHEDULE[0] * 0.8 <= row.next_attempt_at <= clock.now + SCHEDULE[0] * 1.2
    assert await Deliverer(options, first).deliver_due() == 0, "not due yet"
    await first.close()  # the server restarts

    second = SqliteStore(path)
    try:
        receiver.status = 503
        async with receiving(receiver, sock):
            clock.now = row.next_attempt_at
            assert await Deliverer(options, second).deliver_due() == 1
            row = await _row(second, event_id)
            assert (row.state, row.attempts, row.last_status) == ("pending", 2, 503)
            assert row.last_error is not None and row.last_error.startswith("HTTP 503")
            assert row.next_attempt_at is not None
            assert clock.now + SCHEDULE[1] * 0.8 <= row.next_attempt_at <= clock.now + SCHEDULE[1] * 1.2

            receiver.status = 200
            clock.now = row.next_attempt_at
            assert await Deliverer(options, second).deliver_due() == 1
        row = await _row(second, event_id)
        assert (row.state, row.attempts, row.last_status, row.last_error) == ("delivered", 3, 200, None)
        clock.now += 86_400
        assert await Deliverer(options, second).deliver_due() == 0, "a delivered event is never sent again"
    finally:
        await second.close()

    assert receiver.ids() == [event_id, event_id], "the 503 attempt and the delivery: one webhook-id"
    assert [s.answered for s in receiver.seen] == [503, 200]
    assert len(receiver.accepted) == 1
    assert all(s.verified is not None for s in receiver.seen), "each retry is signed afresh and verifies"


async def test_two_workers_on_one_file_never_send_one_event_at_the_same_time(tmp_path: Path) -> None:
    path, clock, receiver = tmp_path / "state.db", MovingClock(), Receiver()
    stores = [SqliteStore(path), SqliteStore(path)]
    try:
        async with receiving(receiver) as url:
            options = options_for(f"{url}/hook", clock=clock)
            one, two = (
                Deliverer(options, store, name=name) for store, name in zip(stores, "AB", strict=True)
            )

            # A holds the event while the receiver takes its time: B finds nothing to claim.
            receiver.hold = anyio.Event()
            event_id = await _emit(stores[0], options)
            async with anyio.create_task_group() as group:
                group.start_soon(one.deliver_due)
                await wait_for(lambda: len(receiver.seen) == 1)
                assert await two.deliver_due() == 0
                receiver.hold.set()
            assert receiver.ids() == [event_id]
            assert (await _row(stores[1], event_id)).state == "delivered"

            # A is killed mid-delivery: B may take the event only once A's lease has lapsed.
            receiver.hold = anyio.Event()
            killed_id = await _emit(stores[0], options)
            with anyio.CancelScope() as killed:
                async with anyio.create_task_group() as group:
                    group.start_soon(one.deliver_due)
                    await wait_for(lambda: len(receiver.seen) == 2)
                    killed.cancel()
            held, receiver.hold = receiver.hold, None
            assert await two.deliver_due() == 0, "A's lease still holds"
            clock.now += options.lease_seconds
            assert await two.deliver_due() == 1
            held.set()
            row = await _row(stores[1], killed_id)
            assert (row.state, row.attempts) == ("delivered", 2)
            assert receiver.ids() == [event_id, killed_id, killed_id], "at least once: the same id again"

            # Many events, both workers looping at once: every event delivered exactly once.
            ids = [await _emit(stores[index % 2], options) for index in range(24)]

            async def drain(deliverer: Deliverer) -> None:
                while await deliverer.deliver_due():
                    pass

            async with anyio.create_task_group() as group:
                group.start_soon(drain, one)
                group.start_soon(drain, two)
            delivered = receiver.ids()[3:]
            assert sorted(delivered) == sorted(ids), "each once, none twice"
    finally:
        for store in stores:
            await store.close()


async def test_410_gone_stops_the_delivery() -> None:
    receiver, clock, store = Receiver(), MovingClock(), MemoryStore()
    async with receiving(receiver) as url:
        options = options_for(f"{url}/gone", clock=clock)
        event_id = await _emit(store, options)
        await Deliverer(options, store).deliver_due()
        clock.now += 86_400
        assert await Deliverer(options, store).deliver_due() == 0
    row = await _row(store, event_id)
    assert (row.state, row.attempts, row.last_status) == ("given_up", 1, 410)
    assert row.last_error is not None and "410 Gone" in row.last_error
    assert len(receiver.seen) == 1


async def test_a_redirect_is_not_followed() -> None:
    receiver, clock, store = Receiver(), MovingClock(), MemoryStore()
    async with receiving(receiver) as url:
        options = options_for(f"{url}/redirect", clock=clock)
        event_id = await _emit(store, options)
        await Deliverer(options, store).deliver_due()
    assert [s.path for s in receiver.seen] == ["/redirect"], "/hook never reached"
    row = await _row(store, event_id)
    assert (row.state, row.last_status) == ("pending", 307)
    assert row.last_error == (
        f"HTTP 307 redirect to {url}/hook not followed; put the final address in LETEXTO_WEBHOOK_URLS"
    )


async def test_an_oversize_answer_is_cut_at_the_cap() -> None:
    """An endless 503 body: the attempt reads 4 KiB, keeps an excerpt and hangs up, long before
    its 60 s deadline."""
    receiver, clock, store = Receiver(), MovingClock(), MemoryStore()
    async with receiving(receiver) as url:
        options = options_for(f"{url}/huge", clock=clock, timeout=60.0, max_response_bytes=4096)
        event_id = await _emit(store, options)
        with anyio.fail_after(15):
            await Deliverer(options, store).deliver_due()
        await wait_for(lambda: receiver.huge_stopped)  # the receiver saw the connection go
    row = await _row(store, event_id)
    assert (row.state, row.last_status) == ("pending", 503)
    assert row.last_error == "HTTP 503: " + "x" * 200


async def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt() -> None:
    receiver, clock, store = Receiver(), MovingClock(), MemoryStore()
    async with receiving(receiver) as url:
        options = options_for(f"{url}/slow", clock=clock, timeout=0.5)
        event_id = await _emit(store, options)
        with anyio.fail_after(10):
            await Deliverer(options, store).deliver_due()
    row = await _row(store, event_id)
    assert (row.state, row.attempts, row.last_status) == ("pending", 1, None)
    assert row.last_error is not None and "0.5 s" in row.last_error and "timed out" in row.last_error
    assert len(receiver.seen) == 1


async def test_loopback_targets_are_refused_unless_sandbox_or_the_setting_allows_them() -> None:
    receiver = Receiver()
    async with receiving(receiver) as url:
        for host in ("127.0.0.1", "localhost"):
            store = MemoryStore()
            target = f"{url.replace('127.0.0.1', host)}/hook"
            options = WebhookOptions.from_settings(Settings(webhook_urls=[target], webhook_secret=SECRET))
            event_id = await _emit(store, options)
            await Deliverer(options, store).deliver_due()
            row = await _row(store, event_id)
            assert (row.state, row.attempts) == ("given_up", 1)
            assert row.last_error is not None and "loopback address" in row.last_error
            assert "LETEXTO_WEBHOOK_ALLOW_PRIVATE=1" in row.last_error
        assert receiver.seen == [], "nothing was sent"

        for settings in (
            Settings(sandbox=True, webhook_urls=[f"{url}/hook"], webhook_secret=SECRET),
            Settings(webhook_allow_private=True, webhook_urls=[f"{url}/hook"], webhook_secret=SECRET),
        ):
            store = MemoryStore()
            options = WebhookOptions.from_settings(settings)
            event_id = await _emit(store, options)
            await Deliverer(options, store).deliver_due()
            assert (await _row(store, event_id)).state == "delivered"
    assert len(receiver.accepted) == 2


async def test_the_connection_goes_to_the_address_that_was_checked() -> None:
    """The name is resolved once per attempt, by the guard; the request then goes to that address
    with the name in Host (no second lookup that a DNS rebind could answer differently)."""
    receiver, clock, store = Receiver(), MovingClock(), MemoryStore()
    lookups: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    async with receiving(receiver) as url:
        port = url.rsplit(":", 1)[1]
        options = options_for(f"http://receiver.invalid:{port}/hook", clock=clock, resolver=resolver)
        event_id = await _emit(store, options)
        await Deliverer(options, store).deliver_due()
    assert (await _row(store, event_id)).state == "delivered"
    assert lookups == ["receiver.invalid"]
    assert receiver.accepted[0].headers["host"] == f"receiver.invalid:{port}"


async def test_a_delivery_is_given_up_after_the_retry_horizon() -> None:
    receiver, clock, store = Receiver(), MovingClock(), MemoryStore()
    async with receiving(receiver) as url:
        options = options_for(f"{url}/down", clock=clock)
        start = clock.now
        event_id = await _emit(store, options)
        tried_at: list[float] = []
        while (row := await _row(store, event_id)).state == "pending":
            assert row.next_attempt_at is not None
            clock.now = row.next_attempt_at
            tried_at.append(clock.now)
            assert await Deliverer(options, store).deliver_due() == 1
    gaps = [later - earlier for earlier, later in itertools.pairwise(tried_at)]
    for gap, base in zip(gaps, [*SCHEDULE, *[SCHEDULE[-1]] * len(gaps)], strict=False):
        assert base * 0.8 <= gap <= base * 1.2, (gap, base)
    assert tried_at[-1] <= start + 24 * 3600 < tried_at[-1] + SCHEDULE[-1] * 1.2
    assert row.state == "given_up"
    assert row.attempts == len(tried_at) == len(receiver.seen)
    assert 25 <= row.attempts <= 35
    assert (
        row.last_error == f"HTTP 503: Service Unavailable; given up after {row.attempts} attempts over 24 h"
    )
    clock.now += 7 * 86_400
    assert await Deliverer(options, store).deliver_due() == 0


async def test_a_target_removed_from_the_settings_is_given_up() -> None:
    store, clock = MemoryStore(), MovingClock()
    event_id = await _emit(store, options_for("https://old.example/hook", clock=clock))
    await Deliverer(options_for("https://new.example/hook", clock=clock), store).deliver_due()
    row = await _row(store, event_id)
    assert (row.state, row.last_error) == ("given_up", "the target is no longer in LETEXTO_WEBHOOK_URLS")


async def test_credentials_in_a_target_stay_out_of_the_log_and_the_errors() -> None:
    store, clock = MemoryStore(), MovingClock()
    sock = loopback_socket()  # refused
    target = (
        f"http://hookuser:s3cr3t-pass@127.0.0.1:{sock.getsockname()[1]}/hooks/catch/99887766/?token=zz9yy8"
    )
    options = options_for(target, clock=clock)
    event_id = await _emit(store, options)
    await Deliverer(options, store).deliver_due()
    row = await _row(store, event_id)
    assert row.last_error is not None
    for secret in ("s3cr3t-pass", "99887766", "zz9yy8"):
        assert secret not in row.last_error
    sock.close()


def test_options_follow_the_settings() -> None:
    settings = Settings(
        webhook_urls=["https://a.example/h"],
        webhook_secret=SECRET,
        webhook_timeout_seconds=3,
        webhook_max_response_bytes=2048,
        webhook_retry_hours=2,
    )
    options = WebhookOptions.from_settings(settings)
    assert (options.targets, options.timeout, options.max_response_bytes, options.retry_horizon) == (
        ("https://a.example/h",),
        3.0,
        2048,
        7200.0,
    )
    assert options.policy == AddressPolicy(allow_private=False, allow_loopback=False)
    assert WebhookOptions.from_settings(Settings(sandbox=True)).policy == AddressPolicy(allow_loopback=True)
    assert not WebhookOptions.from_settings(Settings()).enabled
