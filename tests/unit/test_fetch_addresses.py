"""The address policy over a table of addresses. No traffic: only parsing and classification."""

import asyncio
import ipaddress

import pytest

from engine.fetch.addresses import AddressPolicy, blocked_category, embedded_ipv4, node_addresses
from engine.fetch.resolve import FetchError, Resolver

BLOCKED = [
    ("127.0.0.1", "loopback"),
    ("127.0.0.2", "loopback"),
    ("127.255.255.254", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("169.254.0.1", "link-local"),
    ("100.64.0.1", "shared address space"),
    ("100.127.255.254", "shared address space"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "private"),  # "this network"
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", ""),  # reserved (Python calls it private too)
    ("255.255.255.255", "private"),  # broadcast
    ("192.0.0.8", ""),  # IETF protocol assignments
    ("192.0.2.1", "private"),  # TEST-NET-1
    ("198.18.0.1", "private"),  # benchmarking
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private"),  # unique local
    ("fd12:3456:789a::1", "private"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("2001:db8::1", "private"),  # documentation
    ("::ffff:127.0.0.1", "loopback (embedded"),  # IPv4-mapped
    ("::ffff:169.254.169.254", "link-local (embedded"),
    ("::ffff:10.0.0.1", "private (embedded"),
    ("::127.0.0.1", "loopback (embedded"),  # IPv4-compatible (deprecated)
    ("64:ff9b::7f00:1", "loopback (embedded"),  # NAT64 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", "link-local (embedded"),  # NAT64 of 169.254.169.254
    ("64:ff9b:1::1", "nat64 local-use"),
    ("2002:7f00:1::", "loopback (embedded"),  # 6to4 of 127.0.0.1
    ("2002:a9fe:a9fe::1", "link-local (embedded"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback (embedded"),  # Teredo, client 127.0.0.1
]

PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8",
          "64:ff9b::808:808", "2002:808:808::1"]


@pytest.mark.parametrize("text, why", BLOCKED)
def test_blocked_addresses(text, why):
    ip = ipaddress.ip_address(text)
    got = blocked_category(ip)
    assert got is not None and got.startswith(why), got
    assert AddressPolicy().refusal(ip) is not None


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_pass(text):
    assert blocked_category(ipaddress.ip_address(text)) is None


def test_embedded_ipv4_forms():
    assert str(embedded_ipv4(ipaddress.ip_address("::ffff:1.2.3.4"))) == "1.2.3.4"
    assert str(embedded_ipv4(ipaddress.ip_address("64:ff9b::102:304"))) == "1.2.3.4"
    assert str(embedded_ipv4(ipaddress.ip_address("2002:102:304::"))) == "1.2.3.4"
    assert embedded_ipv4(ipaddress.ip_address("1.2.3.4")) is None
    assert embedded_ipv4(ipaddress.ip_address("::1")) is None


def test_allowlist_by_address_network_and_name():
    policy = AddressPolicy.from_allowlist(["127.0.0.1", "10.1.0.0/16", "Internal.Example."])
    assert policy.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert policy.refusal(ipaddress.ip_address("127.0.0.2")) is not None  # exactly that address
    assert policy.refusal(ipaddress.ip_address("::ffff:127.0.0.1")) is not None
    assert policy.refusal(ipaddress.ip_address("10.1.200.3")) is None
    assert policy.refusal(ipaddress.ip_address("10.2.0.1")) is not None
    assert policy.refusal(ipaddress.ip_address("192.168.0.9"), "internal.example") is None
    assert policy.refusal(ipaddress.ip_address("192.168.0.9"), "other.example") is not None
    assert policy.refusal(ipaddress.ip_address("169.254.169.254")) is not None


def resolve(policy, host):
    return asyncio.run(Resolver(policy).target(host, 80))


@pytest.mark.parametrize("host", ["127.0.0.1", "0x7f.1", "2130706433", "017700000001",
                                  "localhost", "[::1]", "169.254.169.254", "0.0.0.0"])
def test_numeric_and_local_hosts_are_refused_after_resolution(host):
    with pytest.raises(FetchError) as err:
        resolve(AddressPolicy(), host.strip("[]"))
    assert err.value.reason == "blocked_address"


def test_allowlisted_loopback_resolves_to_the_checked_address():
    target = resolve(AddressPolicy.from_allowlist(["127.0.0.1"]), "localhost")
    assert str(target.ip) == "127.0.0.1" and target.host == "localhost"


def test_unresolvable_name_is_a_dns_failure():
    with pytest.raises(FetchError) as err:
        resolve(AddressPolicy(), "no-such-host.invalid")
    assert err.value.reason == "dns"


def test_node_own_addresses_are_refused_by_default():
    own = node_addresses()
    assert ipaddress.ip_address("127.0.0.1") in own  # psutil sees the interfaces
    assert AddressPolicy.from_allowlist([]).own == own
    # a public address of this node (made up here: no address is dialled) is refused ...
    public = ipaddress.ip_address("8.8.4.4")
    policy = AddressPolicy(own=own | {public})
    assert policy.refusal(public) == "this node's own address"
    assert policy.refusal(ipaddress.ip_address("127.0.0.1")) == "loopback"  # the sharper reason
    assert policy.refusal(ipaddress.ip_address("8.8.8.8")) is None
    # ... unless the allowlist names it
    listed = AddressPolicy.from_allowlist(["8.8.4.4"])
    assert AddressPolicy(listed.hosts, listed.networks, own | {public}).refusal(public) is None
    assert AddressPolicy.from_allowlist([], refuse_own=False).own == frozenset()


def test_allowlist_entries_may_name_a_port():
    policy = AddressPolicy.from_allowlist(["127.0.0.1:8080", "[::1]:8443", "Internal.Example:443",
                                           "10.0.0.0/8", "::1"])
    ip = ipaddress.ip_address
    assert policy.refusal(ip("127.0.0.1"), port=8080) is None
    assert policy.refusal(ip("127.0.0.1"), port=8081) is not None
    assert policy.refusal(ip("127.0.0.1")) is not None  # no port given: not the listed one
    assert policy.refusal(ip("::1"), port=9) is None  # the bare ::1 entry opens every port
    six = AddressPolicy.from_allowlist(["[::1]:8443"])
    assert six.refusal(ip("::1"), port=8443) is None and six.refusal(ip("::1"), port=80)
    assert policy.refusal(ip("192.168.1.1"), "internal.example", 443) is None
    assert policy.refusal(ip("192.168.1.1"), "internal.example", 80) is not None
    assert policy.refusal(ip("10.9.9.9"), port=1) is None
