"""Client IP addresses: the canonical key and which kind of range the address is in.

One IP booking for hundreds of different ID numbers is a classic scalper signal, but hospital
Wi-Fi and carrier NAT put honest patients behind one address too. ``range`` tells detection
which addresses are not a single client's public address.

Ranges (first match wins): ``unspecified``, ``loopback``, ``link_local``, ``multicast``,
``cgnat`` (100.64.0.0/10, carrier-grade NAT: many subscribers), ``private`` (RFC 1918,
fc00::/7 unique-local), ``documentation`` (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
2001:db8::/32), ``reserved`` (any other non-global range), ``public``.
``private`` is true for every range except ``public`` and ``documentation``: documentation
ranges never occur on the Internet, so they stand in for public addresses in examples and
synthetic data and must be treated like them.

Invalid IP text is not a reason to quarantine a registration: the record keeps the raw text
and a ``bad_ip`` flag, and simply has no IP link.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

Range = Literal[
    "public", "private", "cgnat", "loopback", "link_local", "multicast", "unspecified",
    "documentation", "reserved",
]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_DOCUMENTATION = (
    ipaddress.ip_network("192.0.2.0/24"),
    ipaddress.ip_network("198.51.100.0/24"),
    ipaddress.ip_network("203.0.113.0/24"),
    ipaddress.ip_network("2001:db8::/32"),
)
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_RFC1918 = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
)


@dataclass(frozen=True, slots=True)
class Ip:
    """One client address: canonical ``key``, ``version`` (4 or 6), ``private``, ``range``."""

    key: str
    version: Literal[4, 6]
    private: bool
    range: Range


def _range(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Range:
    if addr.is_unspecified:
        return "unspecified"
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link_local"
    if addr.is_multicast:
        return "multicast"
    if addr.version == 4 and addr in _CGNAT:
        return "cgnat"
    if (addr.version == 4 and any(addr in n for n in _RFC1918)) or (
        addr.version == 6 and addr in _UNIQUE_LOCAL
    ):
        return "private"
    if any(addr.version == n.version and addr in n for n in _DOCUMENTATION):
        return "documentation"
    if addr.is_global:
        return "public"
    return "reserved"


def _strip_port(text: str) -> str:
    if text.startswith("["):  # [2001:db8::1]:443
        end = text.find("]")
        return text[1:end] if end > 0 else text
    if text.count(":") == 1 and "." in text:  # 203.0.113.7:51234
        return text.split(":", 1)[0]
    return text


def parse_ip(raw: str) -> Ip | None:
    """Key one IP address, or ``None`` when the text is not an address.

    A port (``1.2.3.4:80``, ``[::1]:80``) is dropped, and an IPv4-mapped IPv6 address
    (``::ffff:1.2.3.4``) becomes its IPv4 address so that one client is one key. IPv4 with
    leading zeros (``010.1.1.1``) is refused: octal and decimal readings differ.
    """
    text = _strip_port(raw.strip())
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:  # type: ignore[union-attr]
        addr = addr.ipv4_mapped  # type: ignore[union-attr]
    rng = _range(addr)
    return Ip(str(addr), addr.version, rng not in ("public", "documentation"), rng)
