"""``cci flow run totango_release`` and ``totango_setup`` against a production-flavour emulator.

The emulated production org refuses NoTestRun and holds seeded Apex tests, so the
release path (check-only with RunLocalTests, then quick deploy) is exercised as a
real production org would run it.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.org_emulator.apex_tests import SEEDED_TEST_CLASSES
from tests.support.processes import project, run_cci_flow


def _env(emulator, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **emulator.env("emu"), "HOME": str(tmp_path / "home")}


def test_cci_flow_totango_release_on_production(emulator_factory, tmp_path):
    prod = emulator_factory(flavour="production")
    folder = project(tmp_path)
    run = run_cci_flow(
        folder, _env(prod, tmp_path), "totango_release", "totango_deploy_check_only",
        "totango_deploy",
    )  # fmt: skip
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    validation, quick = prod.history.deploys
    assert validation.check_only and validation.detail["test_level"] == "RunLocalTests"
    assert validation.detail["tests_run"] == sum(len(m) for m in SEEDED_TEST_CLASSES.values())
    assert quick.kind == "deployRecentValidation" and quick.success
    assert quick.detail["validation_id"] == validation.deploy_id
    assert prod.state.has("ApexPage", "Totango_Account_Insights")
    secrets = set(prod.state.access_tokens) | {prod.refresh_token}
    assert not any(s in run.stdout + run.stderr for s in secrets)


def test_cci_flow_totango_release_with_a_failing_org_test_changes_nothing(
    emulator_factory, tmp_path
):
    prod = emulator_factory(flavour="production")
    prod.faults.fail_apex_test("AccountTriggerTest", "testUpdate", "System.DmlException: boom")
    layout = prod.state.metadata_xml("Layout", "Account-Account Layout")
    folder = project(tmp_path)
    run = run_cci_flow(
        folder, _env(prod, tmp_path), "totango_release", "totango_deploy_check_only",
        "totango_deploy",
    )  # fmt: skip
    assert run.returncode != 0
    shown = " ".join((run.stdout + run.stderr).split())  # cci wraps its error lines
    assert "AccountTriggerTest.testUpdate" in shown and "System.DmlException: boom" in shown
    assert "org's own Apex tests failed" in shown
    assert [c.kind for c in prod.history.deploys] == ["deploy"]
    assert prod.state.metadata_xml("Layout", "Account-Account Layout") == layout
    assert not prod.state.has("ApexPage", "Totango_Account_Insights")


def test_cci_flow_totango_setup_on_production(emulator_factory, tmp_path):
    prod = emulator_factory(flavour="production")
    folder = project(tmp_path)
    env = _env(prod, tmp_path)
    refused = run_cci_flow(folder, env, "totango_setup", "totango_deploy", "totango_verify")
    assert refused.returncode != 0
    assert "production" in refused.stdout + refused.stderr
    assert prod.history.deploys == []

    run = run_cci_flow(
        folder, env, "totango_setup", "totango_deploy", "totango_verify",
        extra=("-o", "totango_deploy__yes", "True"),
    )  # fmt: skip
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    (deploy,) = prod.history.deploys
    assert not deploy.check_only and deploy.success
    assert deploy.detail["test_level"] is None  # left out: the org runs no tests for us
    assert prod.state.has("ApexPage", "Totango_Account_Insights")
