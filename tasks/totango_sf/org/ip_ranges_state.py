"""The org's trusted ranges after the deploy: ours merged in, our stale ones out.

A deploy replaces ``networkAccess`` whole, so what the org holds afterwards is
exactly the merged file. A reported cap on the total of all ranges would apply to
that file; it is unconfirmed, so it is only warned about here (``ip_limits``). Ranges that
carry our description but left the config are removed, so a dropped address
does not stay trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tasks.totango_sf.config.ip_limits import FamilyTotal, totals, totals_warning
from tasks.totango_sf.config.ip_ranges import IpRange
from tasks.totango_sf.config.model import TotangoConfig, TrustedIpRangesConfig
from tasks.totango_sf.merge.security import (
    add_ip_ranges,
    ip_ranges_in,
    missing_ip_ranges,
    remove_ip_ranges,
    stale_ip_ranges,
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

    @property
    def summary(self) -> str:
        text = f"{len(self.ranges)} trusted IP range(s), keeping the org's others"
        if self.stale:
            text += f"; removes {len(self.stale)} stale range(s): " + ", ".join(
                str(r) for r in self.stale
            )
        return text


def merged_security(config: TotangoConfig, retrieved: bytes | None) -> SecurityMerge | None:
    """The Security.settings to deploy, or None when there is nothing to add or remove."""
    settings = config.trusted_ip_ranges
    ranges = settings.ranges()
    before = retrieved if retrieved is not None else EMPTY_SECURITY
    stale = stale_ip_ranges(before, ranges, settings.description)
    if not ranges and not stale:
        return None
    merged = add_ip_ranges(remove_ip_ranges(before, stale), ranges)
    result = SecurityMerge(before, merged, ranges, stale)
    if stale:
        result.warnings.append(
            f"{len(stale)} trusted IP range(s) described {settings.description!r} are no"
            " longer in trusted_ip_ranges.addresses and will be removed: "
            + ", ".join(str(r) for r in stale)
        )
    after = ip_ranges_in(merged)
    result.totals = totals(after)
    over = totals_warning(after, "the org's trusted IP ranges together with ours")
    if over:
        result.warnings.append(over)
    return result


def ip_ranges_drift(settings_xml: bytes, settings: TrustedIpRangesConfig) -> str:
    """What differs in the org's ranges: ours missing, and stale ones of ours present."""
    ranges = settings.ranges()
    missing = missing_ip_ranges(settings_xml, ranges)
    stale = stale_ip_ranges(settings_xml, ranges, settings.description)
    parts = []
    if missing:
        parts.append(
            f"{len(missing)} trusted IP range(s) missing: "
            + ", ".join(f"{r.start}-{r.end}" for r in missing)
        )
    if stale:
        parts.append(
            f"{len(stale)} stale range(s) still trusted (described {settings.description!r},"
            " no longer configured): " + ", ".join(f"{r.start}-{r.end}" for r in stale)
        )
    return "; ".join(parts) or "trusted IP ranges differ"
