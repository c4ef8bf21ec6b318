"""The GitHub Actions recipe parses, names only commands that exist, and its jobs run
as written against the emulator (JWT aside: the emulator org is a plain
CUMULUSCI_ORG_<name> entry with a token), for a pull request from a branch, one from a
fork (no secrets: no org step) and the merge to main."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.github_actions import JobRunner, load_workflow, step_name
from tests.support.paths import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "totango-sf.yml"
BIN = Path(sys.executable).parent
BUILTINS = {"echo", "cat", "tee", "{", "}", "cd", "export", "test", "[", "printf", "exit"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
PINNED_ACTIONS = {"actions/checkout", "actions/setup-python", "actions/upload-artifact"}


def workflow() -> dict:
    return load_workflow(WORKFLOW)


def run_steps(job: dict) -> list[dict]:
    return [s for s in job["steps"] if "run" in s]


def commands(script: str) -> list[list[str]]:
    """Each simple command of a run script, as words (enough for these scripts)."""
    found: list[list[str]] = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words: list[str] = []
        redirect = False
        for token in lexer:
            if token in ("|", "||", "&&", ";"):
                if words:
                    found.append(words)
                words = []
            elif token in (">", ">>", "<"):
                redirect = True
            elif redirect:
                redirect = False
            elif words or not ASSIGNMENT.match(token):  # a leading VAR=value is no command
                words.append(token)
        if words:
            found.append(words)
    return found


def test_workflow_parses_with_the_documented_triggers_and_jobs():
    data = workflow()
    assert set(data["on"]) == {"pull_request", "push"}
    assert data["on"]["push"]["branches"] == ["main"]
    assert data["defaults"]["run"]["shell"] == "bash"  # -eo pipefail on GitHub
    assert data["permissions"] == {"contents": "read"}
    env = data["env"]
    assert "CUMULUSCI_ORG_target" in env and "secrets" not in json.dumps(env)
    jobs = data["jobs"]
    assert "pull_request" in jobs["validate"]["if"]
    assert "refs/heads/main" in jobs["deploy"]["if"]
    assert "environment" not in jobs["validate"]
    assert jobs["deploy"]["environment"] == "totango-production"
    for job in jobs.values():
        for step in run_steps(job):
            talks_to_org = "--org target" in step["run"]
            gets_secrets = set(step.get("env") or {}) == {"SFDX_CLIENT_ID", "SFDX_HUB_KEY"}
            assert talks_to_org == gets_secrets, step["name"]
    validate = "\n".join(s["run"] for s in run_steps(jobs["validate"]))
    assert "--check-only" in validate and "GITHUB_STEP_SUMMARY" in validate
    assert "--quick" not in validate and "--yes" not in validate
    deploy = "\n".join(s["run"] for s in run_steps(jobs["deploy"]))
    assert "--check-only" in deploy and '--quick "$VALIDATION_ID" --yes' in deploy
    upload = [s for s in jobs["deploy"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert upload and upload[0]["with"]["path"] == ".totango/"
    assert upload[0]["if"] == "always()"


def test_each_step_names_a_command_that_exists():
    for job in workflow()["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                action, _, version = step["uses"].partition("@")
                assert action in PINNED_ACTIONS and re.fullmatch(r"v\d+", version), step
                continue
            script = step["run"]
            check = subprocess.run(["bash", "-n", "-c", script], capture_output=True, text=True)
            assert check.returncode == 0, (step["name"], check.stderr)
            for words in commands(script):
                program = words[0]
                if program in BUILTINS:
                    continue
                assert shutil.which(program, path=f"{BIN}{os.pathsep}{os.environ['PATH']}"), (
                    step["name"],
                    program,
                )
                if program == "totango-sf":
                    help_text = subprocess.run(
                        [str(BIN / "totango-sf"), words[1], "--help"],
                        capture_output=True,
                        text=True,
                        env={**os.environ, "COLUMNS": "200"},
                    )
                    assert help_text.returncode == 0, words
                    for flag in (w for w in words[2:] if w.startswith("--")):
                        assert flag in help_text.stdout, (words[1], flag)


def project_for_ci(tmp_path: Path) -> Path:
    """A team's CumulusCI project holding only its config (the toolkit is installed)."""
    folder = tmp_path / "repo"
    (folder / "orgconfig").mkdir(parents=True)
    (folder / "cumulusci.yml").write_text("project:\n  name: team-project\n")
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    (folder / "orgconfig" / "totango.yml").write_text(
        json.dumps({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}})
    )
    return folder


