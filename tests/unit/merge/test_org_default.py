"""Unit tests of merge/org_default.py: the object file sent for an org default and its rollback.

What these functions return is the CustomObject file sent to the org, so the tests compare
it element by element (and, for the entries we write, text for text) and validate it
against the Metadata API schema. Small object files built here; no emulator, no shared
test data. These tests are the runner of the module's mutation score (bench/mutation.py).
"""

from __future__ import annotations

import pytest

from tasks.totango_sf.merge.org_default import (
    COMMENT,
    OrgDefaultError,
    assign_org_default,
    exact_overrides,
    org_default_page,
    override_key,
    overrides_only,
    restore_org_default,
    system_default_override,
    view_override,
)
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import load_schema

MD = "http://soap.sforce.com/2006/04/metadata"
OURS = "Opportunity_Totango_Record_Page"
HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="{MD}">\n'


def override(action: str, kind: str, form_factor: str | None = None, content: str = "") -> str:
    return (
        f"<actionName>{action}</actionName>"
        + (f"<content>{content}</content>" if content else "")
        + (f"<formFactor>{form_factor}</formFactor>" if form_factor else "")
        + f"<type>{kind}</type>"
    )


def object_file(*overrides: str, fields: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="{MD}">'
        + "".join(f"<actionOverrides>{o}</actionOverrides>" for o in overrides)
        + fields
        + "</CustomObject>\n"
    ).encode()


# As an org writes the overrides it holds (no comment, as an admin's own override may be).
EDIT = override("Edit", "Standard")
TAB = override("Tab", "Visualforce", content="Opportunity_Tab")
PHONE = override("View", "Flexipage", "Small", "Opportunity_Phone_Page")
ADMIN_DEFAULT = override("View", "Flexipage", "Large", "Admin_Page")
NEW_DEFAULT = override("New", "Default", "Large")
FIELD = (
    "<fields><fullName>Health__c</fullName><label>Health</label><length>10</length>"
    "<type>Text</type></fields>"
)


def entries(data: bytes) -> list[list[tuple[str, str]]]:
    """Each actionOverrides entry as (child, text) pairs, in file order."""
    root = parse_xml(data)
    assert root.tag == f"{{{MD}}}CustomObject"
    assert all(child.tag == f"{{{MD}}}actionOverrides" for child in root)
    return [[(c.tag.split("}")[1], c.text or "") for c in o] for o in root]


def pairs(entry_xml: str) -> list[tuple[str, str]]:
    return entries(object_file(entry_xml))[0]


def valid(data: bytes) -> bytes:
    assert not load_schema().validate_bytes(data)
    return data


OUR_ENTRY = [
    ("actionName", "View"),
    ("comment", COMMENT),
    ("content", OURS),
    ("formFactor", "Large"),
    ("skipRecordTypeSelect", "false"),
    ("type", "Flexipage"),
]
OURS_XML = "".join(f"<{name}>{text}</{name}>" for name, text in OUR_ENTRY)
SYSTEM_ENTRY = [("actionName", "View"), ("formFactor", "Large"), ("type", "Default")]


def test_our_override_is_written_as_lightning_app_builder_writes_it():
    assert (
        valid(assign_org_default(None, OURS))
        == (
            HEAD + "    <actionOverrides>\n"
            "        <actionName>View</actionName>\n"
            "        <comment>Action override created by Lightning App Builder during activation."
            "</comment>\n"
            f"        <content>{OURS}</content>\n"
            "        <formFactor>Large</formFactor>\n"
            "        <skipRecordTypeSelect>false</skipRecordTypeSelect>\n"
            "        <type>Flexipage</type>\n"
            "    </actionOverrides>\n"
            "</CustomObject>\n"
        ).encode()
    )
    assert [(c.tag, c.text) for c in view_override(OURS)] == [
        (f"{{{MD}}}{name}", text) for name, text in OUR_ENTRY
    ]
    assert [(c.tag, c.text) for c in system_default_override()] == [
        (f"{{{MD}}}{name}", text) for name, text in SYSTEM_ENTRY
    ]


def test_an_empty_object_gives_back_the_system_default_page_explicitly():
    assert (
        valid(restore_org_default(None, None))
        == (
            HEAD + "    <actionOverrides>\n"
            "        <actionName>View</actionName>\n"
            "        <formFactor>Large</formFactor>\n"
            "        <type>Default</type>\n"
            "    </actionOverrides>\n"
            "</CustomObject>\n"
        ).encode()
    )
    assert restore_org_default(b"", object_file()) == restore_org_default(None, None)


# -- reading ---------------------------------------------------------------------------


def test_overrides_only_keeps_the_org_s_overrides_in_order_and_nothing_else():
    data = object_file(TAB, EDIT, PHONE, fields=FIELD)
    only = valid(overrides_only(data))
    assert only.startswith(HEAD.encode())
    assert entries(only) == [pairs(TAB), pairs(EDIT), pairs(PHONE)]
    assert overrides_only(None) == overrides_only(b"") == (HEAD[:-2] + "/>\n").encode()
    assert entries(overrides_only(object_file(fields=FIELD))) == []


