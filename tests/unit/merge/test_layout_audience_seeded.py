"""Which layouts a record page's users get, and whether the widget reaches them.

Data in, data out: profiles' layout assignments and page assignments in, the
profiles and record types that would miss our section out, on the emulator's seeded
profiles. Then the same through the record-page plan. The emulator's Profile retrieve
semantics are in tests/emulator/test_profile_retrieve.py.
"""

from __future__ import annotations

from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.merge.layout_audience import (
    Audience,
    LayoutAssignment,
    LayoutGap,
    layout_gaps,
    layouts_seen,
    layouts_showing,
    object_layouts,
    profile_assignments,
    retrieve_members,
)
from tasks.totango_sf.merge.record_page_plan import plan_record_pages
from tests.org_emulator.seed import SEED
from tests.support.profiles import MAIN, MD, PARTNER, profile_xml

ASSIGNMENTS = [
    LayoutAssignment("Admin", MAIN, None),
    LayoutAssignment("Admin", MAIN, "Account.Customer"),
    LayoutAssignment("Standard", MAIN, None),
    LayoutAssignment("Standard", PARTNER, "Account.Customer"),
    LayoutAssignment("Standard", "Lead-Lead Layout", None),
]


def test_profile_assignments_are_read_from_every_retrieved_profile():
    retrieved = {
        "profiles/Admin.profile": profile_xml((MAIN, None), (MAIN, "Account.Customer")),
        "profiles/Standard.profile": profile_xml((PARTNER, "Account.Customer")),
        "layouts/x.layout": b"<Layout/>",
    }
    assert profile_assignments(retrieved) == [
        LayoutAssignment("Admin", MAIN, None),
        LayoutAssignment("Admin", MAIN, "Account.Customer"),
        LayoutAssignment("Standard", PARTNER, "Account.Customer"),
    ]


def test_no_profile_retrieved_means_not_checked_not_no_assignments():
    assert profile_assignments({"layouts/x.layout": b"<Layout/>"}) is None
    assert profile_assignments({"profiles/Empty.profile": profile_xml()}) == []


def test_everyone_sees_every_assigned_layout_of_the_object():
    seen = layouts_seen(ASSIGNMENTS, "Account", Audience())
    assert {a.layout for a in seen} == {MAIN, PARTNER}
    assert all(a.sobject == "Account" for a in seen)


def test_a_profile_and_record_type_see_that_record_types_layout():
    seen = layouts_seen(ASSIGNMENTS, "Account", Audience("Standard", "Account.Customer"))
    assert [a.layout for a in seen] == [PARTNER]


def test_a_record_type_without_its_own_assignment_falls_back_to_the_master_layout():
    seen = layouts_seen(ASSIGNMENTS, "Account", Audience("Standard", "Account.Other"))
    assert [(a.layout, a.record_type) for a in seen] == [(MAIN, None)]


def test_a_profile_with_any_record_type_sees_all_its_layouts():
    seen = layouts_seen(ASSIGNMENTS, "Account", Audience("Standard"))
    assert {a.layout for a in seen} == {MAIN, PARTNER}


def test_gaps_name_who_misses_the_section():
    everyone = layout_gaps(ASSIGNMENTS, "Account", [Audience()], {MAIN})
    assert everyone == (LayoutGap("Standard", "Account.Customer", PARTNER),)
    assert everyone[0].describe() == (
        "profile Standard, record type Account.Customer: layout Account-Account Layout - Partner"
    )
    assert layout_gaps(ASSIGNMENTS, "Account", [Audience("Admin")], {MAIN}) == ()
    assert layout_gaps(ASSIGNMENTS, "Account", [Audience()], {MAIN, PARTNER}) == ()
    master_only = layout_gaps(ASSIGNMENTS, "Account", [Audience("Standard", "Account.X")], {MAIN})
    assert master_only == ()
    assert layout_gaps(ASSIGNMENTS, "Lead", [Audience()], set()) == (
        LayoutGap("Standard", None, "Lead-Lead Layout"),
    )
    assert (
        LayoutGap("Standard", None, "L").describe()
        == "profile Standard, record type Master: layout L"
    )


def test_retrieve_members_name_every_layout_of_the_objects_with_the_profiles():
    names = [MAIN, PARTNER, "Lead-Lead Layout", "Contact-Contact Layout"]
    assert object_layouts(["Account", "Lead"], names) == [MAIN, PARTNER, "Lead-Lead Layout"]
    assert retrieve_members(["Account"], names) == [
        ("Profile", "*"),
        ("Layout", MAIN),
        ("Layout", PARTNER),
    ]
    assert retrieve_members(["Opportunity"], names) == []


