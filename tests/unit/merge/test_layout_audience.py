"""Unit tests of merge/layout_audience.py: who gets which layout, and who would miss our section.

The gaps found here decide whether the record-page plan adds our component to a page
(a page whose audience gets an unpatched layout is not covered by the layout section),
so they decide what a deploy sends. Small profiles and layouts built here; no emulator,
no shared test data. These tests are the runner of the module's mutation score
(bench/mutation.py).
"""

from __future__ import annotations

import pytest

from tasks.totango_sf.merge.layout_audience import (
    Audience,
    LayoutAssignment,
    LayoutGap,
    layout_gaps,
    layouts_seen,
    layouts_showing,
    object_layouts,
    profile_assignments,
    record_type_names,
    retrieve_members,
)
from tasks.totango_sf.metadata.schema import load_schema
from tests.support.profiles import MAIN, MD, PARTNER, profile_xml

SUPPORT = "Account-Support Layout"
PAGE = "Totango_Account_Insights"


def layout_xml(*pages: str) -> bytes:
    items = "".join(
        f"<layoutItems><height>200</height><page>{p}</page></layoutItems>" for p in pages
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Layout xmlns="{MD}"><layoutSections>'
        "<customLabel>false</customLabel><detailHeading>false</detailHeading>"
        "<editHeading>true</editHeading><label>Information</label>"
        f"<layoutColumns>{items}</layoutColumns><style>OneColumn</style>"
        "</layoutSections></Layout>"
    ).encode()


def test_the_profiles_and_layouts_built_here_are_schema_valid():
    schema = load_schema()
    assert not schema.validate_bytes(profile_xml((MAIN, None), (PARTNER, "Account.Customer")))
    assert not schema.validate_bytes(layout_xml(PAGE, "Other_Page"))


# -- reading the retrieve -------------------------------------------------------------


def test_an_assignments_object_is_what_precedes_the_first_dash_of_its_layout():
    assert LayoutAssignment("P", PARTNER, None).sobject == "Account"
    assert LayoutAssignment("P", "Foo__c-Foo Layout - EMEA - Sales", None).sobject == "Foo__c"


def test_profile_assignments_name_each_profile_in_path_order_with_master_as_none():
    retrieved = {
        # Not in name order: the result is.
        "profiles/Standard.profile": profile_xml((PARTNER, "Account.Customer")),
        "profiles/Admin.profile": profile_xml((MAIN, None), (SUPPORT, "Account.Support")),
        "layouts/Account-Account Layout.layout": layout_xml(),
        "objects/Account.object": b"<CustomObject/>",
    }
    assert profile_assignments(retrieved) == [
        LayoutAssignment("Admin", MAIN, None),
        LayoutAssignment("Admin", SUPPORT, "Account.Support"),
        LayoutAssignment("Standard", PARTNER, "Account.Customer"),
    ]


def test_profile_names_keep_spaces_and_dots():
    retrieved = {"profiles/Custom%3A Sales Profile.profile": profile_xml((MAIN, None))}
    assert profile_assignments(retrieved) == [
        LayoutAssignment("Custom%3A Sales Profile", MAIN, None)
    ]


def test_no_profile_in_the_retrieve_is_none_and_a_profile_without_assignments_is_empty():
    assert profile_assignments({}) is None
    assert profile_assignments({"layouts/x.layout": layout_xml()}) is None
    assert profile_assignments({"profiles/Empty.profile": profile_xml()}) == []


def test_assignments_without_a_layout_are_skipped_and_blank_record_types_are_master():
    data = (
        f'<Profile xmlns="{MD}">'
        "<layoutAssignments><recordType>Account.Customer</recordType></layoutAssignments>"
        "<layoutAssignments><layout>  </layout></layoutAssignments>"
        f"<layoutAssignments><layout> {MAIN} </layout><recordType> </recordType>"
        "</layoutAssignments>"
        f"<layoutAssignments><layout>{PARTNER}</layout>"
        "<recordType> Account.Customer </recordType></layoutAssignments>"
        "</Profile>"
    ).encode()
    assert profile_assignments({"profiles/P.profile": data}) == [
        LayoutAssignment("P", MAIN, None),
        LayoutAssignment("P", PARTNER, "Account.Customer"),
    ]


