"""Unit tests of the record-page plan (merge/record_page_plan.py) on small retrieves built here.

The plan decides which record pages get our component, lose it, or are created, so what
it returns is what a deploy sends. These tests need no shared test data and are the
runner of the module's mutation score (bench/mutation.py). Every page the plan would
send is checked against the Metadata API schema.
"""

from __future__ import annotations

from typing import Any

import pytest

from tasks.totango_sf.config.model import TotangoConfig, build_config
from tasks.totango_sf.merge.flexipage import (
    PageFacts,
    WidgetComponent,
    add_widget_component,
    page_facts,
    place_widget_component,
    remove_widget_component,
)
from tasks.totango_sf.merge.record_page_plan import (
    STANDARD_LIGHTNING_APPS,
    RecordPageOwnership,
    RecordPagePlan,
    RecordPageRow,
    assignment_members,
    created_page_name,
    flexipage_path,
    page_members,
    plan_record_pages,
    retrieve_members,
    widget_component_for,
)
from tasks.totango_sf.merge.record_pages import PageAssignment
from tasks.totango_sf.metadata.schema import MD_NS, load_schema
from tests.support.flexipages import (
    comp,
    detail,
    flexipage,
    ours,
    props_of,
    region,
    region_of,
    valid,
    vf,
)
from tests.support.page_assignments import app_file, override, profile_override, sobject_file

WIDGET_PAGE = "Totango_Account_Insights"
WITH_DETAIL = flexipage(region("main", detail()), region("sidebar"))
DYNAMIC = flexipage(region("main", comp("flexipage:fieldSection")), region("sidebar"))
CONTACT_PAGE = flexipage(region("main", comp("flexipage:fieldSection")), sobject="Contact")


ORG_DEFAULT = PageAssignment("Account", "Account_Record_Page", "org_default")
SALES = PageAssignment("Account", "Sales_Account", "app_default", "Sales")


def config(**widget: Any) -> TotangoConfig:
    return build_config({"insights": {"objects": ["Account", "Contact"]}, "widget": widget})


def retrieve(*extra: tuple[str, bytes]) -> dict[str, bytes]:
    """Account: org default Account_Record_Page (Record Detail); the Sales app shows
    Sales_Account (Dynamic Forms, no Record Detail). Contact: the system default."""
    files = {
        "objects/Account.object": sobject_file(override("Account_Record_Page")),
        "applications/Sales.app": app_file(override("Sales_Account", target="Account")),
        "flexipages/Account_Record_Page.flexipage": WITH_DETAIL,
        "flexipages/Sales_Account.flexipage": DYNAMIC,
    }
    files.update(extra)
    return files


def apex_page_meta(available: str | None) -> bytes:
    touch = f"<availableInTouch>{available}</availableInTouch>" if available is not None else ""
    data = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ApexPage xmlns="{MD_NS}">'
        f"<apiVersion>63.0</apiVersion>{touch}"
        "<confirmationTokenRequired>false</confirmationTokenRequired>"
        "<label>Totango</label></ApexPage>"
    ).encode()
    assert load_schema().validate_bytes(data) == []
    return data


def rows(plan: RecordPagePlan) -> list[tuple[str, str | None, str, str]]:
    return [(r.sobject, r.page, r.action, r.shows) for r in plan.rows]


def sent(plan: RecordPagePlan) -> None:
    """Every page the plan would deploy is schema-valid."""
    for data in (*plan.merged.values(), *plan.created.values()):
        valid(data)


# --- the plan -----------------------------------------------------------------------


def test_auto_adds_where_the_layout_section_does_not_show():
    files = retrieve()
    valid(WITH_DETAIL), valid(DYNAMIC)
    plan = plan_record_pages(config(), files)
    sent(plan)
    assert rows(plan) == [
        ("Account", "Account_Record_Page", "leave", "layout_section"),
        ("Account", "Sales_Account", "add", "never"),
        ("Contact", None, "leave", "layout_section"),
    ]
    leave, add, system = plan.rows
    assert leave.reason == "the layout section shows in the Record Detail component"
    assert add.reason == "no Record Detail component: add the component"
    assert system.reason == (
        "the system default page shows the layout (Record Detail); it cannot be edited"
    )
    assert leave.assigned == (PageAssignment("Account", "Account_Record_Page", "org_default"),)
    assert add.assigned == (PageAssignment("Account", "Sales_Account", "app_default", "Sales"),)
    assert system.assigned == (PageAssignment("Contact", None, "org_default"),)
    assert add.facts == page_facts(DYNAMIC, WIDGET_PAGE)
    assert leave.facts is not None and leave.facts.detail_panel
    assert system.facts is None

    widget = WidgetComponent(page=WIDGET_PAGE, height=290)
    assert plan.merged == {"Sales_Account": add_widget_component(DYNAMIC, widget, "63.0")}
    assert plan.originals == {"Sales_Account": DYNAMIC}
    assert plan.widgets == {"Sales_Account": widget}
    assert plan.created == {}
    assert plan.warnings == []
    (component,) = ours(plan.merged["Sales_Account"])
    assert props_of(component)["pageName"] == WIDGET_PAGE
    assert plan.action_of("Sales_Account") == "add"
    assert plan.action_of("Account_Record_Page") == "leave"
    assert plan.action_of("Nowhere") is None


