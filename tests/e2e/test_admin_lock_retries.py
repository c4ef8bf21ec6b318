"""A deploy that finds the org's administration setup locked is sent again, then exit 6.

The emulator holds the lock as orgs do (tests/org_emulator/admin_lock.py: Failed with
errorStatusCode ALREADY_IN_PROCESS, nothing applied), on production and sandbox orgs,
also right after a package install, which is what ``setup`` does.
"""

from __future__ import annotations

import pytest

from tasks.totango_sf.errors import EXIT_ORG_BUSY
from tests.org_emulator import admin_lock
from tests.support.cli import SECTION_LABEL, as_json, cli, write_config
from tests.support.org import cli_app, config, session_for

ATTEMPTS = 5  # the first try and one per wait


@pytest.fixture(autouse=True)
def no_waits(monkeypatch):
    monkeypatch.setattr(
        "tasks.totango_sf.salesforce.admin_lock.ADMIN_LOCK_RETRY_DELAYS", (0.0, 0.0, 0.0, 0.0)
    )


def _layout(emulator) -> bytes:
    return emulator.state.metadata_xml("Layout", "Account-Account Layout")


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_a_lock_that_lifts_is_waited_out_and_said_on_stderr(
    emulator_factory, use_org, tmp_path, flavour
):
    emulator = use_org(emulator_factory(flavour=flavour))
    admin_lock.lock(emulator.state, 2)
    result = cli("deploy", "--org", "emu", "--config", str(write_config(tmp_path)), "--yes")
    assert result.exit_code == 0, result.output
    assert [c.success for c in emulator.history.deploys] == [False, False, True]
    notices = [line for line in result.stderr.splitlines() if "ALREADY_IN_PROCESS" in line]
    assert len(notices) == 2, result.stderr
    assert "administration setup locked" in notices[0] and "attempt 2 of 5" in notices[0]
    assert "Nothing was changed" in notices[0]
    assert SECTION_LABEL in _layout(emulator)


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_a_lock_that_outlasts_the_retries_is_exit_6_and_the_org_unchanged(
    emulator_factory, use_org, tmp_path, flavour
):
    emulator = use_org(emulator_factory(flavour=flavour))
    admin_lock.lock(emulator.state, 99)
    before = _layout(emulator)
    config_file = str(write_config(tmp_path))
    result = cli("deploy", "--org", "emu", "--config", config_file, "--yes", "--json")
    assert result.exit_code == EXIT_ORG_BUSY, result.output
    error = as_json(result)
    assert error["name"] == "OrgBusy"
    assert "administration setup locked by another change" in error["message"]
    assert "nothing was changed" in error["message"]
    assert error["data"]["error_code"] == "ALREADY_IN_PROCESS"
    assert error["data"]["attempts"] == ATTEMPTS
    assert len(emulator.history.deploys) == ATTEMPTS
    assert _layout(emulator) == before
    # In a terminal: one clear line on stderr, no traceback.
    text = cli("deploy", "--org", "emu", "--config", config_file, "--yes")
    assert text.exit_code == EXIT_ORG_BUSY
    assert "busy" in text.stderr and "Traceback" not in text.output


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_a_validation_and_a_quick_deploy_wait_out_the_lock_too(
    emulator_factory, use_org, tmp_path, flavour
):
    emulator = use_org(emulator_factory(flavour=flavour))
    config_file = str(write_config(tmp_path))
    admin_lock.lock(emulator.state, 1)
    validated = cli(
        "deploy", "--org", "emu", "--config", config_file, "--check-only",
        "--test-level", "RunLocalTests", "--json",
    )  # fmt: skip
    assert validated.exit_code == 0, validated.output
    validation_id = as_json(validated)["validation_id"]
    admin_lock.lock(emulator.state, 1)
    quick = cli(
        "deploy", "--org", "emu", "--config", config_file, "--quick", validation_id,
        "--yes", "--json",
    )  # fmt: skip
    assert quick.exit_code == 0, quick.output
    assert as_json(quick)["deploy"]["admin_lock_retries"]
    assert SECTION_LABEL in _layout(emulator)


