"""Property tests of the layout and Security.settings merges on random, schema-valid files.

The files are generated from the Metadata API schema itself: every element a
``Layout`` or ``SecuritySettings`` may hold, in its xsd:sequence order, with values of
the declared simple type (enumerations included). Trusted ranges are drawn from a
small address space so that overlaps, neighbours and exact duplicates are common.

Properties, for both merges: the output is schema-valid; nothing of the input is lost;
a second run changes nothing; the inverse merge restores the input.

By default each property runs a few dozen examples (seconds in CI). For a longer
hunt: ``TOTANGO_FUZZ_PROFILE=long .venv/bin/python -m pytest tests/unit/merge/test_merge_fuzz.py``.
"""

from __future__ import annotations

import functools
import ipaddress
import os

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from tasks.totango_sf.config.ip_ranges import IPAddress, IpRange
from tasks.totango_sf.merge.layout import (
    WidgetSection,
    add_widget_section,
    remove_widget_section,
    widget_section_state,
)
from tasks.totango_sf.merge.security import (
    add_ip_ranges,
    missing_ip_ranges,
    remove_ip_ranges,
    with_explicit_network_access,
)
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import MD_NS, XSD_NS, bundled_wsdl_path, load_schema
from tasks.totango_sf.metadata.xml import canonical_bytes, local_name, md

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("TOTANGO_FUZZ_PROFILE", "ci"))

XSD = f"{{{XSD_NS}}}"
MAX_DEPTH = 4
SCHEMA = load_schema()


# ---------------------------------------------------------------------------
# The schema's element lists, as generators
# ---------------------------------------------------------------------------


@functools.cache
def _wsdl_schema() -> etree._Element:
    found = parse_xml(bundled_wsdl_path().read_bytes()).find(f".//{XSD}schema")
    assert found is not None
    return found


@functools.cache
def _declarations(type_name: str) -> dict[str, etree._Element]:
    """Element name -> its xsd:element in ``type_name`` or the types it extends."""
    found: dict[str, etree._Element] = {}
    current: str | None = type_name
    while current:
        ct = _wsdl_schema().find(f"{XSD}complexType[@name='{current}']")
        assert ct is not None, current
        for el in ct.iter(f"{XSD}element"):
            found.setdefault(el.get("name"), el)
        ext = ct.find(f"{XSD}complexContent/{XSD}extension")
        current = ext.get("base", "").split(":")[-1] if ext is not None else None
    return found


@functools.cache
def _enumeration(type_name: str) -> tuple[str, ...] | None:
    simple = _wsdl_schema().find(f"{XSD}simpleType[@name='{type_name}']")
    if simple is None:
        return None
    return tuple(e.get("value") for e in simple.iter(f"{XSD}enumeration"))


# Plain text that survives canonical re-indentation (no leading/trailing blanks).
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_&<>'\"", min_size=1, max_size=12)
SIMPLE = {
    "boolean": st.sampled_from(["true", "false"]),
    "int": st.integers(0, 5000).map(str),
    "double": st.integers(0, 500).map(lambda n: f"{n}.5"),
    "date": st.just("2024-05-01"),
    "dateTime": st.just("2024-05-01T10:00:00.000Z"),
    "time": st.just("10:00:00.000Z"),
    "string": WORDS,
}


def _value(declared: str) -> st.SearchStrategy[str] | None:
    prefix, _, name = declared.rpartition(":")
    if prefix == "xsd":
        return SIMPLE.get(name)
    values = _enumeration(name)
    return st.sampled_from(values) if values else None


def _occurrences(decl: etree._Element, depth: int) -> st.SearchStrategy[int]:
    low = int(decl.get("minOccurs", "1"))
    high = decl.get("maxOccurs", "1")
    top = 1 if high == "1" else (3 if depth < 2 else 1)
    if low == 0 and depth >= MAX_DEPTH:
        return st.just(0)
    return st.integers(low, max(low, top))


def _element_overrides(type_name: str, name: str) -> st.SearchStrategy[etree._Element] | None:
    if type_name == "NetworkAccess" and name == "ipRanges":
        return IP_RANGE_ELEMENTS
    return None