def test_rows_and_plan_as_json():
    plan = plan_record_pages(config(), retrieve())
    assert plan.to_json() == [
        {
            "object": "Account",
            "page": "Account_Record_Page",
            "assigned": ["org default"],
            "widget_shows": "layout_section",
            "action": "leave",
            "reason": "the layout section shows in the Record Detail component",
            "dynamic_forms": False,
            "layouts_checked": False,
            "layout_gaps": [],
            "becomes_org_default": False,
        },
        {
            "object": "Account",
            "page": "Sales_Account",
            "assigned": ["app Sales"],
            "widget_shows": "never",
            "action": "add",
            "reason": "no Record Detail component: add the component",
            "dynamic_forms": True,
            "layouts_checked": False,
            "layout_gaps": [],
            "becomes_org_default": False,
        },
        {
            "object": "Contact",
            "page": "(system default)",
            "assigned": ["org default"],
            "widget_shows": "layout_section",
            "action": "leave",
            "reason": (
                "the system default page shows the layout (Record Detail); it cannot be edited"
            ),
            "dynamic_forms": None,
            "layouts_checked": False,
            "layout_gaps": [],
            "becomes_org_default": False,
        },
    ]


def test_all_adds_to_every_assigned_page():
    plan = plan_record_pages(config(record_pages="all"), retrieve())
    sent(plan)
    assert rows(plan) == [
        ("Account", "Account_Record_Page", "add", "layout_section"),
        ("Account", "Sales_Account", "add", "never"),
        ("Contact", None, "leave", "layout_section"),
    ]
    assert plan.rows[0].reason == "selected: add the component"
    assert sorted(plan.merged) == ["Account_Record_Page", "Sales_Account"]
    assert plan.originals["Account_Record_Page"] == WITH_DETAIL


def test_none_and_a_list_of_patterns():
    none = plan_record_pages(config(record_pages="none"), retrieve())
    assert [r.action for r in none.rows] == ["leave", "leave", "leave"]
    assert none.rows[1].reason == "not selected by widget.record_pages (none)"
    assert none.merged == none.originals == none.widgets == {}

    listed = plan_record_pages(config(record_pages=["Account_*"]), retrieve())
    sent(listed)
    assert [(r.page, r.action) for r in listed.rows] == [
        ("Account_Record_Page", "add"),
        ("Sales_Account", "leave"),
        (None, "leave"),
    ]
    assert listed.rows[1].reason == "not selected by widget.record_pages (['Account_*'])"
    assert list(listed.merged) == ["Account_Record_Page"]


def test_each_page_once_with_every_place_it_is_assigned():
    files = retrieve(
        (
            "applications/Service.app",
            app_file(
                profiles=(profile_override("Sales_Account", "Account", "Admin", "Account.Big"),)
            ),
        ),
        ("applications/Zeta.app", app_file(override("Sales_Account", target="Account"))),
    )
    files["extras/Other.app"] = app_file(override("Account_Record_Page", target="Account"))
    plan = plan_record_pages(config(), files)
    # Only applications/*.app files are apps.
    assert [a.where for a in plan.rows[0].assigned] == ["org default"]
    (row,) = [r for r in plan.rows if r.page == "Sales_Account"]
    assert [a.where for a in row.assigned] == [
        "app Sales",
        "app Service, record type Account.Big, profile Admin",
        "app Zeta",
    ]
    assert list(plan.merged) == ["Sales_Account"]


def test_pages_are_listed_under_their_own_object_in_name_order():
    files = retrieve(
        ("objects/Contact.object", sobject_file(override("Contact_Page"))),
        ("flexipages/Contact_Page.flexipage", CONTACT_PAGE),
        (
            "applications/Sales.app",
            app_file(
                override("Zed_Account", target="Account"),
                override("Sales_Account", target="Account"),
            ),
        ),
        ("flexipages/Zed_Account.flexipage", DYNAMIC),
    )
    plan = plan_record_pages(config(), files)
    sent(plan)
    assert [(r.sobject, r.page) for r in plan.rows] == [
        ("Account", "Account_Record_Page"),
        ("Account", "Sales_Account"),
        ("Account", "Zed_Account"),
        ("Contact", "Contact_Page"),
    ]
    assert plan.widgets["Contact_Page"].page == "Totango_Contact_Insights"
    assert plan.widgets["Zed_Account"].page == WIDGET_PAGE


def test_a_page_already_holding_our_component_is_chosen_again_and_left_as_it_is():
    widget = WidgetComponent(page=WIDGET_PAGE, height=290)
    merged = add_widget_component(DYNAMIC, widget, "63.0")
    plan = plan_record_pages(config(), retrieve(("flexipages/Sales_Account.flexipage", merged)))
    (row,) = [r for r in plan.rows if r.page == "Sales_Account"]
    # Judged without our component: it is still the page that needs it.
    assert (row.action, row.shows) == ("add", "never")
    assert row.facts == page_facts(DYNAMIC, WIDGET_PAGE)
    assert plan.merged["Sales_Account"] == merged


def test_our_component_on_a_page_no_longer_selected_is_taken_out():
    widget = WidgetComponent(page=WIDGET_PAGE, height=290)
    ours_on_detail = add_widget_component(WITH_DETAIL, widget, "63.0")
    files = retrieve(("flexipages/Account_Record_Page.flexipage", ours_on_detail))
    plan = plan_record_pages(config(), files)
    sent(plan)
    assert plan.rows[0] == RecordPageRow(
        "Account",
        "Account_Record_Page",
        (ORG_DEFAULT,),
        "layout_section",
        "remove",
        "the layout section shows in the Record Detail component: remove our component",
        page_facts(WITH_DETAIL, WIDGET_PAGE),
    )
    assert plan.merged["Account_Record_Page"] == remove_widget_component(ours_on_detail, widget)
    assert plan.originals["Account_Record_Page"] == ours_on_detail
    assert plan.widgets["Account_Record_Page"] == widget

    on_dynamic = add_widget_component(DYNAMIC, widget, "63.0")
    none = plan_record_pages(
        config(record_pages="none"), retrieve(("flexipages/Sales_Account.flexipage", on_dynamic))
    )
    (row,) = [r for r in none.rows if r.page == "Sales_Account"]
    assert row.action == "remove"
    assert row.reason == "not selected by widget.record_pages (none): remove our component"
    assert list(none.merged) == ["Sales_Account"]


