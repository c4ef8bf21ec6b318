"""What a real user runs into, each class met the way a user meets it: a real terminal
(a pty at 80, 120 and 200 columns), a CI log (piped) and ``--json``.

Fleet outcomes per exit code, setup's hints and stages, a browser task's own failure, names
kept whole, the deploy id above a live bar with a clock that ticks, progress while reading
the org, the end of a terminal deploy, the default org and sf's error JSON.
"""

from __future__ import annotations

import json
import re
import shlex
import stat
from pathlib import Path

import pytest

from tests.support.cli import cli, write_config
from tests.support.cli_json import error_of, result_of
from tests.support.processes import project
from tests.support.terminal import (
    WIDTHS,
    bar_left_on_screen,
    cut_names,
    in_pty,
    no_ellipsis,
    piped,
    wide_table_lines,
)

CONFIG_NAME = "my config.yml"  # a space: hints must quote it
RAW_TOKENS = re.compile(r"\b(in_sync|rolled_back|nothing_to_do|partly_done|already_assigned)\b")


def deployed_and_drifted(emulator_factory, use_org, tmp_path: Path) -> Path:
    """Two orgs: ``good`` holds the setup, ``bad`` does not; the config both read."""
    use_org(emulator_factory(flavour="sandbox"), "good")
    use_org(emulator_factory(flavour="sandbox"), "bad")
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    assert cli("deploy", "--org", "good", "--config", str(config), "--json").exit_code == 0
    return config


# -- 1. a fleet shows each org's outcome, as single-org verify does -------------------


def test_fleet_verify_shows_drift_as_drift_in_every_mode(emulator_factory, use_org, tmp_path):
    config = deployed_and_drifted(emulator_factory, use_org, tmp_path)
    folder = project(tmp_path)
    args = ["verify", "--org", "good", "--org", "bad", "--config", str(config)]
    as_json = piped([*args, "--json"], cwd=folder)
    assert as_json.code == 3
    document = result_of(as_json.stdout)
    by_org = {o["org"]: o for o in document["orgs"]}
    assert by_org["good"]["status"] == 0 and by_org["bad"]["status"] == 3
    drifted = [d["name"] for d in by_org["bad"]["result"]["drift"]]
    assert drifted
    for run in (piped(args, 120, cwd=folder), in_pty(args, 120, cwd=folder)):
        assert run.code == 3, run.text
        row = {org: next(line for line in run.lines if re.search(rf"\b{org}\b", line) and (
            "in sync" in line or "drift" in line)) for org in ("good", "bad")}  # fmt: skip
        assert "in sync" in row["good"] and "drift" in row["bad"], run.text
        assert not re.search(r"│\s*bad\s*│[^\n]*│\s*ok\s*│", run.text)
        assert "2 org(s): 1 in sync, 1 drift" in run.text
        assert "succeeded" not in run.text
        # The drift detail, as single-org verify shows it: each differing component.
        assert cut_names(run.text, drifted) == [], run.text


def test_every_fleet_command_names_the_outcome_of_its_exit_code(
    emulator_factory, use_org, tmp_path
):
    config = deployed_and_drifted(emulator_factory, use_org, tmp_path)
    use_org(emulator_factory(flavour="sandbox"), "gone").stop()
    orgs = ["--org", "good", "--org", "bad", "--org", "gone", "--config", str(config)]
    expected = {
        "verify": {"good": "in sync", "bad": "drift", "gone": "unreachable"},
        "doctor": {"gone": "unreachable"},
        "deploy": {"good": "in sync", "bad": "deployed", "gone": "unreachable"},
        "rollback": {"gone": "unreachable"},
    }
    for command, outcomes in expected.items():
        shown = cli(command, *orgs)
        lines = shown.output.splitlines()
        for org, outcome in outcomes.items():
            row = next(line for line in lines if line.startswith((f"│ {org} ", f"- {org} ")))
            assert outcome in row, (command, row)
        assert " ok " not in " ".join(line for line in lines if "gone" in line)


# -- 2. setup's hints run as written; its stages say what is true ---------------------


def test_setup_hints_name_the_org_and_config_and_stages_say_what_is_open(
    emulator_factory, use_org, tmp_path
):
    use_org(emulator_factory(flavour="sandbox", package_installed=True))
    config = write_config(tmp_path, file_name=CONFIG_NAME)  # no package.version_id
    args = ["setup", "--org", "emu", "--config", str(config), "--allow-manual"]
    text = cli(*args)
    document = result_of(cli(*args, "--json").stdout)
    stages = {s["stage"]: s for s in document["stages"]}
    assert stages["install"]["status"] == "already done"
    assert "already installed" in stages["install"]["detail"]
    assert stages["verify"]["status"] == "open", stages["verify"]
    assert "already installed" in text.output and "skipped" not in text.output
    assert not RAW_TOKENS.search(text.output), RAW_TOKENS.search(text.output)
    verify_row = next(line for line in text.output.splitlines() if "still open" in line)
    assert "open" in verify_row.replace("still open", "") and " ok " not in verify_row
    for output in (text.output, json.dumps(document)):
        assert "NAME" not in output
    for hint in re.findall(r"totango-sf [a-z-]+ --org [^()`;,]*", json.dumps(document)):
        argv = shlex.split(hint.replace('\\"', '"'))
        assert argv[argv.index("--org") + 1] == "emu"
        assert "--config" in argv, hint


