"""The fleet rollout workflow parses, its commands exist, and its two scripts work."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tasks.totango_sf.cli.app import app
from tests.support.paths import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "totango-fleet.yml"
SCRIPTS = REPO_ROOT / ".github" / "scripts"


def script(name: str, *args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args],
        cwd=cwd, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def run_lines() -> list[str]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    lines = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            lines += step.get("run", "").splitlines()
    return lines


def test_workflow_parses_with_matrix_deploy_and_summary_jobs():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    jobs = workflow["jobs"]
    assert list(jobs) == ["matrix", "deploy", "summary"]
    assert jobs["deploy"]["needs"] == "matrix" and jobs["summary"]["needs"] == "deploy"
    assert "fromJSON(needs.matrix.outputs.groups)" in jobs["deploy"]["strategy"]["matrix"]
    assert jobs["deploy"]["strategy"]["fail-fast"] is False


def test_every_command_the_workflow_runs_exists():
    lines = run_lines()
    for name in re.findall(r"\.github/scripts/(\w+\.py)", "\n".join(lines)):
        assert (SCRIPTS / name).is_file(), name
    assert any(line.startswith("./dev plan") for line in lines)
    deploy_help = CliRunner().invoke(app, ["deploy", "--help"]).stdout
    deploy = " ".join(line for line in lines if "totango-sf deploy" in line or "--" in line)
    used = set(re.findall(r"(--[a-z][a-z-]+)", deploy)) - {"--org"}
    assert {"--parallel", "--json"} <= used
    for option in used | {"--org", "--check-only", "--yes"}:
        assert option in deploy_help, option


def test_matrix_has_one_job_per_group_and_refuses_bad_fleets(tmp_path):
    result = script("fleet_matrix.py", "orgconfig/fleet.yml")
    assert result.returncode == 0, result.stderr
    include = json.loads(result.stdout)["include"]
    assert [entry["group"] for entry in include] == ["production", "sandboxes"]
    assert include[1]["orgs"] == "uat qa staging" and include[1]["parallel"] == 4

    for bad, key in [
        ("groups:\n  a: [x]\n  b: [x]\n", "two groups"),
        ("groups:\n  a: []\n", "groups.a"),
        ("groups:\n  a: ['../x']\n", "not an org name"),
        ("parallel: 2\n", "groups"),
    ]:
        fleet = tmp_path / "fleet.yml"
        fleet.write_text(bad)
        refused = script("fleet_matrix.py", str(fleet))
        assert refused.returncode == 2 and key in refused.stderr, bad


@pytest.fixture
def two_org_report(emulator_factory, monkeypatch, tmp_path) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("wf-a", "wf-b"):
        for key, value in emulator_factory(flavour="sandbox").env(name).items():
            monkeypatch.setenv(key, value)
    config = tmp_path / "totango.yml"
    config.write_text(json.dumps({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}}))
    result = CliRunner().invoke(
        app, ["verify", "--org", "wf-a", "--org", "wf-b", "--config", str(config), "--json"]
    )
    report = tmp_path / "reports" / "sandboxes.json"
    report.parent.mkdir()
    report.write_text(result.stdout)
    return report


def test_summary_merges_the_group_reports(two_org_report, tmp_path):
    missing = tmp_path / "reports" / "production.json"
    missing.write_text("the job died before writing JSON")
    result = script("fleet_summary.py", str(two_org_report), str(missing))
    assert result.returncode == 1  # drift on both orgs, and one group without a report
    assert "| wf-a | 3 |" in result.stdout and "| wf-b | 3 |" in result.stdout
    assert "| production | 1 | no readable report" in result.stdout
    assert "0 of 3 org(s) succeeded" in result.stdout