def test_an_admins_own_component_of_our_page_is_left_alone():
    by_hand = flexipage(
        region("main", detail()), region("sidebar", vf(WIDGET_PAGE, identifier="x"))
    )
    plan = plan_record_pages(
        config(), retrieve(("flexipages/Account_Record_Page.flexipage", by_hand))
    )
    row = plan.rows[0]
    assert (row.action, row.shows) == ("leave", "component")
    assert plan.merged.keys() == {"Sales_Account"}


def test_a_page_that_cannot_be_read_or_merged_is_not_sent():
    files = retrieve()
    del files["flexipages/Sales_Account.flexipage"]
    plan = plan_record_pages(config(), files)
    assert plan.rows[1] == RecordPageRow(
        "Account",
        "Sales_Account",
        (SALES,),
        "never",
        "cannot",
        "assigned, but not retrievable (managed?)",
    )
    assert plan.merged == {}

    broken = plan_record_pages(
        config(), retrieve(("flexipages/Sales_Account.flexipage", b"<Layout/>"))
    )
    assert broken.rows[1] == RecordPageRow(
        "Account",
        "Sales_Account",
        (SALES,),
        "never",
        "cannot",
        "expected a FlexiPage root, found <Layout>",
    )
    assert broken.merged == {}

    nowhere = plan_record_pages(config(record_page_region="nowhere"), retrieve())
    assert nowhere.rows[1] == RecordPageRow(
        "Account",
        "Sales_Account",
        (SALES,),
        "never",
        "cannot",
        "region or tab 'nowhere' is not on the page (regions: main, sidebar)",
        page_facts(DYNAMIC, WIDGET_PAGE),
    )
    assert nowhere.merged == nowhere.originals == nowhere.widgets == {}


def test_a_pre_49_page_is_judged_and_left_but_not_given_a_component_at_api_63():
    # A project folder can hold pages in the pre-49.0 format. Another page's
    # Visualforce component there is not ours; a new one cannot be added in the
    # other format, and the page is named as refused, not sent.
    legacy_other = flexipage(
        region("main", detail(legacy=True)),
        region("sidebar", vf("Someone_Elses", legacy=True)),
    )
    legacy_bare = flexipage(region("main", comp("x:y", legacy=True)))
    valid(legacy_other), valid(legacy_bare)
    files = retrieve(
        ("flexipages/Account_Record_Page.flexipage", legacy_other),
        ("flexipages/Sales_Account.flexipage", legacy_bare),
    )
    plan = plan_record_pages(config(), files)
    assert plan.rows[0] == RecordPageRow(
        "Account",
        "Account_Record_Page",
        (ORG_DEFAULT,),
        "layout_section",
        "leave",
        "the layout section shows in the Record Detail component",
        PageFacts("Account", "legacy", True, False, "layout_section"),
    )
    assert plan.rows[1] == RecordPageRow(
        "Account",
        "Sales_Account",
        (SALES,),
        "never",
        "cannot",
        "the page is in the legacy format but API 63.0 needs the current one:"
        " retrieve and deploy at one API version",
        page_facts(legacy_bare, WIDGET_PAGE),
    )
    assert plan.merged == plan.originals == plan.widgets == {}
    # Selected, the page with another page's component is refused the same way.
    selected = plan_record_pages(config(record_pages="all"), files)
    assert [r.action for r in selected.rows[:2]] == ["cannot", "cannot"]
    assert selected.rows[0].facts == PageFacts("Account", "legacy", True, False, "layout_section")
    assert selected.merged == {}


# --- the Visualforce page must be usable in Lightning ------------------------------------


def test_a_page_not_available_in_lightning_is_not_placed_and_says_so():
    meta = ("pages/Totango_Account_Insights.page-meta.xml", apex_page_meta("false"))
    plan = plan_record_pages(config(create_record_page=True), retrieve(meta))
    reason = (
        "Visualforce page Totango_Account_Insights is not available in Lightning"
        " (availableInTouch false) and is not ours to change"
    )
    assert plan.warnings == [f"record pages of Account: {reason}"]
    assert plan.rows[1] == RecordPageRow(
        "Account",
        "Sales_Account",
        (SALES,),
        "never",
        "cannot",
        reason,
        page_facts(DYNAMIC, WIDGET_PAGE),
    )
    assert plan.rows[0].action == "leave"
    assert plan.merged == {}
    # Contact's page is another one, with no such file: its page is created.
    assert list(plan.created) == ["Contact_Totango_Record_Page"]


def test_a_page_not_available_in_lightning_still_loses_our_component():
    widget = WidgetComponent(page=WIDGET_PAGE, height=290)
    ours_on_detail = add_widget_component(WITH_DETAIL, widget, "63.0")
    plan = plan_record_pages(
        config(),
        retrieve(
            ("pages/Totango_Account_Insights.page-meta.xml", apex_page_meta("false")),
            ("flexipages/Account_Record_Page.flexipage", ours_on_detail),
        ),
    )
    assert plan.rows[0].action == "remove"
    assert list(plan.merged) == ["Account_Record_Page"]


def test_no_created_page_for_an_object_whose_page_is_unusable():
    config_ = build_config(
        {"insights": {"objects": ["Contact"]}, "widget": {"create_record_page": True}}
    )
    meta = ("pages/Totango_Contact_Insights.page-meta.xml", apex_page_meta("false"))
    plan = plan_record_pages(config_, retrieve(meta))
    assert rows(plan) == [("Contact", None, "leave", "layout_section")]
    assert plan.created == {}
    assert len(plan.warnings) == 1