def test_retrieve_members_bring_the_profiles_with_every_layout_of_the_objects_sorted():
    names = ["Lead-Lead Layout", PARTNER, "Contact-Contact Layout", MAIN, "AccountX-Other"]
    assert object_layouts(["Lead", "Account"], names) == [MAIN, PARTNER, "Lead-Lead Layout"]
    assert object_layouts(["Account"], iter(names)) == [MAIN, PARTNER]
    assert retrieve_members(["Account"], names) == [
        ("Profile", "*"),
        ("Layout", MAIN),
        ("Layout", PARTNER),
    ]


def test_record_types_are_named_after_the_layouts_sorted():
    # Named so that the record-type-specific assignments come back, without the object
    # (whose fields would bring every field permission into every profile).
    members = retrieve_members(["Account"], [MAIN], ["Account.Partner", "Account.Customer"])
    assert members == [
        ("Profile", "*"),
        ("Layout", MAIN),
        ("RecordType", "Account.Customer"),
        ("RecordType", "Account.Partner"),
    ]
    assert retrieve_members(["Account"], [MAIN], []) == [("Profile", "*"), ("Layout", MAIN)]
    # No layout of the objects: no profile read, whatever record types there are.
    assert retrieve_members(["Lead"], [MAIN], ["Lead.Web"]) == []


def object_xml(*record_types: str) -> bytes:
    types = "".join(
        f"<recordTypes><fullName>{name}</fullName><active>true</active></recordTypes>"
        for name in record_types
    )
    return f'<CustomObject xmlns="{MD}">{types}<label>Account</label></CustomObject>'.encode()


def test_record_type_names_are_object_dot_name_in_file_order():
    assert record_type_names(object_xml("Customer", "Partner"), "Account") == [
        "Account.Customer",
        "Account.Partner",
    ]
    # Surrounding space is not part of the name; an empty name names nothing.
    assert record_type_names(object_xml(" Customer ", "", "  "), "Account") == ["Account.Customer"]
    assert record_type_names(object_xml(), "Account") == []
    assert record_type_names(None, "Account") == []
    assert record_type_names(b"", "Account") == []


def test_no_layout_of_the_objects_means_no_profile_retrieve():
    assert retrieve_members(["Opportunity"], [MAIN]) == []
    assert retrieve_members([], [MAIN]) == []
    assert object_layouts([], [MAIN]) == []


def test_layouts_showing_one_of_the_pages_among_other_items():
    retrieved = {
        f"layouts/{PARTNER}.layout": layout_xml("Other_Page", PAGE),
        f"layouts/{MAIN}.layout": layout_xml("Other_Page"),
        f"layouts/{SUPPORT}.layout": layout_xml(),
        "profiles/Admin.profile": profile_xml((MAIN, None)),
    }
    assert layouts_showing(retrieved, {PAGE}) == {PARTNER}
    assert layouts_showing(retrieved, {PAGE, "Other_Page"}) == {MAIN, PARTNER}
    assert layouts_showing(retrieved, {"Nothing"}) == set()
    assert layouts_showing({}, {PAGE}) == set()


def test_a_page_name_with_surrounding_whitespace_still_counts():
    data = layout_xml(f"\n  {PAGE}\n")
    assert layouts_showing({f"layouts/{MAIN}.layout": data}, {PAGE}) == {MAIN}


# -- who sees which layout ------------------------------------------------------------

ASSIGNMENTS = [
    LayoutAssignment("Admin", MAIN, None),
    LayoutAssignment("Admin", SUPPORT, "Account.Support"),
    LayoutAssignment("Standard", MAIN, None),
    LayoutAssignment("Standard", PARTNER, "Account.Customer"),
    LayoutAssignment("Standard", "Lead-Lead Layout", None),
    LayoutAssignment("Partner", PARTNER, "Account.Customer"),
]


