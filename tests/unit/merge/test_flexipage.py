"""Unit tests of the record-page merge (merge/flexipage.py) on small FlexiPages built here.

These need no shared test data, so they are the runner of the module's mutation score
(bench/mutation.py). Both formats are built: the pre-49.0 one, where a region holds
``componentInstances``, and the current one, ``itemInstances/componentInstance`` with an
``identifier``. Every page the merge returns is checked against the Metadata API schema
(a pre-49.0 page in today's shape, as ``totango-sf validate`` checks it).
"""

from __future__ import annotations

import json

import pytest
from lxml import etree

from tasks.totango_sf.merge.flexipage import (
    FlexiPagePatchError,
    LegacyClaim,
    PageFacts,
    RegionNotFoundError,
    WidgetComponent,
    add_widget_component,
    format_for,
    page_facts,
    page_format,
    page_selected,
    place_widget_component,
    region_names,
    remove_widget_component,
    widget_component_state,
)
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import MD_NS
from tasks.totango_sf.metadata.xml import canonical_bytes, local_name, md
from tests.support.flexipages import (
    PAGE,
    comp,
    detail,
    flexipage,
    highlights,
    ours,
    props_of,
    region,
    region_of,
    standard,
    valid,
    vf,
)

WIDGET = WidgetComponent(page=PAGE, height=290)
CURRENT = "63.0"
LEGACY = "48.0"


# --- reading pages back (the builders are in tests/support/flexipages.py) -------------


def the_component(data: bytes) -> etree._Element:
    (component,) = ours(data)
    return component


def children(element: etree._Element) -> list[str]:
    return [local_name(c) for c in element if isinstance(c.tag, str)]


def region_children(data: bytes, name: str) -> list[str]:
    root = parse_xml(data)
    (found,) = [r for r in root.iter("{*}flexiPageRegions") if r.findtext("{*}name") == name]
    return [
        c.findtext(".//{*}componentName") or local_name(c) for c in found if isinstance(c.tag, str)
    ]


# --- formats --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("48.0", "legacy"),
        ("48.9", "legacy"),
        ("49.0", "current"),
        ("63.0", "current"),
        ("30", "legacy"),
    ],
)
def test_format_follows_the_api_version(version: str, expected: str):
    assert format_for(version) == expected


def test_page_format_is_read_from_the_regions():
    assert page_format(parse_xml(standard(legacy=True))) == "legacy"
    assert page_format(parse_xml(standard())) == "current"
    # Found past regions that hold no component.
    assert page_format(parse_xml(flexipage(region("a"), region("b", detail(True))))) == "legacy"
    assert page_format(parse_xml(flexipage(region("a"), region("b", detail())))) == "current"
    assert page_format(parse_xml(flexipage(region("a"), region("b")))) is None
    assert page_format(parse_xml(flexipage())) is None


# --- adding, current format -------------------------------------------------------------


def test_current_format_component_is_exactly_the_configured_one():
    merged = valid(add_widget_component(standard(), WIDGET, CURRENT))
    component = the_component(merged)
    assert local_name(component) == "componentInstance"
    assert local_name(component.getparent()) == "itemInstances"
    assert region_of(component) == "sidebar"
    assert children(component) == [
        "componentInstanceProperties",
        "componentInstanceProperties",
        "componentInstanceProperties",
        "componentInstanceProperties",
        "componentName",
        "identifier",
    ]
    assert [children(p) for p in component.findall(md("componentInstanceProperties"))] == [
        ["name", "value"]
    ] * 4
    assert props_of(component) == {
        "height": "290",
        "label": "Totango",
        "pageName": PAGE,
        "showLabel": "false",
    }
    assert list(props_of(component)) == ["height", "label", "pageName", "showLabel"]
    assert component.findtext(md("componentName")) == "flexipage:visualforcePage"
    assert component.findtext(md("identifier")) == "totango_widget"
    # Everything else is as it was.
    assert region_children(merged, "main") == ["force:detailPanel", "name", "type"]
    assert region_children(merged, "header") == ["force:highlightsPanel", "name", "type"]
    assert remove_widget_component(merged, WIDGET) == canonical_bytes(standard())


