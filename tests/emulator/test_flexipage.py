"""The emulator's record pages: seeded assignments, and the FlexiPage deploy rules.

Each rule is one an org applies (sources beside the rules in
``tests/org_emulator/flexipage_rules.py``); these tests make sure the double
refuses what an org refuses, so product tests against it mean something.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from tasks.totango_sf.merge.flexipage import WidgetComponent, add_widget_component, page_facts
from tasks.totango_sf.merge.record_pages import assignments, pages_in_use
from tests.org_emulator import retrieve_engine
from tests.org_emulator.deploy_engine import run_deploy
from tests.org_emulator.seed import SEED, build_state
from tests.support.mdapi import deploy_zip

MD = "http://soap.sforce.com/2006/04/metadata"
OWN_PAGE = "Totango_Account_Insights"


def page_meta(touch: bool) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ApexPage xmlns="{MD}"><apiVersion>63.0'
        f"</apiVersion><availableInTouch>{str(touch).lower()}</availableInTouch>"
        "<label>Totango</label></ApexPage>"
    ).encode()


def with_page(touch: bool = True) -> dict[str, bytes]:
    return {
        f"pages/{OWN_PAGE}.page": b'<apex:page standardController="Account">hi</apex:page>',
        f"pages/{OWN_PAGE}.page-meta.xml": page_meta(touch),
    }


def seeded_page(name: str) -> bytes:
    return (SEED / "flexipages" / f"{name}.flexipage").read_bytes()


def deploy_page(name: str, data: bytes, version: str = "63.0", page: dict | None = None):
    files = {f"flexipages/{name}.flexipage": data, **(with_page() if page is None else page)}
    members = {"FlexiPage": [name]}
    if any(p.startswith("pages/") for p in files):
        members["ApexPage"] = [OWN_PAGE]
    return run_deploy(build_state(), deploy_zip(files, members, version))


def problems(outcome) -> list[str]:
    return [f.problem for f in outcome.failures]


WIDGET = WidgetComponent(page=OWN_PAGE, height=290)


def test_seeded_assignments_mix_the_three_levels_and_a_dynamic_forms_page():
    state = build_state()
    wildcard = retrieve_engine.retrieve(state, {"CustomApplication": ["*"]}, "63.0")
    with zipfile.ZipFile(io.BytesIO(wildcard.zip_bytes)) as archive:
        assert "unpackaged/applications/standard__LightningSales.app" not in archive.namelist()
        assert "unpackaged/applications/Totango_Console.app" in archive.namelist()
    requested = {
        "CustomObject": ["Account", "Lead", "Opportunity"],
        "CustomApplication": ["*", "standard__LightningSales"],
    }
    outcome = retrieve_engine.retrieve(state, requested, "63.0")
    with zipfile.ZipFile(io.BytesIO(outcome.zip_bytes)) as archive:
        files = {n.removeprefix("unpackaged/"): archive.read(n) for n in archive.namelist()}
    objects = {o: files.get(f"objects/{o}.object") for o in ("Account", "Lead", "Opportunity")}
    apps = {
        p[len("applications/") : -4]: d for p, d in files.items() if p.startswith("applications/")
    }
    found = assignments(objects, apps)
    levels = {(a.sobject, a.level) for a in found}
    assert ("Account", "org_default") in levels
    assert ("Account", "app_default") in levels
    assert ("Account", "app_record_type_profile") in levels
    assert ("Lead", "app_record_type_profile") in levels
    # Opportunity has no org default: users outside the Sales app see the system page.
    assert any(a.sobject == "Opportunity" and a.page is None for a in found)
    used = pages_in_use(found)
    assert "Account_Unused_Page" not in used
    kinds = {name: page_facts(seeded_page(name), OWN_PAGE).widget for name in used}
    assert kinds["Account_Sales_Dynamic"] == "none"
    assert kinds["Lead_Dynamic_Page"] == "none"
    assert kinds["Account_Record_Page"] == "layout_section"


def test_merged_page_deploys_at_63():
    merged = add_widget_component(seeded_page("Account_Sales_Dynamic"), WIDGET, "63.0")
    outcome = deploy_page("Account_Sales_Dynamic", merged)
    assert outcome.ok, problems(outcome)


def test_component_instances_refused_from_49_accepted_before():
    legacy = add_widget_component(seeded_page("Account_Sales_Dynamic"), WIDGET, "63.0")
    legacy = (
        legacy.replace(b"<itemInstances>", b"")
        .replace(b"</itemInstances>", b"")
        .replace(b"<componentInstance>", b"<componentInstances>")
        .replace(b"</componentInstance>", b"</componentInstances>")
    )
    legacy = legacy.replace(
        b"<fieldInstance>", b"<componentInstances><componentName>x</componentName>"
    )
    legacy = legacy.replace(b"</fieldInstance>", b"</componentInstances>")
    refused = deploy_page("Account_Sales_Dynamic", legacy, "63.0")
    assert "Property 'componentInstances' not valid in version 63.0" in problems(refused)
    assert not deploy_page("Account_Sales_Dynamic", legacy, "49.0").ok


def test_legacy_corpus_shape_is_accepted_at_48():
    merged = add_widget_component(
        (
            f'<?xml version="1.0" encoding="UTF-8"?><FlexiPage xmlns="{MD}"><flexiPageRegions>'
            "<componentInstances><componentName>force:detailPanel</componentName>"
            "</componentInstances><name>main</name><type>Region</type></flexiPageRegions>"
            "<masterLabel>Old</masterLabel><sobjectType>Account</sobjectType><template><name>"
            "flexipage:recordHomeTemplateDesktop</name></template><type>RecordPage</type>"
            "</FlexiPage>"
        ).encode(),
        WIDGET,
        "48.0",
    )
    assert b"<componentInstances>" in merged and b"<identifier>" not in merged
    outcome = deploy_page("Old_Page", merged, "48.0")
    assert outcome.ok, problems(outcome)
    assert "Property 'itemInstances' not valid in version 48.0" in problems(
        deploy_page("Account_Sales_Dynamic", seeded_page("Account_Sales_Dynamic"), "48.0")
    )


@pytest.mark.parametrize(("version", "ok"), [("53.0", False), ("52.0", True)])
def test_identifier_required_from_53(version: str, ok: bool):
    merged = add_widget_component(seeded_page("Account_Sales_Dynamic"), WIDGET, "63.0")
    without = merged.replace(b"<identifier>totango_widget</identifier>", b"")
    outcome = deploy_page("Account_Sales_Dynamic", without, version)
    assert outcome.ok is ok
    if not ok:
        assert any("needs an identifier" in p for p in problems(outcome))


def test_page_name_must_exist():
    missing = WidgetComponent(page="No_Such_Page", height=290)
    merged = add_widget_component(seeded_page("Account_Sales_Dynamic"), missing, "63.0")
    outcome = deploy_page("Account_Sales_Dynamic", merged, page={})
    assert "In field: pageName - no ApexPage named No_Such_Page found" in problems(outcome)


def test_page_must_be_available_in_touch():
    merged = add_widget_component(seeded_page("Account_Sales_Dynamic"), WIDGET, "63.0")
    outcome = deploy_page("Account_Sales_Dynamic", merged, page=with_page(touch=False))
    assert any("availableInTouch is false" in p for p in problems(outcome))


def test_app_override_must_name_an_existing_page():
    app = (SEED / "applications" / "standard__LightningSales.app").read_bytes()
    app = app.replace(b"Account_Sales_Dynamic", b"Gone_Page")
    zip_data = deploy_zip(
        {"applications/standard__LightningSales.app": app},
        {"CustomApplication": ["standard__LightningSales"]},
        "63.0",
    )
    outcome = run_deploy(build_state(), zip_data)
    assert "In field: content - no FlexiPage named Gone_Page found" in problems(outcome)


def test_object_override_deploy_changes_the_org_default_and_must_name_a_page():
    state = build_state()
    account = (SEED / "objects" / "Account.object").read_bytes()
    moved = account.replace(b"Account_Record_Page", b"Account_Support_Page")
    outcome = run_deploy(
        state,
        deploy_zip({"objects/Account.object": moved}, {"CustomObject": ["Account"]}, "63.0"),
    )
    assert outcome.ok, problems(outcome)
    stored = outcome.new_state.component("CustomObject", "Account")["objects/Account.object"]
    assert assignments({"Account": stored}, {})[0].page == "Account_Support_Page"
    gone = account.replace(b"Account_Record_Page", b"Gone_Page")
    refused = run_deploy(
        state, deploy_zip({"objects/Account.object": gone}, {"CustomObject": ["Account"]}, "63.0")
    )
    assert "Gone_Page does not exist or is not a valid override for action View." in problems(
        refused
    )