@functools.cache
def element_of(type_name: str, depth: int = 0) -> st.SearchStrategy[etree._Element]:
    """Random instances of a complexType, children in schema order."""
    parts = []
    for name in SCHEMA.child_order(type_name):
        decl = _declarations(type_name)[name]
        override = _element_overrides(type_name, name)
        child = SCHEMA.child_type(type_name, name)
        if override is not None:
            one = override
        elif child is not None:
            if depth >= MAX_DEPTH and decl.get("minOccurs", "1") == "0":
                continue
            one = st.deferred(lambda child=child: element_of(child, depth + 1)).map(
                functools.partial(_rename, name=name)
            )
        else:
            value = _value(decl.get("type", ""))
            if value is None:
                assert decl.get("minOccurs", "1") == "0", (type_name, name)
                continue
            one = value.map(functools.partial(_leaf, name))
        parts.append(
            _occurrences(decl, depth).flatmap(
                lambda n, one=one: st.lists(one, min_size=n, max_size=n)
            )
        )

    def build(children: list[list[etree._Element]]) -> etree._Element:
        element = etree.Element(md(type_name))
        for group in children:
            element.extend(group)
        return element

    return st.tuples(*parts).map(lambda groups: build(list(groups)))


def _leaf(name: str, text: str) -> etree._Element:
    element = etree.Element(md(name))
    element.text = text
    return element


def _rename(element: etree._Element, name: str) -> etree._Element:
    element.tag = md(name)
    return element


# Addresses from a tiny space so that overlaps, neighbours and duplicates are common;
# some IPv6; sometimes an address the org holds but we cannot parse.
V4 = st.integers(0, 40).map(lambda n: ipaddress.ip_address(f"10.0.0.{n}"))
V6 = st.integers(0, 40).map(lambda n: ipaddress.ip_address(f"2001:db8::{n:x}"))


@st.composite
def ip_ranges(draw: st.DrawFn, descriptions=st.sampled_from(["", "Office", "Totango"])) -> IpRange:
    family = draw(st.sampled_from([V4, V4, V4, V6]))
    a, b = sorted([draw(family), draw(family)])
    return IpRange(a, b, draw(descriptions))


@st.composite
def _ip_range_element(draw: st.DrawFn) -> etree._Element:
    element = etree.Element(md("ipRanges"))
    rng = draw(ip_ranges())
    if rng.description:
        _leaf_into(element, "description", rng.description)
    start, end = str(rng.start), str(rng.end)
    if draw(st.integers(0, 9)) == 0:
        start = "not-an-ip"
    _leaf_into(element, "end", end)
    _leaf_into(element, "start", start)
    return element


def _leaf_into(parent: etree._Element, name: str, text: str) -> None:
    etree.SubElement(parent, md(name)).text = text


IP_RANGE_ELEMENTS = _ip_range_element()


def _serialise(root: etree._Element) -> bytes:
    copy = etree.fromstring(etree.tostring(root))
    out = etree.Element(md(local_name(copy)), nsmap={None: MD_NS})
    out.extend(list(copy))
    return canonical_bytes(out)


security_files = element_of("SecuritySettings").map(_serialise)
layout_files = element_of("Layout").map(_serialise)


def children(data: bytes) -> list[bytes]:
    return [etree.tostring(c, with_tail=False) for c in parse_xml(data)]


def assert_valid(data: bytes) -> None:
    assert SCHEMA.validate(parse_xml(data)) == [], data.decode()


def existing_ranges(data: bytes) -> list[tuple[str | None, str | None, str | None]]:
    return [
        (e.findtext(md("description")), e.findtext(md("start")), e.findtext(md("end")))
        for e in parse_xml(data).iterfind(f"{md('networkAccess')}/{md('ipRanges')}")
    ]


def _parsed(start: str | None, end: str | None) -> tuple[IPAddress, IPAddress] | None:
    try:
        first, last = ipaddress.ip_address(start or ""), ipaddress.ip_address(end or "")
    except ValueError:
        return None
    return (first, last) if first.version == last.version and first <= last else None


# ---------------------------------------------------------------------------
# Security.settings
# ---------------------------------------------------------------------------


