"""The record-page merge on real FlexiPages from public repositories.

Each file merges in its own format: the pre-49.0 ones (``componentInstances``
under a region) at API 48.0, the current ones at 63.0. Nothing of the original
is lost, current files gain no schema error against v63 or v66, a second run
changes nothing, and removing the component gives the original back.
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest
from lxml import etree

from tasks.totango_sf.merge.flexipage import (
    IDENTIFIER_BASE,
    VISUALFORCE,
    FlexiPagePatchError,
    RegionNotFoundError,
    WidgetComponent,
    add_widget_component,
    page_facts,
    place_widget_component,
    remove_widget_component,
    widget_component_state,
)
from tasks.totango_sf.metadata.order import schema_positions
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import MetadataSchema, load_schema
from tasks.totango_sf.metadata.validation import legacy_flexipage_as_current as as_current
from tasks.totango_sf.metadata.xml import canonical_bytes, local_name, md
from tests.support.paths import SHARED, V66_WSDL

FOLDER = SHARED / "corpus" / "flexipages"
ABSENT = "../shared/corpus/flexipages is absent: real-world record-page tests need it"
PAGE = "tot__Totango_Account_Insights"
WIDGET = WidgetComponent(page=PAGE, height=290)


def manifest() -> dict[str, dict[str, str]]:
    with (FOLDER / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        return {row["local_file"]: row for row in csv.DictReader(handle, delimiter="\t")}


def corpus() -> list:
    if not FOLDER.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=ABSENT), id="absent")]
    return [pytest.param(name, id=name) for name in sorted(manifest())]


@pytest.fixture(scope="module")
def v66() -> MetadataSchema:
    if not V66_WSDL.exists():
        pytest.skip(f"{V66_WSDL} is absent: the v66 oracle part is skipped")
    return load_schema(V66_WSDL)


def messages(schema: MetadataSchema, data: bytes) -> set[str]:
    return {e.message for e in schema.validate_bytes(data)}


def all_signatures(root: etree._Element) -> Counter:
    """Every element and comment of the file, with its content, as a multiset."""
    found: Counter = Counter()
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else "comment"
        parent = el.getparent()
        found[(tag, (el.text or "").strip(), parent.tag if parent is not None else None)] += 1
    return found


def ours(root: etree._Element) -> list[etree._Element]:
    found = []
    for component in root.iter(md("componentInstance"), md("componentInstances")):
        names = {
            p.findtext(md("name")): p.findtext(md("value"))
            for p in component.findall(md("componentInstanceProperties"))
        }
        if component.findtext(md("componentName")) == VISUALFORCE and names.get("pageName") == PAGE:
            found.append(component)
    return found


@pytest.mark.parametrize("name", corpus())
def test_corpus_page_merges_in_its_own_format(name: str | None, v66: MetadataSchema):
    assert name is not None
    row = manifest()[name]
    legacy = row["region_item_format"].startswith("componentInstances")
    version = "48.0" if legacy else "63.0"
    original = (FOLDER / name).read_bytes()
    merged, claim = place_widget_component(original, WIDGET, version)
    # Without identifiers, the claim is what makes the component ours.
    assert (claim is not None) == legacy

    before, after = parse_xml(original), parse_xml(merged)
    # Nothing lost: every original element (and comment) is still there.
    gained = all_signatures(after) - all_signatures(before)
    assert not all_signatures(before) - all_signatures(after)
    (component,) = ours(after)
    if legacy:
        assert local_name(component) == "componentInstances"
        assert component.find(md("identifier")) is None
        assert not list(after.iter(md("itemInstances")))
    else:
        assert local_name(component) == "componentInstance"
        assert component.findtext(md("identifier")).startswith(IDENTIFIER_BASE)
        identifiers = [e.text for e in after.iter(md("identifier"))]
        assert len(identifiers) == len(set(identifiers)), "identifiers must stay unique"
        assert not list(after.iter(md("componentInstances")))
    # No new schema errors against either oracle (a pre-49.0 file is checked in
    # today's shape, the only one the oracles know).
    for schema in (load_schema(), v66):
        if legacy:
            assert messages(schema, as_current(merged)) <= messages(schema, as_current(original))
        else:
            assert messages(schema, merged) <= messages(schema, original)
    # Schema order in the region and inside the component.
    holder = component if legacy else component.getparent()
    region = holder.getparent()
    positions = schema_positions("FlexiPageRegion")
    order = [local_name(c) for c in region if isinstance(c.tag, str)]
    ranks = [positions.get(n, positions["itemInstances"]) for n in order]
    assert ranks == sorted(ranks)
    inner = [local_name(c) for c in component if isinstance(c.tag, str)]
    inner_rank = schema_positions("ComponentInstance")
    assert [inner_rank[n] for n in inner] == sorted(inner_rank[n] for n in inner)
    assert sum(gained.values()) > 0

    # Idempotent; updated in place; an exact inverse.
    assert add_widget_component(merged, WIDGET, version, claim) == merged
    assert widget_component_state(merged, WIDGET, claim).status == "present"
    taller = WidgetComponent(page=PAGE, height=500)
    updated, taller_claim = place_widget_component(merged, taller, version, claim)
    assert len(ours(parse_xml(updated))) == 1
    assert widget_component_state(updated, WIDGET, taller_claim).status == "changed"
    assert remove_widget_component(merged, WIDGET, claim) == canonical_bytes(original)
    assert remove_widget_component(updated, WIDGET, taller_claim) == canonical_bytes(original)


@pytest.mark.parametrize("name", corpus())
def test_corpus_facts_match_the_manifest(name: str | None):
    assert name is not None
    row = manifest()[name]
    facts = page_facts((FOLDER / name).read_bytes(), PAGE)
    assert facts.detail_panel == (row["has_detailPanel"] == "yes")
    assert facts.dynamic_forms == (row["has_dynamic_forms"] == "yes")
    assert facts.sobject == row["sobjectType"]
    assert facts.widget == ("layout_section" if facts.detail_panel else "none")


def test_comments_survive_and_the_inverse_keeps_them():
    page = b"""<?xml version="1.0" encoding="UTF-8"?>