def test_availability_in_lightning():
    for available in ("true", " true "):
        meta = ("pages/Totango_Account_Insights.page-meta.xml", apex_page_meta(available))
        plan = plan_record_pages(config(), retrieve(meta))
        assert plan.warnings == []
        assert plan.action_of("Sales_Account") == "add"
    # No availableInTouch means false (the field's default).
    meta = ("pages/Totango_Account_Insights.page-meta.xml", apex_page_meta(None))
    assert plan_record_pages(config(), retrieve(meta)).action_of("Sales_Account") == "cannot"
    # A page we ship is deployed available, whatever the org has today.
    meta = ("pages/Totango_Account_Insights.page-meta.xml", apex_page_meta("false"))
    shipped = plan_record_pages(config(), retrieve(meta), ["Totango_Account_Insights"])
    assert shipped.warnings == []
    assert shipped.action_of("Sales_Account") == "add"


# --- a new page for an object on the system default --------------------------------------


def test_a_page_is_created_for_an_object_on_the_system_default():
    plan = plan_record_pages(config(create_record_page=True), retrieve())
    sent(plan)
    assert rows(plan)[2:] == [
        ("Contact", "Contact_Totango_Record_Page", "create", "never"),
        ("Contact", None, "leave", "layout_section"),
    ]
    created = plan.rows[2]
    assert created.reason == (
        "users see org default's system page; created with Record Detail and the widget,"
        " not assigned: activate it in Lightning App Builder"
    )
    assert created.assigned == ()
    page = plan.created["Contact_Totango_Record_Page"]
    facts = page_facts(page, "Totango_Contact_Insights")
    assert (facts.sobject, facts.detail_panel, facts.widget) == ("Contact", True, "component")
    assert b"<masterLabel>Contact Record Page (Totango)</masterLabel>" in page
    (component,) = ours(page)
    assert region_of(component) == "sidebar"
    assert plan.widgets["Contact_Totango_Record_Page"] == widget_component_for(config(), "Contact")
    assert "Contact_Totango_Record_Page" not in plan.merged
    # Only objects on the system default get one.
    assert "Account_Totango_Record_Page" not in plan.created


def test_created_page_names():
    assert created_page_name("Contact") == "Contact_Totango_Record_Page"
    assert created_page_name("Renewal__c") == "Renewal_Totango_Record_Page"
    assert (
        created_page_name("ns__Renewal__c") == "ns_Renewal_Totango_Record_Page"
    )  # no double underscore


def test_no_page_is_created_before_api_49():
    old = config(create_record_page=True).model_copy(update={"api_version": "48.0"})
    plan = plan_record_pages(old, {})
    reason = "a new page needs API 49.0 or later (api_version is 48.0)"
    assert rows(plan)[::2] == [
        ("Account", "Account_Totango_Record_Page", "cannot", "never"),
        ("Contact", "Contact_Totango_Record_Page", "cannot", "never"),
    ]
    assert plan.rows[0].reason == reason
    assert plan.rows[0].assigned == ()
    assert plan.warnings == [
        f"record page Account_Totango_Record_Page not created: {reason}",
        f"record page Contact_Totango_Record_Page not created: {reason}",
    ]
    assert plan.created == plan.widgets == {}


# --- a local project ------------------------------------------------------------------------


def test_a_project_without_assignments_counts_its_record_pages_as_in_use():
    app_page = flexipage(region("main")).replace(
        b"<type>RecordPage</type></FlexiPage>", b"<type>AppPage</type></FlexiPage>"
    )
    files = {
        "flexipages/Account_Record_Page.flexipage": WITH_DETAIL,
        "flexipages/Sales_Account.flexipage": DYNAMIC,
        "flexipages/Contact_Page.flexipage": CONTACT_PAGE,
        "flexipages/Home.flexipage": app_page,
        "flexipages/Lead_Page.flexipage": flexipage(region("main"), sobject="Lead"),
        "flexipages/Other.flexipage-meta.xml": DYNAMIC,
        "layouts/Sales_Account.flexipage": DYNAMIC,
    }
    plan = plan_record_pages(config(), files, local_project=True)
    sent(plan)
    assert [(r.sobject, r.page, r.action) for r in plan.rows] == [
        ("Account", "Account_Record_Page", "leave"),
        ("Account", "Sales_Account", "add"),
        ("Contact", "Contact_Page", "add"),
    ]
    assert [a.where for a in plan.rows[1].assigned] == ["no assignment in this project"]
    assert plan.rows[1].assigned[0].level == "unassigned_here"


def test_a_project_with_assignments_uses_only_those():
    files = retrieve(("flexipages/Contact_Page.flexipage", CONTACT_PAGE))
    plan = plan_record_pages(config(), files, local_project=True)
    # No system default row (the org's is not in the folder); Contact_Page has no
    # assignment here, so it is not in use.
    assert [(r.sobject, r.page) for r in plan.rows] == [
        ("Account", "Account_Record_Page"),
        ("Account", "Sales_Account"),
    ]
    org = plan_record_pages(config(), files)
    assert [r.page for r in org.rows] == ["Account_Record_Page", "Sales_Account", None]


# --- what to retrieve, and the component ------------------------------------------------------


def test_retrieve_members():
    everything = [("CustomApplication", "*")] + [
        ("CustomApplication", name) for name in STANDARD_LIGHTNING_APPS
    ]
    everything.append(("FlexiPage", "*"))
    assert retrieve_members(config()) == everything
    assert retrieve_members(config(record_pages="all")) == everything
    assert retrieve_members(config(record_pages="none")) == []
    assert retrieve_members(config(record_pages="none", create_record_page=True)) == everything
    assert "standard__LightningSales" in STANDARD_LIGHTNING_APPS


