"""Confirmation tokens: bound to tenant, tool and request; signed; expiring; single use; opaque."""

from __future__ import annotations

import base64
import re

import anyio
import pytest

from letexto_mcp.guard import ConfirmationTokens, TokenRefused, request_fingerprint
from letexto_mcp.store import MemoryStore

pytestmark = pytest.mark.anyio

SECRET = b"k" * 32
TTL = 600.0
TENANT = "acme-corp"
REQUEST = {"to": ["2250707123456"], "content": "Code 4821", "sender": "ACME"}
FP = request_fingerprint("send_sms", REQUEST)


class Clock:
    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(clock: Clock) -> ConfirmationTokens:
    return ConfirmationTokens(MemoryStore(), SECRET, TTL, clock)


def _decode(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def _refusal(tokens: ConfirmationTokens, token: object, **overrides: str) -> TokenRefused:
    args = {"tenant": TENANT, "tool": "send_sms", "fingerprint": FP, **overrides}
    with pytest.raises(TokenRefused) as caught:
        await tokens.redeem(token, args["tenant"], args["tool"], args["fingerprint"])
    return caught.value


async def test_a_token_works_once(tokens: ConfirmationTokens) -> None:
    token = tokens.issue(TENANT, "send_sms", FP)
    await tokens.redeem(token, TENANT, "send_sms", FP)
    refusal = await _refusal(tokens, token)
    assert refusal.reason_code == "already_used"
    assert "works once" in refusal.message and "without confirmation_token" in refusal.message


async def test_concurrent_redeems_of_one_token_have_one_winner(tokens: ConfirmationTokens) -> None:
    token = tokens.issue(TENANT, "send_sms", FP)
    outcomes: list[str] = []

    async def redeem() -> None:
        try:
            await tokens.redeem(token, TENANT, "send_sms", FP)
            outcomes.append("ok")
        except TokenRefused as refusal:
            outcomes.append(refusal.reason_code)

    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(redeem)
    assert sorted(outcomes) == ["already_used"] * 9 + ["ok"]


async def test_verify_does_not_spend_the_token(tokens: ConfirmationTokens) -> None:
    token = tokens.issue(TENANT, "send_sms", FP)
    claims = tokens.verify(token, TENANT, "send_sms", FP)
    assert tokens.verify(token, TENANT, "send_sms", FP) == claims
    await tokens.consume(claims)
    with pytest.raises(TokenRefused, match="already used"):
        await tokens.consume(claims)


async def test_the_token_is_compact_url_safe_and_says_nothing_personal(tokens: ConfirmationTokens) -> None:
    token = tokens.issue(TENANT, "send_sms", FP)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert len(token) < 160
    raw = _decode(token)
    for secret_or_personal in (
        TENANT.encode(),
        b"2250707123456",
        b"4821",
        FP.encode(),
        bytes.fromhex(FP),
        SECRET,
    ):
        assert secret_or_personal not in raw
        assert secret_or_personal.decode("latin-1") not in token
    assert tokens.issue(TENANT, "send_sms", FP) != token, "every token has its own nonce"


async def test_expired_tokens_are_refused(tokens: ConfirmationTokens, clock: Clock) -> None:
    token = tokens.issue(TENANT, "send_sms", FP)
    clock.now += TTL - 1
    tokens.verify(token, TENANT, "send_sms", FP)
    clock.now += 1
    refusal = await _refusal(tokens, token)
    assert refusal.reason_code == "expired"
    assert "expired" in refusal.message and "new preview" in refusal.message


async def test_a_token_for_another_tenant_is_refused(tokens: ConfirmationTokens) -> None:
    token = tokens.issue("someone-else", "send_sms", FP)
    refusal = await _refusal(tokens, token)
    assert refusal.reason_code == "wrong_tenant"
    assert "another caller" in refusal.message


async def test_a_token_for_another_tool_is_refused(tokens: ConfirmationTokens) -> None:
    token = tokens.issue(TENANT, "create_sms_campaign", FP)
    refusal = await _refusal(tokens, token)
    assert refusal.reason_code == "wrong_tool"
    assert "create_sms_campaign" in refusal.message and "send_sms" in refusal.message


async def test_a_token_for_a_changed_request_is_refused(tokens: ConfirmationTokens) -> None:
    token = tokens.issue(TENANT, "send_sms", FP)
    changed = request_fingerprint("send_sms", {**REQUEST, "content": "Code 4822"})
    refusal = await _refusal(tokens, token, fingerprint=changed)
    assert refusal.reason_code == "request_changed"
    assert refusal.message.startswith(
        "the request changed since the preview: re-run it without confirmation_token to get a new preview"
    )
    await tokens.redeem(token, TENANT, "send_sms", FP)  # the refusal did not spend it


async def test_every_flipped_byte_is_detected(tokens: ConfirmationTokens) -> None:
    token = tokens.issue(TENANT, "send_sms", FP)
    raw = _decode(token)
    for index in range(len(raw)):
        forged = bytearray(raw)
        forged[index] ^= 0x01
        refusal = await _refusal(tokens, _encode(bytes(forged)))
        expected = "malformed" if index == 0 else "forged"  # byte 0 is the version
        assert refusal.reason_code == expected, index
    await tokens.redeem(token, TENANT, "send_sms", FP)


async def test_swapped_payloads_and_signatures_are_forgeries(
    tokens: ConfirmationTokens, clock: Clock
) -> None:
    mine = _decode(tokens.issue(TENANT, "send_sms", FP))
    other_fp = request_fingerprint("send_sms", {**REQUEST, "to": ["2250101010101"]})
    theirs = _decode(tokens.issue(TENANT, "send_sms", other_fp))
    assert len(mine) == len(theirs)
    refusal = await _refusal(tokens, _encode(theirs[:-32] + mine[-32:]), fingerprint=other_fp)
    assert refusal.reason_code == "forged"
    # A payload naming a longer validity, signed with the wrong key: still a forgery.
    stranger = ConfirmationTokens(MemoryStore(), b"x" * 32, 10 * TTL, clock)
    refusal = await _refusal(tokens, stranger.issue(TENANT, "send_sms", FP))
    assert refusal.reason_code == "forged"
    assert "signature" in refusal.message


async def test_truncated_and_extended_tokens_are_refused(tokens: ConfirmationTokens) -> None:
    token = tokens.issue(TENANT, "send_sms", FP)
    for broken in (token[:-1], token[:-4], token[: len(token) // 2], token + "A", token + "AAAA"):
        assert (await _refusal(tokens, broken)).reason_code in {"malformed", "forged"}


async def test_a_non_canonical_spelling_of_the_same_bytes_is_refused(tokens: ConfirmationTokens) -> None:
    token = tokens.issue(TENANT, "send_sms", FP)
    if len(token) % 4 == 0:
        pytest.skip("no spare bits in this token's last character")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    variant = token[:-1] + alphabet[last ^ 1]
    assert _decode(variant) == _decode(token), "same bytes, another spelling"
    assert (await _refusal(tokens, variant)).reason_code == "malformed"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        " ",
        "a",
        "====",
        "not a token",
        "abc!def",
        "é" * 50,
        "токен-подтверждения",
        "\x00" * 100,
        "A" * 10_240,
        "A" * 140,
        base64.urlsafe_b64encode(b"\x01" * 120).rstrip(b"=").decode(),
        None,
        42,
        ["token"],
    ],
)
async def test_malformed_tokens_of_every_kind_are_refused(
    tokens: ConfirmationTokens, garbage: object
) -> None:
    refusal = await _refusal(tokens, garbage)
    assert refusal.reason_code in {"malformed", "forged"}
    assert "re-run the same call without confirmation_token" in refusal.message


def test_construction_refuses_weak_secrets_and_bad_ttls() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        ConfirmationTokens(MemoryStore(), b"short", TTL)
    with pytest.raises(ValueError, match="ttl"):
        ConfirmationTokens(MemoryStore(), SECRET, 0)


def test_tool_names_must_fit_the_token(tokens: ConfirmationTokens) -> None:
    with pytest.raises(ValueError, match="tool name"):
        tokens.issue(TENANT, "x" * 65, FP)
    with pytest.raises(ValueError, match="tool name"):
        tokens.issue(TENANT, "", FP)
