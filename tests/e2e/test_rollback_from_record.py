"""Rollback is the inverse of the deploy, whatever the config says now.

What a rollback takes out comes from the record the deploy left in its snapshot, not
from today's config: a renamed section label, another widget page, a layout dropped
from ``widget.layouts`` or narrowed ranges change nothing about what was deployed.
``plan`` and ``verify`` show what is ours but no longer configured.
"""

from __future__ import annotations

import json

import pytest

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.metadata.xml import canonical_bytes
from tests.support.cli import as_json, cli, write_config

ACCOUNT = "Account-Account Layout"
LEAD = "Lead-Lead Layout"
OPPORTUNITY = "Opportunity-Opportunity Layout"
CHANGES = {
    "label": {"widget": {"section_label": "Totango Insights"}},
    "page": {"widget": {"page": "Totango_Account_Insights_V2"}},
    "label-and-height": {"widget": {"section_label": "Health", "height": 500}},
    "layouts": {"widget": {"layouts": ["Lead-Lead Layout"]}},
    "ranges": {"trusted_ip_ranges": {"addresses": ["9.9.9.0/24"]}},
}


def layouts(emulator) -> dict[str, bytes]:
    return {
        name: canonical_bytes(emulator.state.metadata_xml("Layout", name))
        for name in (ACCOUNT, LEAD, OPPORTUNITY)
    }


def security(emulator) -> bytes:
    return emulator.state.metadata_xml("Settings", "Security")


