"""The SSRF guard: a webhook goes to a public address, never into the server's own network.

Whoever sets LETEXTO_WEBHOOK_URLS could otherwise make the server POST to its cloud's metadata
service (169.254.169.254), an admin port on loopback or a database on the private network. The
target's host is resolved once per attempt, every address it resolves to is checked, and the
connection is then made to the checked address itself (see `delivery`): a DNS answer that changes
between the check and the connection (DNS rebinding) cannot take the request elsewhere.

Refused: loopback, private (RFC 1918, IPv6 ULA), link-local, shared/CGNAT (100.64.0.0/10),
multicast, unspecified and reserved addresses, in IPv4 and IPv6, IPv4 addresses embedded in IPv6
(mapped, NAT64, 6to4, Teredo) judged as IPv4. LETEXTO_WEBHOOK_ALLOW_PRIVATE=1 allows all but
multicast and unspecified (never a receiver); sandbox mode allows loopback only.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Host and port to the addresses to try, in order (the system resolver unless tests give their own)."""

SETTING = "LETEXTO_WEBHOOK_ALLOW_PRIVATE"
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NEVER = frozenset({"multicast", "unspecified"})


class TargetRefused(Exception):
    """The target resolves to an address the SSRF guard forbids: no request was made."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def address_kind(address: IPAddress) -> str | None:
    """What makes an address non-public ("loopback", "private", ...), or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_kind(embedded)
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_multicast:
        return "multicast"
    if address.is_link_local:
        return "link-local"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "shared (CGNAT)"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "reserved"
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public addresses a webhook may still reach."""

    allow_private: bool = False
    allow_loopback: bool = False

    def refusal(self, address: IPAddress) -> str | None:
        """Why `address` is refused (its kind), or None when a webhook may go there."""
        kind = address_kind(address)
        if kind is None:
            return None
        if kind in _NEVER:
            return kind
        if self.allow_private or (kind == "loopback" and self.allow_loopback):
            return None
        return kind


async def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver, without repeats, in its order."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]  # an IPv6 zone id is no part of the address
        if address not in found:
            found.append(address)
    return found


async def checked_addresses(
    host: str, port: int, policy: AddressPolicy, resolver: Resolver
) -> list[IPAddress]:
    """The addresses to connect to for `host`, all allowed; TargetRefused if any one is not.

    One refused address refuses the host: a name that resolves both to a public address and into
    the private network is not one to send to.
    """
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(found) for found in await resolver(host, port)]
    if not addresses:
        raise OSError(f"{host} has no address")
    for address in addresses:
        reason = policy.refusal(address)
        if reason is not None:
            where = str(address) if str(address) == host else f"{host} resolves to {address}"
            hint = (
                "never a webhook receiver"
                if reason in _NEVER
                else f"webhooks go to public addresses unless {SETTING}=1"
            )
            raise TargetRefused(f"refused: {where}, a {reason} address; {hint}")
    return addresses
