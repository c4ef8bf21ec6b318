"""The CumulusCI tasks of the org steps, and the CLI's import discipline."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cumulusci.core.exceptions import CumulusCIFailure, TaskOptionsError
from cumulusci.tasks.salesforce.tests.util import create_task

from tasks.totango_sf.cci.steps import (
    TotangoConnectedAppAccess,
    TotangoDoctor,
    TotangoInstallPackage,
    TotangoOrgId,
    TotangoSetup,
)
from tests.support.paths import REPO_ROOT


def test_org_id_task(emulator):
    task = create_task(TotangoOrgId, {}, org_config=emulator.org_config())
    task()
    assert task.return_values["id18"] == emulator.org_id


def test_connected_app_task_grants_and_revokes(emulator_factory):
    emu = emulator_factory(flavour="sandbox", package_installed=True)
    task = create_task(TotangoConnectedAppAccess, {}, org_config=emu.org_config())
    task()
    assert [p["action"] for p in task.return_values["profiles"]] == ["added"]
    assert "totango_connected_app_policy" in task.return_values["policy_advice"]
    task = create_task(TotangoConnectedAppAccess, {"revoke": "True"}, org_config=emu.org_config())
    task()
    assert [p["action"] for p in task.return_values["profiles"]] == ["removed"]


def test_connected_app_task_without_package_fails(emulator):
    task = create_task(TotangoConnectedAppAccess, {}, org_config=emulator.org_config())
    with pytest.raises(CumulusCIFailure, match="install the package first"):
        task()


def test_doctor_task_fails_on_professional(emulator_factory):
    emu = emulator_factory(flavour="professional")
    task = create_task(TotangoDoctor, {}, org_config=emu.org_config())
    with pytest.raises(CumulusCIFailure):
        task()
    assert task.return_values["ok"] is False


def test_doctor_task_prerequisites_only_passes_a_fresh_org(emulator):
    options = {"prerequisites_only": "True"}
    task = create_task(TotangoDoctor, options, org_config=emulator.org_config())
    task()
    assert task.return_values["ok"] is False  # not set up yet, but the org can take it


def test_install_task_options(emulator, tmp_path):
    with pytest.raises(TaskOptionsError, match="yes"):
        create_task(TotangoInstallPackage, {"yes": "maybe"}, org_config=emulator.org_config())
    task = create_task(TotangoInstallPackage, {}, org_config=emulator.org_config())
    with pytest.raises(TaskOptionsError, match="package.version_id"):
        task()
    optional = {"only_if_configured": "True"}
    task = create_task(TotangoInstallPackage, optional, org_config=emulator.org_config())
    task()
    assert task.return_values == {"skipped": True}
    assert not emulator.history.of("tooling_sobject_create")
    config = tmp_path / "t.yml"
    config.write_text("package:\n  version_id: 04t5g000000ABCDAAA\n")
    task = create_task(
        TotangoInstallPackage, {"config": str(config)}, org_config=emulator.org_config()
    )
    task()
    assert task.return_values["action"] == "installed"


def test_setup_task_logs_every_step(emulator_factory):
    emu = emulator_factory(flavour="professional")
    task = create_task(TotangoSetup, {}, org_config=emu.org_config())
    with pytest.raises(CumulusCIFailure):
        task()
    assert len(task.return_values["steps"]) == 8


def test_help_does_not_import_cumulusci():
    code = (
        "import sys, typer\n"
        "from tasks.totango_sf.cli.app import register\n"
        "app = typer.Typer()\n"
        "app.callback()(lambda: None)\n"
        "register(app)\n"
        "try:\n"
        "    app(['doctor', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'cumulusci' not in sys.modules, 'cumulusci imported'\n"
        "assert 'simple_salesforce' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "--org" in result.stdout
