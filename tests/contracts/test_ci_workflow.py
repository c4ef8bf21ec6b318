"""The GitHub Actions recipe parses, names only commands that exist, and its run
steps work as written against the emulator (JWT aside: the emulator org is a plain
CUMULUSCI_ORG_<name> entry with a token)."""

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
import yaml

from tests.support.paths import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "totango-sf.yml"
BIN = Path(sys.executable).parent
BUILTINS = {"echo", "cat", "tee", "{", "}", "cd", "export", "test", "[", "printf"}
PINNED_ACTIONS = {"actions/checkout", "actions/setup-python", "actions/upload-artifact"}


def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean true.
    data["on"] = data.pop(True, data.get("on"))
    return data


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
            else:
                words.append(token)
        if words:
            found.append(words)
    return found


def test_workflow_parses_with_the_documented_triggers_and_jobs():
    data = workflow()
    assert set(data["on"]) == {"pull_request", "push"}
    assert data["on"]["push"]["branches"] == ["main"]
    assert data["defaults"]["run"]["shell"] == "bash"  # -eo pipefail on GitHub
    env = data["env"]
    assert {"SFDX_CLIENT_ID", "SFDX_HUB_KEY", "CUMULUSCI_ORG_target"} <= set(env)
    assert "secrets.SFDX_HUB_KEY" in env["SFDX_HUB_KEY"]
    jobs = data["jobs"]
    assert "pull_request" in jobs["validate"]["if"]
    assert "refs/heads/main" in jobs["deploy"]["if"]
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


def run_job(job: dict, env: dict[str, str], cwd: Path) -> None:
    for step in run_steps(job):
        if "pip install" in step["run"]:
            continue  # the test environment has it installed
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, (step["name"], (done.stdout + done.stderr)[-3000:])
        # GitHub Actions reads GITHUB_ENV between steps.
        for line in Path(env["GITHUB_ENV"]).read_text().splitlines():
            key, _, value = line.partition("=")
            env[key] = value


@pytest.mark.parametrize("job_name", ["validate", "deploy"])
def test_the_jobs_run_as_written_against_the_emulator(emulator, tmp_path, job_name):
    data = workflow()
    folder = project_for_ci(tmp_path)
    summary, github_env = tmp_path / "summary.md", tmp_path / "github_env"
    github_env.write_text("")
    env = {
        **os.environ,
        **emulator.env("target"),
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path / "home"),
        "TOTANGO_CONFIG": data["env"]["TOTANGO_CONFIG"],
        "COLUMNS": data["env"]["COLUMNS"],
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_ENV": str(github_env),
        "PYTHONPATH": str(REPO_ROOT),
    }
    run_job(data["jobs"][job_name], env, folder)
    text = summary.read_text()
    deploys = emulator.history.deploys
    if job_name == "validate":
        assert "Totango setup: plan" in text and "ApexPage" in text
        assert re.search(r"Validation 0Af\w+ validated", text), text
        assert [d.check_only for d in deploys] == [True]
        assert not emulator.state.has("ApexPage", "Totango_Account_Insights")
    else:
        assert re.search(r"deployed validation 0Af\w+", text), text
        assert deploys[-1].kind == "deployRecentValidation" and deploys[-1].success
        assert list((folder / ".totango" / "snapshots" / "target").iterdir())
    secrets = set(emulator.state.access_tokens) | {emulator.refresh_token}
    assert not any(s in text for s in secrets)
