"""A reported cap on the total of all trusted IP ranges of an org: unconfirmed, so a warning.

A Winter '26 cap was reported: an org's trusted ranges together at most 16,777,216 IPv4
and 2^99 IPv6 addresses, 10.0.0.0/8 not counted. No public source for it has been found
(Salesforce Help's "Set Trusted IP Ranges for Your Org" as stored, and the docs searched,
state only the per-range limits, which ``ip_ranges`` applies), so ranges over it are
warned about, never refused: offline for ours alone (``plan``), and with the org's own
ranges before a deploy (a deploy replaces the whole range list).

Overlapping ranges are counted once (their union): an address is trusted or not,
however many ranges hold it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from tasks.totango_sf.config.ip_ranges import IpRange

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


UNCONFIRMED = (
    "{where} add up to {over}: over a reported per-org limit of 16,777,216 IPv4 and 2^99"
    " IPv6 trusted addresses (10.0.0.0/8 not counted) that no public Salesforce source"
    " confirms, so nothing is refused for it; if the org refuses the Security settings,"
    " trust fewer addresses"
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


def totals_warning(ranges: Iterable[IpRange], where: str) -> str | None:
    """A warning when a family is over the unconfirmed total, else None."""
    over = [t for t in totals(ranges) if t.over]
    if not over:
        return None
    return UNCONFIRMED.format(where=where, over="; ".join(str(t) for t in over))
