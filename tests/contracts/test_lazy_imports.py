"""What a run of the command line imports, and what it leaves alone.

``plan`` runs in pre-commit hooks and on every CI job, so its start-up time is most of
what it costs. These tests pin the lazy imports that keep it short: they look at
``sys.modules`` of a fresh process after the command ran (no timing is asserted;
``bench/plan.py`` prints the figures).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tasks.totango_sf.cli.app import app, app_for
from tests.support.paths import REPO_ROOT

# Runs the installed entry point in this process, then prints the names of the
# loaded modules as the last line of stderr (stdout is the command's own).
_PROBE = """
import json, sys
sys.argv = ["totango-sf", *json.loads(sys.argv[1])]
from tasks.totango_sf.cli.app import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.stderr.write("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}) + "\\n")
"""


def loaded_modules(args: list[str], cwd: Path) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


# The org-name and id rules that the options check: plain regular expressions.
OPTION_RULES = {"tasks.totango_sf.org", "tasks.totango_sf.salesforce.identifiers"}


def under(modules: set[str], *packages: str) -> set[str]:
    found = {m for m in modules if m.split(".")[0] in packages or m.startswith(packages)}
    return found - OPTION_RULES


# What an offline plan never needs: the org code, CumulusCI and its HTTP stack, and the
# parts of rich that only the org commands use (progress bars, live tables).
NOT_FOR_OFFLINE_PLAN = (
    "cumulusci",
    "simple_salesforce",
    "requests",
    "urllib3",
    "keyring",
    "tasks.totango_sf.org",
    "tasks.totango_sf.steps",
    "tasks.totango_sf.merge",
    "rich.progress",
    "rich.live",
)


def test_an_offline_plan_loads_neither_the_org_code_nor_cumulusci(tmp_path: Path):
    code, modules = loaded_modules(["plan", "--out", str(tmp_path / "out")], REPO_ROOT)
    assert code == 0
    # It did run: the config model, the templates and the schema were loaded.
    assert {"tasks.totango_sf.config.model", "jinja2", "lxml.etree", "rich.console"} <= modules
    assert under(modules, *NOT_FOR_OFFLINE_PLAN) == set()


def test_a_json_plan_loads_no_rich_at_all(tmp_path: Path):
    code, modules = loaded_modules(["plan", "--out", str(tmp_path / "out"), "--json"], REPO_ROOT)
    assert code == 0
    assert "tasks.totango_sf.render.plan" in modules
    assert under(modules, "rich", *NOT_FOR_OFFLINE_PLAN) == set()


def test_help_loads_no_rich_no_pydantic_no_config(tmp_path: Path):
    code, modules = loaded_modules(["--help"], tmp_path)
    assert code == 0
    assert "tasks.totango_sf.cli.commands.deploy" in modules  # every command is listed
    assert under(modules, "rich", "pydantic", "jinja2", "lxml", "tasks.totango_sf.config") == set()
    assert under(modules, *NOT_FOR_OFFLINE_PLAN) == set()


def names_of(group: typer.Typer) -> list[str]:
    command = typer.main.get_command(group)
    assert isinstance(command, typer.core.TyperGroup)
    return sorted(command.commands)


def test_a_command_run_builds_that_command_only():
    everything = names_of(app)
    assert len(everything) > 10 and "plan" in everything and "config" in everything
    assert names_of(app_for(["plan", "--out", "x"])) == ["plan"]
    assert names_of(app_for(["config", "show"])) == ["config"]
    for args in ([], ["--help"], ["--version"], ["plnn"], ["--json", "plan"]):
        assert app_for(args) is app


@pytest.mark.parametrize("name", sorted(typer.main.get_command(app).commands))  # type: ignore[attr-defined]
def test_each_command_reads_the_same_alone_as_in_the_whole_app(name: str):
    runner = CliRunner()
    whole = runner.invoke(app, [name, "--help"], prog_name="totango-sf")
    alone = runner.invoke(app_for([name]), [name, "--help"], prog_name="totango-sf")
    assert whole.exit_code == alone.exit_code == 0
    assert alone.output == whole.output


def test_the_executable_runs_main_then_freezes_the_heap_for_a_quick_exit(monkeypatch):
    import tasks.totango_sf.cli.app as cli_app

    calls: list[str] = []

    def main_that_exits() -> None:
        calls.append("main")
        raise SystemExit(3)

    monkeypatch.setattr(cli_app, "main", main_that_exits)
    monkeypatch.setattr(cli_app.gc, "freeze", lambda: calls.append("freeze"))
    with pytest.raises(SystemExit) as exited:
        cli_app.run()
    assert exited.value.code == 3  # the command's exit code is kept
    assert calls == ["main", "freeze"]


def test_the_installed_executable_is_run_not_main():
    scripts = (REPO_ROOT / "pyproject.toml").read_text()
    assert 'totango-sf = "tasks.totango_sf.cli.app:run"' in scripts
    executable = Path(sys.executable).parent / "totango-sf"
    if executable.is_file():  # an editable install writes it; a bare checkout has none
        assert "import run" in executable.read_text()
