"""``--help`` as a person reads it: the terminal's width, placeholders a person can read,
the choices listed, only the options the command has, examples; and shell completion."""

from __future__ import annotations

import re

import pytest
import typer.main

from tasks.totango_sf.cli.app import COMMANDS, EXAMPLES
from tests.support.cli import cli

PYTHON_TYPES = re.compile(r"<(?:list\[|int range|str>|float>|path>|int>)|\{[a-z_]+\}")


@pytest.mark.parametrize("command", [*COMMANDS, "config show", "config schema"])
def test_help_has_no_python_types_and_ends_with_examples(command: str, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    shown = cli(*command.split(), "--help")
    assert shown.exit_code == 0, shown.output
    assert not PYTHON_TYPES.search(shown.output), PYTHON_TYPES.search(shown.output)
    for example in EXAMPLES.get(command, ()):
        assert f"    {example}" in shown.output


def test_choices_are_listed_and_no_option_is_named_that_the_command_lacks(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert "--format mdapi|source" in cli("plan", "--help").output
    assert "--format table|csv|json" in cli("mapping", "--help").output
    levels = "NoTestRun, RunLocalTests, RunSpecifiedTests, RunAllTestsInOrg, or default"
    for command in ("deploy", "rollback"):
        text = " ".join(cli(command, "--help").output.split())
        assert "--test-level LEVEL" in text and levels in text
    rollback = cli("rollback", "--help").output
    assert "--check-only" not in rollback and "--quick" not in rollback
    assert "-o, --org, --target-org NAME" in rollback
    assert "validate [OPTIONS] [PATH]..." in cli("validate", "--help").output


def test_mapping_help_says_which_json_is_which():
    text = " ".join(cli("mapping", "--help").output.split())
    assert "json is the bare list of mappings" in text and "--json is the envelope" in text


def completions(command: str, option: str, incomplete: str) -> list[str]:
    from click.shell_completion import CompletionItem

    from tasks.totango_sf.cli.app import whole_app

    group = typer.main.get_command(whole_app())
    sub = group.commands[command]  # type: ignore[attr-defined]
    ctx = sub.make_context(command, [], resilient_parsing=True)
    param = next(p for p in sub.params if option in p.opts)
    items: list[CompletionItem] = param.shell_complete(ctx, incomplete)
    return [item.value for item in items]


def test_completion_offers_orgs_formats_and_test_levels(monkeypatch, tmp_path):
    monkeypatch.setattr(
        "tasks.totango_sf.salesforce.connection.list_org_names", lambda: ["uat", "prod"]
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".sfdx").mkdir()
    (tmp_path / ".sfdx" / "alias.json").write_text('{"orgs": {"uat-sf": "u@example.com"}}')
    assert completions("deploy", "--org", "u") == ["uat", "uat-sf"]
    assert completions("plan", "--format", "") == ["mdapi", "source"]
    assert completions("deploy", "--test-level", "Run") == [
        "RunLocalTests",
        "RunSpecifiedTests",
        "RunAllTestsInOrg",
    ]
