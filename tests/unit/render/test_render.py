"""Every rendered file is schema-valid, escaped, and says what the setup needs."""

import pytest

from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.metadata.components import (
    Component,
    components_from_mdapi,
    mdapi_files,
    source_files,
)
from tasks.totango_sf.metadata.package_xml import package_member
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.validation import validate_files
from tasks.totango_sf.metadata.visualforce import escaping_problems, parse_visualforce
from tasks.totango_sf.render.plan import build_plan, package_files, plan_files
from tests.support.schemas import oracle_schemas

NS = "{http://soap.sforce.com/2006/04/metadata}"

HOSTILE_LABEL = "Tot<b>&{{ 7*7 }}"

CONFIGS = {
    "default": {},
    "custom-object-and-namespace": {
        "namespace": "totango",
        "insights": {"objects": ["Account", "Renewal__c"]},
    },
    "managed-page": {"namespace": "totango", "widget": {"generate_page": False}},
    "hostile-labels": {
        "widget": {"section_label": HOSTILE_LABEL},
        "tab": {"label": "Tab & <Co>", "url": "https://app.totango.com/?a=1&b=<2>"},
        "permission_set": {"label": "{{ config }} & <x>"},
        "insights": {
            "fields": {
                "Totango_Health_Profile__c": {
                    "label": "Profile <{{x}}>",
                    "description": "a & b < c {% if 1 %}",
                    "help_text": "]]> {{ 1 }}",
                }
            }
        },
    },
    "no-tab-no-reports": {"tab": {"enabled": False}, "reports": {"enabled": False}},
}


@pytest.fixture(params=sorted(CONFIGS))
def plan(request):
    return build_plan(build_config(CONFIGS[request.param]))


@pytest.mark.parametrize("output_format", ["mdapi", "source"])
def test_every_written_file_passes_both_schemas(plan, output_format):
    files = plan_files(plan, output_format)
    assert files
    for schema in oracle_schemas():
        assert validate_files(files, schema) == [], schema.api_version


def test_hostile_labels_come_out_escaped_not_executed():
    plan = build_plan(build_config(CONFIGS["hostile-labels"]))
    files = plan_files(plan, "mdapi")
    section = parse_xml(files["patches/layouts/Account.section.xml"])
    assert section.findtext(f"{NS}layoutSections/{NS}label") == HOSTILE_LABEL
    assert b"Tot&lt;b&gt;&amp;{{ 7*7 }}" in files["patches/layouts/Account.section.xml"]
    tab = parse_xml(files["package/tabs/Totango.tab"])
    assert tab.findtext(f"{NS}label") == "Tab & <Co>"
    assert tab.findtext(f"{NS}url") == "https://app.totango.com/?a=1&b=<2>"
    perm = parse_xml(files["package/permissionsets/Totango_Insights.permissionset"])
    assert perm.findtext(f"{NS}label") == "{{ config }} & <x>"
    obj = parse_xml(files["package/objects/Account.object"])
    profile = next(
        f for f in obj.findall(f"{NS}fields") if f.findtext(f"{NS}fullName").endswith("Profile__c")
    )
    assert profile.findtext(f"{NS}label") == "Profile <{{x}}>"
    assert profile.findtext(f"{NS}description") == "a & b < c {% if 1 %}"
    assert profile.findtext(f"{NS}inlineHelpText") == "]]> {{ 1 }}"
    assert b"49" not in files["patches/layouts/Account.section.xml"]


def test_fields_follow_salesforce_type_rules():
    plan = build_plan(build_config({}))
    fields = {c.full_name: parse_xml(c.xml) for c in plan.components if c.type == "CustomField"}
    assert len(fields) == 3 * 12
    health = fields["Account.Totango_Account_Health__c"]
    assert health.findtext(f"{NS}valueSet/{NS}restricted") == "true"
    values = health.findall(f"{NS}valueSet/{NS}valueSetDefinition/{NS}value/{NS}fullName")
    assert [v.text for v in values] == ["Good", "Average", "Poor"]
    utilisation = fields["Lead.Totango_License_Utilization__c"]
    assert utilisation.findtext(f"{NS}type") == "Percent"
    assert utilisation.findtext(f"{NS}precision") and utilisation.findtext(f"{NS}scale")
    active = fields["Opportunity.Totango_Active_Users_Last_14_Days__c"]
    assert active.findtext(f"{NS}type") == "Number"
    online = fields["Account.Totango_Is_Online__c"]
    assert online.findtext(f"{NS}defaultValue") == "false"
    icon = fields["Account.Totango_Health_Icon__c"]
    assert "IMAGE(" in icon.findtext(f"{NS}formula")
    assert icon.find(f"{NS}length") is None
    for field in fields.values():
        assert field.findtext(f"{NS}description") and field.findtext(f"{NS}inlineHelpText")