def test_widget_component_for_follows_the_config():
    config_ = build_config(
        {
            "namespace": "tot",
            "widget": {
                "generate_page": False,
                "height": 400,
                "section_label": "Health",
                "record_page_region": "main",
                "record_page_position": "first",
            },
        }
    )
    assert widget_component_for(config_, "Account") == WidgetComponent(
        page="tot__Totango_Account_Insights",
        height=400,
        label="Health",
        show_label=False,
        region="main",
        position="first",
    )
    assert widget_component_for(config(), "Contact") == WidgetComponent(
        page="Totango_Contact_Insights", height=290
    )


def test_flexipage_path():
    assert flexipage_path("Account_Record_Page") == "flexipages/Account_Record_Page.flexipage"


def test_a_row_as_json_without_facts():
    row = RecordPageRow("Account", "X", (), "never", "cannot", "why")
    assert row.to_json() == {
        "object": "Account",
        "page": "X",
        "assigned": [],
        "widget_shows": "never",
        "action": "cannot",
        "reason": "why",
        "dynamic_forms": None,
        "layouts_checked": False,
        "layout_gaps": [],
        "becomes_org_default": False,
    }
    assert RecordPagePlan().to_json() == []


# --- who gets a layout without our section -------------------------------------------------

MAIN = "Account-Account Layout"
PARTNER = "Account-Account Layout - Partner"
CONTACT_LAYOUT = "Contact-Contact Layout"
CUSTOMER = "Account.Customer"
GAP = f"profile Standard, record type {CUSTOMER}: layout {PARTNER}"


def profile_file(*assignments: tuple[str, str | None]) -> bytes:
    body = "".join(
        f"<layoutAssignments><layout>{layout}</layout>"
        + (f"<recordType>{record_type}</recordType>" if record_type else "")
        + "</layoutAssignments>"
        for layout, record_type in assignments
    )
    data = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Profile xmlns="{MD_NS}"><custom>false</custom>'
        f"{body}<userLicense>Salesforce</userLicense></Profile>"
    ).encode()
    assert load_schema().validate_bytes(data) == []
    return data


# Admin: the main layout, and the partner one only for the Partner record type.
# Standard: the partner layout for Customer records. Both: the Contact layout.
PROFILES = (
    (
        "profiles/Admin.profile",
        profile_file((MAIN, None), (PARTNER, "Account.Partner"), (CONTACT_LAYOUT, None)),
    ),
    (
        "profiles/Standard.profile",
        profile_file((MAIN, None), (PARTNER, CUSTOMER), (CONTACT_LAYOUT, None)),
    ),
)


def test_a_record_detail_some_users_see_without_our_section_gets_the_component():
    plan = plan_record_pages(
        config(), retrieve(*PROFILES), covered_layouts={MAIN, "Account.Partner", CONTACT_LAYOUT}
    )
    sent(plan)
    assert rows(plan) == [
        ("Account", "Account_Record_Page", "add", "partly"),
        ("Account", "Sales_Account", "add", "never"),
        ("Contact", None, "leave", "layout_section"),
    ]
    org_default, sales, system = plan.rows
    partner_for_admin = f"profile Admin, record type Account.Partner: layout {PARTNER}"
    assert [g.describe() for g in org_default.layout_gaps] == [partner_for_admin, GAP]
    assert org_default.reason == (
        "the Record Detail shows a layout without our section to"
        f" {partner_for_admin}; {GAP}: add the component"
    )
    assert org_default.layouts_checked and sales.layouts_checked and system.layouts_checked
    # Only a Record Detail is judged by its layouts.
    assert (
        sales.layout_gaps == () and sales.reason == "no Record Detail component: add the component"
    )
    assert system.layout_gaps == ()
    assert system.reason == (
        "the system default page shows the layout (Record Detail); it cannot be edited"
    )
    assert sorted(plan.merged) == ["Account_Record_Page", "Sales_Account"]
    (component,) = ours(plan.merged["Account_Record_Page"])
    assert props_of(component)["pageName"] == WIDGET_PAGE


def test_a_record_detail_whose_every_layout_holds_the_section_is_left():
    plan = plan_record_pages(
        config(), retrieve(*PROFILES), covered_layouts={MAIN, PARTNER, CONTACT_LAYOUT}
    )
    assert rows(plan)[0] == ("Account", "Account_Record_Page", "leave", "layout_section")
    assert plan.rows[0].reason == "every layout its users get holds the section (Record Detail)"
    assert plan.rows[0].layouts_checked and plan.rows[0].layout_gaps == ()
    assert list(plan.merged) == ["Sales_Account"]


def test_the_system_default_page_says_who_misses_the_section_and_is_left():
    plan = plan_record_pages(config(), retrieve(*PROFILES), covered_layouts={MAIN, PARTNER})
    system = plan.rows[2]
    assert (system.page, system.action, system.shows) == (None, "leave", "partly")
    assert system.reason == (
        "the system default page shows the layout (Record Detail) and cannot be edited;"
        " these users get a layout without our section:"
        f" profile Admin, record type Master: layout {CONTACT_LAYOUT};"
        f" profile Standard, record type Master: layout {CONTACT_LAYOUT}"
    )
    assert [g.profile for g in system.layout_gaps] == ["Admin", "Standard"]
    assert system.layouts_checked
    assert system.sobject == "Contact"
    assert system.assigned == (PageAssignment("Contact", None, "org_default"),)
    assert plan.to_json()[2]["assigned"] == ["org default"]


def test_without_profiles_or_covered_layouts_the_layouts_are_not_checked():
    no_profiles = plan_record_pages(config(), retrieve(), covered_layouts={MAIN})
    no_covered = plan_record_pages(config(), retrieve(*PROFILES))
    for plan in (no_profiles, no_covered):
        assert rows(plan)[0] == ("Account", "Account_Record_Page", "leave", "layout_section")
        assert plan.rows[0].reason == "the layout section shows in the Record Detail component"
        assert [r.layouts_checked for r in plan.rows] == [False, False, False]
        assert [r.layout_gaps for r in plan.rows] == [(), (), ()]