def test_everyone_sees_every_assignment_of_the_object_and_nothing_of_others():
    assert layouts_seen(ASSIGNMENTS, "Account", Audience()) == [
        a for a in ASSIGNMENTS if a.sobject == "Account"
    ]
    assert layouts_seen(ASSIGNMENTS, "Lead", Audience()) == [ASSIGNMENTS[4]]
    assert layouts_seen(ASSIGNMENTS, "Contact", Audience()) == []


def test_a_profile_sees_only_its_own_assignments():
    assert layouts_seen(ASSIGNMENTS, "Account", Audience("Standard")) == [
        LayoutAssignment("Standard", MAIN, None),
        LayoutAssignment("Standard", PARTNER, "Account.Customer"),
    ]
    assert layouts_seen(ASSIGNMENTS, "Account", Audience("Nobody")) == []


def test_a_record_type_sees_its_own_layout_per_profile_else_the_master_layout():
    # Everyone with the Customer record type: Admin has no Customer assignment
    # (master), Partner has no master one (only its own), Standard has both.
    assert layouts_seen(ASSIGNMENTS, "Account", Audience(None, "Account.Customer")) == [
        LayoutAssignment("Admin", MAIN, None),
        LayoutAssignment("Partner", PARTNER, "Account.Customer"),
        LayoutAssignment("Standard", PARTNER, "Account.Customer"),
    ]
    assert layouts_seen(ASSIGNMENTS, "Account", Audience("Admin", "Account.Support")) == [
        LayoutAssignment("Admin", SUPPORT, "Account.Support")
    ]
    assert layouts_seen(ASSIGNMENTS, "Account", Audience("Admin", "Account.Other")) == [
        LayoutAssignment("Admin", MAIN, None)
    ]
    # A profile with neither that record type's nor a master assignment sees none.
    assert layouts_seen(ASSIGNMENTS, "Account", Audience("Partner", "Account.Other")) == []


# -- the gaps -------------------------------------------------------------------------


def test_gaps_are_who_gets_a_layout_outside_the_covered_ones():
    assert layout_gaps(ASSIGNMENTS, "Account", [Audience()], {MAIN, SUPPORT}) == (
        LayoutGap("Partner", "Account.Customer", PARTNER),
        LayoutGap("Standard", "Account.Customer", PARTNER),
    )
    assert layout_gaps(ASSIGNMENTS, "Account", [Audience()], {MAIN, SUPPORT, PARTNER}) == ()
    assert layout_gaps(ASSIGNMENTS, "Account", [Audience("Admin")], {MAIN, SUPPORT}) == ()
    assert layout_gaps(ASSIGNMENTS, "Account", [Audience("Admin", "Account.X")], {MAIN}) == ()


def test_gaps_of_several_audiences_are_merged_once_each_and_sorted():
    # A generator: read once, used for every audience.
    gaps = layout_gaps(
        (a for a in ASSIGNMENTS),
        "Account",
        [Audience("Standard"), Audience("Admin"), Audience(None, "Account.Customer")],
        set(),
    )
    assert gaps == (
        LayoutGap("Admin", None, MAIN),
        LayoutGap("Admin", "Account.Support", SUPPORT),
        LayoutGap("Partner", "Account.Customer", PARTNER),
        LayoutGap("Standard", None, MAIN),
        LayoutGap("Standard", "Account.Customer", PARTNER),
    )


def test_gaps_sort_master_first_then_record_type_then_layout():
    assignments = [
        LayoutAssignment("P", "Account-B", "Account.A"),
        LayoutAssignment("P", "Account-Z", None),
        LayoutAssignment("P", "Account-A", "Account.A"),
    ]
    assert layout_gaps(assignments, "Account", [Audience()], set()) == (
        LayoutGap("P", None, "Account-Z"),
        LayoutGap("P", "Account.A", "Account-A"),
        LayoutGap("P", "Account.A", "Account-B"),
    )


@pytest.mark.parametrize(
    ("gap", "text"),
    [
        (
            LayoutGap("Standard", "Account.Customer", PARTNER),
            "profile Standard, record type Account.Customer: layout " + PARTNER,
        ),
        (LayoutGap("Standard", None, MAIN), "profile Standard, record type Master: layout " + MAIN),
    ],
)
def test_a_gap_says_who_and_which_layout(gap, text):
    assert gap.describe() == text