def test_layouts_showing_finds_a_page_placed_in_any_section():
    with_page = (
        f'<Layout xmlns="{MD}"><layoutSections><layoutColumns><layoutItems>'
        "<page>Totango_Account_Insights</page></layoutItems></layoutColumns>"
        "</layoutSections></Layout>"
    ).encode()
    retrieved = {f"layouts/{PARTNER}.layout": with_page, f"layouts/{MAIN}.layout": b"<Layout/>"}
    assert layouts_showing(retrieved, {"Totango_Account_Insights"}) == {PARTNER}
    assert layouts_showing(retrieved, {"Other"}) == set()


# -- through the record-page plan -------------------------------------------------


def seeded_files() -> dict[str, bytes]:
    """The seeded org's objects, apps, pages and profiles, as a full retrieve brings them."""
    files = {}
    for folder in ("objects", "applications", "flexipages", "profiles", "layouts"):
        for path in (SEED / folder).iterdir():
            files[f"{folder}/{path.name}"] = path.read_bytes()
    return files


def rows_by_page(plan) -> dict[str, dict]:
    return {row["page"]: row for row in plan.to_json()}


def test_the_plan_adds_our_component_where_a_profile_gets_an_unpatched_layout():
    config = build_config({"insights": {"objects": ["Account", "Lead"]}})
    covered = {MAIN, "Lead-Lead Layout"}
    rows = rows_by_page(plan_record_pages(config, seeded_files(), covered_layouts=covered))
    gap = "profile Standard, record type Account.Customer: layout Account-Account Layout - Partner"
    # Org default: everyone, so the Standard profile's Customer records too.
    assert rows["Account_Record_Page"]["widget_shows"] == "partly"
    assert rows["Account_Record_Page"]["action"] == "add"
    assert rows["Account_Record_Page"]["layout_gaps"] == [gap]
    # Assigned to exactly that profile and record type.
    assert rows["Account_Support_Page"]["layout_gaps"] == [gap]
    assert rows["Account_Support_Page"]["action"] == "add"
    # Admin only: its Lead layout is patched.
    assert rows["Lead_Admin_Page"]["widget_shows"] == "layout_section"
    assert rows["Lead_Admin_Page"]["action"] == "leave"
    assert rows["Lead_Admin_Page"]["layouts_checked"] is True


def test_a_deploy_that_patches_every_assigned_layout_leaves_record_detail_pages_alone():
    config = build_config({"insights": {"objects": ["Account"]}})
    rows = rows_by_page(plan_record_pages(config, seeded_files(), covered_layouts={MAIN, PARTNER}))
    assert rows["Account_Record_Page"]["widget_shows"] == "layout_section"
    assert rows["Account_Record_Page"]["action"] == "leave"
    assert rows["Account_Support_Page"]["action"] == "leave"


def test_a_list_selection_not_naming_the_page_leaves_it_but_says_who_misses_it():
    config = build_config({"insights": {"objects": ["Account"]}, "widget": {"record_pages": ["X"]}})
    rows = rows_by_page(plan_record_pages(config, seeded_files(), covered_layouts={MAIN}))
    assert rows["Account_Record_Page"]["action"] == "leave"
    assert "Account-Account Layout - Partner" in rows["Account_Record_Page"]["reason"]


def test_a_system_default_page_reports_the_profiles_that_miss_the_section():
    config = build_config({"insights": {"objects": ["Opportunity"]}})
    files = seeded_files()
    files["profiles/Standard.profile"] = profile_xml(("Opportunity-Opportunity Sales", None))
    rows = rows_by_page(
        plan_record_pages(config, files, covered_layouts={"Opportunity-Opportunity Layout"})
    )
    system = rows["(system default)"]
    assert system["widget_shows"] == "partly" and system["action"] == "leave"
    assert system["layout_gaps"] == [
        "profile Standard, record type Master: layout Opportunity-Opportunity Sales"
    ]


def test_without_profiles_or_covered_layouts_nothing_is_checked():
    config = build_config({"insights": {"objects": ["Account"]}})
    files = {k: v for k, v in seeded_files().items() if not k.startswith("profiles/")}
    rows = rows_by_page(plan_record_pages(config, files, covered_layouts={MAIN}))
    assert rows["Account_Record_Page"]["widget_shows"] == "layout_section"
    assert rows["Account_Record_Page"]["layouts_checked"] is False
    unchecked = rows_by_page(plan_record_pages(config, seeded_files()))
    assert unchecked["Account_Record_Page"]["layouts_checked"] is False
