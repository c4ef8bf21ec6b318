"""Trusted IP ranges: parsing, Salesforce's limits, and merging overlaps.

Salesforce stores a trusted range as ``start``/``end`` addresses of one family. It
refuses an IPv4 range wider than 33,554,432 addresses (a /7) and an IPv6 range
wider than a /32 (Salesforce Help, "Set Trusted IP Ranges for Your Org"). The
totals over all ranges may be capped too (unconfirmed); ``ip_limits`` warns about those.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from tasks.totango_sf.errors import BadInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SALESFORCE_MAX_SPAN = {4: 2 ** (32 - 7), 6: 2 ** (128 - 32)}
# Beyond a /16 (IPv4) or a /48 (IPv6, one site's allocation) a trusted range skips
# the login challenge for a large slice of the internet, so it needs an opt-in.
# A /16 rule alone would never fire for IPv6, where a /32 is already allowed.
BROAD_PREFIX = {4: 16, 6: 48}
BROAD_SPAN = {4: 2 ** (32 - BROAD_PREFIX[4]), 6: 2 ** (128 - BROAD_PREFIX[6])}

# RFC 5737 (IPv4) and RFC 3849 (IPv6) documentation blocks: placeholders only.
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
# IPv6 blocks that carry an IPv4 address, so a documentation address written this
# way is still a placeholder: (block, how far the IPv4 address is shifted left).
# RFC 4291 section 2.5.5.2 (``::ffff:a.b.c.d``, IPv4-mapped), RFC 6052 (the NAT64
# well-known prefix ``64:ff9b::/96``) and RFC 3056 (6to4: ``2002:AABB:CCDD::/48``).
IPV4_EMBEDDING = (
    (ipaddress.ip_network("::ffff:0:0/96"), 0),
    (ipaddress.ip_network("64:ff9b::/96"), 0),
    (ipaddress.ip_network("2002::/16"), 80),
)


# Security Implementation Guide, "Restricting Login IP Ranges in the Enhanced Profile User
# Interface": "In ranges, IPv4 addresses exist in the IPv4-mapped IPv6 address space
# ::ffff:0:0 to ::ffff:ffff:ffff, where ::ffff:0:0 is 0.0.0.0 and ::ffff:ffff:ffff is
# 255.255.255.255. A range can't include IP addresses inside of the IPv4-mapped IPv6
# address space if it also includes IP addresses outside of the IPv4-mapped IPv6 address
# space." So ::ffff:a.b.c.d is the IPv4 address a.b.c.d to Salesforce.
MAPPED_RANGE_RULE = (
    "a range holds IPv4 addresses (::ffff:a.b.c.d is the IPv4 address a.b.c.d to"
    " Salesforce) or IPv6 addresses outside ::ffff:0:0/96, never both"
)


def as_salesforce_address(address: IPAddress) -> IPAddress:
    """The address as Salesforce reads it: an IPv4-mapped IPv6 address is IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class IpRangeError(BadInput, ValueError):
    """An address specification that Salesforce would refuse or that we do."""


@dataclass(frozen=True, order=True)
class IpRange:
    start: IPAddress
    end: IPAddress
    description: str = ""

    @property
    def family(self) -> int:
        return self.start.version

    @property
    def size(self) -> int:
        return int(self.end) - int(self.start) + 1

    @property
    def is_broad(self) -> bool:
        return self.size > BROAD_SPAN[self.family]

    @property
    def is_documentation(self) -> bool:
        """Whether any address of the range lies in a documentation block.

        Overlap, not containment: a merged or wider range that holds 192.0.2.0/24
        still sends a placeholder to the org. IPv6 ranges that embed IPv4
        addresses (mapped, NAT64, 6to4) are checked as the IPv4 addresses they
        stand for.
        """
        spans = [(self.family, int(self.start), int(self.end))]
        if self.family == 6:
            spans += [(4, low, high) for low, high in embedded_ipv4(self)]
        return any(
            family == net.version and first <= int(net[-1]) and last >= int(net[0])
            for family, first, last in spans
            for net in DOCUMENTATION_NETWORKS
        )

    def covers(self, other: IpRange) -> bool:
        return (
            self.family == other.family
            and int(self.start) <= int(other.start)
            and int(other.end) <= int(self.end)
        )

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"


