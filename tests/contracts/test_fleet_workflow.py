"""The fleet rollout workflow parses, its commands exist, and its two scripts work."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tasks.totango_sf.cli.app import app
from tests.support.cli_json import error_of
from tests.support.github_actions import JobRunner, load_workflow
from tests.support.paths import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "totango-fleet.yml"
SCRIPTS = REPO_ROOT / ".github" / "scripts"


def script(name: str, *args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args],
        cwd=cwd, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def workflow() -> dict:
    return load_workflow(WORKFLOW)


def logical_lines(script: str) -> list[str]:
    """A run script's lines, each continued line (ending in a backslash) joined to the next."""
    return script.replace("\\\n", " ").splitlines()


def run_lines() -> list[str]:
    return [
        line
        for job in workflow()["jobs"].values()
        for step in job["steps"]
        for line in logical_lines(step.get("run", ""))
    ]


def test_workflow_parses_with_matrix_validate_deploy_and_summary_jobs():
    data = workflow()
    assert set(data["on"]) == {"workflow_dispatch"}
    assert data["on"]["workflow_dispatch"]["inputs"]["check_only"]["default"] is True
    jobs = data["jobs"]
    assert list(jobs) == ["matrix", "validate", "deploy", "summary"]
    assert jobs["validate"]["needs"] == "matrix"
    assert jobs["deploy"]["needs"] == ["matrix", "validate"]  # every group validated first
    assert jobs["summary"]["needs"] == ["matrix", "validate", "deploy"]
    assert jobs["summary"]["if"] == "always()"
    for name in ("validate", "deploy"):
        strategy = jobs[name]["strategy"]
        assert "fromJSON(needs.matrix.outputs.groups)" in strategy["matrix"]
        assert strategy["fail-fast"] is False
    assert "environment" not in jobs["validate"] and jobs["deploy"]["environment"]
    validate = " ".join(s.get("run", "") for s in jobs["validate"]["steps"])
    deploy = " ".join(s.get("run", "") for s in jobs["deploy"]["steps"])
    assert "--check-only" in validate and "--yes" not in validate
    assert "--yes" in deploy and "--check-only" not in deploy
    # Nothing swallows the deploy's exit code any more.
    assert "||" not in validate + deploy


def test_every_command_the_workflow_runs_exists():
    lines = run_lines()
    for name in re.findall(r"\.github/scripts/(\w+\.py)", "\n".join(lines)):
        assert (SCRIPTS / name).is_file(), name
    assert any(line.strip().startswith("./dev plan") for line in lines)
    deploy_help = CliRunner().invoke(app, ["deploy", "--help"]).stdout
    deploys = [
        line.split("totango-sf deploy", 1)[1] for line in lines if "totango-sf deploy" in line
    ]
    assert len(deploys) == 2
    used = {flag for line in deploys for flag in re.findall(r"(--[a-z][a-z-]+)", line)}
    assert {"--parallel", "--json", "--check-only", "--yes"} <= used
    assert sum('args+=(--org "$org")' in line for line in lines) == 2  # "${args[@]}"
    for option in used | {"--org"}:
        assert option in deploy_help, option


def test_matrix_has_one_job_per_group_and_refuses_bad_fleets(tmp_path):
    result = script("fleet_matrix.py", "orgconfig/fleet.yml")
    assert result.returncode == 0, result.stderr
    include = json.loads(result.stdout)["include"]
    assert [entry["group"] for entry in include] == ["production", "sandboxes"]
    assert include[1]["orgs"] == "uat qa staging" and include[1]["parallel"] == 4
    assert [entry["secret"] for entry in include] == [
        "TOTANGO_FLEET_PRODUCTION",
        "TOTANGO_FLEET_SANDBOXES",
    ]

    for bad, key in [
        ("groups:\n  a: [x]\n  b: [x]\n", "two groups"),
        ("groups:\n  a: []\n", "groups.a"),
        ("groups:\n  a: ['../x']\n", "not an org name"),
        ("groups:\n  a: [UAT]\n", "lower case"),
        ("groups:\n  1a: [x]\n", "not a group name"),
        ("groups:\n  'a b': [x]\n", "not a group name"),
        ("groups:\n  a-b: [x]\n  a_b: [y]\n", "TOTANGO_FLEET_A_B"),
        ("parallel: 0\ngroups:\n  a: [x]\n", "parallel"),
        ("parallel: many\ngroups:\n  a: [x]\n", "parallel"),
        ("parallel: 2\n", "groups"),
    ]:
        fleet = tmp_path / "fleet.yml"
        fleet.write_text(bad)
        refused = script("fleet_matrix.py", str(fleet))
        assert refused.returncode == 2 and key in refused.stderr, (bad, refused.stderr)


