"""A Record Detail shows our layout section only to users whose layout holds it, end to end.

The seeded org's Standard profile gets 'Account-Account Layout - Partner', a layout
the default config does not patch, for the Account.Customer record type. Pages that
reach those users through a Record Detail (the Account org default, and the page
assigned to that very profile and record type) must get our component, while pages
whose every user gets a patched layout are left alone.
"""

from __future__ import annotations

import pytest

from tasks.totango_sf.merge.flexipage import page_facts
from tasks.totango_sf.metadata.schema import load_schema
from tasks.totango_sf.metadata.xml import canonical_bytes
from tests.support.cli import as_json, cli, write_config

GAP = "profile Standard, record type Account.Customer: layout Account-Account Layout - Partner"
# Every page whose users include the Standard profile on Customer accounts.
REACHING_STANDARD_CUSTOMERS = ("Account_Record_Page", "Account_Support_Page")
ACCOUNT_PAGE = "Totango_Account_Insights"


def record_page_check(config) -> dict:
    result = cli("doctor", "--org", "emu", "--config", str(config), "--json")
    return {c["name"]: c for c in as_json(result)["checks"]}["widget on record pages"]


@pytest.mark.parametrize("flavour", ["sandbox", "production"])
def test_the_unpatched_layout_is_found_and_the_deploy_reaches_that_profile(
    emulator_factory, use_org, tmp_path, flavour
):
    emulator = use_org(emulator_factory(flavour=flavour, package_installed=False))
    yes = ["--yes"] if flavour == "production" else []
    config = write_config(tmp_path)
    before = {n: emulator.state.metadata_xml("FlexiPage", n) for n in REACHING_STANDARD_CUSTOMERS}

    plan = cli("plan", "--org", "emu", "--config", str(config), "--json")
    assert plan.exit_code == 0, plan.output
    rows = {r["page"]: r for r in as_json(plan)["record_pages"]}
    for name in REACHING_STANDARD_CUSTOMERS:
        assert rows[name]["layout_gaps"] == [GAP], name
        assert rows[name]["action"] == "add", name
    assert rows["Opportunity_Sales_Page"]["widget_shows"] == "layout_section"
    assert rows["Opportunity_Sales_Page"]["layouts_checked"] is True
    assert GAP in record_page_check(config)["detail"]

    result = cli("deploy", "--org", "emu", "--config", str(config), "--json", *yes)
    assert result.exit_code == 0, result.output
    assert as_json(result)["verify"]["in_sync"] is True
    deployed = [d for d in emulator.history.deploys if d.kind == "deploy"]
    assert len(deployed) == 1
    schema = load_schema()
    for name in REACHING_STANDARD_CUSTOMERS:
        after = emulator.state.metadata_xml("FlexiPage", name)
        assert page_facts(after, ACCOUNT_PAGE).widget == "component", name
        assert not schema.validate_bytes(after), name
    # Profiles are read, never deployed: a profile deploy would reset assignments.
    assert all(b"<layoutAssignments>" in emulator.state.metadata_xml("Profile", p) for p in
               ("Admin", "Standard"))  # fmt: skip
    assert record_page_check(config)["status"] == "ok"

    again = cli("plan", "--org", "emu", "--config", str(config), "--json")
    assert not [c for c in as_json(again)["components"] if c["action"] != "unchanged"]

    rollback = cli("rollback", "--org", "emu", "--config", str(config), "--json", *yes)
    assert rollback.exit_code == 0, rollback.output
    for name, original in before.items():
        restored = emulator.state.metadata_xml("FlexiPage", name)
        assert canonical_bytes(restored) == canonical_bytes(original), name


def test_patching_that_layout_too_leaves_the_record_detail_pages_alone(emulator, use_org, tmp_path):
    use_org(emulator)
    layouts = ["Account-*", "Lead-Lead Layout", "Opportunity-Opportunity Layout"]
    config = write_config(tmp_path, widget={"layouts": layouts})
    before = {n: emulator.state.metadata_xml("FlexiPage", n) for n in REACHING_STANDARD_CUSTOMERS}
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    rows = {r["page"]: r for r in as_json(result)["record_pages"]}
    for name in REACHING_STANDARD_CUSTOMERS:
        assert rows[name]["widget_shows"] == "layout_section", name
        assert rows[name]["action"] == "leave", name
        assert emulator.state.metadata_xml("FlexiPage", name) == before[name]
    partner = emulator.state.metadata_xml("Layout", "Account-Account Layout - Partner")
    assert ACCOUNT_PAGE.encode() in partner
