"""Salesforce's sf CLI deploys and retrieves against the emulator as against a real org.

Each run's JSON is checked, then the emulated org's state, then that ``totango-sf
verify`` agrees with what sf deployed. Both flavours a team deploys to: a sandbox and
production (where a validation runs the org's local tests and is then quick-deployed).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tests.support.cci import run_totango_sf
from tests.support.clients import SfCli, as_list, sfdx_project
from tests.support.processes import project as toolkit_project

FLAVOURS = ["sandbox", "production"]
LAYOUT = "Account-Account Layout"
# What force-app holds, as sf CLI names it (a sample of each type).
SOURCE = {
    ("ApexPage", "Totango_Account_Insights"),
    ("CustomField", "Account.Totango_Engagement__c"),
    ("CustomField", "Opportunity.Totango_URL__c"),
    ("CustomTab", "Totango"),
    ("PermissionSet", "Totango_Insights"),
    ("ReportFolder", "Totango_Reports"),
    ("Report", "Totango_Reports/Accounts_by_Totango_Health"),
}


def _files(result: dict) -> set[tuple[str, str]]:
    return {(f["type"], f["fullName"]) for f in as_list(result.get("files"))}


def _canonical(data: bytes) -> bytes:
    """The XML without formatting whitespace, to compare what sf wrote with the org's."""
    root = parse_xml(data)
    for element in root.iter():
        if len(element):
            element.text = None
        element.tail = None
    return etree.tostring(root, method="c14n")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_sf_deploys_validates_quick_deploys_reports_retrieves_and_queries(
    emulator_factory, sf_cli: SfCli, tmp_path: Path, flavour: str
):
    emulator = emulator_factory(flavour=flavour)
    project = sfdx_project(tmp_path / "project")

    login = sf_cli.login(emulator)
    assert login["orgId"] == emulator.org_id
    assert login["isSandbox"] is (flavour == "sandbox")
    display = sf_cli(["org", "display", "--target-org", "emu"], project).result
    assert display["connectedStatus"] == "Connected" and display["id"] == emulator.org_id

    # deploy start --source-dir: in a sandbox sf first asks for the Tooling SourceMember
    # object; an org without source tracking answers 404 NOT_FOUND and sf carries on.
    # Production is never source-tracked, and sf does not ask.
    deploy = sf_cli(["project", "deploy", "start", "--source-dir", "force-app"], project)
    deployed = deploy.result
    assert deployed["status"] == "Succeeded" and deployed["checkOnly"] is False, deploy
    assert _files(deployed) >= SOURCE
    assert {f["state"] for f in as_list(deployed["files"])} <= {"Created", "Changed"}
    source_member = [c for c in emulator.history if "/SourceMember" in c.path]
    assert bool(source_member) is (flavour == "sandbox")
    assert {c.status for c in source_member} <= {404}
    for type_name, name in SOURCE:
        assert emulator.state.has(type_name, name), (type_name, name)
    deploy_id = deployed["id"]

    # deploy validate with the org's local tests, then quick deploy of that validation.
    validate = sf_cli(
        [
            "project", "deploy", "validate", "--source-dir", "force-app",
            "--test-level", "RunLocalTests",
        ],
        project,
    ).result  # fmt: skip
    assert validate["status"] == "Succeeded" and validate["checkOnly"] is True
    assert validate["numberTestsCompleted"] > 0 and validate["numberTestErrors"] == 0
    assert emulator.history.deploys[-1].check_only is True
    quick = sf_cli(["project", "deploy", "quick", "--job-id", validate["id"]], project).result
    assert quick["status"] == "Succeeded" and quick["checkOnly"] is False
    recent = emulator.history.of("deployRecentValidation")
    assert [c.detail["validation_id"] for c in recent] == [validate["id"]]
    assert quick["id"] == recent[0].deploy_id

    # deploy report of the first deploy.
    report = sf_cli(["project", "deploy", "report", "--job-id", deploy_id], project).result
    assert report["id"] == deploy_id and report["status"] == "Succeeded"
    assert report["numberComponentsDeployed"] == deployed["numberComponentsDeployed"]

    # retrieve start --metadata: the layout as the org holds it.
    retrieve = sf_cli(["project", "retrieve", "start", "--metadata", f"Layout:{LAYOUT}"], project)
    assert _files(retrieve.result) == {("Layout", LAYOUT)}, retrieve
    written = project / "force-app/main/default/layouts" / f"{LAYOUT}.layout-meta.xml"
    stored = emulator.state.metadata_xml("Layout", LAYOUT)
    assert stored is not None and _canonical(written.read_bytes()) == _canonical(stored)

    # retrieve start --manifest: sf's manifest names the report folder "Totango_Reports/".
    sf_cli(["project", "generate", "manifest", "--source-dir", "force-app"], project).result
    manifest = (project / "package.xml").read_text()
    assert "<members>Totango_Reports/</members>" in manifest
    by_manifest = sf_cli(["project", "retrieve", "start", "--manifest", "package.xml"], project)
    assert _files(by_manifest.result) >= SOURCE, by_manifest
    assert by_manifest.result["success"] is True and not by_manifest.result["messages"]

    # ... and with --target-metadata-dir: sf sends <retrieve><request>, and unzips the
    # org's zip (its unpackaged/ folder) into the folder's unpackaged/.
    to_dir = sf_cli(
        [
            "project", "retrieve", "start", "--manifest", "package.xml",
            "--target-metadata-dir", "mdapi-out", "--unzip",
        ],
        project,
    )  # fmt: skip
    assert to_dir.result["status"] == "Succeeded", to_dir
    unzipped = project / "mdapi-out" / "unpackaged" / "unpackaged"
    assert (unzipped / "reports" / "Totango_Reports-meta.xml").exists()
    assert (unzipped / "layouts" / f"{LAYOUT}.layout").exists()
    assert b"<members>Totango_Reports</members>" in (unzipped / "package.xml").read_bytes()

    # data query, REST and Tooling.
    org = sf_cli(["data", "query", "--query", "SELECT Id, Name FROM Organization"], project)
    assert [r["Id"] for r in org.result["records"]] == [emulator.org_id]
    users = sf_cli(
        [
            "data", "query", "--query",
            "SELECT Id, Username, Profile.Name FROM User WHERE IsActive = true",
        ],
        project,
    ).result  # fmt: skip
    active = [u for u in emulator.state.rows("User") if u.get("IsActive")]
    assert users["totalSize"] == len(active) and all(r["Profile"]["Name"] for r in users["records"])
    classes = sf_cli(
        ["data", "query", "--use-tooling-api", "--query", "SELECT Id, Name FROM ApexClass"],
        project,
    ).result
    assert {r["Name"] for r in classes["records"]} == {
        r["Name"] for r in emulator.state.rows("ApexClass")
    }


