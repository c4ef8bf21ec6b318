"""The terminal and the CI log against an org: hints, org errors, plan --diff, progress.

A release engineer copies hints into a shell, reads tables in an 80-column CI log and
scripts on exit codes; each test checks one of those habits. Help, version and the
offline tables are in tests/unit/cli/test_terminal.py.
"""

from __future__ import annotations

import re
import shlex

import pytest

from tasks.totango_sf.cli import output as common
from tests.support.cli import cli, deploy_kinds, write_config
from tests.support.cli_json import error_of, result_of
from tests.support.terminal import WIDTHS, cut_names, no_ellipsis, wide_table_lines

CONFIG_NAME = "my config.yml"  # a space: hints must quote it


# -- tables at 80 and 160 columns ---------------------------------------------------------


# -- hints that run as printed ------------------------------------------------------------


def test_the_quick_deploy_hint_runs_as_printed(emulator_factory, use_org, tmp_path, monkeypatch):
    monkeypatch.setattr(common.out, "width", 300)
    prod = use_org(emulator_factory(flavour="production"))
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    validated = cli("deploy", "--org", "emu", "--config", str(config), "--check-only")
    assert validated.exit_code == 0, validated.output
    hint = validated.output.split("Apply it with: ", 1)[1].splitlines()[0]
    args = shlex.split(hint)
    assert args[0] == "totango-sf" and "--yes" in args
    assert args[args.index("--config") + 1] == str(config)
    quick = cli(*args[1:])
    assert quick.exit_code == 0, quick.output
    assert deploy_kinds(prod, check_only_apart=True) == ["check-only", "deployRecentValidation"]


def test_setup_and_doctor_hints_carry_the_config(emulator_factory, use_org, tmp_path):
    use_org(emulator_factory(flavour="sandbox", package_installed=True))
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    doctor = cli("doctor", "--org", "emu", "--config", str(config), "--json")
    fixes = [c["fix"] for c in result_of(doctor.stdout)["checks"] if "totango-sf" in c["fix"]]
    assert fixes, "no check named a command"
    for fix in fixes:
        command = re.search(r"totango-sf [^()`]*?--config '[^']+'", fix)
        assert command, fix
        args = shlex.split(command.group(0))
        assert args[args.index("--org") + 1] == "emu"
        assert args[args.index("--config") + 1] == str(config)


# -- org errors: one line with the fix ------------------------------------------------------


def test_an_unreachable_org_is_one_line_with_the_fix(emulator_factory, use_org, monkeypatch):
    monkeypatch.setattr(common.err, "width", 400)
    emulator = use_org(emulator_factory(flavour="sandbox"))
    emulator.stop()
    as_json = cli("verify", "--org", "emu", "--json")
    assert as_json.exit_code == 4
    message = error_of(as_json.stdout)["message"]
    assert "\n" not in message and "`cci org info emu`" in message
    assert "urllib3" not in message and "HTTPSConnectionPool" not in message
    text = cli("verify", "--org", "emu")
    assert text.exit_code == 4 and len(text.output.strip().splitlines()) == 1, text.output


def test_an_authentication_failure_is_one_line_with_the_fix(emulator_factory, use_org):
    emulator = use_org(emulator_factory(flavour="sandbox"))
    emulator.state.refresh_token = "revoked"  # the org now answers invalid_grant
    result = cli("doctor", "--org", "emu", "--json")
    assert result.exit_code == 4
    message = error_of(result.stdout)["message"]
    assert "\n" not in message and "refused authentication" in message
    assert "`cci org connect emu`" in message and "`cci org info emu`" in message


# -- plan --org --diff and --detailed-exitcode --------------------------------------------


def test_plan_diff_shows_xml_without_any_deploy(emulator_factory, use_org, tmp_path):
    emulator = use_org(emulator_factory(flavour="sandbox"))
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    args = ["plan", "--org", "emu", "--config", str(config), "--out", str(tmp_path / "b")]
    shown = cli(*args, "--diff")
    assert shown.exit_code == 0, shown.output
    assert re.search(r"^--- .*Layout", shown.output, re.MULTILINE)
    assert re.search(r"^\+\s*<label>Totango</label>", shown.output, re.MULTILINE)
    documented = result_of(cli(*args, "--diff", "--json").stdout)
    assert any(c.get("diff") for c in documented["components"])
    assert emulator.history.deploys == [], "plan must not deploy, not even check-only"

    pending = cli(*args, "--detailed-exitcode", "--json")
    assert pending.exit_code == 3 and result_of(pending.stdout)["in_sync"] is False
    assert cli("deploy", "--org", "emu", "--config", str(config), "--json").exit_code == 0
    assert cli(*args, "--detailed-exitcode").exit_code == 0
    assert cli("plan", "--detailed-exitcode", "--config", str(config)).exit_code == 2


# -- production: the question comes after the plan --------------------------------------


