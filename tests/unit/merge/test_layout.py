import pytest

from tasks.totango_sf.merge.layout import (
    AnchorSectionNotFoundError,
    LayoutPatchError,
    SectionState,
    WidgetSection,
    add_widget_section,
    remove_widget_section,
    widget_section_state,
)
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import MD_NS, load_schema
from tasks.totango_sf.metadata.xml import canonical_bytes, local_name, md

SECTION = WidgetSection(label="Totango", page="Totango_Account_Insights", height=290)


def field_section(label: str, *fields: str) -> str:
    items = "".join(
        f"<layoutItems><behavior>Edit</behavior><field>{f}</field></layoutItems>" for f in fields
    )
    return (
        "<layoutSections><customLabel>false</customLabel><detailHeading>false</detailHeading>"
        f"<editHeading>true</editHeading><label>{label}</label>"
        f"<layoutColumns>{items}</layoutColumns><style>TwoColumnsTopToBottom</style>"
        "</layoutSections>"
    )


# Messy whitespace on purpose: outputs must still come back canonical.
LAYOUT = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<Layout xmlns="{MD_NS}">'
    "<excludeButtons>Submit</excludeButtons>"
    + field_section("Account Information", "Name", "OwnerId")
    + field_section("Address Information", "BillingAddress")
    + field_section("System Information", "CreatedById")
    + "<miniLayout><fields>Name</fields></miniLayout>"
    "<relatedLists><relatedList>RelatedContactList</relatedList></relatedLists>"
    "<showEmailCheckbox>false</showEmailCheckbox></Layout>"
).encode()

NO_SECTIONS = (
    f'<Layout xmlns="{MD_NS}"><excludeButtons>Submit</excludeButtons>'
    "<miniLayout><fields>Name</fields></miniLayout>"
    "<relatedLists><relatedList>RelatedContactList</relatedList></relatedLists></Layout>"
).encode()


def labels(layout: bytes) -> list[str | None]:
    return [s.findtext(md("label")) for s in parse_xml(layout).findall(md("layoutSections"))]


def widget_sections(layout: bytes) -> list:
    return [
        s
        for s in parse_xml(layout).findall(md("layoutSections"))
        if s.find(f"{md('layoutColumns')}/{md('layoutItems')}/{md('page')}") is not None
    ]


def test_section_shape_and_order_are_schema_valid():
    out = add_widget_section(LAYOUT, SECTION)
    assert load_schema().validate(parse_xml(out)) == []
    (section,) = widget_sections(out)
    assert [local_name(c) for c in section] == [
        "customLabel",
        "detailHeading",
        "editHeading",
        "label",
        "layoutColumns",
        "style",
    ]
    assert [c.text for c in section if len(c) == 0] == [
        "true",
        "true",
        "false",
        "Totango",
        "OneColumn",
    ]
    (column,) = section.findall(md("layoutColumns"))
    (item,) = column.findall(md("layoutItems"))
    assert [(local_name(c), c.text) for c in item] == [
        ("height", "290"),
        ("page", "Totango_Account_Insights"),
        ("showLabel", "false"),
        ("showScrollbars", "false"),
        ("width", "100%"),
    ]


def test_page_before_height_is_what_the_schema_rejects():
    # Guards the check above: the validator does see the order CumulusCI gets wrong.
    out = add_widget_section(LAYOUT, SECTION)
    swapped = out.replace(b"<height>290</height>\n", b"").replace(
        b"</page>", b"</page>\n<height>290</height>"
    )
    assert load_schema().validate(parse_xml(swapped)) != []


def test_inserted_after_the_last_section_and_output_is_canonical():
    out = add_widget_section(LAYOUT, SECTION)
    assert labels(out) == [
        "Account Information",
        "Address Information",
        "System Information",
        "Totango",
    ]
    children = [local_name(c) for c in parse_xml(out)]
    assert children.index("miniLayout") == children.index("layoutSections") + 4
    assert canonical_bytes(out) == out


def test_anchor_places_it_directly_after_that_section():
    anchored = WidgetSection("Totango", "Totango_Account_Insights", 290, "Account Information")
    out = add_widget_section(LAYOUT, anchored)
    assert labels(out) == [
        "Account Information",
        "Totango",
        "Address Information",
        "System Information",
    ]
    assert add_widget_section(out, anchored) == out


def test_missing_anchor_is_a_specific_error():
    anchored = WidgetSection("Totango", "Totango_Account_Insights", 290, "Nope")
    with pytest.raises(AnchorSectionNotFoundError, match="'Nope'.*Account Information"):
        add_widget_section(LAYOUT, anchored)
    assert issubclass(AnchorSectionNotFoundError, LayoutPatchError)


def test_layout_without_sections_gets_one_at_the_schema_position():
    out = add_widget_section(NO_SECTIONS, SECTION)
    assert [local_name(c) for c in parse_xml(out)] == [
        "excludeButtons",
        "layoutSections",
        "miniLayout",
        "relatedLists",
    ]
    assert load_schema().validate(parse_xml(out)) == []


def test_second_apply_is_byte_identical():
    once = add_widget_section(LAYOUT, SECTION)
    assert add_widget_section(once, SECTION) == once


def test_height_change_updates_the_owned_section_in_place():
    anchored = WidgetSection("Totango", "Totango_Account_Insights", 290, "Account Information")
    once = add_widget_section(LAYOUT, anchored)
    taller = WidgetSection("Totango", "Totango_Account_Insights", 400)
    out = add_widget_section(once, taller)
    assert len(widget_sections(out)) == 1
    assert labels(out)[1] == "Totango"  # kept its position, no anchor needed
    assert b"<height>400</height>" in out and b"<height>290</height>" not in out
    assert add_widget_section(out, taller) == out