def test_one_page_per_object_with_every_field_escaped():
    cfg = build_config({"insights": {"objects": ["Account", "Lead", "Renewal__c"]}})
    pages = [c for c in build_plan(cfg).components if c.type == "ApexPage"]
    assert [p.full_name for p in pages] == [
        "Totango_Account_Insights",
        "Totango_Lead_Insights",
        "Totango_Renewal_Insights",
    ]
    for page, obj in zip(pages, ["Account", "Lead", "Renewal__c"], strict=True):
        root = parse_visualforce(page.body or b"")
        assert root.get("standardController") == obj
        body = (page.body or b"").decode()
        for field in cfg.insights.resolved_fields():
            if field.type != "Url":
                assert f"{obj}.{field.api_name}" in body
        assert "Open in Totango" in body
        assert "tg-health-good" in body and "#2e844a" in body
        assert escaping_problems(page.body or b"") == []


def test_permission_set_grants_read_on_fields_pages_and_tab():
    plan = build_plan(build_config({}))
    perm = next(c for c in plan.components if c.type == "PermissionSet")
    root = parse_xml(perm.xml)
    fields = root.findall(f"{NS}fieldPermissions")
    assert len(fields) == 36
    assert all(f.findtext(f"{NS}readable") == "true" for f in fields)
    assert all(f.findtext(f"{NS}editable") == "false" for f in fields)
    pages = {p.findtext(f"{NS}apexPage") for p in root.findall(f"{NS}pageAccesses")}
    assert pages == {
        "Totango_Account_Insights",
        "Totango_Lead_Insights",
        "Totango_Opportunity_Insights",
    }
    assert root.findtext(f"{NS}tabSettings/{NS}tab") == "Totango"


def test_managed_page_is_namespace_prefixed_and_not_generated():
    plan = build_plan(build_config(CONFIGS["managed-page"]))
    assert not [c for c in plan.components if c.type == "ApexPage"]
    files = plan_files(plan, "mdapi")
    section = parse_xml(files["patches/layouts/Lead.section.xml"])
    assert section.findtext(f".//{NS}page") == "totango__Totango_Lead_Insights"


def test_section_fragment_is_one_column_with_height_before_page():
    files = plan_files(build_plan(build_config({"widget": {"height": 400}})), "mdapi")
    section = parse_xml(files["patches/layouts/Account.section.xml"])[0]
    assert section.findtext(f"{NS}style") == "OneColumn"
    item = section.find(f"{NS}layoutColumns/{NS}layoutItems")
    assert [c.tag.removeprefix(NS) for c in item] == [
        "height",
        "page",
        "showLabel",
        "showScrollbars",
        "width",
    ]
    assert item.findtext(f"{NS}height") == "400"


def test_ip_fragment_holds_merged_ranges_in_schema_order():
    cfg = build_config({"trusted_ip_ranges": {"addresses": ["8.8.8.8", "8.8.8.8", "8.8.8.9"]}})
    files = plan_files(build_plan(cfg), "mdapi")
    root = parse_xml(files["patches/settings/Security.ip-ranges.xml"])
    ranges = root.findall(f"{NS}networkAccess/{NS}ipRanges")
    assert len(ranges) == 1
    assert [c.tag.removeprefix(NS) for c in ranges[0]] == ["description", "end", "start"]
    assert ranges[0].findtext(f"{NS}end") == "8.8.8.9"


def test_mdapi_round_trip_reads_back_the_same_components():
    plan = build_plan(build_config({}))
    files = mdapi_files(plan.components)
    back = {c.key: c for c in components_from_mdapi(files)}
    for comp in plan.components:
        assert back[comp.key].xml == comp.xml
        assert back[comp.key].body == comp.body


def test_source_format_paths():
    files = source_files(
        [Component("CustomField", "Account.X__c", b"<x/>"), Component("CustomTab", "T", b"<t/>")]
    )
    assert set(files) == {
        "force-app/main/default/objects/Account/fields/X__c.field-meta.xml",
        "force-app/main/default/tabs/T.tab-meta.xml",
    }


def test_package_xml_lists_every_component():
    plan = build_plan(build_config({}))
    files = package_files(plan.components, "63.0", "mdapi")
    members = {
        (t.findtext(f"{NS}name"), m.text)
        for t in parse_xml(files["package.xml"]).findall(f"{NS}types")
        for m in t.findall(f"{NS}members")
    }
    assert members == {package_member(*c.key) for c in plan.components}
    assert ("Report", "Totango_Reports") in members


# The objects of the default config.
OBJECTS = ("Account", "Lead", "Opportunity")


def test_rendered_pages_are_available_in_lightning():
    from tasks.totango_sf.config.model import build_config
    from tasks.totango_sf.metadata.safe_xml import parse_xml
    from tasks.totango_sf.render.plan import build_plan

    pages = [c for c in build_plan(build_config({})).components if c.type == "ApexPage"]
    assert len(pages) == len(OBJECTS)
    for page in pages:
        assert parse_xml(page.xml).findtext("{*}availableInTouch") == "true", page.full_name