def test_label_height_and_show_label_are_written_as_configured():
    widget = WidgetComponent(
        page="Other_Page", height=512, label="Customer health", show_label=True
    )
    merged = valid(add_widget_component(standard(), widget, CURRENT))
    assert props_of(the_component(merged)) == {
        "height": "512",
        "label": "Customer health",
        "pageName": "Other_Page",
        "showLabel": "true",
    }


def test_the_output_is_canonical_and_keeps_comments():
    page = standard().replace(b"<name>main</name>", b"<!-- admin note --><name>main</name>")
    merged = valid(add_widget_component(page, WIDGET, CURRENT))
    assert b"<!-- admin note -->" in merged
    assert merged.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<FlexiPage')
    assert b"\n    <flexiPageRegions>\n" in merged
    assert merged == canonical_bytes(merged, keep_comments=True)
    removed = remove_widget_component(merged, WIDGET)
    assert removed == canonical_bytes(page, keep_comments=True)
    assert b"<!-- admin note -->" in removed
    # Nothing to do still gives the canonical page, comments kept.
    with_ours = add_widget_component(merged, WIDGET, CURRENT)
    assert with_ours == merged
    unowned = remove_widget_component(page, WIDGET)
    assert unowned == canonical_bytes(page, keep_comments=True)


def test_position_last_and_first_within_the_region():
    page = flexipage(region("main", detail()), region("sidebar", highlights(), comp("x:one")))
    last = valid(add_widget_component(page, WIDGET, CURRENT))
    assert region_children(last, "sidebar") == [
        "force:highlightsPanel",
        "x:one",
        "flexipage:visualforcePage",
        "name",
        "type",
    ]
    first_widget = WidgetComponent(page=PAGE, height=290, position="first")
    first = valid(add_widget_component(page, first_widget, CURRENT))
    assert region_children(first, "sidebar") == [
        "flexipage:visualforcePage",
        "force:highlightsPanel",
        "x:one",
        "name",
        "type",
    ]
    # In an empty region "first" still goes to the schema position (before name).
    empty = valid(add_widget_component(standard(), first_widget, CURRENT))
    assert region_children(empty, "sidebar") == ["flexipage:visualforcePage", "name", "type"]
    assert remove_widget_component(first, first_widget) == canonical_bytes(page)


def test_position_first_and_last_in_the_legacy_format():
    page = flexipage(
        region("main", detail(True)),
        region("sidebar", highlights(True), comp("x:one", legacy=True)),
    )
    first_widget = WidgetComponent(page=PAGE, height=290, position="first")
    first = valid(add_widget_component(page, first_widget, LEGACY))
    assert region_children(first, "sidebar") == [
        "flexipage:visualforcePage",
        "force:highlightsPanel",
        "x:one",
        "name",
        "type",
    ]
    last = valid(add_widget_component(page, WIDGET, LEGACY))
    assert region_children(last, "sidebar")[2] == "flexipage:visualforcePage"


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        ((), "totango_widget"),
        (("totango_widget",), "totango_widget_2"),
        (("totango_widget", "totango_widget_2"), "totango_widget_3"),
        (("totango_widget", "totango_widget_3"), "totango_widget_2"),
        (("totango_widget_2",), "totango_widget"),
    ],
)
def test_identifier_is_unique_on_the_page(taken: tuple[str, ...], expected: str):
    others = [comp(f"x:c{i}", identifier=ident) for i, ident in enumerate(taken)]
    page = flexipage(region("main", detail(), *others), region("sidebar"))
    merged = valid(add_widget_component(page, WIDGET, CURRENT))
    assert the_component(merged).findtext(md("identifier")) == expected
    assert remove_widget_component(merged, WIDGET) == canonical_bytes(page)


def test_an_identifier_with_surrounding_blanks_counts_as_taken():
    page = flexipage(region("main", comp("x:c", identifier=" totango_widget ")), region("sidebar"))
    merged = valid(add_widget_component(page, WIDGET, CURRENT))
    assert the_component(merged).findtext(md("identifier")) == "totango_widget_2"


