"""The org's own files fail on redeploy: each failure names its file and element, says
whether the setup changed it or carried it over unchanged, and what to do; ``plan --org``
warns about known-bad parts before anything is sent.

The emulator is seeded with such an org (tests/org_emulator/org_own_files.py, the
recorded words of forcedotcom/cli issue 2893, forcedotcom/idecore issue 202 and
trailheadapps/lwc-recipes issue 376), on production and sandbox flavours.
"""

from __future__ import annotations

import json

import pytest

from tasks.totango_sf.config.model import build_config
from tests.org_emulator import org_own_files
from tests.support.cli import as_json, cli, write_config

FLAVOURS = ["production", "sandbox"]
EXPECTED = {
    f"flexipages/{org_own_files.UNDESCRIBED_PAGE}.flexipage": (
        "<componentName>flexipage:blankSpace</componentName>"
    ),
    f"flexipages/{org_own_files.DENIED_PAGE}.flexipage": (
        "<componentName>forceChatter:recordFeedContainer</componentName>"
    ),
    f"layouts/{org_own_files.ACTION_LAYOUT}.layout": (
        "<quickActionName>FeedItem.RypplePost</quickActionName>"
    ),
}


def _seeded(emulator_factory, use_org, flavour):
    emulator = use_org(emulator_factory(flavour=flavour))
    org_own_files.seed_unredeployable(emulator.state)
    return emulator


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_plan_warns_about_the_orgs_known_bad_parts_before_sending(
    emulator_factory, use_org, tmp_path, flavour
):
    emulator = _seeded(emulator_factory, use_org, flavour)
    plan = cli("plan", "--org", "emu", "--config", str(write_config(tmp_path)), "--json")
    assert plan.exit_code == 0, plan.output
    warnings = json.loads(plan.stdout)["warnings"]
    for path, element in EXPECTED.items():
        assert any(w.startswith(f"{path}: the org's own {element}") for w in warnings), warnings
    assert any("trailheadapps/lwc-recipes issue 376" in w for w in warnings)
    assert emulator.history.deploys == []


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_each_failure_is_the_orgs_own_part_carried_over_with_what_to_do(
    emulator_factory, use_org, tmp_path, flavour
):
    emulator = _seeded(emulator_factory, use_org, flavour)
    before = emulator.state.metadata_xml("Layout", org_own_files.ACTION_LAYOUT)
    config = str(write_config(tmp_path))
    result = cli("deploy", "--org", "emu", "--config", config, "--yes", "--json")
    assert result.exit_code == 1, result.output
    doc = as_json(result)
    origins = doc["failure_origins"]
    assert len(origins) == len(doc["deploy"]["failures"]) == 3
    assert {o["file"]: o["element"] for o in origins} == EXPECTED
    assert {o["origin"] for o in origins} == {"carried_over"}
    layout = next(o for o in origins if o["file"].startswith("layouts/"))
    assert layout["line"] and "Page Layouts > Account-Account Layout" in layout["advice"]
    page = next(o for o in origins if "blankSpace" in o["element"])
    assert "Lightning App Builder" in page["advice"] and "widget.record_pages" in page["advice"]
    assert emulator.state.metadata_xml("Layout", org_own_files.ACTION_LAYOUT) == before

    text = cli("deploy", "--org", "emu", "--config", config, "--yes")
    assert text.exit_code == 1
    shown = " ".join(text.stderr.split())
    assert shown.count("the org's own, carried over unchanged") == 3
    assert "FeedItem.RypplePost</quickActionName> the org's own" in shown


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_failure_in_the_setups_own_part_is_named_as_changed_or_new(
    emulator_factory, use_org, tmp_path, flavour
):
    emulator = use_org(emulator_factory(flavour=flavour))
    page = build_config({}).page_reference("Account")
    emulator.faults.fail_component(
        "Layout", "Account-Account Layout", f"In field: page - no ApexPage named {page} found"
    )
    emulator.faults.fail_component("PermissionSet", "Totango_Insights", "Some problem")
    result = cli(
        "deploy", "--org", "emu", "--config", str(write_config(tmp_path)), "--yes", "--json"
    )
    assert result.exit_code == 1, result.output
    origins = {o["file"]: o for o in as_json(result)["failure_origins"]}
    layout = origins["layouts/Account-Account Layout.layout"]
    assert layout["origin"] == "changed" and layout["element"] == f"<page>{page}</page>"
    assert "widget.layouts" in layout["advice"]
    assert origins["permissionsets/Totango_Insights.permissionset"]["origin"] == "new"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_rollback_refused_for_the_orgs_own_parts_says_whose_and_what_to_do(
    emulator_factory, use_org, tmp_path, flavour
):
    emulator = use_org(emulator_factory(flavour=flavour))
    config = str(write_config(tmp_path))
    assert cli("deploy", "--org", "emu", "--config", config, "--yes").exit_code == 0
    # Since the deploy, the org's own files took parts it refuses when they come back.
    org_own_files.seed_unredeployable(emulator.state)
    before = emulator.state.metadata_xml("Layout", org_own_files.ACTION_LAYOUT)

    result = cli("rollback", "--org", "emu", "--config", config, "--yes", "--json")

    assert result.exit_code == 1, result.output
    doc = as_json(result)
    origins = doc["failure_origins"]
    assert origins and len(origins) == len(doc["deploy"]["failures"])
    assert {o["file"]: o["element"] for o in origins} == EXPECTED
    assert {o["origin"] for o in origins} == {"carried_over"}
    for origin in origins:
        assert "run the same rollback again" in origin["advice"]
        assert "widget." not in origin["advice"]  # the config plays no part in a rollback
    assert emulator.state.metadata_xml("Layout", org_own_files.ACTION_LAYOUT) == before

    text = cli("rollback", "--org", "emu", "--config", config, "--yes")
    assert text.exit_code == 1
    shown = " ".join(text.stderr.split())
    assert shown.count("the org's own, carried over unchanged") == len(origins)