def embedded_ipv4(rng: IpRange) -> list[tuple[int, int]]:
    """The IPv4 spans an IPv6 range stands for, through each embedding it overlaps."""
    spans = []
    for block, shift in IPV4_EMBEDDING:
        first, last = int(block[0]), int(block[-1])
        low, high = max(int(rng.start), first), min(int(rng.end), last)
        if low > high:
            continue
        if high - low >= 1 << (shift + 32):
            spans.append((0, 2**32 - 1))  # wraps every IPv4 address
        else:
            spans.append(
                (((low - first) >> shift) & 0xFFFFFFFF, ((high - first) >> shift) & 0xFFFFFFFF)
            )
    return spans


def make_range(start: str, end: str, description: str = "") -> IpRange:
    """A range from two address strings, checked against Salesforce's rules."""
    for text in (start, end):
        if "%" in text:
            # Python accepts "fe80::1%eth0" (RFC 4007 zone id); a trusted range is
            # org-wide and has no interface, so the address would not mean anything.
            raise IpRangeError(
                f"{text.strip()!r} carries a zone id ('%...'); a trusted range takes"
                " plain addresses"
            )
    try:
        first = as_salesforce_address(ipaddress.ip_address(start.strip()))
        last = as_salesforce_address(ipaddress.ip_address(end.strip()))
    except ValueError as exc:
        raise IpRangeError(str(exc)) from None
    if first.version != last.version:
        raise IpRangeError(
            f"{start.strip()} and {end.strip()} are not the same IP family: {MAPPED_RANGE_RULE}"
        )
    if int(first) > int(last):
        raise IpRangeError(f"range start {start} is after its end {end}")
    rng = IpRange(first, last, description)
    if rng.size > SALESFORCE_MAX_SPAN[rng.family]:
        limit = "/7 (33,554,432 addresses)" if rng.family == 4 else "/32"
        raise IpRangeError(f"{rng} is wider than Salesforce allows for one range: {limit}")
    return rng


def parse_address_spec(spec: str, description: str = "") -> IpRange:
    """``1.2.3.4``, ``1.2.3.4-1.2.3.9`` or ``1.2.3.0/24`` (IPv4 or IPv6)."""
    text = spec.strip()
    if not text:
        raise IpRangeError("empty address")
    if "-" in text:
        start, _, end = text.partition("-")
        return make_range(start, end, description)
    if "/" in text:
        try:
            net = ipaddress.ip_network(text, strict=True)
        except ValueError as exc:
            raise IpRangeError(str(exc)) from None
        return make_range(str(net[0]), str(net[-1]), description)
    return make_range(text, text, description)


def merge_ranges(ranges: Iterable[IpRange]) -> list[IpRange]:
    """Duplicates, overlaps and adjacent ranges of one family become one range.

    Two ranges stay apart when joining them would exceed Salesforce's span limit.

    The description of the earliest-starting range in a merged group is kept.
    """
    ordered = sorted(ranges, key=lambda r: (r.family, int(r.start), int(r.end)))
    merged: list[IpRange] = []
    for rng in ordered:
        last = merged[-1] if merged else None
        if last and last.family == rng.family and int(rng.start) <= int(last.end) + 1:
            if int(rng.end) <= int(last.end):
                continue
            joined = IpRange(last.start, rng.end, last.description)
            # Joining must not build a range Salesforce would refuse.
            if joined.size <= SALESFORCE_MAX_SPAN[joined.family]:
                merged[-1] = joined
                continue
        merged.append(rng)
    return merged
