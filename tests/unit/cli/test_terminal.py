"""The terminal and the CI log with no org: help, version, completion, changelog, and tables
that stay whole at 80 and 160 columns."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

from tasks.totango_sf.cli import output as common
from tests.support.cli import cli, write_config
from tests.support.paths import REPO_ROOT

CONFIG_NAME = "my config.yml"  # a space: hints must quote it
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "repo_habits"


BOX = re.compile(r"[\u2500-\u257f\s]")


def test_help_shows_bracketed_text_literally():
    plan = cli("plan", "--help")
    assert "[default: orgconfig/totango.yml]" in plan.output
    setup = cli("setup", "--help")
    assert "[browser]" in setup.output and "--allow-manual" in setup.output


def test_version_completion_and_changelog():
    shown = cli("--version")
    assert shown.exit_code == 0 and shown.output.strip() == f"totango-sf {version('totango-sf')}"
    assert "--install-completion" in cli("--help").output
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog and version("totango-sf") in changelog


def first_column(output: str) -> list[str]:
    """The first column's cells of a rich table, folded lines joined back."""
    cells: list[str] = []
    for line in output.splitlines():
        parts = line.split("│")
        if len(parts) < 4:
            continue
        first, second = parts[1].strip(), parts[2].strip()
        if second or not cells:
            cells.append(first)
        else:
            cells[-1] += first
    return cells


@pytest.mark.parametrize("width", [80, 160])
def test_tables_stay_whole_and_within_the_terminal(width: int, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(common.out, "width", width)
    monkeypatch.setattr(common.err, "width", width)
    project = tmp_path / "project"
    project.mkdir()
    for item in FIXTURE.iterdir():
        target = project / item.name
        if item.is_dir():
            import shutil

            shutil.copytree(item, target)
        else:
            target.write_bytes(item.read_bytes())
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    applied = cli("apply", "--source-dir", str(project), "--config", str(config))
    plan = cli("plan", "--config", str(config), "--out", str(tmp_path / "b"))
    for result in (applied, plan):
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert all(len(line) <= width for line in lines), max(map(len, lines))
        assert "…" not in result.output, "a cell was cut instead of folded"
    shown = {BOX.sub("", name) for name in first_column(applied.output)}
    for path in project.rglob("*-meta.xml"):
        rel = str(path.relative_to(project))
        if "objects/" in rel or "layouts/" in rel:
            assert BOX.sub("", rel) in shown, rel
