"""``totango-sf deploy`` run as a separate process against a running emulator."""

from __future__ import annotations

import os
import subprocess

from tests.support.cli_json import result_of
from tests.support.paths import REPO_ROOT
from tests.support.processes import command, project, run_cci_flow


def test_totango_sf_deploy_in_a_subprocess(emulator, tmp_path):
    folder = project(tmp_path)
    env = {
        **os.environ,
        **emulator.env("emu"),
        "HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(REPO_ROOT),
    }
    run = subprocess.run(
        command("deploy", "--org", "emu", "--config", "totango.yml", "--json"),
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    doc = result_of(run.stdout)
    assert doc["status"] == "deployed" and doc["verify"]["in_sync"]
    snapshots = list((folder / ".totango" / "snapshots" / "emu").iterdir())
    assert len(snapshots) == 1
    secrets = set(emulator.state.access_tokens) | {emulator.refresh_token}
    texts = [run.stdout, run.stderr] + [
        p.read_text() for p in snapshots[0].rglob("*") if p.is_file()
    ]
    assert not any(s in t for s in secrets for t in texts)

    verify = subprocess.run(
        command("verify", "--org", "emu", "--config", "totango.yml"),
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert verify.returncode == 0, verify.stderr[-3000:]


def test_cci_flow_run_totango_setup_against_a_named_emulator_org(emulator, tmp_path):
    folder = project(tmp_path)
    env = {**os.environ, **emulator.env("emu"), "HOME": str(tmp_path / "home")}
    run = run_cci_flow(folder, env, "totango_setup", "totango_deploy", "totango_verify")
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert [c.kind for c in emulator.history.deploys] == ["deploy"]
    assert emulator.state.has("ApexPage", "Totango_Account_Insights")
    layout = emulator.state.metadata_xml("Layout", "Account-Account Layout")
    assert b"Totango_Account_Insights" in layout
    secrets = set(emulator.state.access_tokens) | {emulator.refresh_token}
    assert not any(s in run.stdout + run.stderr for s in secrets)


def test_cci_flow_run_totango_release_validates_then_quick_deploys(emulator, tmp_path):
    folder = project(tmp_path)
    home = tmp_path / "home"
    env = {**os.environ, **emulator.env("emu"), "HOME": str(home)}
    run = run_cci_flow(
        folder, env, "totango_release", "totango_deploy_check_only", "totango_deploy"
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    deploys = emulator.history.deploys
    assert [(c.kind, c.check_only) for c in deploys][0] == ("deploy", True)
    assert deploys[-1].kind == "deployRecentValidation"
    assert deploys[-1].detail["validation_id"] == deploys[0].deploy_id
    assert deploys[-1].success
    assert emulator.state.has("ApexPage", "Totango_Account_Insights")
    secrets = set(emulator.state.access_tokens) | {emulator.refresh_token}
    logged = [p.read_text(errors="replace") for p in home.rglob("*") if p.is_file()]
    assert not any(s in text for s in secrets for text in [run.stdout, run.stderr, *logged])
