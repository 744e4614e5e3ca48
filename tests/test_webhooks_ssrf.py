"""The SSRF guard's verdicts, address by address, and per host (every address it resolves to).

Only classification here: no connection is made to any of these addresses. The guard on a real
connection (loopback refused, allowed in sandbox, the checked address connected to) is in
test_webhooks_delivery.py.
"""

from __future__ import annotations

import ipaddress

import pytest

from letexto_mcp.webhooks.ssrf import AddressPolicy, TargetRefused, address_kind, checked_addresses

pytestmark = pytest.mark.anyio

REFUSED = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "::1": "loopback",
    "10.0.0.1": "private",
    "172.16.5.4": "private",
    "192.168.1.1": "private",
    "fc00::1": "private",
    "fd12:3456::1": "private",
    "169.254.169.254": "link-local",  # cloud metadata
    "fe80::1": "link-local",
    "100.64.0.1": "shared (CGNAT)",
    "100.127.255.254": "shared (CGNAT)",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "::ffff:127.0.0.1": "loopback",  # IPv4-mapped
    "::ffff:10.1.2.3": "private",
    "64:ff9b::a9fe:a9fe": "link-local",  # NAT64 of 169.254.169.254
    "2002:c0a8:0101::1": "private",  # 6to4 of 192.168.1.1
    "240.0.0.1": "reserved",
    "192.0.2.10": "private",  # documentation range: not routable either
}
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "2a00:1450:4007:80f::200e", "::ffff:8.8.4.4"]


@pytest.mark.parametrize(("address", "kind"), sorted(REFUSED.items()))
def test_non_public_addresses_are_named(address: str, kind: str) -> None:
    assert address_kind(ipaddress.ip_address(address)) == kind
    assert AddressPolicy().refusal(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert address_kind(ipaddress.ip_address(address)) is None
    assert AddressPolicy().refusal(ipaddress.ip_address(address)) is None


def test_sandbox_allows_loopback_only_and_the_setting_allows_the_private_network() -> None:
    sandbox, private = AddressPolicy(allow_loopback=True), AddressPolicy(allow_private=True)
    verdicts = {
        address: (
            sandbox.refusal(ipaddress.ip_address(address)),
            private.refusal(ipaddress.ip_address(address)),
        )
        for address in ["127.0.0.1", "::1", "10.0.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "ff02::1"]
    }
    assert verdicts == {
        "127.0.0.1": (None, None),
        "::1": (None, None),
        "10.0.0.1": ("private", None),
        "169.254.169.254": ("link-local", None),
        "100.64.0.1": ("shared (CGNAT)", None),
        "0.0.0.0": ("unspecified", "unspecified"),  # never a receiver, whatever the setting
        "ff02::1": ("multicast", "multicast"),
    }


def _resolver(answers: dict[str, list[str]], calls: list[str]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[host]

    return resolve


async def test_a_host_is_refused_when_any_of_its_addresses_is() -> None:
    calls: list[str] = []
    resolver = _resolver(
        {"mixed.example": ["93.184.215.14", "10.0.0.7"], "ok.example": ["93.184.215.14"]}, calls
    )
    with pytest.raises(
        TargetRefused, match=r"mixed.example resolves to 10.0.0.7, a private address; .*ALLOW_PRIVATE"
    ):
        await checked_addresses("mixed.example", 443, AddressPolicy(), resolver)
    assert await checked_addresses("ok.example", 443, AddressPolicy(), resolver) == [
        ipaddress.ip_address("93.184.215.14")
    ]
    assert calls == ["mixed.example", "ok.example"], "resolved once per check"


async def test_address_literals_are_checked_without_resolving() -> None:
    calls: list[str] = []
    with pytest.raises(TargetRefused, match=r"refused: 169.254.169.254, a link-local address"):
        await checked_addresses("169.254.169.254", 80, AddressPolicy(), _resolver({}, calls))
    with pytest.raises(TargetRefused, match="never a webhook receiver"):
        await checked_addresses("0.0.0.0", 80, AddressPolicy(allow_private=True), _resolver({}, calls))
    assert calls == []


async def test_the_system_resolver_finds_localhost_and_the_guard_refuses_it() -> None:
    from letexto_mcp.webhooks.ssrf import system_resolver

    with pytest.raises(TargetRefused, match=r"localhost resolves to (127\.0\.0\.1|::1), a loopback address"):
        await checked_addresses("localhost", 80, AddressPolicy(), system_resolver)
