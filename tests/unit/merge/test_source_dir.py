"""`apply` edits sfdx projects and Metadata API folders in place, idempotently."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tasks.totango_sf.cli.app import app
from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.merge.source_dir import ApplySourceError, apply_to_source
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.validation import collect_metadata_files, validate_files
from tests.org_emulator.seed import SEED
from tests.support.cli_json import result_of
from tests.support.schemas import oracle_schemas
from tests.support.source_projects import mdapi_folder, sfdx_project, snapshot

NS = "{http://soap.sforce.com/2006/04/metadata}"
REAL_IPS = {"trusted_ip_ranges": {"addresses": ["8.8.8.8", "2606:4700::/48"]}}


def test_sfdx_project_gets_components_section_and_ranges(tmp_path: Path):
    base = sfdx_project(tmp_path)
    cfg = build_config({**REAL_IPS, "widget": {"layouts": ["Account-*", "Lead-Lead Layout"]}})
    result = apply_to_source(cfg, tmp_path)
    assert result.project_format == "source" and result.changed
    assert (base / "objects/Lead/fields/Totango_Engagement__c.field-meta.xml").exists()
    assert (base / "pages/Totango_Account_Insights.page").exists()
    for name in ("Account-Account Layout", "Account-Account Layout - Partner", "Lead-Lead Layout"):
        layout = parse_xml((base / f"layouts/{name}.layout-meta.xml").read_bytes())
        labels = [s.findtext(f"{NS}label") for s in layout.findall(f"{NS}layoutSections")]
        assert labels.count("Totango") == 1, name
    opportunity = (base / "layouts/Opportunity-Opportunity Layout.layout-meta.xml").read_bytes()
    assert opportunity == (SEED / "layouts/Opportunity-Opportunity Layout.layout").read_bytes()
    settings = parse_xml((base / "settings/Security.settings-meta.xml").read_bytes())
    starts = [r.findtext(f"{NS}start") for r in settings.iter(f"{NS}ipRanges")]
    assert "8.8.8.8" in starts and "2606:4700::" in starts and len(starts) == 4
    kinds = {c.path: c.change for c in result.changes}
    assert kinds["src-main/main/default/layouts/Lead-Lead Layout.layout-meta.xml"] == "patched"
    for schema in oracle_schemas():
        assert validate_files(collect_metadata_files([base]), schema) == []


def test_second_apply_changes_nothing(tmp_path: Path):
    sfdx_project(tmp_path)
    cfg = build_config(REAL_IPS)
    apply_to_source(cfg, tmp_path)
    before = snapshot(tmp_path)
    again = apply_to_source(cfg, tmp_path)
    assert not again.changed
    assert snapshot(tmp_path) == before


def test_mdapi_folder_merges_object_file_and_package_xml(tmp_path: Path):
    root = mdapi_folder(tmp_path)
    cfg = build_config(REAL_IPS)
    result = apply_to_source(cfg, root)
    assert result.project_format == "mdapi"
    account = parse_xml((root / "objects/Account.object").read_bytes())
    names = [f.findtext(f"{NS}fullName") for f in account.findall(f"{NS}fields")]
    assert "Region__c" in names and "Totango_Account_Health__c" in names
    assert account.findtext(f"{NS}label") == "Account"
    package = parse_xml((root / "package.xml").read_bytes())
    members = {m.text for m in package.iter(f"{NS}members")}
    assert {"Account.Region__c", "Lead.Totango_URL__c", "Security"} <= members
    assert "Account-Account Layout" in members
    assert package.findtext(f"{NS}version") == "62.0"
    assert validate_files(collect_metadata_files([root])) == []
    before = snapshot(root)
    assert not apply_to_source(cfg, root).changed
    assert snapshot(root) == before


def test_not_a_project_is_refused(tmp_path: Path):
    with pytest.raises(ApplySourceError, match="neither an sfdx project"):
        apply_to_source(build_config({}), tmp_path)


def test_missing_layout_and_settings_are_warnings(tmp_path: Path):
    (tmp_path / "sfdx-project.json").write_text('{"packageDirectories": [{"path": "fa"}]}')
    (tmp_path / "fa").mkdir()
    result = apply_to_source(build_config({}), tmp_path, allow_placeholders=True)
    assert any(
        "matches widget.layouts entry 'Account-Account Layout'" in w for w in result.warnings
    )
    assert any("no Security.settings" in w for w in result.warnings)


def test_broken_layout_writes_nothing(tmp_path: Path):
    base = sfdx_project(tmp_path)
    (base / "layouts/Lead-Lead Layout.layout-meta.xml").write_text("<Layout><oops></Layout>")
    before = snapshot(tmp_path)
    with pytest.raises(ApplySourceError, match="Lead-Lead Layout"):
        apply_to_source(build_config(REAL_IPS), tmp_path)
    assert snapshot(tmp_path) == before


def test_cli_apply_json_reports_changed_then_unchanged(tmp_path: Path):
    sfdx_project(tmp_path)
    config = tmp_path / "totango.yml"
    config.write_text("trusted_ip_ranges:\n  addresses: [8.8.8.8]\n")
    runner = CliRunner()
    args = ["apply", "--source-dir", str(tmp_path), "--config", str(config), "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert result_of(first.stdout)["changed"] is True
    second = runner.invoke(app, args)
    assert result_of(second.stdout)["changed"] is False
    bad = runner.invoke(app, ["apply", "--source-dir", str(tmp_path / "nope")])
    assert bad.exit_code == 2