SHOW_ORG_ENV = (
    "import json, os; print(json.dumps({k: v for k, v in os.environ.items()"
    " if k.startswith('CUMULUSCI_ORG_') or k == 'FLEET_CREDENTIALS'}))"
)


def with_credentials(bundle: str | None, *orgs: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUMULUSCI_ORG_")}
    env.pop("FLEET_CREDENTIALS", None)
    if bundle is not None:
        env["FLEET_CREDENTIALS"] = bundle
    return subprocess.run(
        [sys.executable, str(SCRIPTS / "fleet_credentials.py"), "--secret", "TOTANGO_FLEET_G",
         *orgs, "--", sys.executable, "-c", SHOW_ORG_ENV],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_group_job_gets_its_orgs_credentials_and_nothing_else_of_the_secret():
    uat = {"instance_url": "https://uat.example", "refresh_token": "tok-uat"}
    qa = {"instance_url": "https://qa.example", "refresh_token": "tok-qa"}
    other = {"instance_url": "https://other.example", "refresh_token": "tok-other"}
    bundle = json.dumps({"uat": uat, "qa": json.dumps(qa), "other": other})
    run = with_credentials(bundle, "uat", "qa")
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert set(seen) == {"CUMULUSCI_ORG_uat", "CUMULUSCI_ORG_qa"}  # no FLEET_CREDENTIALS
    assert json.loads(seen["CUMULUSCI_ORG_uat"]) == uat
    assert json.loads(seen["CUMULUSCI_ORG_qa"]) == qa  # a JSON string works as well


def test_a_group_secret_that_is_unset_or_incomplete_refuses_with_a_report_and_no_values():
    token = "tok-never-printed"
    good = {"instance_url": "https://uat.example", "refresh_token": token}
    for bundle, words in [
        (None, ["TOTANGO_FLEET_G is not set", "fork"]),
        ("", ["TOTANGO_FLEET_G is not set"]),
        (f"not json {token}", ["not a JSON object"]),
        (json.dumps([good]), ["not a JSON object"]),
        (json.dumps({"uat": good}), ["no entry for qa"]),
        (json.dumps({"uat": good, "qa": 3}), ["no org config", "for qa"]),
        (json.dumps({"uat": good, "qa": {}}), ["no org config", "for qa"]),
        (json.dumps({"uat": good, "qa": f"{{{token}"}), ["no org config", "for qa"]),
    ]:
        run = with_credentials(bundle, "uat", "qa")
        assert run.returncode == 2, (bundle, run.stdout, run.stderr)
        report = error_of(run.stdout)  # the group's report: an error envelope
        assert report["status"] == 2 and "no org was touched" in report["message"]
        assert all(word in report["message"] for word in words), (words, report)
        assert token not in run.stdout + run.stderr


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
    assert "| sandboxes | wf-a | 3 | FAILED | in_sync" not in result.stdout
    assert "| sandboxes | wf-a | 3 | FAILED |" in result.stdout
    assert "| sandboxes | wf-b | 3 | FAILED |" in result.stdout
    assert "| production | (whole group) | - | FAILED | the report is not JSON" in result.stdout
    assert "0 of 3 org(s) succeeded; 3 failed; 0 outcome unknown" in result.stdout


# -- the summary against what `totango-sf deploy --json` really prints --------------------


@pytest.fixture
def deploy_reports(emulator_factory, use_org, tmp_path, monkeypatch) -> dict[str, str]:
    """The --json stdout of real deploys against emulators, one per shape and outcome.

    one_*: `deploy --org X --parallel 4 --json` (a group of one: the single-org envelope);
    many_*: two or three orgs in one run (the fleet envelope); refused: the error envelope
    of a fleet stopped before any org was touched.
    """
    for name, value in [("TRANSIENT_RETRY_DELAYS", (0.0, 0.0)), ("CANCEL_CONFIRM_DELAYS", (0.0,))]:
        monkeypatch.setattr(f"tasks.totango_sf.salesforce.metadata_api.{name}", value)
    monkeypatch.setattr("tasks.totango_sf.org.deploy.FOLLOW_UP_RETRY_DELAYS", (0.0,))
    use_org(emulator_factory(flavour="production"), "prod-ok")
    use_org(emulator_factory(flavour="production"), "prod-bad").faults.fail_component(
        "Layout", "Account-Account Layout", "Element {x}y invalid at this location"
    )
    use_org(emulator_factory(flavour="sandbox"), "lost").faults.drop_connection(
        "checkDeployStatus", count=50
    )
    half = use_org(emulator_factory(flavour="sandbox"), "half")  # deployed, verify cannot read
    half.faults.on_call("deploy", lambda: half.faults.http_error(500, "retrieve", count=1000))
    for name in ("uat", "qa"):
        use_org(emulator_factory(flavour="sandbox"), name)
    use_org(emulator_factory(flavour="sandbox"), "m-bad").faults.fail_component(
        "Layout", "Account-Account Layout", "Element {x}y invalid at this location"
    )
    use_org(emulator_factory(flavour="sandbox"), "m-lost").faults.drop_connection(
        "checkDeployStatus", count=50
    )
    config = tmp_path / "totango.yml"
    config.write_text(json.dumps({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}}))
    placeholders = tmp_path / "placeholders.yml"
    placeholders.write_text(json.dumps({"widget": {"height": 300}}))

    def deploy(*orgs: str, config: Path = config, yes: bool = True) -> tuple[int, str]:
        args = ["deploy", *(w for org in orgs for w in ("--org", org)), "--parallel", "4"]
        run = CliRunner().invoke(
            app, [*args, *(["--yes"] if yes else []), "--config", str(config), "--json"]
        )
        return run.exit_code, run.stdout

    runs = {
        "one_ok": deploy("prod-ok"),
        "one_failed": deploy("prod-bad"),
        "one_unknown": deploy("lost"),
        "one_follow_up": deploy("half"),
        "one_refused": deploy("qa", config=placeholders),
        "many_ok": deploy("uat", "qa"),
        "many_mixed": deploy("uat", "m-bad", "m-lost"),
        "many_refused": deploy("uat", "qa", config=placeholders),
    }
    expected_codes = {
        "one_ok": 0, "one_failed": 1, "one_unknown": 5, "one_follow_up": 5, "one_refused": 2,
        "many_ok": 0, "many_mixed": 5, "many_refused": 2,
    }  # fmt: skip
    assert {k: code for k, (code, _) in runs.items()} == expected_codes, runs
    documents = {k: json.loads(stdout) for k, (_, stdout) in runs.items()}
    # The shapes the summary must read, as the CLI prints them.
    assert "orgs" not in documents["one_failed"]["result"]
    assert documents["one_failed"]["result"]["org"] == "prod-bad"
    assert "result" not in documents["one_unknown"]
    assert documents["one_follow_up"]["result"]["follow_up_error"]  # 5 with a result
    assert documents["one_unknown"]["data"]["deploy_id"].startswith("0Af")
    assert [r["org"] for r in documents["many_mixed"]["result"]["orgs"]] == [
        "uat", "m-bad", "m-lost",
    ]  # fmt: skip
    assert "result" not in documents["many_refused"]
    return {k: stdout for k, (_, stdout) in runs.items()}


def summarise(tmp_path: Path, reports: dict[str, str | None], groups: dict[str, str] | None):
    """Write each group's report (None: the job wrote none), run the summary on the folder."""
    folder = tmp_path / "summary-in"
    if folder.exists():
        for old in folder.iterdir():
            old.unlink()
    folder.mkdir(exist_ok=True)
    for group, text in reports.items():
        if text is not None:
            (folder / f"{group}.json").write_text(text)
    args = [str(folder)]
    if groups is not None:
        matrix = {"include": [{"group": g, "orgs": o, "parallel": 4} for g, o in groups.items()]}
        args += ["--matrix", json.dumps(matrix)]
    return script("fleet_summary.py", *args)


def outcomes(stdout: str) -> dict[str, tuple[str, str]]:
    """org -> (exit, outcome), from the summary's Markdown table."""
    found = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if len(cells) == 5 and cells[0] not in ("group", "---"):
            found[f"{cells[0]}/{cells[1]}"] = (cells[2], cells[3])
    return found


def test_summary_of_the_issue_a_failed_one_org_group_next_to_a_passing_fleet(
    deploy_reports, tmp_path
):
    # orgconfig/fleet.yml: production is a group of one org, so its report is the
    # single-org envelope; it used to be dropped and the run summarised as green.
    result = summarise(
        tmp_path,
        {"production": deploy_reports["one_failed"], "sandboxes": deploy_reports["many_ok"]},
        {"production": "prod-bad", "sandboxes": "uat qa"},
    )
    assert result.returncode == 1, result.stdout
    assert outcomes(result.stdout) == {
        "production/prod-bad": ("1", "FAILED"),
        "sandboxes/uat": ("0", "ok"),
        "sandboxes/qa": ("0", "ok"),
    }
    assert "Layout Account-Account Layout: Element {x}y invalid" in result.stdout
    assert "**2 of 3 org(s) succeeded; 1 failed; 0 outcome unknown.**" in result.stdout
    assert "failed: prod-bad" in result.stderr


def test_summary_of_every_combination_of_group_shapes_and_outcomes(deploy_reports, tmp_path):
    r = deploy_reports
    not_json = "Traceback (most recent call last):\n  ...\nKeyboardInterrupt\n"
    cases = [
        # (reports by group, matrix groups, exit, {group/org: (exit, outcome)})
        ({"p": r["one_ok"]}, {"p": "prod-ok"}, 0, {"p/prod-ok": ("0", "ok")}),
        ({"p": r["one_ok"]}, None, 0, {"p/prod-ok": ("0", "ok")}),
        ({"p": r["one_failed"]}, {"p": "prod-bad"}, 1, {"p/prod-bad": ("1", "FAILED")}),
        ({"p": r["one_unknown"]}, {"p": "lost"}, 5, {"p/lost": ("5", "UNKNOWN")}),
        ({"p": r["one_follow_up"]}, {"p": "half"}, 5, {"p/half": ("5", "UNKNOWN")}),
        # An error envelope names no org: each org of the group carries it.
        ({"p": r["one_refused"]}, {"p": "qa"}, 1, {"p/qa": ("2", "FAILED")}),
        ({"p": r["one_refused"]}, None, 1, {"p/(whole group)": ("2", "FAILED")}),
        ({"s": r["many_ok"]}, {"s": "uat qa"}, 0, {"s/uat": ("0", "ok"), "s/qa": ("0", "ok")}),
        (
            {"s": r["many_mixed"]}, {"s": "uat m-bad m-lost"}, 5,
            {"s/uat": ("0", "ok"), "s/m-bad": ("1", "FAILED"), "s/m-lost": ("5", "UNKNOWN")},
        ),
        (
            {"s": r["many_refused"]}, {"s": "uat qa"}, 1,
            {"s/uat": ("2", "FAILED"), "s/qa": ("2", "FAILED")},
        ),
        # Missing: the group's job wrote no report (or its artifact never arrived).
        (
            {"p": r["one_ok"], "s": None}, {"p": "prod-ok", "s": "uat qa"}, 1,
            {"p/prod-ok": ("0", "ok"), "s/uat": ("-", "FAILED"), "s/qa": ("-", "FAILED")},
        ),
        ({"p": None}, {"p": "prod-ok"}, 1, {"p/prod-ok": ("-", "FAILED")}),
        # Unparsable: the job died mid-run, or wrote nothing.
        (
            {"p": r["one_ok"], "s": not_json}, {"p": "prod-ok", "s": "uat qa"}, 1,
            {"p/prod-ok": ("0", "ok"), "s/uat": ("-", "FAILED"), "s/qa": ("-", "FAILED")},
        ),
        ({"s": ""}, None, 1, {"s/(whole group)": ("-", "FAILED")}),
        ({"s": "[]"}, {"s": "uat"}, 1, {"s/uat": ("-", "FAILED")}),
        ({"s": '{"status": true, "result": {"org": "uat"}}'}, None, 1, {"s/uat": ("-", "FAILED")}),
        # An org of the group that its report does not name.
        (
            {"s": r["many_ok"]}, {"s": "uat qa staging"}, 1,
            {"s/uat": ("0", "ok"), "s/qa": ("0", "ok"), "s/staging": ("-", "FAILED")},
        ),
        # Mixed groups: one-org groups beside fleets, every outcome at once.
        (
            {"p": r["one_failed"], "q": r["one_ok"], "s": r["many_mixed"]},
            {"p": "prod-bad", "q": "prod-ok", "s": "uat m-bad m-lost"}, 5,
            {
                "p/prod-bad": ("1", "FAILED"), "q/prod-ok": ("0", "ok"), "s/uat": ("0", "ok"),
                "s/m-bad": ("1", "FAILED"), "s/m-lost": ("5", "UNKNOWN"),
            },
        ),
        (
            {"p": r["one_unknown"], "s": r["many_ok"]}, {"p": "lost", "s": "uat qa"}, 5,
            {"p/lost": ("5", "UNKNOWN"), "s/uat": ("0", "ok"), "s/qa": ("0", "ok")},
        ),
        (
            {"p": r["one_ok"], "s": r["many_ok"]}, {"p": "prod-ok", "s": "uat qa"}, 0,
            {"p/prod-ok": ("0", "ok"), "s/uat": ("0", "ok"), "s/qa": ("0", "ok")},
        ),
        # Nothing at all is never a success.
        ({}, None, 1, {}),
    ]  # fmt: skip
    for reports, groups, code, rows in cases:
        result = summarise(tmp_path, reports, groups)
        case = (list(reports), groups, result.stdout)
        assert result.returncode == code, case
        assert outcomes(result.stdout) == rows, case
        ok = sum(1 for _, outcome in rows.values() if outcome == "ok")
        assert f"**{ok} of {len(rows)} org(s) succeeded" in result.stdout or not rows, case


def deploy_id_of(document: dict, org: str) -> str:
    """The deploy id the CLI reported for an org: in its error's data, or in its result."""
    result = document.get("result") or {}
    rows = result.get("orgs", [document])
    row = next(r for r in rows if r.get("org", org) == org)
    return (row.get("data") or {}).get("deploy_id") or row["result"]["deploy_id"]


def test_summary_shows_the_deploy_id_and_the_command_of_an_unknown_outcome(
    deploy_reports, tmp_path
):
    for key, org, group in [
        ("one_unknown", "lost", "lost"),  # a lost answer: the error envelope, status 5
        ("one_follow_up", "half", "half"),  # deployed, then verify failed: a result, status 5
        ("many_mixed", "m-lost", "uat m-bad m-lost"),  # one row of a fleet
    ]:
        deploy_id = deploy_id_of(json.loads(deploy_reports[key]), org)
        result = summarise(tmp_path, {"g": deploy_reports[key]}, {"g": group})
        assert result.returncode == 5, result.stdout
        assert "1 outcome unknown" in result.stdout and "may still run" in result.stdout
        command = f"totango-sf status --org {org} --deploy-id {deploy_id}"
        assert f"- {org} (deploy {deploy_id}): `{command}`" in result.stdout
    assert (
        "follow-up failed: verify failed"
        in summarise(tmp_path, {"g": deploy_reports["one_follow_up"]}, None).stdout
    )


def test_summary_refuses_a_matrix_that_is_not_the_matrix_jobs_output(tmp_path):
    for matrix in ("", "{}", '{"include": []}', "[1]"):
        result = script("fleet_summary.py", str(tmp_path), "--matrix", matrix)
        assert result.returncode == 1 and "No fleet matrix" in result.stdout, matrix


# -- the workflow's jobs, run as written against emulators -------------------------------

FLEET = """\
parallel: 4
groups:
  production: [prod]
  sandboxes: [uat, qa]
"""


def checkout(tmp_path: Path, name: str) -> Path:
    """A fresh checkout of a project for one job (each job gets its own runner)."""
    folder = tmp_path / name
    (folder / "orgconfig").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "cumulusci.yml", folder / "cumulusci.yml")
    for link in ("tasks", ".github"):
        (folder / link).symlink_to(REPO_ROOT / link)
    (folder / ".venv").symlink_to(Path(sys.prefix))
    (folder / "orgconfig" / "fleet.yml").write_text(FLEET)
    (folder / "orgconfig" / "totango.yml").write_text(
        json.dumps({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}})
    )
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    return folder


