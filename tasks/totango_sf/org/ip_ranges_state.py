"""The org's trusted ranges after the deploy: ours merged in, our stale ones out.

A deploy replaces ``networkAccess`` whole, so what the org holds afterwards is
exactly the merged file. A reported cap on the total of all ranges would apply to
that file; it is unconfirmed, so it is only warned about here (``ip_limits``). Ranges of
ours that left the config are removed, so a dropped address does not stay trusted.

Ours are the ranges a deploy added (or adopted), as recorded (``state/ownership.py``);
a range carrying our description that no deploy added is an admin's, made by hand:
it stays as it is, and the plan says so. With ``adopt`` such ranges become ours: kept
while configured, removed as stale when not (a rollback gives them back).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tasks.totango_sf.config.ip_limits import FamilyTotal, totals, totals_warning
from tasks.totango_sf.config.ip_ranges import IpRange
from tasks.totango_sf.config.model import TotangoConfig, TrustedIpRangesConfig
from tasks.totango_sf.merge.security import (
    RangeKey,
    add_ip_ranges,
    hand_made_ranges,
    ip_ranges_in,
    missing_ip_ranges,
    owned_stale_ranges,
    range_key,
    remove_ip_ranges,
)

EMPTY_SECURITY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<SecuritySettings xmlns="http://soap.sforce.com/2006/04/metadata"/>\n'
)


@dataclass
class SecurityMerge:
    before: bytes
    merged: bytes
    ranges: list[IpRange]
    stale: list[IpRange]
    totals: list[FamilyTotal] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)
    # Ours after this deploy: the ranges it adds, and the hand-made ones it adopts.
    created: list[IpRange] = field(default_factory=list)
    adopted: list[IpRange] = field(default_factory=list)
    # Carrying our description, made by hand, and left as they are.
    hand_made: list[IpRange] = field(default_factory=list)

    @property
    def summary(self) -> str:
        text = f"{len(self.ranges)} trusted IP range(s), keeping the org's others"
        if self.stale:
            text += f"; removes {len(self.stale)} stale range(s): " + ", ".join(
                str(r) for r in self.stale
            )
        if self.adopted:
            text += f"; adopts {len(self.adopted)} range(s) made by hand"
        elif self.hand_made:
            text += f"; leaves {len(self.hand_made)} range(s) made by hand"
        return text


def merged_security(
    config: TotangoConfig,
    retrieved: bytes | None,
    owned: Mapping[RangeKey, str] | None = None,
    adopt: bool = False,
) -> SecurityMerge | None:
    """The Security.settings to deploy, or None when there is nothing to add, remove or
    say. ``owned``: the ranges of ours (``state/ownership.py``)."""
    settings = config.trusted_ip_ranges
    ranges = settings.ranges()
    before = retrieved if retrieved is not None else EMPTY_SECURITY
    owned_keys = set(owned or {})
    hand = hand_made_ranges(before, settings.description, owned_keys)
    if adopt:
        owned_keys |= {range_key(r) for r in hand}
    stale = owned_stale_ranges(before, ranges, owned_keys)
    if not ranges and not stale and not hand:
        return None
    merged = add_ip_ranges(remove_ip_ranges(before, stale), ranges)
    had = {range_key(r) for r in ip_ranges_in(before)}
    created = [r for r in ip_ranges_in(merged) if range_key(r) not in had]
    result = SecurityMerge(
        before, merged, ranges, stale, created=created, adopted=hand if adopt else []
    )
    result.hand_made = [] if adopt else hand
    if stale:
        result.warnings.append(
            f"{len(stale)} trusted IP range(s) of ours (added by an earlier deploy) are no"
            " longer in trusted_ip_ranges.addresses and will be removed (stale): "
            + ", ".join(str(r) for r in stale)
        )
    for rng in hand:
        how = "adopting it" if adopt else "leaving it"
        result.warnings.append(
            f"found an existing range described {rng.description!r} made by hand: {how}"
            f" ({rng.start}-{rng.end})"
        )
    after = ip_ranges_in(merged)
    result.totals = totals(after)
    over = totals_warning(after, "the org's trusted IP ranges together with ours")
    if over:
        result.warnings.append(over)
    return result


def ip_ranges_drift(
    settings_xml: bytes,
    settings: TrustedIpRangesConfig,
    owned: Mapping[RangeKey, str] | None = None,
) -> str:
    """What differs in the org's ranges: ours missing, and stale ones of ours present."""
    ranges = settings.ranges()
    missing = missing_ip_ranges(settings_xml, ranges)
    stale = owned_stale_ranges(settings_xml, ranges, set(owned or {}))
    parts = []
    if missing:
        parts.append(
            f"{len(missing)} trusted IP range(s) missing: "
            + ", ".join(f"{r.start}-{r.end}" for r in missing)
        )
    if stale:
        parts.append(
            f"{len(stale)} stale range(s) of ours still trusted (no longer configured): "
            + ", ".join(f"{r.start}-{r.end}" for r in stale)
        )
    return "; ".join(parts) or "trusted IP ranges differ"
