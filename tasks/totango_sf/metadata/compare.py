"""Does the org's copy of a component already say what we want?

A real org returns more than was deployed: defaults such as
``<trackFeedHistory>false</trackFeedHistory>`` appear on retrieve. Exact comparison
would then report drift forever. The rule here: an element name the desired file
never uses at that level is the org's own and is ignored; every element name the
desired file does use must match in number and content (so a removed picklist
value or an edited label still counts). Sibling order is not significant.
"""

from __future__ import annotations

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml


def _children(element: etree._Element) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str)]


def satisfies(have: etree._Element, wanted: etree._Element) -> bool:
    if have.tag != wanted.tag:
        return False
    wanted_children = _children(wanted)
    have_children = _children(have)
    if not wanted_children:
        return not have_children and (have.text or "").strip() == (wanted.text or "").strip()
    wanted_tags = {c.tag for c in wanted_children}
    relevant = [c for c in have_children if c.tag in wanted_tags]
    if len(relevant) != len(wanted_children):
        return False
    # Same position first (the common case, linear); search only on a mismatch.
    remaining = list(relevant)
    for index, want in enumerate(wanted_children):
        candidate = relevant[index]
        if candidate in remaining and satisfies(candidate, want):
            remaining.remove(candidate)
            continue
        match = next((h for h in remaining if satisfies(h, want)), None)
        if match is None:
            return False
        remaining.remove(match)
    return True


def org_copy_satisfies(have: bytes, wanted: bytes) -> bool:
    """True when the org's file holds everything the desired file says."""
    try:
        return satisfies(parse_xml(have), parse_xml(wanted))
    except etree.XMLSyntaxError:
        return have == wanted