def run_matrix_job(runner: JobRunner, tmp_path: Path, job: str, groups: list[dict], needs):
    """Each leg of a matrix job in its own checkout; the job fails when a leg fails."""
    legs = {}
    for entry in groups:
        workspace = checkout(tmp_path, f"{job}-{entry['group']}")
        leg = replace(runner, workspace=workspace, summary=workspace / "summary.md")
        legs[entry["group"]] = leg.run(job, matrix=entry, needs=needs)
    result = "success" if all(r.result == "success" for r in legs.values()) else "failure"
    return result, legs


def test_the_fleet_workflow_runs_as_written_and_fails_on_a_failed_one_org_group(
    emulator_factory, tmp_path
):
    prod = emulator_factory(flavour="production")
    sandboxes = {name: emulator_factory(flavour="sandbox") for name in ("uat", "qa")}

    def org_config(emulator, name: str) -> dict:
        return json.loads(emulator.env(name)[f"CUMULUSCI_ORG_{name}"])

    shared = {k: v for k, v in prod.env("prod").items() if not k.startswith("CUMULUSCI_")}
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("CUMULUSCI_")}
    base_env.update(shared)
    base_env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        HOME=str(tmp_path / "home"),
        PYTHONPATH=str(REPO_ROOT),
    )
    secrets = {
        "TOTANGO_FLEET_PRODUCTION": json.dumps({"prod": org_config(prod, "prod")}),
        "TOTANGO_FLEET_SANDBOXES": json.dumps(
            {name: org_config(e, name) for name, e in sandboxes.items()}
        ),
        "CUMULUSCI_KEY": prod.env("prod")["CUMULUSCI_KEY"],
        "UNRELATED_SECRET": "never-handed-out",
    }
    context = {
        "github": {"event_name": "workflow_dispatch", "repository": "team/setup"},
        "inputs": {"check_only": False},
        "secrets": secrets,
        "vars": {},
    }
    runner = JobRunner(
        workflow(),
        tmp_path,
        base_env,
        context,
        artifacts=tmp_path / "artifacts",
        skip=lambda step: "pip install" in step.get("run", "") or "./dev" in step.get("run", ""),
    )

    matrix_job = replace(runner, workspace=checkout(tmp_path, "matrix")).run("matrix")
    assert matrix_job.result == "success", matrix_job.steps
    groups = json.loads(matrix_job.outputs["groups"])["include"]
    assert [g["group"] for g in groups] == ["production", "sandboxes"]
    needs = {"matrix": {"result": "success", "outputs": matrix_job.outputs}}

    validated, legs = run_matrix_job(runner, tmp_path, "validate", groups, needs)
    assert validated == "success", {g: leg.steps for g, leg in legs.items()}
    org_step = legs["sandboxes"].step("Validate the group's orgs")
    assert json.loads(org_step.env["FLEET_CREDENTIALS"]).keys() == {"uat", "qa"}
    assert "never-handed-out" not in json.dumps([s.env for leg in legs.values() for s in leg.steps])
    assert not any(d for e in (prod, *sandboxes.values()) for d in e.history.deploys
                   if not d.check_only)  # fmt: skip
    needs["validate"] = {"result": validated}

    # "Validate only": no deploy, and a green summary of the validation.
    check_only = replace(runner, context={**context, "inputs": {"check_only": True}})
    assert not check_only.job_runs("deploy", needs)
    summary = replace(check_only, workspace=checkout(tmp_path, "summary-1"))
    summary = replace(summary, summary=summary.workspace / "summary.md")
    passed = summary.run("summary", needs={**needs, "deploy": {"result": "skipped"}})
    assert passed.result == "success", passed.steps
    text = summary.summary.read_text()
    assert "validation (check-only)" in text and "3 of 3 org(s) succeeded" in text

    # The deploy: production's only org fails, the two sandboxes deploy.
    prod.faults.fail_component("Layout", "Account-Account Layout", "Element {x}y invalid here")
    assert runner.job_runs("deploy", needs)
    deployed, legs = run_matrix_job(runner, tmp_path, "deploy", groups, needs)
    assert deployed == "failure"
    assert legs["production"].result == "failure" and legs["sandboxes"].result == "success"
    assert legs["production"].step("Deploy to the group's orgs").code == 1
    assert {name: e.history.deploys[-1].success for name, e in sandboxes.items()} == {
        "uat": True,
        "qa": True,
    }
    needs["deploy"] = {"result": deployed}

    summary = replace(runner, workspace=checkout(tmp_path, "summary-2"))
    summary = replace(summary, summary=summary.workspace / "summary.md")
    failed = summary.run("summary", needs=needs)
    assert failed.result == "failure"
    assert failed.step("Deploy summary").code == 1
    text = summary.summary.read_text()
    deploy_part = text.split("## Totango fleet: deploy", 1)[1]
    assert "| production | prod | 1 | FAILED | failed 0Af" in deploy_part
    assert "| sandboxes | uat | 0 | ok | deployed 0Af" in deploy_part
    assert "2 of 3 org(s) succeeded; 1 failed; 0 outcome unknown" in deploy_part
