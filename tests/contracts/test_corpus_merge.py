"""The merge engine on real layouts and Security.settings from public repositories.

Many were retrieved at older API versions and hold elements today's schema lacks;
the merge must keep them and still insert at the right place among them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from tasks.totango_sf.config.ip_ranges import IpRange, parse_address_spec
from tasks.totango_sf.merge.layout import WidgetSection, add_widget_section, remove_widget_section
from tasks.totango_sf.merge.security import add_ip_ranges, missing_ip_ranges, remove_ip_ranges
from tasks.totango_sf.metadata.order import schema_positions
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import MetadataSchema, load_schema
from tasks.totango_sf.metadata.xml import canonical_bytes, local_name, md
from tests.support.paths import CORPUS, V66_WSDL

ABSENT = "../shared/corpus is absent: real-world merge tests need the shared corpus"


def corpus_files(kind: str) -> list:
    folder = CORPUS / kind
    if not folder.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=ABSENT), id="absent")]
    return [pytest.param(p, id=p.name) for p in sorted(folder.iterdir()) if p.is_file()]


LAYOUT_FILES = corpus_files("layouts")
SECURITY_FILES = corpus_files("security")

PAGE = "tot__Totango_Account_Insights"
NEW_RANGES = [
    parse_address_spec("198.51.100.7", "Totango"),
    parse_address_spec("203.0.113.0/28", "Totango"),
    parse_address_spec("2001:db8::/126", "Totango v6"),
]


def error_messages(schema: MetadataSchema, data: bytes) -> set[str]:
    # Line numbers shift with every insert; the messages are what must not grow.
    return {e.message for e in schema.validate_bytes(data)}


def assert_no_new_schema_errors(schema: MetadataSchema, original: bytes, merged: bytes) -> None:
    before, after = error_messages(schema, original), error_messages(schema, merged)
    assert after <= before, f"new schema errors: {after - before}"
    if not before:
        assert not after, "a valid file became invalid"


@pytest.fixture(scope="module")
def v66() -> MetadataSchema:
    if not V66_WSDL.exists():
        pytest.skip(f"{V66_WSDL} is absent: the v66 oracle part is skipped")
    return load_schema(V66_WSDL)


def signature(element: etree._Element) -> tuple:
    children = tuple(signature(c) for c in element if isinstance(c.tag, str))
    return (element.tag, (element.text or "").strip(), children)


def child_signatures(parent: etree._Element) -> Counter:
    return Counter(signature(c) for c in parent if isinstance(c.tag, str))


def assert_at_schema_position(new: etree._Element, type_name: str) -> None:
    """Known siblings before the new element sort at or before it, those after at or after.

    lxml stops validating a content model at its first error, so for files holding
    unknown elements this is the check that the insert itself is well placed.
    """
    positions = schema_positions(type_name)
    parent = new.getparent()
    assert parent is not None
    siblings = [c for c in parent if isinstance(c.tag, str)]
    at = siblings.index(new)
    wanted = positions[local_name(new)]
    known_before = [positions[n] for c in siblings[:at] if (n := local_name(c)) in positions]
    known_after = [positions[n] for c in siblings[at + 1 :] if (n := local_name(c)) in positions]
    assert all(p <= wanted for p in known_before)
    assert all(p >= wanted for p in known_after)


def owned_sections(root: etree._Element) -> list[etree._Element]:
    path = f"{md('layoutColumns')}/{md('layoutItems')}/{md('page')}"
    return [s for s in root.findall(md("layoutSections")) if s.findtext(path) == PAGE]


def layout_variants(original: bytes) -> list[WidgetSection]:
    sections = parse_xml(original).findall(md("layoutSections"))
    variants = [WidgetSection("Totango", PAGE, 290)]
    labels = [s.findtext(md("label")) for s in sections]
    if labels and labels[0] and labels.count(labels[0]) == 1:
        variants.append(WidgetSection("Totango", PAGE, 290, anchor_section=labels[0]))
    return variants


@pytest.mark.parametrize("path", LAYOUT_FILES)
def test_layout_merge(path: Path | None):
    assert path is not None
    original = path.read_bytes()
    for section in layout_variants(original):
        merged = add_widget_section(original, section)
        assert_no_new_schema_errors(load_schema(), original, merged)

        before, after = parse_xml(original), parse_xml(merged)
        (new,) = owned_sections(after)
        assert_at_schema_position(new, "Layout")
        # Every original element is still there, in its order; only the section was added.
        assert [signature(c) for c in after if c is not new] == [signature(c) for c in before]
        assert child_signatures(after) - child_signatures(before) == Counter([signature(new)])

        previous = new.getprevious()
        assert previous is not None and local_name(previous) == "layoutSections"
        if section.anchor_section:
            assert previous.findtext(md("label")) == section.anchor_section
        else:
            assert new.getnext() is None or local_name(new.getnext()) != "layoutSections"

        assert add_widget_section(merged, section) == merged
        taller = WidgetSection(section.label, PAGE, 400, section.anchor_section)
        updated = add_widget_section(merged, taller)
        assert len(owned_sections(parse_xml(updated))) == 1
        assert remove_widget_section(merged, section) == canonical_bytes(original)


def parseable(element: etree._Element) -> IpRange | None:
    start, end = element.findtext(md("start")), element.findtext(md("end"))
    try:
        return parse_address_spec(f"{start}-{end}", "covered")
    except ValueError:
        return None


def start_end(element: etree._Element) -> tuple[str | None, str | None]:
    return element.findtext(md("start")), element.findtext(md("end"))


def covered_by_file(original: bytes) -> list[IpRange]:
    """A one-address sub-range of the file's first parseable range, if any."""
    for element in parse_xml(original).iterfind(f"{md('networkAccess')}/{md('ipRanges')}"):
        rng = parseable(element)
        if rng is not None:
            return [IpRange(rng.start, rng.start, "covered")]
    return []


