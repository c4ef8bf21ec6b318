"""A production validation that fails on the org's own Apex coverage says so plainly.

The emulator fails it as production orgs do (tests/org_emulator/apex_tests.py: status
Failed, no test failing, the "Average test coverage across all Apex Classes and Triggers
is 62%" warning); a sandbox does not enforce the org's coverage.
"""

from __future__ import annotations

from tests.org_emulator import apex_tests
from tests.support.cli import SECTION_LABEL, as_json, cli, write_config


def test_production_validation_names_the_orgs_coverage_not_the_setup(
    emulator_factory, use_org, tmp_path
):
    prod = use_org(emulator_factory(flavour="production"))
    apex_tests.set_org_coverage(prod.state, 62)
    before = prod.state.metadata_xml("Layout", "Account-Account Layout")
    config = str(write_config(tmp_path))
    result = cli("deploy", "--org", "emu", "--config", config, "--check-only", "--json")
    assert result.exit_code == 1, result.output
    doc = as_json(result)
    assert doc["status"] == "failed" and doc["deploy"]["failures"] == []
    tests = doc["deploy"]["tests"]
    assert tests["org_tests_failed"] is True
    assert tests["org_coverage_too_low"] is True and tests["org_coverage_percent"] == 62
    assert tests["failures"] == 0
    assert "org's own Apex code coverage (62%)" in tests["explanation"]
    assert "not this setup" in tests["explanation"]
    assert prod.state.metadata_xml("Layout", "Account-Account Layout") == before

    text = cli("deploy", "--org", "emu", "--config", config, "--check-only")
    assert text.exit_code == 1
    shown = " ".join((text.stdout + text.stderr).split())
    assert "org's own Apex code coverage (62%) is below the 75%" in shown
    assert "Traceback" not in shown


def test_production_deploy_with_local_tests_fails_the_same_way(emulator_factory, use_org, tmp_path):
    prod = use_org(emulator_factory(flavour="production"))
    apex_tests.set_org_coverage(prod.state, 62)
    result = cli(
        "deploy", "--org", "emu", "--config", str(write_config(tmp_path)), "--yes",
        "--test-level", "RunLocalTests", "--json",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert as_json(result)["deploy"]["tests"]["org_tests_failed"] is True
    assert SECTION_LABEL not in prod.state.metadata_xml("Layout", "Account-Account Layout")


def test_a_sandbox_validation_of_the_same_org_passes(emulator_factory, use_org, tmp_path):
    sandbox = use_org(emulator_factory(flavour="sandbox"))
    apex_tests.set_org_coverage(sandbox.state, 62)
    result = cli(
        "deploy", "--org", "emu", "--config", str(write_config(tmp_path)), "--check-only",
        "--test-level", "RunLocalTests", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    tests = as_json(result)["deploy"]["tests"]
    assert tests["org_tests_failed"] is False and tests["org_coverage_too_low"] is False
