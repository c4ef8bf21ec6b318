"""A glob that matches a managed package's layout retrieves and patches it.

The emulator lists a managed layout as orgs do, ``ns__Obj__c-Layout Name``, and retrieves
it only as ``ns__Obj__c-ns__Layout Name`` (tests/org_emulator/managed_layouts.py;
vignaesh01/sfdx-package-generator issue 19), on production and sandbox orgs.
"""

from __future__ import annotations

import pytest

from tests.org_emulator import managed_layouts
from tests.support.cli import SECTION_LABEL, as_json, cli, write_config

OBJECT = managed_layouts.OBJECT


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_a_glob_over_a_managed_layout_patches_it(emulator_factory, use_org, tmp_path, flavour):
    emulator = use_org(emulator_factory(flavour=flavour))
    layout = managed_layouts.add_managed_layout(emulator.state)
    config = write_config(
        tmp_path,
        insights={"objects": ["Account", OBJECT]},
        widget={"layouts": ["Account-Account Layout", f"{OBJECT}-*"], "record_pages": "none"},
    )
    plan = cli("plan", "--org", "emu", "--config", str(config), "--json")
    assert plan.exit_code == 0, plan.output
    rows = {(c["type"], c["name"]) for c in as_json(plan)["components"]}
    assert ("Layout", layout) in rows
    result = cli("deploy", "--org", "emu", "--config", str(config), "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result)["verify"]["in_sync"]
    assert SECTION_LABEL in emulator.state.metadata_xml("Layout", layout)
    retrieved = [
        c.detail.get("types", {}).get("Layout", []) for c in emulator.history.of("retrieve")
    ]
    assert any(layout in names for names in retrieved)
    assert not any(f"{OBJECT}-Discount Schedule Layout" in names for names in retrieved)
