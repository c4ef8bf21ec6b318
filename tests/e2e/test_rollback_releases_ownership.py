"""Once a rollback took a deploy out of the org, that deploy's record of "ours" stops counting.

A snapshot says what its deploy owns beyond what the org's files show: the
component on a pre-49.0 record page (a claim: region, position, properties), the
trusted ranges it added, the org default record page it assigned. After a
rollback, an admin may put back an identical component, range or assignment by
hand: it is theirs. A rollback that failed or whose outcome is unknown leaves the
record counting (ours may still be there), and a later deploy's record counts.

Here against the emulated org; the record on disk and the plan that reads it, with no
org, are in tests/unit/state/test_rollback_releases_ownership.py.
"""

from __future__ import annotations

import pytest

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.config.model import load_config
from tasks.totango_sf.merge.org_default import org_default_page
from tasks.totango_sf.metadata.xml import canonical_bytes
from tasks.totango_sf.org.requests import RollbackRequest
from tasks.totango_sf.state import snapshot as snapshots
from tasks.totango_sf.state.record_page_claims import latest_claims
from tasks.totango_sf.state.rollback_mark import (
    is_rolled_back,
)
from tests.support.cli import as_json, cli, write_config
from tests.support.flexipages import heights, legacy, seeded

PAGE = "Account_Record_Page"


# -- against the emulated org, at a pre-49.0 version ----------------------------------


def legacy_org(emulator, use_org, tmp_path, height: int = 290):
    """The emulated org with Account's org default page in the pre-49.0 format (no Record
    Detail, so the widget goes in as a component), and a config at API 48.0.

    The config file cannot name 48.0 (every file is checked against the 63.0 schema);
    the flows take it as ``apply --source-dir`` takes a project's older version."""
    from tasks.totango_sf.salesforce.connection import connect

    use_org(emulator)
    emulator.state.set_metadata_xml("FlexiPage", PAGE, legacy(seeded(PAGE), detail_panel=False))
    path = write_config(
        tmp_path, insights={"objects": ["Account"]},
        widget={"record_pages": [PAGE], "height": height},
    )  # fmt: skip
    config = load_config(path, "emu").model_copy(update={"api_version": "48.0"})
    return connect("emu"), config


def claims_ours(plan) -> bool:
    """Whether the plan takes the component on the page for ours (and would record so).

    The page is selected by name, so it is "add" either way; one showing our page
    that is not ours is left exactly as it is, with no claim."""
    return PAGE in plan.state.record_pages.claims


def page_in_org(emulator) -> bytes:
    return emulator.state.metadata_xml("FlexiPage", PAGE)


@pytest.mark.parametrize("exact", [False, True])
def test_deploy_rollback_then_an_admins_identical_component_is_theirs(
    emulator, use_org, tmp_path, exact
):
    from tasks.totango_sf.org import deploy as flow
    from tasks.totango_sf.org import org_plan
    from tasks.totango_sf.org import rollback as rollback_flow

    session, config = legacy_org(emulator, use_org, tmp_path)
    before = page_in_org(emulator)
    outcome = flow.deploy(session, config)
    assert outcome.status == "deployed" and outcome.verify.in_sync, outcome.to_json()
    with_ours = page_in_org(emulator)
    assert heights(with_ours) == ["290"] and PAGE in outcome.state.record_pages.claims
    assert claims_ours(org_plan.plan_against_org(session, config))

    undone = rollback_flow.rollback(session, config, RollbackRequest(exact=exact))
    assert undone.status == "rolled_back", undone.to_json()
    assert canonical_bytes(page_in_org(emulator)) == canonical_bytes(before)
    # An admin puts the very same component at the very same place by hand.
    emulator.state.set_metadata_xml("FlexiPage", PAGE, with_ours)

    assert not claims_ours(org_plan.plan_against_org(session, config))
    # A new height is not applied to their component, and no second copy is added.
    taller = config.model_copy(update={"widget": config.widget.model_copy(update={"height": 500})})
    plan = org_plan.plan_against_org(session, taller)
    assert not claims_ours(plan) and ("FlexiPage", PAGE) not in {d.key for d in plan.state.changed}
    # Running the rollback again (the same snapshot, the default) keeps theirs.
    again = rollback_flow.rollback(session, config)
    assert again.ok, again.to_json()
    assert canonical_bytes(page_in_org(emulator)) == canonical_bytes(with_ours)


def test_deploy_rollback_deploy_the_new_claims_count(emulator, use_org, tmp_path):
    from tasks.totango_sf.org import deploy as flow
    from tasks.totango_sf.org import org_plan
    from tasks.totango_sf.org import rollback as rollback_flow

    session, config = legacy_org(emulator, use_org, tmp_path)
    before = page_in_org(emulator)
    assert flow.deploy(session, config).status == "deployed"
    assert rollback_flow.rollback(session, config).status == "rolled_back"
    redeployed = flow.deploy(session, config)
    assert redeployed.status == "deployed", redeployed.to_json()

    plan = org_plan.plan_against_org(session, config)
    assert plan.state.in_sync and claims_ours(plan)
    # Ours again: a new height updates it in place.
    taller = config.model_copy(update={"widget": config.widget.model_copy(update={"height": 500})})
    assert flow.deploy(session, taller).status == "deployed"
    assert heights(page_in_org(emulator)) == ["500"]
    assert rollback_flow.rollback(session, taller).status == "rolled_back"
    assert canonical_bytes(page_in_org(emulator)) == canonical_bytes(before)