@pytest.mark.parametrize(
    ("overrides", "page"),
    [
        ((), None),
        ((EDIT, PHONE), None),  # the phone's record page is not the org default
        ((EDIT, ADMIN_DEFAULT, PHONE), "Admin_Page"),
        ((override("View", "Default", "Large"),), None),
        ((override("View", "Visualforce", "Large", "Admin_Vf"),), None),
        ((override("Edit", "Flexipage", "Large", "Edit_Page"),), None),
        ((override("View", "Flexipage", "Large", " Admin_Page "),), "Admin_Page"),
        ((override("View", "Flexipage", "Large"),), None),  # no page named: none
    ],
)
def test_the_org_default_page_is_the_view_large_flexipage_override(overrides, page):
    assert org_default_page(object_file(*overrides)) == page


def test_no_object_file_means_the_system_default():
    assert org_default_page(None) is None
    assert org_default_page(b"") is None


def test_an_override_key_is_its_action_and_form_factor():
    root = parse_xml(object_file(PHONE, EDIT))
    assert [override_key(o) for o in root] == [("View", "Small"), ("Edit", "")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<CustomObject", "the object file is not well-formed XML"),
        (f'<Layout xmlns="{MD}"/>'.encode(), "expected a CustomObject root, found <Layout>"),
    ],
)
def test_an_unreadable_object_file_is_refused_by_every_entry_point(data, message):
    for call in (
        lambda: overrides_only(data),
        lambda: org_default_page(data),
        lambda: assign_org_default(data, OURS),
        lambda: restore_org_default(data, None),
        lambda: restore_org_default(None, data),
        lambda: exact_overrides(None, data),
        lambda: exact_overrides(data, None),
    ):
        with pytest.raises(OrgDefaultError, match=message):
            call()


# -- assigning -------------------------------------------------------------------------


def test_assigning_replaces_the_view_large_entry_in_place_and_keeps_the_others():
    before = object_file(EDIT, ADMIN_DEFAULT, PHONE, fields=FIELD)
    after = valid(assign_org_default(before, OURS))
    assert entries(after) == [pairs(EDIT), OUR_ENTRY, pairs(PHONE)]
    assert org_default_page(after) == OURS


def test_assigning_where_the_org_has_no_view_large_entry_adds_it_after_the_others():
    after = valid(assign_org_default(object_file(PHONE, EDIT, NEW_DEFAULT), OURS))
    assert entries(after) == [pairs(PHONE), pairs(EDIT), pairs(NEW_DEFAULT), OUR_ENTRY]


def test_assigning_the_page_that_already_is_the_default_leaves_the_org_s_entry_as_it_is():
    already = override("View", "Flexipage", "Large", OURS)
    before = object_file(EDIT, already, fields=FIELD)
    assert assign_org_default(before, OURS) == overrides_only(before)
    assert entries(assign_org_default(before, OURS)) == [pairs(EDIT), pairs(already)]
    once = assign_org_default(object_file(EDIT), OURS)
    assert assign_org_default(once, OURS) == once


# -- taking it back --------------------------------------------------------------------


def test_restore_gives_back_the_previous_entry_and_keeps_what_changed_elsewhere():
    previous = object_file(EDIT, ADMIN_DEFAULT)
    deployed = assign_org_default(previous, OURS)
    # Since the deploy an admin added a phone page and a tab override.
    now = object_file(EDIT, TAB, OURS_XML, PHONE)
    restored = valid(restore_org_default(now, previous))
    assert entries(restored) == [pairs(EDIT), pairs(TAB), pairs(ADMIN_DEFAULT), pairs(PHONE)]
    assert org_default_page(restored) == "Admin_Page"
    assert entries(restore_org_default(deployed, previous)) == entries(overrides_only(previous))


def test_restore_without_a_previous_view_large_entry_sets_the_system_default():
    deployed = assign_org_default(object_file(PHONE), OURS)
    restored = valid(restore_org_default(deployed, object_file(PHONE, EDIT)))
    assert entries(restored) == [pairs(PHONE), SYSTEM_ENTRY]
    assert org_default_page(restored) is None
    # Nothing there now either: the Default entry is added, not left out.
    assert entries(restore_org_default(object_file(EDIT), None)) == [pairs(EDIT), SYSTEM_ENTRY]


def test_exact_overrides_reset_every_override_made_since_and_keep_the_original_ones():
    original = object_file(EDIT, PHONE, fields=FIELD)
    # First an override the original had (changed since: it is put back), then ones
    # it had not: ours (View / Large), a Tab override (no form factor), and a
    # Default entry (nothing to reset).
    current = object_file(
        override("Edit", "Visualforce", content="Edit_Vf"),
        OURS_XML,
        NEW_DEFAULT,
        TAB,
        PHONE,
    )
    exact = valid(exact_overrides(original, current))
    assert entries(exact) == [
        pairs(EDIT),
        pairs(PHONE),
        SYSTEM_ENTRY,
        [("actionName", "Tab"), ("type", "Default")],
    ]
    assert org_default_page(exact) is None


def test_exact_overrides_of_an_unchanged_object_are_the_original_ones():
    original = object_file(EDIT, ADMIN_DEFAULT, PHONE)
    assert exact_overrides(original, original) == overrides_only(original)
    assert exact_overrides(None, None) == overrides_only(None)
    assert entries(exact_overrides(None, assign_org_default(None, OURS))) == [SYSTEM_ENTRY]