def _verify(emulator, config: Path, home: Path) -> dict:
    args = ["verify", "--org", "emu", "--config", str(config), "--json"]
    run = run_totango_sf(args, toolkit_project(home.parent / "toolkit"), emulator, home)
    assert run.returncode in (0, 3), run.stderr[-3000:]
    return json.loads(run.stdout)["result"]


def _drift(verified: dict) -> set[tuple[str, str]]:
    return {(c["type"], c["name"]) for c in verified["components"] if c["state"] != "in_sync"}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_sf_deploys_metadata_folders_and_the_toolkit_output_and_verify_agrees(
    emulator_factory, sf_cli: SfCli, tmp_path: Path, flavour: str
):
    emulator = emulator_factory(flavour=flavour)
    project = sfdx_project(tmp_path / "project")
    sf_cli.login(emulator)
    config = tmp_path / "totango.yml"
    config.write_text("trusted_ip_ranges:\n  addresses: [8.8.8.8, 1.1.1.0/24]\n")
    home = tmp_path / "home"

    # Converted source: package.xml names the report folder "Totango_Reports/".
    convert = ["project", "convert", "source", "--source-dir", "force-app"]
    sf_cli([*convert, "--output-dir", "converted"], project).result
    converted_package = (project / "converted" / "package.xml").read_bytes()
    assert b"<members>Totango_Reports/</members>" in converted_package
    converted = sf_cli(["project", "deploy", "start", "--metadata-dir", "converted"], project)
    assert converted.result["status"] == "Succeeded", converted
    assert emulator.state.has("ReportFolder", "Totango_Reports")

    # The toolkit's own plan output, deployed by sf: every component it holds is in sync
    # for verify; layouts, Security.settings and record pages (patched in the org by
    # totango-sf deploy, not part of the package) still differ.
    plan_args = ["plan", "--config", str(config), "--out", str(tmp_path / "plan")]
    plan = run_totango_sf(plan_args, toolkit_project(tmp_path / "toolkit"), emulator, home)
    assert plan.returncode == 0, plan.stderr[-3000:]
    package = tmp_path / "plan" / "package"
    by_plan = sf_cli(["project", "deploy", "start", "--metadata-dir", str(package)], project)
    assert by_plan.result["status"] == "Succeeded", by_plan
    verified = _verify(emulator, config, home)
    assert {t for t, _ in _drift(verified)} <= {"Layout", "Settings", "FlexiPage"}
    in_sync = {(c["type"], c["name"]) for c in verified["components"] if c["state"] == "in_sync"}
    assert ("CustomField", "Account.Totango_Engagement__c") in in_sync

    # A team's way with sf: retrieve what the setup merges into, let `totango-sf apply`
    # merge it in the project, deploy the project with sf. verify then finds every
    # component in sync but the record pages apply left alone (it names those it patched).
    team = sfdx_project(tmp_path / "team", with_source=False)
    members = [
        "Layout:Account-Account Layout", "Layout:Lead-Lead Layout",
        "Layout:Opportunity-Opportunity Layout", "Settings:Security", "FlexiPage",
        "CustomApplication:standard__LightningSales", "CustomObject:Account",
        "CustomObject:Lead", "CustomObject:Opportunity",
    ]  # fmt: skip
    fetched = sf_cli(["project", "retrieve", "start", "--metadata", *members], team)
    assert fetched.result["status"] == "Succeeded", fetched
    apply_args = ["apply", "--source-dir", str(team), "--config", str(config), "--json"]
    applied = run_totango_sf(apply_args, toolkit_project(tmp_path / "toolkit"), emulator, home)
    assert applied.returncode == 0, applied.stderr[-3000:]
    patched = {
        Path(f["path"]).name.split(".")[0]
        for f in json.loads(applied.stdout)["result"]["files"]
        if "/flexipages/" in f["path"]
    }
    deploy = sf_cli(["project", "deploy", "start", "--source-dir", "force-app"], team)
    assert deploy.result["status"] == "Succeeded", deploy
    assert ("RecordType", "Account.Customer") in _files(deploy.result)
    verified = _verify(emulator, config, home)
    drift = _drift(verified)
    assert {t for t, _ in drift} <= {"FlexiPage"}, drift
    assert not {n for _, n in drift} & patched, (drift, patched)
    assert {"Layout", "Settings", "CustomField", "PermissionSet", "Report"} <= {
        c["type"] for c in verified["components"] if c["state"] == "in_sync"
    }