def test_an_identifier_is_only_taken_by_an_identifier_element():
    # A label, a title or a value reading "totango_widget" does not take the identifier.
    tab = comp(
        "flexipage:tab",
        identifier="detailTab",
        props=(("body", "facet-1"), ("title", "totango_widget")),
    )
    page = flexipage(region("facet-1", kind="Facet"), region("main", tab), region("sidebar"))
    merged = valid(add_widget_component(valid(page), WIDGET, CURRENT))
    assert the_component(merged).findtext(md("identifier")) == "totango_widget"


def test_a_dynamic_forms_field_identifier_counts_as_taken():
    field = (
        "<itemInstances><fieldInstance><fieldInstanceProperties><name>uiBehavior</name>"
        "<value>none</value></fieldInstanceProperties><fieldItem>Record.Name</fieldItem>"
        "<identifier>totango_widget</identifier></fieldInstance></itemInstances>"
    )
    page = flexipage(region("main", field), region("sidebar"))
    merged = valid(add_widget_component(page, WIDGET, CURRENT))
    assert the_component(merged).findtext(md("identifier")) == "totango_widget_2"


# --- adding, legacy format --------------------------------------------------------------


def test_legacy_format_component_sits_directly_in_the_region_without_identifier():
    page = standard(legacy=True)
    merged, claim = place_widget_component(page, WIDGET, LEGACY)
    valid(merged)
    component = the_component(merged)
    assert local_name(component) == "componentInstances"
    assert local_name(component.getparent()) == "flexiPageRegions"
    assert region_of(component) == "sidebar"
    assert component.find(md("identifier")) is None
    assert not list(parse_xml(merged).iter(md("itemInstances")))
    assert children(component) == ["componentInstanceProperties"] * 4 + ["componentName"]
    assert props_of(component)["pageName"] == PAGE
    # No identifier: the claim (region, position, properties) is what makes it ours.
    assert claim == LegacyClaim("sidebar", 0, tuple(sorted(props_of(component).items())))
    assert remove_widget_component(merged, WIDGET) == canonical_bytes(merged)
    assert remove_widget_component(merged, WIDGET, claim) == canonical_bytes(page)
    # A page with no component yet takes the version's format.
    blank = flexipage(region("main"), region("sidebar"))
    assert local_name(the_component(valid(add_widget_component(blank, WIDGET, LEGACY)))) == (
        "componentInstances"
    )
    assert local_name(the_component(valid(add_widget_component(blank, WIDGET, CURRENT)))) == (
        "componentInstance"
    )


@pytest.mark.parametrize(("page_legacy", "version"), [(True, CURRENT), (False, LEGACY)])
def test_a_page_in_the_other_format_is_refused(page_legacy: bool, version: str):
    page = standard(legacy=page_legacy)
    have, need = ("legacy", "current") if page_legacy else ("current", "legacy")
    with pytest.raises(FlexiPagePatchError) as raised:
        add_widget_component(page, WIDGET, version)
    assert str(raised.value) == (
        f"the page is in the {have} format but API {version} needs the {need} one:"
        " retrieve and deploy at one API version"
    )


# --- idempotence and updates ----------------------------------------------------------


@pytest.mark.parametrize(("legacy", "version"), [(False, CURRENT), (True, LEGACY)])
def test_rerunning_changes_nothing_and_changes_update_in_place(legacy: bool, version: str):
    page = standard(legacy=legacy)
    merged, claim = place_widget_component(page, WIDGET, version)
    valid(merged)
    assert (claim is not None) == legacy
    assert add_widget_component(merged, WIDGET, version, claim) == merged
    assert widget_component_state(merged, WIDGET, claim).status == "present"

    taller = WidgetComponent(page=PAGE, height=500, label="Health", show_label=True)
    updated, claim = place_widget_component(merged, taller, version, claim)
    valid(updated)
    component = the_component(updated)
    assert props_of(component) == {
        "height": "500",
        "label": "Health",
        "pageName": PAGE,
        "showLabel": "true",
    }
    assert local_name(component) == ("componentInstances" if legacy else "componentInstance")
    assert region_of(component) == "sidebar"
    state = widget_component_state(updated, WIDGET, claim)
    assert state.status == "changed"
    assert state.detail == "height 500 → 290, label Health → Totango, showLabel true → false"
    assert widget_component_state(updated, taller, claim).status == "present"
    assert remove_widget_component(updated, taller, claim) == canonical_bytes(page)
    assert remove_widget_component(updated, WIDGET, claim) == canonical_bytes(page)


