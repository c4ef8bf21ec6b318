"""The terminal and the CI log with no org: help, version, completion, changelog, and tables
that stay whole at 80 and 160 columns."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

from tasks.totango_sf.cli import output as common
from tests.support.cli import as_json, cli, write_config
from tests.support.paths import REPO_ROOT
from tests.support.terminal import WIDTHS, cut_names, no_ellipsis, wide_table_lines

CONFIG_NAME = "my config.yml"  # a space: hints must quote it
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "repo_habits"


def test_help_shows_bracketed_text_literally():
    plan = cli("plan", "--help")
    assert "[default: orgconfig/totango.yml]" in " ".join(plan.output.split())
    setup = cli("setup", "--help")
    assert "[browser]" in setup.output and "--allow-manual" in setup.output


def test_version_completion_and_changelog():
    shown = cli("--version")
    assert shown.exit_code == 0 and shown.output.strip() == f"totango-sf {version('totango-sf')}"
    assert "--install-completion" in cli("--help").output
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog and version("totango-sf") in changelog


def copy_fixture_project(tmp_path: Path) -> Path:
    import shutil

    project = tmp_path / "project"
    shutil.copytree(FIXTURE, project)
    return project


@pytest.mark.parametrize("width", WIDTHS)
def test_every_name_stays_whole_on_one_line(width: int, tmp_path: Path, monkeypatch):
    """apply, plan and mapping at 80, 120 and 200 columns: each file path, component name
    and API name is on one line, never cut or folded; a drawn table fits the width."""
    monkeypatch.setattr(common.out, "width", width)
    monkeypatch.setattr(common.err, "width", width)
    project = copy_fixture_project(tmp_path)
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    applied = cli("apply", "--source-dir", str(project), "--config", str(config))
    plan = cli("plan", "--config", str(config), "--out", str(tmp_path / "b"))
    mapping = cli("mapping", "--config", str(config))
    for result in (applied, plan, mapping):
        assert result.exit_code == 0, result.output
        assert no_ellipsis(result.output), "a cell was cut"
        assert wide_table_lines(result.output, width) == []
    paths = [str(p.relative_to(project)) for p in project.rglob("*-meta.xml")]
    touched = [p for p in paths if "objects/" in p or "layouts/" in p]
    assert touched and cut_names(applied.output, touched) == []
    components = as_json(
        cli("plan", "--config", str(config), "--out", str(tmp_path / "c"), "--json")
    )["components"]
    # Fields are summed up per object in the table; every other component has its row.
    names = [c["name"] for c in components if c["type"] != "CustomField"]
    assert names and cut_names(plan.output, names) == []
    rows = as_json(cli("mapping", "--config", str(config), "--json"))["mappings"]
    api_names = [r["salesforce_field"] for r in rows] + [r["totango_field"] for r in rows]
    assert cut_names(mapping.output, api_names) == [], mapping.output


def test_a_second_apply_says_nothing_to_change(tmp_path: Path):
    project = copy_fixture_project(tmp_path)
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    first = cli("apply", "--source-dir", str(project), "--config", str(config))
    assert first.exit_code == 0 and "unchanged" not in first.output, first.output
    again = cli("apply", "--source-dir", str(project), "--config", str(config))
    assert again.exit_code == 0, again.output
    assert again.output.startswith("nothing to change"), again.output
    assert "unchanged" not in again.output and "│" not in again.output


def test_apply_dry_run_shows_the_changes_and_writes_nothing(tmp_path: Path):
    project = copy_fixture_project(tmp_path)
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    dry = cli("apply", "--source-dir", str(project), "--config", str(config), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would change" in dry.output and "nothing was written" in dry.output
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    assert after == before, "a dry run wrote into the project"
    planned = as_json(
        cli("apply", "--source-dir", str(project), "--config", str(config), "--dry-run", "--json")
    )
    assert planned["dry_run"] is True and planned["changed"] is True
    real = as_json(cli("apply", "--source-dir", str(project), "--config", str(config), "--json"))
    assert [(f["path"], f["change"]) for f in real["files"]] == [
        (f["path"], f["change"]) for f in planned["files"]
    ]
