"""The offline commands: plan, validate, config schema; exit codes and --json.

The command line as a process of its own: tests/e2e/test_cli_subprocess.py.
"""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tasks.totango_sf.cli.app import app
from tasks.totango_sf.render.plan import PLACEHOLDER_WARNING
from tests.support.cli import cli
from tests.support.cli_json import error_of, result_of
from tests.support.paths import REPO_ROOT


def test_plan_writes_a_validated_package_and_warns(tmp_path: Path):
    result = cli("plan", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "package/package.xml").exists()
    assert (tmp_path / "package/objects/Account.object").exists()
    assert (tmp_path / "patches/settings/Security.ip-ranges.xml").exists()
    assert "Totango_Account_Insights" in result.output
    assert "placeholders" in result.output


def test_plan_json_is_one_document_and_nothing_else(tmp_path: Path):
    result = cli("plan", "--out", str(tmp_path), "--json")
    assert result.exit_code == 0
    document = result_of(result.stdout)
    assert document["status_code"] == 0
    assert PLACEHOLDER_WARNING in document["warnings"]
    actions = {(c["type"], c["action"]) for c in document["components"]}
    assert ("Layout", "patch") in actions and ("CustomField", "create") in actions
    assert ("Settings", "patch") in actions


def test_plan_source_format(tmp_path: Path):
    result = cli("plan", "--out", str(tmp_path), "--format", "source")
    assert result.exit_code == 0
    assert (tmp_path / "package/force-app/main/default/tabs/Totango.tab-meta.xml").exists()


def test_plan_removes_stale_output(tmp_path: Path):
    """A file an earlier plan wrote, no longer part of the package, does not linger."""
    assert cli("plan", "--out", str(tmp_path)).exit_code == 0
    stale = tmp_path / "package" / "reports" / "Totango_Reports-meta.xml"
    reports_off = tmp_path / "no-reports.yml"
    reports_off.write_text("reports:\n  enabled: false\n")
    assert stale.exists()
    assert cli("plan", "--out", str(tmp_path), "--config", str(reports_off)).exit_code == 0
    assert not stale.exists()


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("widget:\n  height: 9000\n", "widget.height"),
        ("widget: [\n", "YAML syntax error at line"),
        ("trusted_ip_ranges:\n  addresses: [10.0.0.0/8]\n", "trusted_ip_ranges.addresses[0]"),
    ],
)
def test_bad_config_exits_2_names_the_key_and_writes_nothing(tmp_path: Path, yaml_text, expected):
    config = tmp_path / "bad.yml"
    config.write_text(yaml_text)
    out_dir = tmp_path / "out"
    result = cli("plan", "--config", str(config), "--out", str(out_dir))
    assert result.exit_code == 2
    assert expected in result.stderr
    assert str(config) in result.stderr
    assert not out_dir.exists()
    as_json = cli("plan", "--config", str(config), "--out", str(out_dir), "--json")
    assert as_json.exit_code == 2
    assert any(expected in p for p in error_of(as_json.stdout)["data"]["problems"])


def test_bad_format_is_refused(tmp_path: Path):
    result = cli("plan", "--format", "zip", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "--format" in result.stderr


def test_validate_reports_file_and_line(tmp_path: Path):
    bad = tmp_path / "Bad.layout"
    bad.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Layout xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        "    <layoutSections>\n        <style>Sideways</style>\n    </layoutSections>\n"
        "</Layout>\n"
    )
    result = cli("validate", str(tmp_path))
    assert result.exit_code == 1  # a finding, as the README's exit codes say; 2 is bad input
    assert f"{bad}:4:" in result.stdout
    as_json = cli("validate", str(tmp_path), "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["status"] == 1
    good = cli("validate", str(REPO_ROOT / "force-app"), "--json")
    assert good.exit_code == 0
    assert result_of(good.stdout)["checked"] > 40


def test_validate_missing_path_exits_2(tmp_path: Path):
    result = cli("validate", str(tmp_path / "missing"))
    assert result.exit_code == 2


def test_config_schema_is_json_schema():
    result = cli("config", "schema")
    schema = json.loads(result.stdout)
    assert schema["title"] == "TotangoConfig"
    assert "widget" in schema["properties"]
    assert schema["additionalProperties"] is False


def test_config_commands_and_validate_take_json_and_config(tmp_path: Path):
    runner = CliRunner()
    schema = runner.invoke(app, ["config", "schema", "--json", "--config", "/dev/null"])
    assert schema.exit_code == 0
    assert result_of(schema.stdout)["schema"]["title"] == "TotangoConfig"
    bad = tmp_path / "bad.yml"
    bad.write_text("widget:\n  height: 5000\n", encoding="utf-8")
    refused = runner.invoke(
        app, ["validate", str(REPO_ROOT / "force-app"), "--config", str(bad), "--json"]
    )
    assert refused.exit_code == 2
    assert "widget.height" in error_of(refused.stdout)["message"]
