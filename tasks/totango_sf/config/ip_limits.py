"""Salesforce's cap on the total of all trusted IP ranges of an org.

Since Winter '26 an org's trusted ranges may add up to at most 16,777,216 IPv4
addresses and 2^99 IPv6 addresses; addresses in 10.0.0.0/8 are not counted
(Salesforce Help, "Set Trusted IP Ranges for Your Org"). A deploy replaces the
whole range list, so the cap applies to the org's ranges and ours together:
checked offline for ours alone, and against the retrieved Security.settings
before a deploy sends anything.

Overlapping ranges are counted once (their union): an address is trusted or not,
however many ranges hold it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from tasks.totango_sf.config.ip_ranges import IpRange
from tasks.totango_sf.errors import BadInput

TOTAL_LIMIT = {4: 16_777_216, 6: 2**99}
NOT_COUNTED = (ipaddress.ip_network("10.0.0.0/8"),)
FAMILY_NAME = {4: "IPv4", 6: "IPv6"}


@dataclass(frozen=True)
class FamilyTotal:
    family: int
    addresses: int
    limit: int

    @property
    def over(self) -> bool:
        return self.addresses > self.limit

    def __str__(self) -> str:
        name = FAMILY_NAME[self.family]
        return f"{name} {self.addresses:,} of at most {self.limit:,} addresses"

    def to_json(self) -> dict[str, int | str | bool]:
        # IPv6 figures exceed JSON's safe integers; strings keep them exact.
        return {
            "family": FAMILY_NAME[self.family],
            "addresses": str(self.addresses),
            "limit": str(self.limit),
            "over": self.over,
        }


class IpTotalsExceeded(BadInput, ValueError):
    """The ranges add up to more addresses than Salesforce allows in one org."""

    def __init__(self, totals: list[FamilyTotal], where: str):
        self.totals = totals
        over = "; ".join(str(t) for t in totals if t.over)
        super().__init__(
            f"{where} add up to more trusted addresses than Salesforce allows per org"
            f" (10.0.0.0/8 not counted): {over}"
        )


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _counted(first: int, last: int, family: int) -> int:
    size = last - first + 1
    for net in NOT_COUNTED:
        if net.version != family:
            continue
        low, high = max(first, int(net[0])), min(last, int(net[-1]))
        if low <= high:
            size -= high - low + 1
    return size


def totals(ranges: Iterable[IpRange]) -> list[FamilyTotal]:
    """Counted addresses per family (both families always listed)."""
    spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
    for rng in ranges:
        spans[rng.family].append((int(rng.start), int(rng.end)))
    return [
        FamilyTotal(
            family,
            sum(_counted(first, last, family) for first, last in _union(spans[family])),
            TOTAL_LIMIT[family],
        )
        for family in (4, 6)
    ]


def check_totals(ranges: Iterable[IpRange], where: str) -> list[FamilyTotal]:
    """The totals; raises ``IpTotalsExceeded`` when a family is over its cap."""
    counted = totals(ranges)
    if any(t.over for t in counted):
        raise IpTotalsExceeded(counted, where)
    return counted
