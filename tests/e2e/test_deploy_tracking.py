"""Every deploy traceable and resumable: ids recorded on arrival, lost answers, interrupts,
follow-ups, ``totango-sf status``, the per-org lock and a deploy already in flight.

The CLI runs in-process against the org emulator. Interrupts are real signals sent
to this process by the emulator the moment a chosen call arrives, so they land
while the client waits for that call's answer.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.totango_sf.state.lock import OrgLock
from tests.support.cli import as_json, cli, write_config

pytestmark = pytest.mark.usefixtures("fast_retries_and_cancels")


def manifests(tmp_path: Path) -> list[dict]:
    folder = tmp_path / "snapshots" / "emu"
    return [json.loads((p / "manifest.json").read_text()) for p in sorted(folder.iterdir())]


def interrupt(signum: int = signal.SIGINT):
    return lambda: os.kill(os.getpid(), signum)


def org_metadata(emulator) -> dict:
    return json.loads(json.dumps(emulator.state.to_json()["components"]))


def test_lost_poll_answers_are_outcome_unknown_with_the_id_and_status_settles_it(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.faults.drop_connection("checkDeployStatus", count=50)
    run = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert run.exit_code == 5, run.output
    doc = json.loads(run.stdout)
    deploy_id = emulator.history.deploys[0].deploy_id
    assert doc["name"] == "OutcomeUnknown" and doc["data"]["deploy_id"] == deploy_id
    assert doc["message"].startswith("outcome unknown") and "not changed" not in doc["message"]
    assert f"totango-sf status --org emu --deploy-id {deploy_id}" in doc["actions"]
    assert deploy_id in run.stderr  # printed before the first poll
    (manifest,) = manifests(tmp_path)
    assert manifest["deploy_id"] == deploy_id and manifest["deploy_state"] == "unknown"

    emulator.faults.clear()
    settled = cli("status", "--org", "emu", "--config", str(config), "--json")
    assert settled.exit_code == 0, settled.output
    report = as_json(settled)
    assert report["state"] == "succeeded" and report["deploy_id"] == deploy_id
    assert report["verify"]["in_sync"] and report["org_changed"]
    assert manifests(tmp_path)[0]["deploy_state"] == "succeeded"
    assert len(emulator.history.deploys) == 1  # status never starts a deploy


def test_a_start_whose_answer_was_lost_is_found_in_the_org_and_followed(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.faults.lose_answer("deploy")
    run = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert run.exit_code == 0, run.output
    assert len(emulator.history.deploys) == 1
    doc = as_json(run)
    assert doc["deploy_id"] == emulator.history.deploys[0].deploy_id
    assert doc["verify"]["in_sync"]


def test_a_lost_start_the_org_cannot_confirm_is_unknown_without_id_then_status_finds_it(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.faults.lose_answer("deploy")
    # The org's deploy list cannot be read right after: nobody knows yet. Three
    # refusals: the read and both of its retries (fast_retries_and_cancels).
    emulator.faults.on_call(
        "deploy", lambda: emulator.faults.request_limit("tooling_query", count=3)
    )
    run = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert run.exit_code == 5, run.output
    doc = json.loads(run.stdout)
    assert doc["data"]["deploy_id"] is None
    assert "totango-sf status --org emu" in doc["actions"]
    assert manifests(tmp_path)[0]["deploy_state"] == "unknown"

    settled = cli("status", "--org", "emu", "--config", str(config), "--json")
    assert settled.exit_code == 0, settled.output
    report = as_json(settled)
    assert report["deploy_id"] == emulator.history.deploys[0].deploy_id
    assert report["state"] == "succeeded" and report["verify"]["in_sync"]


def test_a_start_that_never_reached_the_org_is_unknown_until_status_confirms_it(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    before = org_metadata(emulator)
    emulator.faults.drop_connection("deploy")
    run = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    # The client cannot tell a dropped request from a dropped answer.
    assert run.exit_code == 5, run.output
    assert json.loads(run.stdout)["actions"] == ["totango-sf status --org emu"]
    assert manifests(tmp_path)[0]["deploy_state"] == "unknown"
    settled = cli("status", "--org", "emu", "--config", str(config), "--json")
    assert settled.exit_code == 1, settled.output
    assert as_json(settled)["state"] == "not_started"
    assert manifests(tmp_path)[0]["deploy_state"] == "not_started"
    assert org_metadata(emulator) == before
    assert len(emulator.history.deploys) == 1  # status never starts one


@pytest.mark.usefixtures("sigint_raises")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_while_polling_cancels_and_reports_the_org_unchanged(
    emulator, use_org, tmp_path, signum
):
    use_org(emulator)
    config = write_config(tmp_path)
    before = org_metadata(emulator)
    emulator.faults.stuck_deploy(1000)
    emulator.faults.on_call("checkDeployStatus", interrupt(signum))
    run = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert run.exit_code == 1, run.output
    doc = as_json(run)
    assert doc["deploy"]["status"] == "Canceled" and doc["deploy"]["interrupted"]
    assert "cancelDeploy" in emulator.history.kinds()
    assert org_metadata(emulator) == before
    assert manifests(tmp_path)[0]["deploy_state"] == "canceled"


@pytest.mark.usefixtures("sigint_raises")
def test_an_interrupt_whose_cancel_is_not_confirmed_is_unknown_and_status_settles_it(
    emulator_factory, use_org, tmp_path
):
    emulator = use_org(emulator_factory(deploy_tick=0.05))
    config = write_config(tmp_path)
    emulator.faults.on_call("checkDeployStatus", interrupt())
    emulator.faults.drop_connection("cancelDeploy", count=10)  # every retry of it too
    emulator.faults.on_call(
        "cancelDeploy", lambda: emulator.faults.drop_connection("checkDeployStatus", count=20)
    )
    run = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert run.exit_code == 5, run.output
    deploy_id = emulator.history.deploys[0].deploy_id
    assert json.loads(run.stdout)["data"]["deploy_id"] == deploy_id
    emulator.faults.clear()
    settled = cli("status", "--org", "emu", "--config", str(config), "--json")
    report = as_json(settled)
    # The deploy ran on without its client: the org decides, and status reports it.
    assert settled.exit_code == 0 and report["state"] == "succeeded", settled.output
    assert emulator.state.has("ApexPage", "Totango_Account_Insights")


def test_a_follow_up_that_fails_after_the_deploy_is_deployed_follow_up_failed(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.faults.on_call(
        "deploy", lambda: emulator.faults.http_error(500, "retrieve", count=1000)
    )
    run = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert run.exit_code == 5, run.output
    doc = as_json(run)
    assert doc["status"] == "deployed" and doc["deploy"]["success"]
    assert doc["follow_up_error"].startswith("verify failed")
    assert doc["snapshot"] and doc["deploy_id"]
    retrieves_after_deploy = [c for c in emulator.history.of("retrieve") if c.fault == "http_500"]
    assert len(retrieves_after_deploy) > 4  # retried, not given up at once
    assert manifests(tmp_path)[0]["deploy_state"] == "follow_up_failed"

    emulator.faults.clear()
    settled = cli("status", "--org", "emu", "--config", str(config), "--json")
    assert settled.exit_code == 0, settled.output
    report = as_json(settled)
    assert report["state"] == "succeeded" and report["verify"]["in_sync"]
    assert len(emulator.history.deploys) == 1


def test_status_without_anything_unfinished_says_so(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0
    run = cli("status", "--org", "emu", "--config", str(config), "--json")
    assert run.exit_code == 0 and as_json(run)["state"] == "nothing_to_follow"


def test_a_held_lock_stops_a_second_change_and_names_its_holder(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    with OrgLock("emu", "rollback"):
        for args in (("deploy",), ("rollback",), ("connected-app",)):
            run = cli(*args, "--org", "emu", "--config", str(config), "--json")
            assert run.exit_code == 6, run.output
            doc = json.loads(run.stdout)
            assert doc["name"] == "OrgBusy" and doc["data"]["holder"]["pid"] == os.getpid()
            assert "rollback" in doc["message"] and "since" in doc["message"]
    assert not emulator.history.deploys
    assert not (tmp_path / "snapshots" / "emu").exists()
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0


def test_a_lock_left_by_a_killed_process_expires(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    lock = OrgLock("emu", "deploy")
    lock.path.parent.mkdir(parents=True, exist_ok=True)
    # What a SIGKILLed run leaves behind: the file, with nobody holding it.
    lock.path.write_text(json.dumps({**lock.holder.to_json(), "pid": int(gone.stdout)}))
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0
    assert not lock.path.exists()  # released by the run that took it over


def test_a_deploy_already_in_flight_in_the_org_is_detected_before_submitting(
    emulator_factory, use_org, tmp_path
):
    from tests.support.mdapi import MD, layout_package, soap_call, zip_b64

    # No wall-clock progress: the deploy from elsewhere waits until it is polled.
    emulator = use_org(emulator_factory(deploy_tick=0, deploy_polls=4))
    config = write_config(tmp_path)
    # One of ours, started from another machine: the org runs it, no local trace.
    soap_call(
        emulator,
        f'<deploy xmlns="{MD}"><ZipFile>{zip_b64(layout_package("P1"))}</ZipFile>'
        "<DeployOptions><rollbackOnError>true</rollbackOnError></DeployOptions></deploy>",
    )
    elsewhere = emulator.history.deploys[0].deploy_id
    run = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert run.exit_code == 6, run.output
    doc = json.loads(run.stdout)
    assert doc["data"]["deploy_id"] == elsewhere
    assert f"totango-sf status --org emu --deploy-id {elsewhere}" in doc["actions"]
    assert len(emulator.history.deploys) == 1
    followed = cli("status", "--org", "emu", "--config", str(config),
                   "--deploy-id", elsewhere, "--json")  # fmt: skip
    assert followed.exit_code == 0, followed.output
    assert as_json(followed)["state"] == "succeeded"
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0


@pytest.mark.usefixtures("sigint_raises")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_a_deploy_process_is_reported_not_silent(emulator, tmp_path, signum):
    """As a CI runner stops a job: the process answers with the outcome, not 130/143."""
    import time

    from tests.support.processes import command, project

    folder = project(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUMULUSCI_REPO")}
    env.pop("CUMULUSCI_AUTO_DETECT", None)
    env.update(emulator.env("emu"), HOME=str(tmp_path / "home"))
    emulator.faults.stuck_deploy(10**6)
    process = subprocess.Popen(
        command("deploy", "--org", "emu", "--config", "totango.yml", "--json"),
        cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while not emulator.history.of("checkDeployStatus") and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stderr[-2000:]
    doc = json.loads(stdout)
    deploy_id = emulator.history.deploys[0].deploy_id
    assert (
        doc["result"]["deploy"]["status"] == "Canceled" and doc["result"]["deploy_id"] == deploy_id
    )
    assert deploy_id in stderr
    (manifest_path,) = (folder / ".totango" / "snapshots" / "emu").glob("*/manifest.json")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["deploy_id"] == deploy_id and manifest["deploy_state"] == "canceled"
    assert not (folder / ".totango" / "locks" / "emu.lock").exists()