def test_a_failed_rollback_keeps_the_claims(emulator, use_org, tmp_path):
    from tasks.totango_sf.org import deploy as flow
    from tasks.totango_sf.org import org_plan
    from tasks.totango_sf.org import rollback as rollback_flow

    session, config = legacy_org(emulator, use_org, tmp_path)
    before = page_in_org(emulator)
    outcome = flow.deploy(session, config)
    assert outcome.status == "deployed"
    with_ours = page_in_org(emulator)
    emulator.faults.fail_component("FlexiPage", PAGE, "Emulated failure: locked")

    failed = rollback_flow.rollback(session, config)
    assert failed.status == "failed" and not failed.deploy.success
    assert page_in_org(emulator) == with_ours
    snapshot = snapshots.load_snapshot(snapshots.SNAPSHOT_ROOT, "emu", outcome.snapshot_id)
    assert not is_rolled_back(snapshot)
    # Still ours: the plan finds it, and a rollback that goes through takes it out.
    plan = org_plan.plan_against_org(session, config)
    assert claims_ours(plan) and plan.state.in_sync
    emulator.faults.clear()
    assert rollback_flow.rollback(session, config).status == "rolled_back"
    assert canonical_bytes(page_in_org(emulator)) == canonical_bytes(before)


@pytest.mark.usefixtures("fast_retries")
def test_an_unknown_rollback_keeps_the_claims_until_status_settles_it(emulator, use_org, tmp_path):
    from tasks.totango_sf.org import deploy as flow
    from tasks.totango_sf.org import org_plan
    from tasks.totango_sf.org import rollback as rollback_flow
    from tasks.totango_sf.org.reattach import follow
    from tasks.totango_sf.salesforce.metadata_api import DeployOutcomeUnknown

    session, config = legacy_org(emulator, use_org, tmp_path)
    outcome = flow.deploy(session, config)
    with_ours = page_in_org(emulator)
    emulator.faults.drop_connection("checkDeployStatus", count=50)
    with pytest.raises(DeployOutcomeUnknown):
        rollback_flow.rollback(session, config)
    # The org went on and took it out, but nothing here knows that yet.
    root = snapshots.SNAPSHOT_ROOT
    assert set(latest_claims(root, "emu")) == {PAGE}
    emulator.faults.clear()

    report = follow(session, config)
    assert report.state == "succeeded" and report.operation == "rollback", report.to_json()
    snapshot = snapshots.load_snapshot(root, "emu", outcome.snapshot_id)
    assert is_rolled_back(snapshot) and latest_claims(root, "emu") == {}
    emulator.state.set_metadata_xml("FlexiPage", PAGE, with_ours)
    assert not claims_ours(org_plan.plan_against_org(session, config))


# -- the other records of "ours": added ranges, the org default ------------------------


def test_a_range_an_admin_adds_again_after_the_rollback_is_theirs(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    assert cli("deploy", "--org", "emu", "--config", str(config), "--json").exit_code == 0
    deployed_security = emulator.state.metadata_xml("Settings", "Security")
    assert b"<start>8.8.8.8</start>" in deployed_security

    # A rollback that fails leaves the ranges ours: the next one takes them out.
    emulator.faults.fail_component("Layout", "Account-Account Layout", "Emulated failure")
    failed = cli("rollback", "--org", "emu", "--config", str(config), "--json")
    assert failed.exit_code == 1, failed.output
    emulator.faults.clear()
    done = cli("rollback", "--org", "emu", "--config", str(config), "--json")
    assert done.exit_code == 0, done.output
    assert b"8.8.8.8" not in emulator.state.metadata_xml("Settings", "Security")

    # An admin adds the same ranges by hand; the rollback run again leaves them.
    emulator.state.set_metadata_xml("Settings", "Security", deployed_security)
    again = cli("rollback", "--org", "emu", "--config", str(config), "--json")
    assert again.exit_code == 0, again.output
    security = emulator.state.metadata_xml("Settings", "Security")
    assert b"<start>8.8.8.8</start>" in security and b"<start>1.1.1.0</start>" in security


def test_an_org_default_an_admin_sets_again_after_the_rollback_is_theirs(
    emulator, use_org, tmp_path
):
    created = "Opportunity_Totango_Record_Page"
    use_org(emulator)
    config = write_config(tmp_path, widget={"create_record_page": {"assign_org_default": True}})
    assert cli("deploy", "--org", "emu", "--config", str(config), "--json").exit_code == 0
    assigned = emulator.state.metadata_xml("CustomObject", "Opportunity")
    assert org_default_page(assigned) == created

    done = cli("rollback", "--org", "emu", "--config", str(config), "--json")
    assert done.exit_code == 0, done.output
    assert org_default_page(emulator.state.metadata_xml("CustomObject", "Opportunity")) is None
    # The page stays (no --remove-components); an admin activates it as the org default.
    emulator.state.set_metadata_xml("CustomObject", "Opportunity", assigned)

    again = cli("rollback", "--org", "emu", "--config", str(config), "--json")
    assert again.exit_code == 0, again.output
    stored = emulator.state.metadata_xml("CustomObject", "Opportunity")
    assert org_default_page(stored) == created
    assert any("already gave it back" in w for w in as_json(again)["warnings"])