<FlexiPage xmlns="http://soap.sforce.com/2006/04/metadata">
    <!-- reviewed by the admin team -->
    <flexiPageRegions>
        <itemInstances>
            <componentInstance>
                <componentName>flexipage:fieldSection</componentName>
                <identifier>totango_widget</identifier>
            </componentInstance>
        </itemInstances>
        <name>sidebar</name>
        <type>Region</type>
    </flexiPageRegions>
    <masterLabel>Account Record Page</masterLabel>
    <sobjectType>Account</sobjectType>
    <template><name>flexipage:recordHomeTemplateDesktop</name></template>
    <type>RecordPage</type>
</FlexiPage>
"""
    merged = add_widget_component(page, WIDGET, "63.0")
    assert b"<!-- reviewed by the admin team -->" in merged
    # The identifier is taken by another component: ours gets a free one.
    assert b"<identifier>totango_widget_2</identifier>" in merged
    field_page = page.replace(
        b"<componentInstance>\n                "
        b"<componentName>flexipage:fieldSection</componentName>",
        b"<fieldInstance>\n                <fieldItem>Record.Name</fieldItem>",
    ).replace(b"</componentInstance>", b"</fieldInstance>")
    assert b"<fieldInstance>" in field_page
    # A Dynamic Forms field's identifier counts too.
    assert b"<identifier>totango_widget_2</identifier>" in add_widget_component(
        field_page, WIDGET, "63.0"
    )
    assert remove_widget_component(merged, WIDGET) == canonical_bytes(page, keep_comments=True)


def region_of(merged: bytes) -> str:
    (component,) = ours(parse_xml(merged))
    holder = component if local_name(component) == "componentInstances" else component.getparent()
    return holder.getparent().findtext(md("name"))


@pytest.mark.skipif(not FOLDER.is_dir(), reason=ABSENT)
def test_default_placement_and_named_region_or_tab():
    npsp = (FOLDER / "SalesforceFoundation__NPSP__NPSP_Account_Record_Page.flexipage").read_bytes()
    assert region_of(add_widget_component(npsp, WIDGET, "63.0")) == "sidebar"
    three = (
        FOLDER / "Cloud-Orca__cooperparry__Account_Record_Page_Three_Column.flexipage-meta.xml"
    ).read_bytes()
    assert region_of(add_widget_component(three, WIDGET, "63.0")) == "rightsidebar"
    main = WidgetComponent(page=PAGE, height=290, region="main")
    assert region_of(add_widget_component(three, main, "63.0")) == "main"
    legacy = (FOLDER / "ps0520__EU-SFDC__All_Lead_Record_Page.flexipage").read_bytes()
    tab = WidgetComponent(page=PAGE, height=290, region="Standard.Tab.detail")
    assert region_of(add_widget_component(legacy, tab, "48.0")) == (
        "facet-8667aca6-4f3e-4a33-a2ca-92fdfec6ed38"
    )
    with pytest.raises(RegionNotFoundError, match="'nowhere'"):
        add_widget_component(npsp, WidgetComponent(page=PAGE, height=290, region="nowhere"), "63.0")


@pytest.mark.skipif(not FOLDER.is_dir(), reason=ABSENT)
def test_a_page_in_the_other_format_is_refused_not_mixed():
    legacy = (FOLDER / "ps0520__EU-SFDC__All_Lead_Record_Page.flexipage").read_bytes()
    with pytest.raises(FlexiPagePatchError, match="one API version"):
        add_widget_component(legacy, WIDGET, "63.0")


@pytest.mark.skipif(not FOLDER.is_dir(), reason=ABSENT)
@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("Tk-7-crypto__Backup__Opportunity_Record_Page.flexipage", "63.0"),
        ("iguerreroo__Copado-PoC__Empresas_y_Corporaciones.flexipage", "48.0"),
    ],
)
def test_position_first_puts_the_component_at_the_top_of_the_region(name: str, version: str):
    original = (FOLDER / name).read_bytes()
    first = WidgetComponent(page=PAGE, height=290, position="first")
    merged, claim = place_widget_component(original, first, version)
    (component,) = ours(parse_xml(merged))
    holder = component if local_name(component) == "componentInstances" else component.getparent()
    region = holder.getparent()
    same = [c for c in region if isinstance(c.tag, str) and c.tag == holder.tag]
    assert same[0] is holder and len(same) > 1
    assert add_widget_component(merged, first, version, claim) == merged
    assert remove_widget_component(merged, first, claim) == canonical_bytes(original)