def test_production_confirmation_comes_after_the_plan(
    emulator_factory, use_org, tmp_path, monkeypatch
):
    prod = use_org(emulator_factory(flavour="production"))
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    monkeypatch.setattr("tasks.totango_sf.cli.commands.deploy._interactive", lambda: True)
    args = ["deploy", "--org", "emu", "--config", str(config)]
    declined = cli(*args, input="n\n")
    assert declined.exit_code == 1 and "not confirmed, nothing sent" in declined.output
    assert "error:" not in declined.output
    assert declined.output.index("Totango setup on emu") < declined.output.index("PRODUCTION")
    assert deploy_kinds(prod, check_only_apart=True) == []
    accepted = cli(*args, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert accepted.output.count("Totango setup on emu") == 1
    assert deploy_kinds(prod, check_only_apart=True) == ["deploy"]


# -- progress in a CI log ------------------------------------------------------------------

PROGRESS_LINE = re.compile(
    r"^deploy (\w+): (\w+) \((\d+)/(\d+) components, (\d+)/(\d+) tests, \d+s\)$", re.MULTILINE
)


def test_a_ci_log_gets_one_line_per_status_change_with_counts(
    emulator_factory, use_org, tmp_path, monkeypatch
):
    monkeypatch.setattr(common.out, "width", 300)
    emulator = use_org(emulator_factory(flavour="sandbox", deploy_polls=4))
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    result = cli("deploy", "--org", "emu", "--config", str(config))
    assert result.exit_code == 0, result.output
    lines = PROGRESS_LINE.findall(result.output)
    statuses = [status for _, status, *_ in lines]
    assert statuses[-1] == "Succeeded" and "InProgress" in statuses
    assert len(statuses) == len(set(statuses)), "a status was printed twice"
    for _, _, deployed, total, tests_done, tests_total in lines:
        assert int(deployed) <= int(total) and int(tests_done) <= int(tests_total)
    assert {deploy_id for deploy_id, *_ in lines} == {emulator.history.deploys[0].deploy_id}


def test_the_emulator_never_reports_more_components_deployed_than_in_total(
    emulator_factory, use_org, tmp_path
):
    use_org(emulator_factory(flavour="sandbox"))
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    deploy = result_of(result.stdout)["deploy"]
    assert 0 < deploy["components_deployed"] == deploy["components_total"]


def test_a_production_refusal_names_the_command_with_yes(emulator_factory, use_org, tmp_path):
    prod = use_org(emulator_factory(flavour="production"))
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    refused = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert refused.exit_code == 2
    (action,) = error_of(refused.stdout)["actions"]
    args = shlex.split(action)
    assert args[0] == "totango-sf" and args[-1] == "--yes"
    assert args[args.index("--config") + 1] == str(config)
    assert cli(*args[1:], "--json").exit_code == 0
    assert deploy_kinds(prod, check_only_apart=True) == ["deploy"]


@pytest.mark.parametrize("width", WIDTHS)
def test_org_tables_keep_every_name_whole(
    width: int, emulator_factory, use_org, tmp_path, monkeypatch
):
    """doctor, setup, verify and rollback at 80, 120 and 200 columns: each check, stage,
    component and command is on one line, never cut; a drawn table fits the width."""
    monkeypatch.setattr(common.out, "width", width)
    monkeypatch.setattr(common.err, "width", width)
    use_org(emulator_factory(flavour="sandbox", package_installed=True))
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    c = ["--org", "emu", "--config", str(config)]
    doctor = cli("doctor", *c)
    checks = result_of(cli("doctor", *c, "--json").stdout)["checks"]
    names = [check["name"] for check in checks]
    commands = [
        m for check in checks for m in re.findall(r"totango-sf [^()`]*?'[^']+'", check["fix"])
    ]
    assert commands and cut_names(doctor.output, names + commands) == [], doctor.output
    setup = cli("setup", *c, "--allow-manual")
    stages = result_of(cli("setup", *c, "--allow-manual", "--json").stdout)["stages"]
    assert cut_names(setup.output, [s["stage"] for s in stages]) == [], setup.output
    verify = cli("verify", *c)
    drift = result_of(cli("verify", *c, "--json").stdout)["drift"]
    assert cut_names(verify.output, [d["name"] for d in drift]) == [], verify.output
    plan_args = ["plan", *c, "--out", str(tmp_path / "b")]
    plan = cli(*plan_args)
    pages = result_of(cli(*plan_args, "--json").stdout)["record_pages"]
    page_names = [p["page"] for p in pages] + [a for p in pages for a in p["assigned"]]
    assert page_names and cut_names(plan.output, page_names) == [], plan.output
    rollback = cli("rollback", *c)
    for output in (doctor.output, setup.output, verify.output, plan.output, rollback.output):
        assert wide_table_lines(output, width) == []
        assert no_ellipsis(output), "a cell was cut"
