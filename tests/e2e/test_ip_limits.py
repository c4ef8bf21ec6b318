"""Trusted IP ranges against an org: totals with the org's own ranges, stale ranges."""

from __future__ import annotations

import json

import pytest

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tests.support.cli import as_json, cli, deploy_kinds, write_config


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_org_ranges_plus_ours_over_the_unconfirmed_total_deploy_with_a_warning(
    emulator_factory, use_org, tmp_path, flavour
):
    emulator = use_org(emulator_factory(flavour=flavour))
    security = emulator.state.metadata_xml("Settings", "Security")
    wide = (
        b"<ipRanges><description>Branch</description><end>20.255.255.255</end>"
        b"<start>20.0.0.0</start></ipRanges>"
    )
    emulator.state.set_metadata_xml(
        "Settings", "Security", security.replace(b"<networkAccess>", b"<networkAccess>" + wide)
    )
    config = write_config(tmp_path, addresses=["8.8.8.8"])
    plan = cli("plan", "--org", "emu", "--config", str(config), "--json")
    assert any("16,777,216" in w for w in json.loads(plan.stdout)["warnings"])
    result = cli("deploy", "--org", "emu", "--config", str(config), "--yes", "--json")
    assert result.exit_code == 0, result.output
    (warning,) = [w for w in as_json(result)["warnings"] if "16,777,216" in w]
    assert "IPv4" in warning and "16,777,484" in warning
    assert "no public Salesforce source confirms" in warning
    assert deploy_kinds(emulator) == ["deploy"]
    assert b"<start>8.8.8.8</start>" in emulator.state.metadata_xml("Settings", "Security")


def test_stale_ranges_are_shown_by_plan_and_verify_and_removed_by_deploy(
    emulator,
    use_org,
    tmp_path,
):
    use_org(emulator)
    first = write_config(tmp_path, addresses=["8.8.8.8", "1.1.1.0/24"])
    assert cli("deploy", "--org", "emu", "--config", str(first), "--json").exit_code == 0
    second = write_config(tmp_path, addresses=["8.8.8.8"])

    verify = cli("verify", "--org", "emu", "--config", str(second), "--json")
    assert verify.exit_code == 3, verify.output
    drift = {(d["type"], d["name"]): d for d in as_json(verify)["drift"]}
    assert "stale" in drift[("Settings", "Security")]["detail"]
    assert "1.1.1.0-1.1.1.255" in drift[("Settings", "Security")]["detail"]

    plan = cli("plan", "--org", "emu", "--config", str(second), "--json")
    rows = {(c["type"], c["name"]): c for c in as_json(plan)["components"]}
    assert rows[("Settings", "Security")]["action"] == "update"
    assert "stale" in rows[("Settings", "Security")]["summary"]

    deployed = cli("deploy", "--org", "emu", "--config", str(second), "--json")
    assert deployed.exit_code == 0, deployed.output
    security = emulator.state.metadata_xml("Settings", "Security")
    assert b"1.1.1.0" not in security and b"<start>8.8.8.8</start>" in security
    assert b"Head office" in security and b"VPN egress" in security  # not ours: kept
    assert cli("verify", "--org", "emu", "--config", str(second)).exit_code == 0


def test_removing_every_address_removes_our_ranges(emulator, use_org, tmp_path):
    use_org(emulator)
    first = write_config(tmp_path, addresses=["8.8.8.8"])
    assert cli("deploy", "--org", "emu", "--config", str(first), "--json").exit_code == 0
    empty = write_config(tmp_path, addresses=[])
    assert cli("deploy", "--org", "emu", "--config", str(empty), "--json").exit_code == 0
    security = emulator.state.metadata_xml("Settings", "Security")
    assert b"8.8.8.8" not in security and b"Head office" in security