def test_a_list_selection_leaves_an_unnamed_page_but_names_who_misses_the_section():
    plan = plan_record_pages(
        config(record_pages=["Sales_*"]), retrieve(*PROFILES), covered_layouts={MAIN}
    )
    assert rows(plan)[:2] == [
        ("Account", "Account_Record_Page", "leave", "partly"),
        ("Account", "Sales_Account", "add", "never"),
    ]
    assert plan.rows[0].reason == (
        "not selected by widget.record_pages (['Sales_*']); missed by"
        f" profile Admin, record type Account.Partner: layout {PARTNER}; {GAP}"
    )
    assert list(plan.merged) == ["Sales_Account"]


def test_a_profile_assignment_is_judged_by_that_profile_and_record_type_only():
    # Admin's Customer records get the main layout (covered); Standard's get the
    # partner layout (not covered). The same Record Detail page is fine for one and
    # needs our component for the other.
    admin_page = flexipage(region("main", detail()), region("sidebar"))
    app = app_file(
        profiles=(
            profile_override("Admin_Customer", "Account", "Admin", CUSTOMER),
            profile_override("Standard_Customer", "Account", "Standard", CUSTOMER),
        )
    )
    files = retrieve(
        *PROFILES,
        ("applications/Service.app", app),
        ("flexipages/Admin_Customer.flexipage", admin_page),
        ("flexipages/Standard_Customer.flexipage", admin_page),
    )
    plan = plan_record_pages(config(), files, covered_layouts={MAIN, CONTACT_LAYOUT})
    by_page = {r.page: r for r in plan.rows}
    admin, standard = by_page["Admin_Customer"], by_page["Standard_Customer"]
    assert (admin.action, admin.shows, admin.layout_gaps) == ("leave", "layout_section", ())
    assert admin.reason == "every layout its users get holds the section (Record Detail)"
    assert (standard.action, standard.shows) == ("add", "partly")
    assert [g.describe() for g in standard.layout_gaps] == [GAP]
    assert "Admin_Customer" not in plan.merged and "Standard_Customer" in plan.merged


def test_a_page_showing_the_widget_through_an_admins_component_says_so():
    page = flexipage(
        region("main", comp("flexipage:fieldSection")),
        region("sidebar", vf(WIDGET_PAGE, identifier="by_hand")),
    )
    valid(page)
    plan = plan_record_pages(config(), retrieve(("flexipages/Account_Record_Page.flexipage", page)))
    assert rows(plan)[0] == ("Account", "Account_Record_Page", "leave", "component")
    assert plan.rows[0].reason == (
        "the page shows the widget through a Visualforce component this setup did not place"
    )


# --- pre-49.0 pages: ours only by the recorded claim -----------------------------------------


def legacy_config(**widget: Any) -> TotangoConfig:
    return config(**widget).model_copy(update={"api_version": "48.0"})


LEGACY_WIDGET = WidgetComponent(page=WIDGET_PAGE, height=290)
LEGACY_BARE = flexipage(region("main", detail(legacy=True)), region("sidebar"))


def test_a_legacy_page_records_where_our_component_goes():
    files = retrieve(("flexipages/Account_Record_Page.flexipage", LEGACY_BARE))
    plan = plan_record_pages(legacy_config(record_pages="all"), files)
    merged, claim = place_widget_component(LEGACY_BARE, LEGACY_WIDGET, "48.0")
    assert claim is not None and claim.region == "sidebar" and claim.index == 0
    assert plan.action_of("Account_Record_Page") == "add"
    assert plan.merged["Account_Record_Page"] == valid(merged)
    assert plan.claims == {"Account_Record_Page": claim}


def test_a_legacy_page_with_our_claimed_component_is_updated_in_place_or_taken_out():
    placed, claim = place_widget_component(LEGACY_BARE, LEGACY_WIDGET, "48.0")
    assert claim is not None
    files = retrieve(("flexipages/Account_Record_Page.flexipage", placed))
    claims = {"Account_Record_Page": claim}

    again = plan_record_pages(legacy_config(record_pages="all"), files, legacy_claims=claims)
    # Judged without ours: the layout section; ours is found by the claim, not doubled.
    assert again.rows[0].shows == "layout_section"
    assert again.merged["Account_Record_Page"] == placed
    assert len(ours(placed)) == 1
    assert again.claims == claims

    dropped = plan_record_pages(legacy_config(record_pages="none"), files, legacy_claims=claims)
    assert rows(dropped)[0] == ("Account", "Account_Record_Page", "remove", "layout_section")
    assert dropped.rows[0].reason == (
        "the layout section shows in the Record Detail component: remove our component"
    )
    assert ours(dropped.merged["Account_Record_Page"]) == []
    assert dropped.originals["Account_Record_Page"] == placed

    # Without the record, the same component is not provably ours: left alone.
    unclaimed = plan_record_pages(legacy_config(record_pages="none"), files)
    assert rows(unclaimed)[0] == ("Account", "Account_Record_Page", "leave", "component")
    assert unclaimed.merged == {}


# --- the created page as the org default -------------------------------------------------------

CREATED = "Contact_Totango_Record_Page"


def assigning(objects: bool | list[str] = True, **widget: Any) -> TotangoConfig:
    return config(create_record_page={"assign_org_default": objects}, **widget)