EVENTS = {
    "branch": {
        "event_name": "pull_request",
        "ref": "refs/pull/7/merge",
        "actor": "someone",
        "event": {"pull_request": {"head": {"repo": {"full_name": "team/setup"}}}},
    },
    "fork": {
        "event_name": "pull_request",
        "ref": "refs/pull/8/merge",
        "actor": "outsider",
        "event": {"pull_request": {"head": {"repo": {"full_name": "outsider/setup"}}}},
    },
    "dependabot": {
        "event_name": "pull_request",
        "ref": "refs/pull/9/merge",
        "actor": "dependabot[bot]",
        "event": {"pull_request": {"head": {"repo": {"full_name": "team/setup"}}}},
    },
    "merge": {"event_name": "push", "ref": "refs/heads/main", "actor": "someone", "event": {}},
}


def ci_runner(emulator, tmp_path: Path, event: str) -> JobRunner:
    data = workflow()
    # JWT aside: the emulator's org is a CUMULUSCI_ORG_ entry with a token.
    target = emulator.env("target")
    data["env"]["CUMULUSCI_ORG_target"] = target.pop("CUMULUSCI_ORG_target")
    folder = project_for_ci(tmp_path)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("CUMULUSCI_ORG_")}
    base_env.update(
        target,
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
        HOME=str(tmp_path / "home"),
        PYTHONPATH=str(REPO_ROOT),
    )
    # A fork's run gets no secrets; the others get these (empty: no JWT against the emulator).
    secrets = {} if event in ("fork", "dependabot") else {"SFDX_CLIENT_ID": "", "SFDX_HUB_KEY": ""}
    context = {
        "github": {**EVENTS[event], "repository": "team/setup", "sha": "abc123"},
        "secrets": secrets,
        "vars": {},
        "inputs": {},
    }
    return JobRunner(
        data,
        folder,
        base_env,
        context,
        artifacts=tmp_path / "artifacts",
        skip=lambda step: "pip install" in step.get("run", ""),  # installed here already
        summary=tmp_path / "summary.md",
    )


def run_the_jobs(runner: JobRunner) -> dict[str, object]:
    ran = {}
    for name in runner.workflow["jobs"]:
        if runner.job_runs(name, {}):
            job = runner.run(name)
            # The failing steps first, whole: a long list is cut in pytest's report.
            failed = [(s.name, s.code, s.output[-3000:]) for s in job.steps if s.code]
            assert job.result == "success", failed
            ran[name] = job
    return ran


@pytest.mark.parametrize("event", ["branch", "merge"])
def test_the_jobs_run_as_written_against_the_emulator(emulator, tmp_path, event):
    runner = ci_runner(emulator, tmp_path, event)
    ran = run_the_jobs(runner)
    text = runner.summary.read_text()
    deploys = emulator.history.deploys
    folder = runner.workspace
    if event == "branch":
        assert list(ran) == ["validate"]
        assert "Totango setup: plan" in text and "ApexPage" in text
        assert re.search(r"Validation 0Af\w+ validated", text), text
        assert [d.check_only for d in deploys] == [True]
        assert not emulator.state.has("ApexPage", "Totango_Account_Insights")
        assert not ran["validate"].step("No org steps").ran
    else:
        assert list(ran) == ["deploy"]
        assert re.search(r"deployed validation 0Af\w+", text), text
        assert deploys[-1].kind == "deployRecentValidation" and deploys[-1].success
        assert list((folder / ".totango" / "snapshots" / "target").iterdir())
        assert (runner.artifacts / "totango-snapshots-abc123" / "snapshots" / "target").is_dir()
    # The JWT secrets were in the environment of the org steps that ran, and of no other.
    for name, job in ran.items():
        scripts = {step_name(s): s.get("run", "") for s in runner.workflow["jobs"][name]["steps"]}
        for step in (s for s in job.steps if s.ran):
            assert ("SFDX_HUB_KEY" in step.env) == ("--org target" in scripts[step.name]), step
    secrets = set(emulator.state.access_tokens) | {emulator.refresh_token}
    assert not any(s in text for s in secrets)


@pytest.mark.parametrize("event", ["fork", "dependabot"])
def test_a_pull_request_without_secrets_skips_the_org_steps_and_says_why(emulator, tmp_path, event):
    runner = ci_runner(emulator, tmp_path, event)
    emulator.history.clear()
    ran = run_the_jobs(runner)
    assert list(ran) == ["validate"]
    steps = {s.name: s for s in ran["validate"].steps}
    assert steps["Plan (offline, no org)"].ran and steps["Plan (offline, no org)"].code == 0
    offline_validate = steps["Validate the rendered package (offline, no org)"]
    assert offline_validate.ran and "0 problem(s)" in offline_validate.output
    reason = steps["No org steps for a pull request without secrets"]
    assert reason.ran and "fork" in reason.output and "no secrets" in reason.output
    assert not steps["Plan against the org"].ran
    assert not steps["Validate (check-only, the org is not changed)"].ran
    assert not any("SFDX_HUB_KEY" in s.env for s in steps.values() if s.ran)
    assert len(emulator.history) == 0  # nothing was asked of the org
    text = runner.summary.read_text()
    assert "no org steps for this pull request" in text and "fork" in text
