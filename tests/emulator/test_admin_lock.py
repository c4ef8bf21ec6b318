"""The administration-setup lock: a deploy that finds it held fails whole, as orgs answer.

Recorded answers: SFDO-Tooling/CumulusCI issue 218 (errorMessage and errorStatusCode
ALREADY_IN_PROCESS), RoseSilverSoftware/IlluminatedCloud issues 330 and 488 (status
Failed), forcedotcom/cli issue 645 (right after a package install).
"""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce

from tests.org_emulator import admin_lock
from tests.support.mdapi import (
    MD,
    assert_schema_valid,
    body_child,
    layout_package,
    soap_call,
    zip_b64,
)


def _deploy(emulator, check_only: bool = False) -> str:
    _, content = soap_call(
        emulator,
        f'<deploy xmlns="{MD}"><ZipFile>{zip_b64(layout_package("P1"))}</ZipFile>'
        f"<DeployOptions><checkOnly>{str(check_only).lower()}</checkOnly>"
        "<rollbackOnError>true</rollbackOnError></DeployOptions></deploy>",
    )
    return body_child(content).findtext(f"{{{MD}}}result/{{{MD}}}id")


def _settle(emulator, deploy_id: str):
    for _ in range(10):
        _, content = soap_call(
            emulator,
            f'<checkDeployStatus xmlns="{MD}"><asyncProcessId>{deploy_id}</asyncProcessId>'
            "<includeDetails>true</includeDetails></checkDeployStatus>",
        )
        result = body_child(content).find(f"{{{MD}}}result")
        if result.findtext(f"{{{MD}}}done") == "true":
            assert_schema_valid(content)
            return result
    raise AssertionError("the deploy never finished")


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
@pytest.mark.parametrize("check_only", [False, True])
def test_a_locked_org_fails_the_deploy_whole_in_the_recorded_words(
    emulator_factory, flavour, check_only
):
    emulator = emulator_factory(flavour=flavour)
    admin_lock.lock(emulator.state, 1)
    result = _settle(emulator, _deploy(emulator, check_only))
    assert result.findtext(f"{{{MD}}}status") == "Failed"
    assert result.findtext(f"{{{MD}}}success") == "false"
    assert result.findtext(f"{{{MD}}}errorStatusCode") == "ALREADY_IN_PROCESS"
    assert result.findtext(f"{{{MD}}}errorMessage") == (
        "null: The changes you requested require salesforce.com to temporarily lock your"
        " organization's administration setup. However, the administration setup has already"
        " been locked by another change. Please wait for the previous action to finish, then"
        " try again later."
    )
    assert result.find(f"{{{MD}}}details/{{{MD}}}componentFailures") is None
    assert not emulator.state.has("ApexPage", "P1")
    # The lock is gone: the same deploy goes through.
    again = _settle(emulator, _deploy(emulator, check_only))
    assert again.findtext(f"{{{MD}}}status") == "Succeeded"
    assert emulator.state.has("ApexPage", "P1") is (not check_only)


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_a_package_install_leaves_the_lock_held_for_the_deploys_after_it(emulator_factory, flavour):
    emulator = emulator_factory(flavour=flavour, install_polls=1)
    admin_lock.lock_after_installs(emulator.state, 2)
    host = emulator.instance_url.removeprefix("https://")
    client = Salesforce(instance=host, session_id=emulator.access_token, version="63.0")
    assert _settle(emulator, _deploy(emulator)).findtext(f"{{{MD}}}status") == "Succeeded"
    request = client.restful(
        "tooling/sobjects/PackageInstallRequest",
        method="POST",
        json={"SubscriberPackageVersionKey": "04t000000000001AAA", "SecurityType": "FULL"},
    )
    query = f"SELECT Status FROM PackageInstallRequest WHERE Id='{request['id']}'"
    assert client.restful("tooling/query", params={"q": query})["records"][0]["Status"] == (
        "SUCCESS"
    )
    statuses = [_settle(emulator, _deploy(emulator)).findtext(f"{{{MD}}}status") for _ in "abc"]
    assert statuses == ["Failed", "Failed", "Succeeded"]
    assert [row["Status"] for row in emulator.state.rows("DeployRequest")][-3:] == [
        "Failed",
        "Failed",
        "Succeeded",
    ]