def test_an_update_keeps_the_identifier_and_the_admins_visibility_rule():
    rule = (
        "<visibilityRule><criteria><leftValue>{!Record.Type}</leftValue>"
        "<operator>EQUAL</operator><rightValue>Customer</rightValue></criteria></visibilityRule>"
    )
    page = flexipage(
        region("main", detail()),
        region("sidebar", vf(height="100", identifier="totango_widget_7", tail=rule)),
    )
    valid(page)
    updated = valid(add_widget_component(page, WIDGET, CURRENT))
    component = the_component(updated)
    assert component.findtext(md("identifier")) == "totango_widget_7"
    assert props_of(component)["height"] == "290"
    assert children(component)[-3:] == ["componentName", "identifier", "visibilityRule"]
    assert component.findtext(f"{md('visibilityRule')}/{md('criteria')}/{md('rightValue')}") == (
        "Customer"
    )
    assert len(ours(updated)) == 1
    assert region_children(updated, "sidebar") == ["flexipage:visualforcePage", "name", "type"]


def test_a_comment_inside_our_component_does_not_stop_an_update():
    page = flexipage(
        region("main", detail()),
        region("sidebar", vf(height="100", tail="<!-- note -->")),
    )
    updated = valid(add_widget_component(page, WIDGET, CURRENT))
    assert props_of(the_component(updated))["height"] == "290"
    assert widget_component_state(updated, WIDGET).status == "present"


def claim_of(region_name: str, index: int, height: str = "290") -> LegacyClaim:
    props = {"height": height, "label": "Totango", "pageName": PAGE, "showLabel": "false"}
    return LegacyClaim(region_name, index, tuple(sorted(props.items())))


def test_a_legacy_page_is_updated_in_place_and_found_by_its_claim():
    page = flexipage(
        region("main", detail(True)),
        region(
            "sidebar", highlights(True), vf(height="100", legacy=True), comp("x:z", legacy=True)
        ),
    )
    claim = claim_of("sidebar", 1, height="100")
    # Without the claim the component is not provably ours: nothing changes.
    assert add_widget_component(page, WIDGET, LEGACY) == canonical_bytes(page)
    updated = valid(add_widget_component(page, WIDGET, LEGACY, claim))
    assert region_children(updated, "sidebar") == [
        "force:highlightsPanel",
        "flexipage:visualforcePage",
        "x:z",
        "name",
        "type",
    ]
    assert props_of(the_component(updated))["height"] == "290"
    assert the_component(updated).find(md("identifier")) is None
    removed = valid(remove_widget_component(page, WIDGET, claim))
    assert region_children(removed, "sidebar") == ["force:highlightsPanel", "x:z", "name", "type"]
    # A claim of another place or other properties takes nothing.
    for wrong in (
        claim_of("sidebar", 0, "100"),
        claim_of("main", 1, "100"),
        claim_of("sidebar", 1),
    ):
        assert remove_widget_component(page, WIDGET, wrong) == canonical_bytes(page)


def test_a_current_format_component_with_another_identifier_is_the_admins():
    # Placed by hand (an identifier of its own): the page shows already, it stays
    # untouched (comments too), and it is not ours to remove.
    page = flexipage(
        region("main", detail()), region("sidebar", "<!-- by hand -->", vf(identifier="vf_by_hand"))
    )
    valid(page)
    assert add_widget_component(page, WIDGET, CURRENT) == canonical_bytes(page, keep_comments=True)
    assert b"<!-- by hand -->" in add_widget_component(page, WIDGET, CURRENT)
    taller = WidgetComponent(page=PAGE, height=999)
    assert add_widget_component(page, taller, CURRENT) == canonical_bytes(page, keep_comments=True)
    assert remove_widget_component(page, WIDGET) == canonical_bytes(page, keep_comments=True)
    state = widget_component_state(page, WIDGET)
    assert state.status == "missing"
    assert state.detail == f"no component with page {PAGE}"


