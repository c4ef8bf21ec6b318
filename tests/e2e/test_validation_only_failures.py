"""A validation that fails only because it is one says that a real deploy may succeed.

The emulator refuses an item in validations only, "Test only deployment cannot update",
as sfdx-hardis's deployment tips describe (tests/org_emulator/check_only.py), on
production and sandbox orgs.
"""

from __future__ import annotations

import pytest

from tests.org_emulator import check_only
from tests.support.cli import SECTION_LABEL, as_json, cli, write_config


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_the_validation_says_a_real_deploy_may_succeed_and_it_does(
    emulator_factory, use_org, tmp_path, flavour
):
    emulator = use_org(emulator_factory(flavour=flavour))
    check_only.refuse_in_validations(emulator.state, "Layout", "Account-Account Layout")
    config = str(write_config(tmp_path))
    validated = cli("deploy", "--org", "emu", "--config", config, "--check-only", "--json")
    assert validated.exit_code == 1, validated.output
    doc = as_json(validated)
    assert doc["validation_only_failures"] == 1
    (note,) = [w for w in doc["warnings"] if "Test only deployment cannot update" in w]
    assert "a real deploy may succeed" in note and "--org emu" in note
    text = cli("deploy", "--org", "emu", "--config", config, "--check-only")
    assert "a real deploy may succeed" in " ".join((text.stdout + text.stderr).split())
    deployed = cli("deploy", "--org", "emu", "--config", config, "--yes", "--json")
    assert deployed.exit_code == 0, deployed.output
    assert SECTION_LABEL in emulator.state.metadata_xml("Layout", "Account-Account Layout")


def test_other_failures_beside_it_are_not_called_false_positives(emulator, use_org, tmp_path):
    use_org(emulator)
    check_only.refuse_in_validations(emulator.state, "Layout", "Account-Account Layout")
    emulator.faults.fail_component("Layout", "Lead-Lead Layout", "Some other problem")
    result = cli(
        "deploy", "--org", "emu", "--config", str(write_config(tmp_path)), "--check-only", "--json"
    )
    doc = as_json(result)
    assert doc["validation_only_failures"] == 1
    (note,) = [w for w in doc["warnings"] if "validation-only" in w]
    assert "1 of the 2 failures" in note and "once the other failures are fixed" in note