@pytest.mark.parametrize("path", SECURITY_FILES)
def test_security_merge(path: Path | None):
    assert path is not None
    original = path.read_bytes()
    before = parse_xml(original)
    existing = before.findall(f"{md('networkAccess')}/{md('ipRanges')}")
    covered = covered_by_file(original)

    merged = add_ip_ranges(original, NEW_RANGES + covered)
    assert_no_new_schema_errors(load_schema(), original, merged)

    after = parse_xml(merged)
    (network,) = after.findall(md("networkAccess"))
    assert_at_schema_position(network, "SecuritySettings")
    # Every other setting and unknown element is untouched and unmoved.
    assert [signature(c) for c in after if local_name(c) != "networkAccess"] == [
        signature(c) for c in before if local_name(c) != "networkAccess"
    ]
    # Every original range is kept, first and in order; each new one appears once,
    # a covered one not at all.
    ranges_after = network.findall(md("ipRanges"))
    assert [signature(e) for e in ranges_after[: len(existing)]] == list(map(signature, existing))
    pairs_before = Counter(map(start_end, existing))
    pairs_after = Counter(map(start_end, ranges_after))
    assert pairs_after - pairs_before == Counter((str(r.start), str(r.end)) for r in NEW_RANGES)
    assert missing_ip_ranges(merged, NEW_RANGES + covered) == []

    assert add_ip_ranges(merged, NEW_RANGES + covered) == merged
    assert remove_ip_ranges(merged, NEW_RANGES) == canonical_bytes(original)


@pytest.mark.parametrize("path", LAYOUT_FILES + SECURITY_FILES)
def test_no_new_errors_against_the_v66_oracle(path: Path | None, v66: MetadataSchema):
    assert path is not None
    original = path.read_bytes()
    if path.parent.name == "layouts":
        merged = [add_widget_section(original, s) for s in layout_variants(original)]
    else:
        merged = [add_ip_ranges(original, NEW_RANGES + covered_by_file(original))]
    for data in merged:
        assert_no_new_schema_errors(v66, original, data)