def config_with(tmp_path, name: str, extra: dict):
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    return write_config(folder, **extra)


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_rollback_takes_out_what_was_deployed_after_the_config_changed(
    emulator, use_org, tmp_path, change
):
    use_org(emulator)
    before = layouts(emulator)
    deployed_with = write_config(tmp_path)
    assert cli("deploy", "--org", "emu", "--config", str(deployed_with)).exit_code == 0
    assert all(b"<label>Totango</label>" in data for data in layouts(emulator).values())

    changed = config_with(tmp_path, change, CHANGES[change])
    result = cli("rollback", "--org", "emu", "--config", str(changed), "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result)["status"] == "rolled_back"
    assert layouts(emulator) == before
    now = security(emulator)
    assert b"8.8.8.8" not in now and b"1.1.1.0" not in now
    assert b"Head office" in now


def test_rollback_in_production_after_the_label_changed(emulator_factory, use_org, tmp_path):
    org = use_org(emulator_factory(flavour="production", package_installed=False))
    before = layouts(org)
    config = write_config(tmp_path)
    assert cli("deploy", "--org", "emu", "--config", str(config), "--yes").exit_code == 0
    changed = config_with(tmp_path, "label", CHANGES["label"])
    result = cli("rollback", "--org", "emu", "--config", str(changed), "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert layouts(org) == before


def test_a_second_deploy_with_a_new_label_is_rolled_back_by_its_own_record(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    before = layouts(emulator)
    assert cli("deploy", "--org", "emu", "--config", str(write_config(tmp_path))).exit_code == 0
    renamed = config_with(tmp_path, "label", CHANGES["label"])
    assert cli("deploy", "--org", "emu", "--config", str(renamed)).exit_code == 0
    account = emulator.state.metadata_xml("Layout", ACCOUNT)
    assert (
        b"<label>Totango Insights</label>" in account and b"<label>Totango</label>" not in account
    )
    # Rolled back with the original config: the renamed section goes all the same.
    result = cli("rollback", "--org", "emu", "--config", str(write_config(tmp_path)), "--json")
    assert result.exit_code == 0, result.output
    assert layouts(emulator) == before


def test_a_layout_dropped_from_the_config_is_shown_and_cleaned_by_the_next_deploy(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    original_account = layouts(emulator)[ACCOUNT]
    assert cli("deploy", "--org", "emu", "--config", str(write_config(tmp_path))).exit_code == 0
    narrower = config_with(tmp_path, "layouts", CHANGES["layouts"])

    plan = cli(
        "plan", "--org", "emu", "--config", str(narrower), "--json", "--out", str(tmp_path / "o")
    )
    rows = {(c["type"], c["name"]): c for c in as_json(plan)["components"]}
    assert rows[("Layout", ACCOUNT)]["action"] == "update"
    assert "no longer in widget.layouts" in rows[("Layout", ACCOUNT)]["summary"]
    verify = cli("verify", "--org", "emu", "--config", str(narrower), "--json")
    assert verify.exit_code == 3, verify.output
    drift = {(d["type"], d["name"]): d for d in as_json(verify)["drift"]}
    assert "no longer in widget.layouts" in drift[("Layout", ACCOUNT)]["detail"]

    assert cli("deploy", "--org", "emu", "--config", str(narrower)).exit_code == 0
    assert layouts(emulator)[ACCOUNT] == original_account
    assert b"<label>Totango</label>" in layouts(emulator)[LEAD]
    assert cli("verify", "--org", "emu", "--config", str(narrower)).exit_code == 0
    # No longer ours: the next plan does not touch the Account layout again.
    again = cli(
        "plan", "--org", "emu", "--config", str(narrower), "--json", "--out", str(tmp_path / "p")
    )
    assert ("Layout", ACCOUNT) not in {(c["type"], c["name"]) for c in as_json(again)["components"]}


def test_a_page_no_longer_configured_is_named_by_plan_and_verify(emulator, use_org, tmp_path):
    use_org(emulator)
    assert cli("deploy", "--org", "emu", "--config", str(write_config(tmp_path))).exit_code == 0
    moved = config_with(tmp_path, "page", CHANGES["page"])
    plan = cli(
        "plan", "--org", "emu", "--config", str(moved), "--json", "--out", str(tmp_path / "o")
    )
    warnings = json.loads(plan.stdout)["warnings"]
    assert any(
        w.startswith("ApexPage Totango_Account_Insights: created by this setup") for w in warnings
    )
    rows = {(c["type"], c["name"]): c for c in as_json(plan)["components"]}
    assert rows[("Layout", ACCOUNT)]["action"] == "update"  # the section moves to the new page
    assert cli("deploy", "--org", "emu", "--config", str(moved)).exit_code == 0
    account = emulator.state.metadata_xml("Layout", ACCOUNT)
    assert account.count(b"<layoutSections>") == layouts(emulator)[ACCOUNT].count(
        b"<layoutSections>"
    )
    assert b"<page>Totango_Account_Insights_V2</page>" in account
    verify = cli("verify", "--org", "emu", "--config", str(moved), "--json")
    assert verify.exit_code == 0, verify.output
    assert any(
        "Totango_Account_Insights: created by this setup" in w
        for w in json.loads(verify.stdout)["warnings"]
    )


def test_ranges_of_ours_no_longer_configured_are_removed_those_by_hand_stay(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    assert cli("deploy", "--org", "emu", "--config", str(write_config(tmp_path))).exit_code == 0
    hand = (
        b"<ipRanges><description>Totango</description>"
        b"<end>7.7.7.7</end><start>7.7.7.7</start></ipRanges>"
    )
    emulator.state.set_metadata_xml(
        "Settings",
        "Security",
        security(emulator).replace(b"<networkAccess>", b"<networkAccess>" + hand, 1),
    )
    narrowed = config_with(tmp_path, "narrow", {"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}})
    verify = cli("verify", "--org", "emu", "--config", str(narrowed), "--json")
    detail = {(d["type"], d["name"]): d for d in as_json(verify)["drift"]}[("Settings", "Security")]
    assert "1.1.1.0-1.1.1.255" in detail["detail"] and "7.7.7.7" not in detail["detail"]
    assert cli("deploy", "--org", "emu", "--config", str(narrowed)).exit_code == 0
    now = security(emulator)
    assert b"1.1.1.0" not in now and b"<start>7.7.7.7</start>" in now


@pytest.mark.usefixtures("fast_retries")
def test_an_unsettled_deploy_counts_once_status_settles_it_and_so_does_a_rollback(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.faults.drop_connection("checkDeployStatus", count=50)
    assert cli("deploy", "--org", "emu", "--config", str(config), "--json").exit_code == 5
    emulator.faults.clear()
    # Until it is settled nothing of it is ours, and the plan says why.
    plan = cli(
        "plan", "--org", "emu", "--config", str(config), "--json", "--out", str(tmp_path / "o")
    )
    assert any("not counted as ours" in w for w in json.loads(plan.stdout)["warnings"])
    assert cli("status", "--org", "emu", "--config", str(config)).exit_code == 0
    owned = as_json(cli("snapshots", "--org", "emu", "--json"))["owned"]
    assert len(owned["sections"]) == 3

    emulator.faults.drop_connection("checkDeployStatus", count=50)
    lost = cli("rollback", "--org", "emu", "--config", str(config), "--json")
    assert lost.exit_code == 5, lost.output
    emulator.faults.clear()
    assert cli("status", "--org", "emu", "--config", str(config)).exit_code == 0
    owned = as_json(cli("snapshots", "--org", "emu", "--json"))["owned"]
    assert owned["sections"] == [] and owned["ranges"] == []