def test_a_legacy_component_of_another_page_is_not_ours():
    page = flexipage(
        region("main", detail(True)), region("sidebar", vf(page="Someone_Elses", legacy=True))
    )
    merged, claim = place_widget_component(page, WIDGET, LEGACY)
    valid(merged)
    assert sorted(props_of(c)["pageName"] for c in ours(merged)) == sorted([PAGE, "Someone_Elses"])
    assert remove_widget_component(merged, WIDGET, claim) == canonical_bytes(page)
    assert widget_component_state(page, WIDGET).status == "missing"


def test_a_hand_placed_legacy_component_of_our_page_is_not_ours_without_a_claim():
    # The pre-49.0 format has no identifier, and the page name alone proves nothing:
    # it shows already (no second copy), but it is not updated, counted or removed.
    page = valid(flexipage(region("main", detail(True)), region("sidebar", vf(legacy=True))))
    assert widget_component_state(page, WIDGET).status == "missing"
    assert add_widget_component(page, WIDGET, LEGACY) == canonical_bytes(page)
    taller = WidgetComponent(page=PAGE, height=999)
    assert add_widget_component(page, taller, LEGACY) == canonical_bytes(page)
    assert remove_widget_component(page, WIDGET) == canonical_bytes(page)
    assert page_facts(page, PAGE).widget == "component"


def test_our_identifier_on_a_component_that_is_not_visualforce_is_not_ours():
    page = flexipage(
        region("main", comp("x:other", identifier="totango_widget")), region("sidebar")
    )
    merged = valid(add_widget_component(page, WIDGET, CURRENT))
    assert the_component(merged).findtext(md("identifier")) == "totango_widget_2"
    assert region_children(merged, "main") == ["x:other", "name", "type"]
    assert remove_widget_component(merged, WIDGET) == canonical_bytes(page)


def test_ours_is_found_by_identifier_even_for_another_page_name():
    # A changed widget page (another namespace, say) is updated, not added twice.
    page = valid(flexipage(region("main", detail()), region("sidebar", vf(page="Old_Page"))))
    updated = valid(add_widget_component(page, WIDGET, CURRENT))
    assert [props_of(c)["pageName"] for c in ours(updated)] == [PAGE]
    assert widget_component_state(page, WIDGET).detail == f"pageName Old_Page → {PAGE}"
    removed = remove_widget_component(page, WIDGET)
    assert ours(removed) == []
    assert region_children(removed, "sidebar") == ["name", "type"]


def test_a_numbered_identifier_is_ours_too():
    page = flexipage(
        region("main", comp("x:c", identifier="totango_widget")),
        region("sidebar", vf(identifier="totango_widget_2", height="1")),
    )
    updated = valid(add_widget_component(valid(page), WIDGET, CURRENT))
    assert [props_of(c)["height"] for c in ours(updated)] == ["290"]
    assert region_children(remove_widget_component(page, WIDGET), "sidebar") == ["name", "type"]


def test_state_of_an_edited_component_with_no_property_changed():
    page = flexipage(region("main", detail()), region("sidebar", vf(extra=(("decorate", "true"),))))
    state = widget_component_state(page, WIDGET)
    assert state.status == "changed"
    assert state.detail == "component edited"
    updated = valid(add_widget_component(page, WIDGET, CURRENT))
    assert "decorate" not in props_of(the_component(updated))


def test_state_present_has_no_detail():
    state = widget_component_state(add_widget_component(standard(), WIDGET, CURRENT), WIDGET)
    assert (state.status, state.detail) == ("present", "")


def test_whitespace_around_values_is_not_a_change():
    page = flexipage(
        region("main", detail()),
        region("sidebar", vf(page=f" {PAGE} ", height=" 290 ", identifier=" totango_widget ")),
    )
    assert widget_component_state(valid(page), WIDGET).status == "present"
    assert add_widget_component(page, WIDGET, CURRENT) == canonical_bytes(page)


