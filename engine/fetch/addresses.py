"""Which IP addresses the fetcher may connect to.

By default only globally routable unicast addresses are allowed. Everything an attacker could use
to reach the inside of a network is refused: private, loopback, link-local (cloud metadata at
169.254.169.254 included), shared CGNAT space, multicast, reserved, unspecified, IPv6 unique-local
and site-local, and the IPv6 forms that embed an IPv4 address (IPv4-mapped, IPv4-compatible,
NAT64, 6to4, Teredo), which are judged by the address they embed. The node's own interface
addresses are refused too: a public address of this machine reaches services bound to 0.0.0.0 on
it. An explicit allowlist of host names, addresses and networks (each optionally ``:port``)
exists for tests and private deployments.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_IPV4_COMPAT = ipaddress.ip_network("::/96")
# IANA special-purpose blocks, listed as well so that the verdict does not depend on the
# Python version's idea of is_global.
_SPECIAL = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "240.0.0.0/4", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7",
))


def parse_ip(text: str) -> IPAddress | None:
    """The address written in ``text`` (brackets and IPv6 zone ids accepted), or None."""
    text = text.strip().strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _IPV4_COMPAT and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def blocked_category(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be reached ('loopback', 'private', ...), or None when it is public."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        why = blocked_category(inner)
        return f"{why} (embedded in {ip})" if why else None
    if ip.version == 6 and ip in _NAT64_LOCAL:
        return "nat64 local-use"
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("shared address space", ip.version == 4 and ip in _CGNAT),
        ("reserved", ip.is_reserved),
        ("site-local", ip.version == 6 and ip.is_site_local),
        ("special-purpose", any(ip.version == n.version and ip in n for n in _SPECIAL)),
    )
    for name, hit in checks:
        if hit:
            return name
    if not ip.is_global:
        return "not globally routable"
    return None


def node_addresses() -> frozenset[IPAddress]:
    """The addresses of this machine's own network interfaces (psutil), read once per call."""
    found: set[IPAddress] = set()
    for entries in psutil.net_if_addrs().values():
        for entry in entries:
            if entry.family in (socket.AF_INET, socket.AF_INET6):
                ip = parse_ip(entry.address)
                if ip is not None:
                    found.add(ip)
    return frozenset(found)


def _split_port(entry: str) -> tuple[str, int | None]:
    """``host:port``, ``[v6]:port``, ``a.b.c.d:port`` -> (host, port); no port -> (entry, None).
    A bare IPv6 address or network (``::1``, ``fd00::/8``) has no port."""
    if entry.startswith("["):
        inside, _, rest = entry[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            return inside, int(rest[1:])
        return inside, None
    host, sep, port = entry.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host, int(port)
    return entry, None


@dataclass(frozen=True)
class AddressPolicy:
    """Decides whether a resolved address may be connected to.

    ``allow`` lists host names, IP addresses and CIDR networks that are reachable even though
    they are not public (for tests: ``127.0.0.1``); an entry may end in ``:port`` to open that
    port only (``10.0.0.5:8080``, ``[::1]:8443``, ``internal.example:443``). A host name on the
    list allows whatever it resolves to; an address or network allows exactly those addresses.
    ``own`` are this node's interface addresses, refused unless the allowlist names them.
    """

    hosts: frozenset[tuple[str, int | None]] = frozenset()
    networks: tuple[tuple[IPNetwork, int | None], ...] = ()
    own: frozenset[IPAddress] = frozenset()

    @classmethod
    def from_allowlist(cls, allow: Iterable[str] = (), refuse_own: bool = True) -> AddressPolicy:
        """The policy for an allowlist; ``refuse_own`` also refuses this node's addresses."""
        hosts: set[tuple[str, int | None]] = set()
        networks: list[tuple[IPNetwork, int | None]] = []
        for raw in allow:
            entry = raw.strip().lower()
            if not entry:
                continue
            name, port = _split_port(entry)
            ip = parse_ip(name)
            if ip is not None:
                networks.append((ipaddress.ip_network(ip), port))
                continue
            try:
                networks.append((ipaddress.ip_network(name, strict=False), port))
            except ValueError:
                hosts.add((name.rstrip("."), port))
        return cls(frozenset(hosts), tuple(networks), node_addresses() if refuse_own else frozenset())

    def host_allowed(self, host: str, port: int | None = None) -> bool:
        """True when ``host`` (a name), on ``port`` if given, is on the allowlist."""
        host = host.lower().rstrip(".")
        return (host, None) in self.hosts or (port is not None and (host, port) in self.hosts)

    def refusal(self, ip: IPAddress, host: str = "", port: int | None = None) -> str | None:
        """None when ``ip`` (resolved from ``host``, dialled on ``port``) may be reached, else
        why not."""
        if host and self.host_allowed(host, port):
            return None
        for net, net_port in self.networks:
            if ip.version == net.version and ip in net and net_port in (None, port):
                return None
        why = blocked_category(ip)
        if why is None and ip in self.own:
            return "this node's own address"
        return why