def test_label_change_updates_instead_of_adding():
    once = add_widget_section(LAYOUT, SECTION)
    renamed = WidgetSection("Customer Health", "Totango_Account_Insights", 290)
    out = add_widget_section(once, renamed)
    assert labels(out)[-1] == "Customer Health"
    assert len(widget_sections(out)) == 1


def test_namespace_change_finds_the_section_by_label_and_shape():
    once = add_widget_section(LAYOUT, SECTION)
    managed = WidgetSection("Totango", "tot__Totango_Account_Insights", 290)
    out = add_widget_section(once, managed)
    (section,) = widget_sections(out)
    assert section.findtext(f"{md('layoutColumns')}/{md('layoutItems')}/{md('page')}") == (
        "tot__Totango_Account_Insights"
    )
    assert load_schema().validate(parse_xml(out)) == []
    assert remove_widget_section(out, managed) == canonical_bytes(LAYOUT)


def test_a_same_labelled_field_section_is_not_taken_over():
    layout = LAYOUT.replace(b"<label>System Information</label>", b"<label>Totango</label>")
    out = add_widget_section(layout, SECTION)
    assert labels(out).count("Totango") == 2
    assert remove_widget_section(out, SECTION) == canonical_bytes(layout)


def test_remove_is_the_exact_inverse():
    for section in (
        SECTION,
        WidgetSection("Totango", "ns__Totango_Account_Insights", 290, "Address Information"),
    ):
        assert remove_widget_section(add_widget_section(LAYOUT, section), section) == (
            canonical_bytes(LAYOUT)
        )
    assert remove_widget_section(add_widget_section(NO_SECTIONS, SECTION), SECTION) == (
        canonical_bytes(NO_SECTIONS)
    )


def test_remove_without_the_section_returns_the_layout_canonical():
    assert remove_widget_section(LAYOUT, SECTION) == canonical_bytes(LAYOUT)


def test_state_reports_missing_present_and_what_changed():
    assert widget_section_state(LAYOUT, SECTION).status == "missing"
    once = add_widget_section(LAYOUT, SECTION)
    assert widget_section_state(once, SECTION) == SectionState("present")
    changed = widget_section_state(
        once, WidgetSection("Totango Insights", "Totango_Account_Insights", 400)
    )
    assert changed.status == "changed"
    assert "height 290 → 400" in changed.detail
    assert "label 'Totango' → 'Totango Insights'" in changed.detail
    edited = once.replace(b"<showLabel>false</showLabel>", b"<showLabel>true</showLabel>")
    assert widget_section_state(edited, SECTION).detail == "showLabel true → false"


def test_wrong_root_is_refused():
    with pytest.raises(LayoutPatchError, match="expected a Layout root"):
        add_widget_section(f'<CustomObject xmlns="{MD_NS}"/>'.encode(), SECTION)
    with pytest.raises(LayoutPatchError, match="not well-formed"):
        remove_widget_section(b"<Layout", SECTION)


def test_state_details_name_every_changed_field_exactly():
    once = add_widget_section(LAYOUT, SECTION)
    assert widget_section_state(LAYOUT, SECTION) == SectionState(
        "missing", "no section with page Totango_Account_Insights"
    )
    restyled = once.replace(b"<style>OneColumn</style>", b"<style>TwoColumnsLeftToRight</style>")
    unlabelled = restyled.replace(b"<customLabel>true</customLabel>", b"", 1)
    assert widget_section_state(unlabelled, SECTION) == SectionState(
        "changed", "customLabel (none) → true, style TwoColumnsLeftToRight → OneColumn"
    )


def test_state_reports_a_second_column_and_an_unlisted_edit():
    once = add_widget_section(LAYOUT, SECTION)
    two_columns = once.replace(
        b"<style>OneColumn</style>", b"<layoutColumns/><style>OneColumn</style>"
    )
    assert widget_section_state(two_columns, SECTION).detail == (
        "section holds 1 item(s), expected the page alone"
    )
    extra = once.replace(
        b"<height>290</height>", b"<behavior>Readonly</behavior><height>290</height>"
    )
    assert widget_section_state(extra, SECTION) == SectionState("changed", "section edited")


def test_missing_anchor_message_lists_the_sections_exactly():
    anchored = WidgetSection("Totango", "Totango_Account_Insights", 290, "Nope")
    with pytest.raises(AnchorSectionNotFoundError) as caught:
        add_widget_section(LAYOUT, anchored)
    assert str(caught.value) == (
        "anchor section 'Nope' is not on the layout (sections: 'Account Information', "
        "'Address Information', 'System Information')"
    )
    with pytest.raises(AnchorSectionNotFoundError, match=r"\(sections: none\)$"):
        add_widget_section(NO_SECTIONS, anchored)
    unlabelled = LAYOUT.replace(b"<label>System Information</label>", b"")
    with pytest.raises(AnchorSectionNotFoundError, match=r"'Address Information', ''\)$"):
        add_widget_section(unlabelled, anchored)


def test_not_well_formed_message_names_the_layout():
    with pytest.raises(LayoutPatchError, match=r"^layout is not well-formed XML"):
        add_widget_section(b"<Layout", SECTION)


def test_removing_the_only_section_gives_the_empty_layout_back():
    empty = f'<Layout xmlns="{MD_NS}"/>'.encode()
    out = remove_widget_section(add_widget_section(empty, SECTION), SECTION)
    assert out == canonical_bytes(empty)
    assert out.endswith(b'metadata"/>\n')
