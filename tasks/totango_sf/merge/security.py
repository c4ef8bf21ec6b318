"""Trusted IP ranges merged into an existing Security.settings.

A deploy replaces ``networkAccess`` whole, and an empty one deletes every range,
so the current file is always read first: every existing range, setting and
unknown (older API) element is kept, and ours are added only where no existing
range already covers them.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable, Sequence

from lxml import etree

from tasks.totango_sf.config.ip_ranges import IpRange, as_salesforce_address
from tasks.totango_sf.merge.merge_errors import MergeRefused
from tasks.totango_sf.metadata.order import ensure_child, insert_all_in_schema_order
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.xml import canonical_bytes, parse_metadata_root, sibling_tag
from tasks.totango_sf.render.files import render_xml

ROOT_TYPE = "SecuritySettings"


class SecurityPatchError(MergeRefused, ValueError):
    """The file is not a Security.settings this patch can edit."""


def _root(settings_xml: bytes) -> etree._Element:
    return parse_metadata_root(settings_xml, ROOT_TYPE, "Security.settings", SecurityPatchError)


def _range_elements(root: etree._Element) -> list[etree._Element]:
    network = root.find(sibling_tag(root, "networkAccess"))
    return [] if network is None else network.findall(sibling_tag(root, "ipRanges"))


def _parse_existing(element: etree._Element) -> IpRange | None:
    """A retrieved range, leniently: the org accepted it, so no span limits here."""
    try:
        start = as_salesforce_address(
            ipaddress.ip_address((element.findtext(sibling_tag(element, "start")) or "").strip())
        )
        end = as_salesforce_address(
            ipaddress.ip_address((element.findtext(sibling_tag(element, "end")) or "").strip())
        )
    except ValueError:
        return None
    if start.version != end.version or int(start) > int(end):
        return None
    description = element.findtext(sibling_tag(element, "description")) or ""
    return IpRange(start, end, description)


class _Coverage:
    """Answers "does one existing range cover this one?" in O(log n).

    Per family: starts sorted, with the running maximum of ends. A range is
    covered when some range starting at or before it ends at or after it.
    """

    def __init__(self, ranges: Iterable[IpRange]):
        by_family: dict[int, list[tuple[int, int]]] = {}
        for rng in ranges:
            by_family.setdefault(rng.family, []).append((int(rng.start), int(rng.end)))
        self._starts: dict[int, list[int]] = {}
        self._max_ends: dict[int, list[int]] = {}
        for family, pairs in by_family.items():
            pairs.sort()
            running = -1
            max_ends = []
            for _, end in pairs:
                running = max(running, end)
                max_ends.append(running)
            self._starts[family] = [start for start, _ in pairs]
            self._max_ends[family] = max_ends

    def covers(self, rng: IpRange) -> bool:
        starts = self._starts.get(rng.family)
        if not starts:
            return False
        index = bisect.bisect_right(starts, int(rng.start)) - 1
        return index >= 0 and self._max_ends[rng.family][index] >= int(rng.end)


def _existing_ranges(root: etree._Element) -> list[IpRange]:
    parsed = (_parse_existing(el) for el in _range_elements(root))
    return [rng for rng in parsed if rng is not None]


def _uncovered(existing: Iterable[IpRange], ranges: Sequence[IpRange]) -> list[IpRange]:
    coverage = _Coverage(existing)
    return [rng for rng in ranges if not coverage.covers(rng)]


def _drop_mutually_covered(ranges: Sequence[IpRange]) -> list[IpRange]:
    """Ranges not covered by another given one; input order kept, first duplicate wins."""
    order = sorted(
        range(len(ranges)),
        key=lambda i: (ranges[i].family, int(ranges[i].start), -int(ranges[i].end), i),
    )
    keep: set[int] = set()
    family, reach = 0, -1
    for i in order:
        rng = ranges[i]
        if rng.family != family:
            family, reach = rng.family, -1
        if int(rng.end) > reach:
            keep.add(i)
            reach = int(rng.end)
    return [rng for i, rng in enumerate(ranges) if i in keep]


def _range_elements_from_template(ranges: Sequence[IpRange]) -> list[etree._Element]:
    # The same template the offline plan writes as its fragment renders the new
    # ranges (schema order description, end, start; an empty description omitted).
    fragment = parse_xml(render_xml("ip_ranges.xml.j2", ranges=ranges))
    return list(fragment[0])


def ip_ranges_in(settings_xml: bytes) -> list[IpRange]:
    """Every range the settings hold (the org's whole list, ours included)."""
    return _existing_ranges(_root(settings_xml))


RangeKey = tuple[str, str, str]


def range_key(rng: IpRange) -> RangeKey:
    """What identifies a range in the org's list: its start, end and description."""
    return (str(rng.start), str(rng.end), rng.description)


def range_of(key: RangeKey) -> IpRange:
    return IpRange(ipaddress.ip_address(key[0]), ipaddress.ip_address(key[1]), key[2])


def owned_stale_ranges(
    settings_xml: bytes, ranges: Sequence[IpRange], owned: Iterable[RangeKey]
) -> list[IpRange]:
    """Ranges of ours (recorded when a deploy added or adopted them) that are no longer
    configured: they must go, or a removed address stays trusted."""
    keys = set(owned)
    wanted = {(rng.start, rng.end) for rng in ranges}
    return [
        rng
        for rng in _existing_ranges(_root(settings_xml))
        if range_key(rng) in keys and (rng.start, rng.end) not in wanted
    ]


def hand_made_ranges(
    settings_xml: bytes, description: str, owned: Iterable[RangeKey]
) -> list[IpRange]:
    """Ranges carrying our description that no deploy of ours added: an admin's, made by
    hand (Totango's article tells them to describe the ranges "Totango")."""
    if not description:
        return []
    keys = set(owned)
    return [
        rng
        for rng in _existing_ranges(_root(settings_xml))
        if rng.description == description and range_key(rng) not in keys
    ]


def missing_ip_ranges(settings_xml: bytes, ranges: Sequence[IpRange]) -> list[IpRange]:
    """The given ranges that no single existing range covers (for drift checks)."""
    return _uncovered(_existing_ranges(_root(settings_xml)), ranges)


def add_ip_ranges(settings_xml: bytes, ranges: Sequence[IpRange]) -> bytes:
    """The settings with every given range present or covered; nothing else changed."""
    root = _root(settings_xml)
    new = _drop_mutually_covered(_uncovered(_existing_ranges(root), ranges))
    if new:
        # Also fills an empty <networkAccess/>, which on deploy would delete every range.
        network = ensure_child(root, "networkAccess", ROOT_TYPE)
        insert_all_in_schema_order(network, _range_elements_from_template(new), "NetworkAccess")
    return canonical_bytes(root)


def remove_ip_ranges(settings_xml: bytes, ranges: Sequence[IpRange]) -> bytes:
    """Drop the ranges whose start, end and description equal a given one.

    ``networkAccess`` itself stays, even when emptied: deploying a file without
    it would leave the removed ranges in the org, while an empty one removes them.
    """
    root = _root(settings_xml)
    targets = {(rng.start, rng.end, rng.description) for rng in ranges}
    network = root.find(sibling_tag(root, "networkAccess"))
    for element in _range_elements(root):
        parsed = _parse_existing(element)
        if parsed is not None and (parsed.start, parsed.end, parsed.description) in targets:
            assert network is not None
            network.remove(element)
    if network is not None and len(network) == 0 and not (network.text or "").strip():
        # Left-over indentation would otherwise serialise as <networkAccess>\n</...>.
        network.text = None
    return canonical_bytes(root)


def with_explicit_network_access(settings_xml: bytes) -> bytes:
    """The settings with ``networkAccess`` present, empty when the file had none.

    Restoring a snapshot of an org that had no trusted ranges must say so: a file
    without ``networkAccess`` leaves the org's current ranges in place, an empty
    one replaces them with none.
    """
    root = _root(settings_xml)
    ensure_child(root, "networkAccess", ROOT_TYPE)
    return canonical_bytes(root)
