"""IP keys: canonical text and the range an address is in."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalpernet.identifiers.ip import IPV4_RANGES, parse_ip


@pytest.mark.parametrize(
    ("raw", "key", "version", "private", "rng"),
    [
        ("8.8.8.8", "8.8.8.8", 4, False, "public"),
        (" 8.8.8.8 ", "8.8.8.8", 4, False, "public"),
        ("8.8.8.8:51234", "8.8.8.8", 4, False, "public"),
        ("10.1.2.3", "10.1.2.3", 4, True, "private"),
        ("172.16.0.1", "172.16.0.1", 4, True, "private"),
        ("192.168.1.1", "192.168.1.1", 4, True, "private"),
        ("100.64.0.1", "100.64.0.1", 4, True, "cgnat"),
        ("100.127.255.254", "100.127.255.254", 4, True, "cgnat"),
        ("127.0.0.1", "127.0.0.1", 4, True, "loopback"),
        ("169.254.1.1", "169.254.1.1", 4, True, "link_local"),
        ("0.0.0.0", "0.0.0.0", 4, True, "unspecified"),
        ("224.0.0.1", "224.0.0.1", 4, True, "multicast"),
        ("240.0.0.1", "240.0.0.1", 4, True, "reserved"),
        ("203.0.113.7", "203.0.113.7", 4, False, "documentation"),
        ("2001:DB8:0:0::1", "2001:db8::1", 6, False, "documentation"),
        ("[2400:3200::1]:443", "2400:3200::1", 6, False, "public"),
        ("::1", "::1", 6, True, "loopback"),
        ("fd00::1", "fd00::1", 6, True, "private"),
        ("fe80::1", "fe80::1", 6, True, "link_local"),
        ("::ffff:8.8.4.4", "8.8.4.4", 4, False, "public"),
    ],
)
def test_known_addresses(raw: str, key: str, version: int, private: bool, rng: str) -> None:
    ip = parse_ip(raw)
    assert ip is not None
    assert (ip.key, ip.version, ip.private, ip.range) == (key, version, private, rng)


@pytest.mark.parametrize("raw", ["", "localhost", "1.2.3", "256.1.1.1", "010.1.1.1",
                                 "1.2.3.4.5", "'; MATCH (n) DETACH DELETE n //", "::g"])
def test_invalid_text_is_none(raw: str) -> None:
    assert parse_ip(raw) is None


@given(st.ip_addresses())
def test_key_is_the_ipaddress_canonical_form(
    addr: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    ip = parse_ip(addr.exploded.upper())
    assert ip is not None
    expected = addr.ipv4_mapped if addr.version == 6 and addr.ipv4_mapped else addr
    assert ip.key == str(expected)
    assert ip.private == (ip.range not in ("public", "documentation"))
    assert parse_ip(ip.key) == ip  # the key parses to itself


@given(st.text(max_size=40))
def test_never_raises(raw: str) -> None:
    ip = parse_ip(raw)
    assert ip is None or str(ipaddress.ip_address(ip.key)) == ip.key


def _reference_range(addr: ipaddress.IPv4Address) -> str:
    for start, end, rng in IPV4_RANGES:
        net = ipaddress.summarize_address_range(ipaddress.IPv4Address(start),
                                                ipaddress.IPv4Address(end))
        if any(addr in n for n in net):
            return rng
    return "public"


@given(st.ip_addresses(v=4))
def test_fast_ipv4_path_agrees_with_ipaddress(addr: ipaddress.IPv4Address) -> None:
    ip = parse_ip(str(addr))
    assert ip is not None
    assert ip.key == str(addr)
    assert ip.range == _reference_range(addr)


@pytest.mark.parametrize("edge", ["9.255.255.255", "11.0.0.0", "100.63.255.255",
                                  "100.128.0.0", "172.15.255.255", "172.32.0.0",
                                  "223.255.255.255", "255.255.255.255"])
def test_range_boundaries(edge: str) -> None:
    addr = ipaddress.IPv4Address(edge)
    ip = parse_ip(edge)
    assert ip is not None and ip.range == _reference_range(addr)