# --- where it goes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("header", "main", "sidebar"), "sidebar"),
        (("header", "main", "rightsidebar", "sidebar"), "sidebar"),
        (("header", "main", "rightsidebar"), "rightsidebar"),
        (("header", "main", "leftsidebar"), "main"),
        (("header", "footer"), "footer"),
        (("header", "body", "footer"), "footer"),
    ],
)
def test_default_region(names: tuple[str, ...], expected: str):
    page = flexipage(*(region(n, detail() if n == "header" else "") for n in names))
    merged = valid(add_widget_component(page, WIDGET, CURRENT))
    assert region_of(the_component(merged)) == expected


def test_default_region_skips_facets():
    page = flexipage(
        region("body", detail()),
        region("other"),
        region("facet-1", kind="Facet"),
    )
    assert region_of(the_component(valid(add_widget_component(page, WIDGET, CURRENT)))) == "other"


def test_a_page_with_only_facets_is_refused():
    page = flexipage(region("facet-1", detail(), kind="Facet"))
    with pytest.raises(RegionNotFoundError, match="^the page has no region to hold the widget$"):
        add_widget_component(page, WIDGET, CURRENT)
    with pytest.raises(RegionNotFoundError):
        add_widget_component(flexipage(), WIDGET, CURRENT)


def tabbed(legacy: bool = False) -> bytes:
    tab = comp(
        "flexipage:tab",
        identifier="detailTab",
        props=(("body", "facet-detail"), ("title", "Standard.Tab.detail")),
        legacy=legacy,
    )
    titled_only = comp(
        "flexipage:tab", identifier="emptyTab", props=(("title", "Lonely"),), legacy=legacy
    )
    body_only = comp(
        "flexipage:tab", identifier="untitledTab", props=(("body", "facet-x"),), legacy=legacy
    )
    not_a_tab = comp(
        "flexipage:tabset",
        identifier="tabset",
        props=(("body", "facet-related"), ("title", "Related")),
        legacy=legacy,
    )
    return flexipage(
        region("facet-detail", detail(legacy), kind="Facet"),
        region("facet-related", kind="Facet"),
        region("facet-x", kind="Facet"),
        region("tabs", tab, titled_only, body_only, not_a_tab, kind="Facet"),
        region("main", highlights(legacy)),
        region("sidebar"),
    )


@pytest.mark.parametrize(("legacy", "version"), [(False, CURRENT), (True, LEGACY)])
def test_a_named_region_or_tab(legacy: bool, version: str):
    page = tabbed(legacy)
    valid(page)

    def placed(where: str) -> str:
        widget = WidgetComponent(page=PAGE, height=290, region=where)
        merged, claim = place_widget_component(page, widget, version)
        valid(merged)
        assert remove_widget_component(merged, widget, claim) == canonical_bytes(page)
        return region_of(the_component(merged))

    assert placed("main") == "main"
    assert placed("sidebar") == "sidebar"
    assert placed("Standard.Tab.detail") == "facet-detail"
    assert placed("facet-related") == "facet-related"
    # A region's own name, even of a Facet, is a region.
    assert placed("facet-x") == "facet-x"
    # Only a flexipage:tab's title names a tab.
    for missing in ("Related", "Lonely"):
        with pytest.raises(RegionNotFoundError) as raised:
            placed(missing)
        assert str(raised.value) == (
            f"region or tab {missing!r} is not on the page (regions: facet-detail,"
            " facet-related, facet-x, main, sidebar, tabs)"
        )


def test_a_named_region_on_a_page_with_no_region():
    widget = WidgetComponent(page=PAGE, height=290, region="main")
    with pytest.raises(RegionNotFoundError) as raised:
        add_widget_component(flexipage(), widget, CURRENT)
    assert str(raised.value) == "region or tab 'main' is not on the page (regions: none)"


def test_region_names_in_page_order():
    assert region_names(tabbed()) == [
        "facet-detail",
        "facet-related",
        "facet-x",
        "tabs",
        "main",
        "sidebar",
    ]
    assert region_names(flexipage()) == []
    unnamed = standard().replace(b"<name>main</name>", b"")
    assert region_names(unnamed) == ["header", "", "sidebar"]