@given(security_files, st.lists(ip_ranges(), max_size=6))
def test_security_merge_is_valid_keeps_everything_and_covers_every_range(original, ranges):
    assert_valid(original)
    out = add_ip_ranges(original, ranges)
    assert_valid(out)
    # Nothing lost: every other element as it was, every existing range kept in order.
    before, after = existing_ranges(original), existing_ranges(out)
    assert after[: len(before)] == before
    strip = lambda data: [c for c in children(data) if b"networkAccess" not in c[:60]]  # noqa: E731
    assert strip(out) == strip(original)
    # Every given range is now held or covered by one range of the file (judged here
    # independently of the merge's own coverage index) ...
    held = [_parsed(s, e) for _, s, e in after]
    for rng in ranges:
        assert any(
            h is not None
            and h[0].version == rng.start.version
            and h[0] <= rng.start
            and rng.end <= h[1]
            for h in held
        ), rng
    assert missing_ip_ranges(out, ranges) == []
    # ... and each added one is a given range, added because nothing covered it.
    added = after[len(before) :]
    given_triples = {(r.description or None, str(r.start), str(r.end)) for r in ranges}
    assert set(added) <= given_triples
    assert len(added) == len(set(added))
    assert len(added) <= len(missing_ip_ranges(original, ranges))


@given(security_files, st.lists(ip_ranges(), max_size=6))
def test_security_merge_is_idempotent(original, ranges):
    once = add_ip_ranges(original, ranges)
    assert add_ip_ranges(once, ranges) == once


@given(security_files, st.lists(ip_ranges(), max_size=6))
def test_security_inverse_restores(original, ranges):
    present = {(d or "", s, e) for d, s, e in existing_ranges(original)}
    # An exact copy already in the file is the org's, and removing it is the inverse's job
    # only when the merge added it; such draws are not this property's case.
    assume(not any((r.description, str(r.start), str(r.end)) in present for r in ranges))
    out = add_ip_ranges(original, ranges)
    expected = (
        with_explicit_network_access(original) if out != canonical_bytes(original) else original
    )
    assert remove_ip_ranges(out, ranges) == canonical_bytes(expected)


# ---------------------------------------------------------------------------
# Layouts
# ---------------------------------------------------------------------------

# Our section's label and page never occur in the generated layouts (different
# alphabets), so the section a merge owns is exactly the one it inserted.
SECTIONS = st.builds(
    WidgetSection,
    label=st.sampled_from(["Totango", "Totango Insights", "Customer Success"]),
    page=st.sampled_from(["Totango_Account_Insights", "ns__Totango_Page"]),
    height=st.integers(1, 1000),
)


def section_labels(data: bytes) -> list[str | None]:
    return [s.findtext(md("label")) for s in parse_xml(data).findall(md("layoutSections"))]


def owned_positions(data: bytes, page: str) -> list[int]:
    return [
        i
        for i, c in enumerate(parse_xml(data))
        if local_name(c) == "layoutSections" and page in [p.text for p in c.iter(md("page"))]
    ]


@given(layout_files, SECTIONS, st.data())
def test_layout_merge_is_valid_keeps_everything_and_inserts_one_section(original, section, data):
    assert_valid(original)
    labels = [label for label in section_labels(original) if label]
    anchor = data.draw(st.sampled_from([None, *labels]))
    section = WidgetSection(section.label, section.page, section.height, anchor)
    out = add_widget_section(original, section)
    assert_valid(out)
    (position,) = owned_positions(out, section.page)
    kept = children(out)
    del kept[position]
    assert kept == children(original)
    if anchor is not None:
        first = section_labels(original).index(anchor)
        sections = parse_xml(out).findall(md("layoutSections"))
        assert sections[first + 1].findtext(md("label")) == section.label
    assert widget_section_state(out, section).status == "present"


@given(layout_files, SECTIONS, SECTIONS)
def test_layout_merge_is_idempotent_and_updates_in_place(original, first, second):
    once = add_widget_section(original, first)
    assert add_widget_section(once, first) == once
    # A changed config updates the section where it is; it never adds a second one.
    moved = WidgetSection(second.label, first.page, second.height)
    updated = add_widget_section(once, moved)
    assert owned_positions(updated, first.page) == owned_positions(once, first.page)
    assert_valid(updated)


@given(layout_files, SECTIONS)
def test_layout_inverse_restores(original, section):
    assert remove_widget_section(add_widget_section(original, section), section) == canonical_bytes(
        original
    )
    assert widget_section_state(original, section).status == "missing"