def test_a_missing_package_names_the_install_command_runnable(emulator_factory, use_org, tmp_path):
    use_org(emulator_factory(flavour="sandbox", package_installed=False))
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    shown = cli("setup", "--org", "emu", "--config", str(config))
    assert "NAME" not in shown.output
    expected = f"totango-sf install --org emu --config {shlex.quote(str(config))}"
    assert expected in shown.output, shown.output


# -- 3. a browser task that crashed is reported by its own error ----------------------


def fake_cci(folder: Path, script: str) -> Path:
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    cci = bin_dir / "cci"
    cci.write_text("#!/bin/sh\n" + script)
    cci.chmod(cci.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def test_setup_browser_reports_the_task_crash_not_the_org(
    emulator_factory, use_org, tmp_path, monkeypatch
):
    use_org(emulator_factory(flavour="sandbox", package_installed=True))
    crash = (
        'echo "Traceback (most recent call last):"\n'
        "echo '  File \"cumulusci/core/github.py\", line 12, in parse_repo_url'\n"
        'echo "IndexError: list index out of range" >&2\n'
        "exit 1\n"
    )
    monkeypatch.setenv("PATH", f"{fake_cci(tmp_path, crash)}:{__import__('os').environ['PATH']}")
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    args = ["setup", "--org", "emu", "--config", str(config), "--browser", "--allow-manual"]
    document = result_of(cli(*args, "--json").stdout)
    stages = {s["stage"]: s for s in document["stages"]}
    policy = stages["totango_connected_app_policy"]
    assert policy["status"] == "failed"
    assert "IndexError: list index out of range" in policy["detail"]
    step = next(s for s in document["steps"] if s["step"] == "3a")
    assert step["status"] == "failed" and "IndexError" in step["detail"]
    assert "ran but" not in step["detail"] and "self-authorize" not in step["detail"].split(";")[0]


# -- 4. names whole in a real terminal and in a CI log ---------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_names_stay_whole_in_a_terminal_and_a_log(width, emulator_factory, use_org, tmp_path):
    use_org(emulator_factory(flavour="sandbox", package_installed=True))
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    folder = project(tmp_path)
    mapping = result_of(cli("mapping", "--config", str(config), "--json").stdout)["mappings"]
    api_names = [m["salesforce_field"] for m in mapping]
    checks = result_of(cli("doctor", "--org", "emu", "--config", str(config), "--json").stdout)
    fixes = [
        f for c in checks["checks"] for f in re.findall(r"cci task run \S+ --org emu", c["fix"])
    ]
    for run_in in (in_pty, piped):
        shown = run_in(["mapping", "--config", str(config)], width, cwd=folder)
        assert shown.code == 0 and cut_names(shown.text, api_names) == [], shown.text
        doctor = run_in(["doctor", "--org", "emu", "--config", str(config)], width, cwd=folder)
        assert cut_names(doctor.text, fixes) == [], doctor.text
        for run in (shown, doctor):
            assert no_ellipsis(run.text) and wide_table_lines(run.text, width) == []


# -- 5 and 7. a deploy in a terminal: the id above the bar, a clock, and its end ---------


def test_a_terminal_deploy_prints_its_id_apart_and_ends_with_verify(
    emulator_factory, use_org, tmp_path
):
    use_org(emulator_factory(flavour="sandbox", deploy_seconds=3.5))
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    folder = project(tmp_path)
    run = in_pty(["deploy", "--org", "emu", "--config", str(config)], 120, cwd=folder)
    assert run.code == 0, run.text
    lines = run.lines
    id_line = next(line for line in lines if "deploy id 0Af" in line)
    assert id_line.startswith("deploy id 0Af"), id_line  # never after the bar's text
    deploy_id = id_line.split()[2]
    status = f"totango-sf status --org emu --deploy-id {deploy_id}"
    assert any(line.strip() == status for line in lines), run.text
    clocks = {m for m in re.findall(r"\b0:00:\d\d\b", run.text)}
    assert len(clocks) >= 3, f"the clock stood still: {sorted(clocks)}"
    assert not bar_left_on_screen(run.raw), "a stale bar stays on screen"
    assert any(line.startswith("verify: in sync") for line in lines), run.text
    assert any(line.startswith("integration user:") for line in lines), run.text
    assert not RAW_TOKENS.search(run.text)
    warning = "warning: integration.username is not set"
    assert sum(line.startswith(warning) for line in lines) == 1, run.text


# -- 6. progress while reading the org ---------------------------------------------------


def test_reading_the_org_shows_each_step(emulator_factory, use_org, tmp_path):
    use_org(emulator_factory(flavour="sandbox", package_installed=True))
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    folder = project(tmp_path)
    for command in (["verify"], ["doctor"], ["plan", "--out", str(tmp_path / "b")]):
        args = [*command, "--org", "emu", "--config", str(config)]
        log = piped(args, cwd=folder)
        assert re.search(r"^\w+ emu: listMetadata Layout$", log.stderr, re.MULTILINE), log.stderr
        assert re.search(r"^\w+ emu: retrieve \d+ component\(s\)$", log.stderr, re.MULTILINE)
        as_json = piped([*args, "--json"], cwd=folder)
        json.loads(as_json.stdout)  # stdout holds the document alone
        assert "listMetadata" in as_json.stderr
        terminal = in_pty(args, 120, cwd=folder)
        assert "listMetadata Layout" in terminal.text or "retrieve" in terminal.text


# -- 9. the default org --------------------------------------------------------------


def test_sf_target_org_is_used_and_named(emulator_factory, use_org, tmp_path, monkeypatch):
    use_org(emulator_factory(flavour="sandbox"))
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    folder = project(tmp_path)
    (folder / ".sf").mkdir()
    (folder / ".sf" / "config.json").write_text(json.dumps({"target-org": "emu"}))
    run = piped(["verify", "--config", str(config), "--json"], cwd=folder)
    assert run.code == 3, run.text
    assert result_of(run.stdout)["org"] == "emu"
    assert "using org emu (sf's target-org)" in run.stderr
    for flag in ("-o", "--target-org"):
        assert cli("verify", flag, "emu", "--config", str(config)).exit_code == 3


def test_cumulusci_default_org_comes_first(emulator_factory, use_org, tmp_path, monkeypatch):
    use_org(emulator_factory(flavour="sandbox"))
    monkeypatch.setattr("tasks.totango_sf.cli.default_org.cumulusci_default_org", lambda: "emu")
    monkeypatch.setenv("SF_TARGET_ORG", "elsewhere")
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    shown = cli("org-id", "--config", str(config))
    assert shown.exit_code == 0, shown.output
    assert "using org emu (CumulusCI's default org)" in shown.output


def test_no_org_and_no_default_says_how_to_set_one(tmp_path, monkeypatch):
    monkeypatch.setattr("tasks.totango_sf.cli.default_org.cumulusci_default_org", lambda: None)
    monkeypatch.delenv("SF_TARGET_ORG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    document = error_of(cli("verify", "--json").stdout)
    assert document["exitCode"] == 2 and "cci org default NAME" in document["message"]
    assert "cci org default NAME" in document["actions"]


# -- 10. error JSON as sf writes it ------------------------------------------------------


def test_error_json_carries_sf_fields_actions_and_config_warnings(
    emulator_factory, use_org, tmp_path
):
    emulator = use_org(emulator_factory(flavour="sandbox"))
    emulator.stop()
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    document = error_of(cli("verify", "--org", "emu", "--config", str(config), "--json").stdout)
    sf_fields = {"name", "message", "exitCode", "actions", "context", "commandName", "warnings"}
    assert sf_fields | {"status", "code"} <= set(document)
    assert document["exitCode"] == document["status"] == 4 and document["code"] == "4"
    assert document["context"] == document["commandName"] == "verify"
    assert "cci org info emu" in document["actions"]
    assert any("package.version_id is not set" in w for w in document["warnings"])


# -- 8. help fills the terminal it is read in --------------------------------------------


@pytest.mark.parametrize("columns", WIDTHS)
def test_help_wraps_to_the_terminal(columns: int, tmp_path):
    for run in (piped(["deploy", "--help"], columns), in_pty(["deploy", "--help"], columns)):
        widest = max(map(len, run.lines))
        assert run.code == 0 and widest <= columns, run.text
        if columns > 120:
            assert widest > 100, "help stopped at 80 columns"


def test_a_fleet_lane_for_an_unknown_org_gives_the_reason_not_a_failed_call(
    emulator_factory, use_org, tmp_path
):
    use_org(emulator_factory(flavour="sandbox"), "good")
    config = write_config(tmp_path, file_name=CONFIG_NAME)
    shown = cli("verify", "--org", "good", "--org", "nobody", "--config", str(config), "--json")
    lanes = {lane["org"]: lane for lane in result_of(shown.stdout)["orgs"]}
    assert lanes["nobody"]["status"] == 4
    # No Metadata API call was made for it, so none is said to have failed.
    assert lanes["nobody"]["message"].startswith("no org named 'nobody'"), lanes["nobody"]