def test_a_region_without_a_name_is_not_a_target():
    unnamed = flexipage(region("main", detail()), region("sidebar")).replace(
        b"<name>sidebar</name>", b""
    )
    merged = add_widget_component(unnamed, WIDGET, CURRENT)
    assert region_of(the_component(merged)) == "main"


# --- without a namespace -----------------------------------------------------------------


def test_a_page_written_without_the_metadata_namespace():
    # Such a file cannot be schema-checked (every element is outside the namespace);
    # the merge still finds and writes elements in the file's own (empty) namespace.
    page = flexipage(region("main", detail()), region("sidebar"), namespace=False)
    merged = add_widget_component(page, WIDGET, CURRENT)
    component = the_component(merged)
    assert component.tag == "componentInstance"
    assert component.getparent().tag == "itemInstances"
    assert [p.tag for p in component] == ["componentInstanceProperties"] * 4 + [
        "componentName",
        "identifier",
    ]
    assert MD_NS.encode() not in merged
    assert region_of(component) == "sidebar"
    assert add_widget_component(merged, WIDGET, CURRENT) == merged
    assert widget_component_state(merged, WIDGET).status == "present"
    assert remove_widget_component(merged, WIDGET) == canonical_bytes(page)
    facts = page_facts(merged, PAGE)
    assert (facts.sobject, facts.format, facts.detail_panel, facts.widget) == (
        "Account",
        "current",
        True,
        "component",
    )
    legacy = flexipage(region("main", detail(True)), region("sidebar"), namespace=False)
    assert the_component(add_widget_component(legacy, WIDGET, LEGACY)).tag == "componentInstances"
    assert region_names(page) == ["main", "sidebar"]


# --- bad files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda data: add_widget_component(data, WIDGET, CURRENT),
        lambda data: remove_widget_component(data, WIDGET),
        lambda data: widget_component_state(data, WIDGET),
        lambda data: page_facts(data, PAGE),
        region_names,
    ],
)
def test_a_file_that_is_not_a_flexipage_is_refused(call):
    with pytest.raises(FlexiPagePatchError, match="^flexipage is not well-formed XML"):
        call(b"<FlexiPage")
    with pytest.raises(FlexiPagePatchError, match="^expected a FlexiPage root, found <Layout>$"):
        call(f'<Layout xmlns="{MD_NS}"/>'.encode())


# --- facts ------------------------------------------------------------------------------


def test_facts_of_a_page_with_record_detail():
    facts = page_facts(standard(), PAGE)
    assert facts == PageFacts("Account", "current", True, False, "layout_section")
    assert facts.to_json() == {
        "sobject": "Account",
        "format": "current",
        "detail_panel": True,
        "dynamic_forms": False,
        "widget": "layout_section",
    }
    assert page_facts(standard(legacy=True), PAGE) == PageFacts(
        "Account", "legacy", True, False, "layout_section"
    )


def test_facts_when_the_component_shows_the_page():
    merged = add_widget_component(standard(), WIDGET, CURRENT)
    assert page_facts(merged, PAGE).widget == "component"
    # Another page's component does not count.
    assert page_facts(merged, "Other_Page").widget == "layout_section"
    by_hand = flexipage(region("main", vf(identifier="mine", legacy=False)), sobject="Contact")
    assert page_facts(by_hand, PAGE) == PageFacts("Contact", "current", False, False, "component")
    legacy = flexipage(region("main", vf(legacy=True)))
    assert page_facts(legacy, PAGE).widget == "component"
    # A component naming our page that is not a Visualforce component does not show it.
    other = flexipage(
        region("main", comp("x:vf", props=(("pageName", PAGE),))),
    )
    assert page_facts(other, PAGE).widget == "none"


@pytest.mark.parametrize(
    ("component", "dynamic"),
    [
        (comp("flexipage:fieldSection"), True),
        (comp("flexipage:column"), True),
        (comp("flexipage:fieldSection", legacy=True), True),
        (comp("flexipage:richText"), False),
        (
            "<itemInstances><fieldInstance><fieldItem>Record.Name</fieldItem>"
            "<identifier>RecordNameField</identifier></fieldInstance></itemInstances>",
            True,
        ),
    ],
)
def test_facts_dynamic_forms(component: str, dynamic: bool):
    page = flexipage(region("main", component))
    facts = page_facts(page, PAGE)
    assert facts.dynamic_forms is dynamic
    assert facts.detail_panel is False
    assert facts.widget == "none"