def test_a_created_page_made_the_org_default_says_so_everywhere():
    plan = plan_record_pages(assigning(["Contact"]), retrieve())
    sent(plan)
    assert rows(plan)[2:] == [
        ("Contact", CREATED, "create", "never"),
        ("Contact", None, "leave", "layout_section"),
    ]
    created, system = plan.rows[2:]
    assert created.becomes_org_default and not system.becomes_org_default
    assert created.reason == (
        "users see org default's system page; created with Record Detail and the widget,"
        " and made the org default: every user of Contact sees it where no app or profile"
        " assignment applies"
    )
    assert system.reason == (
        "the system default page shows the layout (Record Detail); it cannot be edited;"
        f" replaced as the org default by {CREATED}"
    )
    assert created.assigned == () and plan.to_json()[2]["assigned"] == []
    assert plan.org_defaults == {"Contact": CREATED}
    assert plan.warnings == [
        f"widget.create_record_page.assign_org_default: {CREATED} becomes the org default"
        " record page of Contact, which every user of Contact sees where no app or app +"
        " record type + profile assignment applies"
    ]
    assert list(plan.created) == [CREATED]


def test_the_system_page_replaced_as_org_default_still_names_who_misses_the_section():
    plan = plan_record_pages(assigning(), retrieve(*PROFILES), covered_layouts={MAIN})
    system = plan.rows[3]
    assert system.shows == "partly"
    assert system.reason.endswith(
        f"profile Standard, record type Master: layout {CONTACT_LAYOUT};"
        f" replaced as the org default by {CREATED}"
    )


def test_a_created_page_not_assigned_to_this_object_is_not_made_the_default():
    plan = plan_record_pages(assigning(["Account"]), retrieve())
    created = plan.rows[2]
    assert (created.page, created.becomes_org_default) == (CREATED, False)
    assert plan.org_defaults == {} and plan.warnings == []
    assert plan.rows[3].reason.endswith("it cannot be edited")


def created_page() -> bytes:
    return plan_record_pages(config(create_record_page=True), retrieve()).created[CREATED]


def with_contact(*overrides: str, page: bytes | None = None) -> dict[str, bytes]:
    files = retrieve(("objects/Contact.object", sobject_file(*overrides)))
    files[flexipage_path(CREATED)] = page or created_page()
    return files


@pytest.mark.parametrize("flag", [True, ["Contact"]])
def test_our_created_page_already_the_org_default_stays_ours_unchanged(flag):
    plan = plan_record_pages(assigning(flag), with_contact(override(CREATED)))
    (row,) = [r for r in plan.rows if r.sobject == "Contact"]
    assert row == RecordPageRow(
        "Contact",
        CREATED,
        (PageAssignment("Contact", CREATED, "org_default"),),
        "component",
        "create",
        "created by this setup, in use (org default)",
    )
    assert plan.org_defaults == {"Contact": CREATED}
    assert plan.warnings == []
    assert plan.created[CREATED] == created_page()


def test_our_page_the_org_default_but_no_longer_to_be_assigned_warns_and_stays():
    plan = plan_record_pages(config(create_record_page=True), with_contact(override(CREATED)))
    (row,) = [r for r in plan.rows if r.sobject == "Contact"]
    assert (row.action, row.becomes_org_default) == ("create", False)
    assert plan.org_defaults == {}
    assert plan.warnings == [
        f"record page {CREATED}, created by this setup, is the org default of Contact,"
        " but widget.create_record_page.assign_org_default no longer assigns it: it"
        " stays assigned; rollback or Lightning App Builder takes it back"
    ]


def test_our_page_in_use_only_in_an_app_becomes_the_org_default_when_assigned():
    app = ("applications/Service.app", app_file(override(CREATED, target="Contact")))
    files = with_contact()
    files.update([app])
    plan = plan_record_pages(assigning(["Contact"]), files)
    contact = [r for r in plan.rows if r.sobject == "Contact"]
    assert [(r.page, r.action) for r in contact] == [(CREATED, "create"), (None, "leave")]
    assert contact[0].becomes_org_default
    assert contact[0].reason == (
        "users see org default's system page; created with Record Detail and the widget,"
        " and made the org default: every user of Contact sees it where no app or profile"
        " assignment applies"
    )


def test_our_page_replaced_as_org_default_by_an_admin_is_taken_back_on_deploy():
    admin = ("flexipages/Contact_Admin.flexipage", CONTACT_PAGE)
    files = with_contact(override("Contact_Admin"))
    files.update([admin])
    plan = plan_record_pages(assigning(["Contact"]), files)
    contact = [r for r in plan.rows if r.sobject == "Contact"]
    assert [(r.page, r.action) for r in contact] == [
        ("Contact_Admin", "add"),
        (CREATED, "create"),
    ]
    taken = contact[1]
    assert taken == RecordPageRow(
        "Contact",
        CREATED,
        (),
        "component",
        "create",
        "created by this setup, in use ()",
        becomes_org_default=True,
    )
    assert plan.org_defaults == {"Contact": CREATED}
    assert plan.warnings == [
        f"record page {CREATED}, created by this setup, is no longer the org default of"
        " Contact; widget.create_record_page.assign_org_default makes it the org default"
        " again on deploy"
    ]
    assert plan.created[CREATED] == created_page()


def test_our_page_replaced_by_an_admin_stays_unassigned_without_the_flag_or_in_a_project():
    admin = ("flexipages/Contact_Admin.flexipage", CONTACT_PAGE)
    files = with_contact(override("Contact_Admin"))
    files.update([admin])
    for plan in (
        plan_record_pages(config(create_record_page=True), files),
        plan_record_pages(assigning(["Account"]), files),
        plan_record_pages(assigning(["Contact"]), files, local_project=True),
    ):
        assert [r.page for r in plan.rows if r.sobject == "Contact"] == ["Contact_Admin"]
        assert CREATED not in plan.created and plan.warnings == []
    # A page of that name the org does not hold is not ours to assign.
    del files[flexipage_path(CREATED)]
    plan = plan_record_pages(assigning(["Contact"]), files)
    assert [r.page for r in plan.rows if r.sobject == "Contact"] == ["Contact_Admin"]


