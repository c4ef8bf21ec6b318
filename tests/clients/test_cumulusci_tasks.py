"""CumulusCI's standard tasks a team combines with this toolkit, run as ``cci task run``
against the emulator as against a real org: ``deploy`` (of source, which CumulusCI
converts with sf CLI, and of a Metadata API folder), ``retrieve_unpackaged``,
``list_metadata_types`` and ``update_admin_profile``."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tests.support.cci import run_cci
from tests.support.cli import cli, write_config
from tests.support.clients import BIN, SfCli
from tests.support.paths import REPO_ROOT

FLAVOURS = ["sandbox", "production"]
LAYOUT = "Account-Account Layout"
FIELD = "Account.Totango_Engagement__c"
RETRIEVE = """<?xml version="1.0" encoding="UTF-8"?>
<Package xmlns="http://soap.sforce.com/2006/04/metadata">
    <types>
        <members>Account</members>
        <name>CustomObject</name>
    </types>
    <types>
        <members>Account.Customer</members>
        <name>RecordType</name>
    </types>
    <types>
        <members>Account-Account Layout</members>
        <name>Layout</name>
    </types>
    <types>
        <members>Totango_Reports/</members>
        <members>Totango_Reports/Accounts_by_Totango_Health</members>
        <name>Report</name>
    </types>
    <version>63.0</version>
</Package>
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A team's CumulusCI project: this repository's cumulusci.yml, sfdx-project.json,
    force-app and orgconfig in a git repository of its own."""
    folder = tmp_path / "project"
    folder.mkdir()
    for name in ("cumulusci.yml", "sfdx-project.json"):
        shutil.copy(REPO_ROOT / name, folder)
    for name in ("force-app", "orgconfig"):
        shutil.copytree(REPO_ROOT / name, folder / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "project"]):
        subprocess.run([*git, *args], cwd=folder, check=True, capture_output=True)
    return folder


def _cci(args: list[str], project: Path, emulator, home: Path, path_first: str = ""):
    env = {**emulator.env("emu"), "HOME": str(home)}
    if path_first:
        env["PATH"] = f"{path_first}{os.pathsep}{os.environ.get('PATH', '')}"
    run = run_cci(["task", "run", *args], project, env)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    return run.stdout + run.stderr


def _plan_package(tmp_path: Path) -> Path:
    config = write_config(tmp_path)
    result = cli("plan", "--config", str(config), "--out", str(tmp_path / "plan"))
    assert result.exit_code == 0, result.output
    return tmp_path / "plan" / "package"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_cci_deploys_a_metadata_folder_retrieves_and_lists_types(
    emulator_factory, project, tmp_path, flavour
):
    emulator = emulator_factory(flavour=flavour)
    home = tmp_path / "home"
    package = str(_plan_package(tmp_path))
    _cci(["deploy", "--org", "emu", "--path", package], project, emulator, home)
    assert emulator.history.deploys[-1].success is True
    assert emulator.state.has("CustomField", FIELD)
    assert emulator.state.has("ReportFolder", "Totango_Reports")

    (project / "retrieve.xml").write_text(RETRIEVE)
    out = tmp_path / "retrieved"
    options = ["-o", "package_xml", "retrieve.xml", "-o", "path", str(out)]
    _cci(["retrieve_unpackaged", "--org", "emu", *options], project, emulator, home)
    assert (out / "layouts" / f"{LAYOUT}.layout").read_bytes() == emulator.state.metadata_xml(
        "Layout", LAYOUT
    )
    assert (out / "reports" / "Totango_Reports-meta.xml").exists()
    assert (out / "reports" / "Totango_Reports" / "Accounts_by_Totango_Health.report").exists()
    account = (out / "objects" / "Account.object").read_text()
    assert "<fullName>Totango_Engagement__c</fullName>" in account
    assert "<fullName>Customer</fullName>" in account

    # list_metadata_types reads a package.xml, here the one the org sent back.
    listing = ["list_metadata_types", "-o", "package_xml", str(out / "package.xml")]
    listed = _cci(listing, project, emulator, home)
    for type_name in ("CustomObject", "Layout", "RecordType", "Report"):
        assert f"\n{type_name}" in listed.replace(" ", ""), listed


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_cci_update_admin_profile_grants_the_admin_every_field(
    emulator_factory, project, tmp_path, flavour
):
    emulator = emulator_factory(flavour=flavour)
    home = tmp_path / "home"
    package = str(_plan_package(tmp_path))
    _cci(["deploy", "--org", "emu", "--path", package], project, emulator, home)
    assignments_before = _layout_assignments(emulator, "Admin")
    assert assignments_before

    _cci(["update_admin_profile", "--org", "emu"], project, emulator, home)
    # Retrieved with the objects (every custom field listed, unreadable), deployed back
    # with every field readable and editable.
    admin = parse_xml(emulator.state.metadata_xml("Profile", "Admin") or b"<Profile/>")
    entries = {
        e.findtext("{*}field"): (e.findtext("{*}readable"), e.findtext("{*}editable"))
        for e in admin.findall("{*}fieldPermissions")
    }
    assert entries[FIELD] == ("true", "true"), entries
    # A profile deploy overlays the org's profile: what the file leaves out stays.
    assert _layout_assignments(emulator, "Admin") == assignments_before


def test_cci_deploys_source_converting_it_with_sf(emulator, project, tmp_path, sf_cli: SfCli):
    # CumulusCI converts an sfdx folder with `sf project convert source` before deploying.
    deploy = ["deploy", "--org", "emu", "--path", "force-app"]
    _cci(deploy, project, emulator, tmp_path / "home", path_first=str(BIN))
    assert emulator.history.deploys[-1].success is True
    assert emulator.state.has("ReportFolder", "Totango_Reports")
    assert emulator.state.has("CustomField", FIELD)


def _layout_assignments(emulator, profile: str) -> list[bytes]:
    root = parse_xml(emulator.state.metadata_xml("Profile", profile) or b"<Profile/>")
    return sorted(etree.tostring(a) for a in root.findall("{*}layoutAssignments"))