VERSION_ID = "04t5g000000ABCDAAA"


def _install_just_finished(emulator) -> None:
    """The package install setup starts, finished the moment setup deploys (a Tooling
    PackageInstallRequest, as CumulusCI's install sends it)."""
    from simple_salesforce import Salesforce

    host = emulator.instance_url.removeprefix("https://")
    client = Salesforce(instance=host, session_id=emulator.access_token, version="63.0")
    request = client.restful(
        "tooling/sobjects/PackageInstallRequest",
        method="POST",
        json={"SubscriberPackageVersionKey": VERSION_ID, "SecurityType": "FULL"},
    )
    query = f"SELECT Status FROM PackageInstallRequest WHERE Id='{request['id']}'"
    assert client.restful("tooling/query", params={"q": query})["records"][0]["Status"] == (
        "SUCCESS"
    )


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_setup_waits_out_the_lock_a_package_install_leaves(
    emulator_factory, monkeypatch, capsys, flavour
):
    from tasks.totango_sf.steps.setup import run_setup

    emulator = emulator_factory(flavour=flavour, install_polls=1)
    admin_lock.lock_after_installs(emulator.state, 2)
    _install_just_finished(emulator)
    cfg = config(package={"version_id": VERSION_ID}, trusted_ip_ranges={"addresses": ["52.1.2.3"]})
    report = run_setup(session_for(emulator, monkeypatch), cfg, "emu", yes=True)
    stages = {s.stage: s for s in report.stages}
    assert stages["deploy"].status == "changed", stages["deploy"]
    assert [c.success for c in emulator.history.deploys] == [False, False, True]
    assert capsys.readouterr().err.count("ALREADY_IN_PROCESS") == 2


def test_setup_ends_with_exit_6_when_the_lock_outlasts_the_retries(
    emulator_factory, monkeypatch, tmp_path
):
    from typer.testing import CliRunner

    emulator = emulator_factory(flavour="sandbox", install_polls=1)
    admin_lock.lock_after_installs(emulator.state, 99)
    _install_just_finished(emulator)
    for key, value in emulator.env("emu").items():
        monkeypatch.setenv(key, value)
    config_file = tmp_path / "real.yml"
    config_file.write_text(
        f"trusted_ip_ranges:\n  addresses: [8.8.8.8]\npackage:\n  version_id: {VERSION_ID}\n"
    )
    result = CliRunner().invoke(
        cli_app(), ["setup", "--org", "emu", "--config", str(config_file), "--json"]
    )
    assert result.exit_code == EXIT_ORG_BUSY, result.output
    assert "ALREADY_IN_PROCESS" in as_json(result)["message"]
    assert len(emulator.history.deploys) == ATTEMPTS


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_a_rollback_that_meets_a_lasting_lock_is_exit_6_and_the_org_unchanged(
    emulator_factory, use_org, tmp_path, flavour
):
    emulator = use_org(emulator_factory(flavour=flavour))
    config_file = str(write_config(tmp_path))
    assert cli("deploy", "--org", "emu", "--config", config_file, "--yes").exit_code == 0
    deployed = _layout(emulator)
    admin_lock.lock(emulator.state, 99)
    result = cli("rollback", "--org", "emu", "--config", config_file, "--yes", "--json")
    assert result.exit_code == EXIT_ORG_BUSY, result.output
    error = as_json(result)
    assert error["name"] == "OrgBusy" and "nothing was changed" in error["message"]
    assert _layout(emulator) == deployed
    # Once the lock lifts, the same rollback goes through.
    admin_lock.lock(emulator.state, 0)
    again = cli("rollback", "--org", "emu", "--config", config_file, "--yes")
    assert again.exit_code == 0, again.output
    assert SECTION_LABEL not in _layout(emulator)
