"""An item an org refuses in a validation only: "Test only deployment cannot update"
(sfdx-hardis deployment tips: "When effective deployment will happen, it should pass")."""

from __future__ import annotations

import pytest

from tests.org_emulator import check_only
from tests.support.mdapi import MD, body_child, layout_package, soap_call, zip_b64


def _deploy(emulator, check: bool):
    _, content = soap_call(
        emulator,
        f'<deploy xmlns="{MD}"><ZipFile>{zip_b64(layout_package("P1"))}</ZipFile>'
        f"<DeployOptions><checkOnly>{str(check).lower()}</checkOnly>"
        "<rollbackOnError>true</rollbackOnError></DeployOptions></deploy>",
    )
    deploy_id = body_child(content).findtext(f"{{{MD}}}result/{{{MD}}}id")
    for _ in range(10):
        _, content = soap_call(
            emulator,
            f'<checkDeployStatus xmlns="{MD}"><asyncProcessId>{deploy_id}</asyncProcessId>'
            "<includeDetails>true</includeDetails></checkDeployStatus>",
        )
        result = body_child(content).find(f"{{{MD}}}result")
        if result.findtext(f"{{{MD}}}done") == "true":
            return result
    raise AssertionError("never finished")


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_a_validation_fails_where_the_real_deploy_passes(emulator_factory, flavour):
    emulator = emulator_factory(flavour=flavour)
    check_only.refuse_in_validations(emulator.state, "Layout", "Account-Account Layout")
    validation = _deploy(emulator, check=True)
    assert validation.findtext(f"{{{MD}}}status") == "Failed"
    problems = [p.text for p in validation.iter(f"{{{MD}}}problem")]
    assert problems == ["Test only deployment cannot update"]
    real = _deploy(emulator, check=False)
    assert real.findtext(f"{{{MD}}}status") == "Succeeded"
    assert emulator.state.has("ApexPage", "P1")