def test_facts_of_a_page_with_no_component():
    page = flexipage(region("main")).replace(b"<sobjectType>Account</sobjectType>", b"")
    assert page_facts(page, PAGE) == PageFacts(None, None, False, False, "none")
    padded = flexipage(region("main"), sobject=" Account ")
    assert page_facts(padded, PAGE).sobject == "Account"


# --- which pages --------------------------------------------------------------------------

NONE_SHOWN = PageFacts("Account", "current", False, False, "none")
SECTION = PageFacts("Account", "current", True, False, "layout_section")
COMPONENT = PageFacts("Account", "current", False, False, "component")


@pytest.mark.parametrize(
    ("selection", "facts", "expected"),
    [
        ("none", NONE_SHOWN, False),
        ("all", SECTION, True),
        ("all", NONE_SHOWN, True),
        ("auto", NONE_SHOWN, True),
        ("auto", SECTION, False),
        ("auto", COMPONENT, False),
        (["Account_Record_Page"], SECTION, True),
        (["Account_*"], SECTION, True),
        (["account_*"], SECTION, False),
        (["Contact_*", "*_Record_Page"], SECTION, True),
        (["Contact_*"], NONE_SHOWN, False),
        ([], NONE_SHOWN, False),
    ],
)
def test_page_selected(selection, facts: PageFacts, expected: bool):
    assert page_selected("Account_Record_Page", selection, facts) is expected


@pytest.mark.parametrize("name", ["n", "o", "e", "none"])
def test_none_selects_no_page_whatever_its_name(name: str):
    # "none" is a word, not a list of one-letter patterns.
    assert page_selected(name, "none", NONE_SHOWN) is False
    assert page_selected(name, [name], SECTION) is True


def test_a_claim_survives_its_json_record_and_finds_the_same_component():
    # The claim is written into the deploy's snapshot as JSON and read back by the next
    # plan and by rollback: read back, it must still take exactly our component.
    page = flexipage(region("main", detail(True)), region("sidebar", vf(legacy=True)))
    merged, claim = place_widget_component(
        flexipage(region("main", detail(True)), region("sidebar")), WIDGET, LEGACY
    )
    assert claim is not None
    recorded = claim.to_json()
    assert recorded == {
        "region": "sidebar",
        "index": 0,
        "properties": {
            "height": "290",
            "label": "Totango",
            "pageName": PAGE,
            "showLabel": "false",
        },
    }
    read = LegacyClaim.from_json(json.loads(json.dumps(recorded)))
    assert read == claim
    assert remove_widget_component(merged, WIDGET, read) == remove_widget_component(
        merged, WIDGET, claim
    )
    assert ours(remove_widget_component(merged, WIDGET, read)) == []
    # The properties are compared in name order whatever order the record has.
    shuffled = {**recorded, "properties": dict(reversed(list(recorded["properties"].items())))}
    assert LegacyClaim.from_json(shuffled) == claim
    assert widget_component_state(page, WIDGET, read).status == "present"


@pytest.mark.parametrize(
    "recorded",
    [
        None,
        "sidebar",
        ["sidebar", 0, {}],
        {},
        {"index": 0, "properties": {}},
        {"region": "sidebar", "properties": {}},
        {"region": "sidebar", "index": 0},
        {"region": 1, "index": 0, "properties": {}},
        {"region": "sidebar", "index": "0", "properties": {}},
        {"region": "sidebar", "index": 0, "properties": [["height", "290"]]},
    ],
)
def test_a_record_that_is_not_a_claim_this_module_wrote_claims_nothing(recorded):
    assert LegacyClaim.from_json(recorded) is None


def test_a_claim_with_a_property_without_value_reads_back_the_same():
    claim = LegacyClaim("main", 2, (("height", "290"), ("pageName", None)))
    assert claim.to_json() == {
        "region": "main",
        "index": 2,
        "properties": {"height": "290", "pageName": None},
    }
    assert LegacyClaim.from_json(claim.to_json()) == claim