def test_our_replaced_page_is_not_taken_back_while_its_visualforce_page_is_unusable():
    admin = ("flexipages/Contact_Admin.flexipage", CONTACT_PAGE)
    meta = ("pages/Totango_Contact_Insights.page-meta.xml", apex_page_meta("false"))
    files = with_contact(override("Contact_Admin"))
    files.update([admin, meta])
    plan = plan_record_pages(assigning(["Contact"]), files)
    assert [(r.page, r.action) for r in plan.rows if r.sobject == "Contact"] == [
        ("Contact_Admin", "cannot")
    ]
    assert plan.created == {} and plan.org_defaults == {}


def test_every_other_page_of_the_object_is_planned_beside_our_created_page():
    # Pages named after ours in sort order, in apps: each still gets its row.
    later = flexipage(region("main", comp("flexipage:fieldSection")), sobject="Contact")
    apps = app_file(
        override(CREATED, target="Contact"), override("Contact_Z_Page", target="Contact")
    )
    # Our page in use in an app, the object on the system default: listed once,
    # beside the system default.
    files = with_contact()
    files.update({"applications/Service.app": apps, "flexipages/Contact_Z_Page.flexipage": later})
    for flag in (True, ["Contact"]):
        plan = plan_record_pages(assigning(flag), files)
        assert [(r.page, r.action) for r in plan.rows if r.sobject == "Contact"] == [
            (CREATED, "create"),
            (None, "leave"),
            ("Contact_Z_Page", "add"),
        ]
        assert "Contact_Z_Page" in plan.merged
    # Our page the org default and in the app: in use in both places.
    files["objects/Contact.object"] = sobject_file(override(CREATED))
    plan = plan_record_pages(assigning(), files)
    assert [(r.page, r.action) for r in plan.rows if r.sobject == "Contact"] == [
        (CREATED, "create"),
        ("Contact_Z_Page", "add"),
    ]
    assert plan.rows[2].reason == "created by this setup, in use (org default; app Service)"
    assert "Contact_Z_Page" in plan.merged


# --- the two reads and pages owned elsewhere -------------------------------------------


def test_assignment_members_name_every_app_and_no_page():
    apps = [("CustomApplication", "*")] + [
        ("CustomApplication", name) for name in STANDARD_LIGHTNING_APPS
    ]
    assert assignment_members(config()) == apps
    assert assignment_members(config(record_pages="none", create_record_page=True)) == apps
    assert assignment_members(config(record_pages="none")) == []


def test_page_members_are_the_assigned_pages_of_the_objects_and_the_created_ones():
    files = retrieve(("flexipages/Unassigned.flexipage", WITH_DETAIL))
    assert page_members(config(), files) == [
        ("FlexiPage", "Account_Record_Page"),
        ("FlexiPage", "Sales_Account"),
    ]
    # The page this setup creates is read too, for each configured object.
    created = page_members(config(create_record_page=True), files)
    assert ("FlexiPage", created_page_name("Contact")) in created
    assert ("FlexiPage", created_page_name("Account")) in created
    assert created == sorted(created)
    # An app that is not a Lightning app file, or an object not configured, adds nothing.
    extra = retrieve(
        ("applications/Sales.txt", app_file(override("Elsewhere", target="Account"))),
        ("objects/Case.object", sobject_file(override("Case_Page"))),
    )
    assert ("FlexiPage", "Elsewhere") not in page_members(config(), extra)
    assert ("FlexiPage", "Case_Page") not in page_members(config(), extra)
    assert page_members(config(record_pages="none"), files) == []


def owned_on(page: str, data: bytes) -> tuple[dict[str, bytes], RecordPageOwnership]:
    files = retrieve((flexipage_path(page), data))
    return files, RecordPageOwnership(pages=frozenset({page}))


def test_our_component_on_an_owned_page_no_row_covers_comes_out():
    widget = WidgetComponent(page=WIDGET_PAGE, height=290)
    with_ours = add_widget_component(WITH_DETAIL, widget, "63.0")
    files, owned = owned_on("Old_Account_Page", with_ours)
    plan = plan_record_pages(config(record_pages="none"), files, owned=owned)
    sent(plan)
    (row,) = [r for r in plan.rows if r.page == "Old_Account_Page"]
    assert (row.sobject, row.action, row.shows) == ("Account", "remove", "component")
    assert row.reason == (
        "ours, on a page widget.record_pages no longer selects: remove our component"
    )
    assert plan.merged["Old_Account_Page"] == remove_widget_component(with_ours, widget)
    assert plan.originals["Old_Account_Page"] == with_ours
    assert plan.widgets["Old_Account_Page"] == widget
    assert plan.ours["Old_Account_Page"] is False


def test_an_owned_page_without_our_component_unreadable_or_absent_is_left():
    # Our component already gone: nothing to take out.
    files, owned = owned_on("Old_Account_Page", WITH_DETAIL)
    plan = plan_record_pages(config(record_pages="none"), files, owned=owned)
    assert "Old_Account_Page" not in plan.merged
    assert all(r.page != "Old_Account_Page" for r in plan.rows)
    # Not in the read (deleted since): skipped.
    gone = RecordPageOwnership(pages=frozenset({"Gone_Page"}))
    plan = plan_record_pages(config(record_pages="none"), retrieve(), owned=gone)
    assert all(r.page != "Gone_Page" for r in plan.rows)
    # A page no deploy recorded is not ours, whatever it shows.
    widget = WidgetComponent(page=WIDGET_PAGE, height=290)
    with_ours = add_widget_component(WITH_DETAIL, widget, "63.0")
    files = retrieve(("flexipages/Old_Account_Page.flexipage", with_ours))
    plan = plan_record_pages(config(record_pages="none"), files, owned=RecordPageOwnership())
    assert "Old_Account_Page" not in plan.merged
