"""The emulator's deploy queue, wall-clock progress, lost answers and --fault options."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests

from tests.org_emulator.faults import Faults
from tests.support.mdapi import MD, body_child, layout_package, soap_call, zip_b64
from tests.support.paths import REPO_ROOT


def start_deploy(emulator, page: str) -> str:
    _, content = soap_call(
        emulator,
        f'<deploy xmlns="{MD}"><ZipFile>{zip_b64(layout_package(page))}</ZipFile>'
        "<DeployOptions><rollbackOnError>true</rollbackOnError></DeployOptions></deploy>",
    )
    return body_child(content).findtext(f"{{{MD}}}result/{{{MD}}}id")


def status_of(emulator, deploy_id: str) -> str:
    _, content = soap_call(
        emulator,
        f'<checkDeployStatus xmlns="{MD}"><asyncProcessId>{deploy_id}</asyncProcessId>'
        "</checkDeployStatus>",
    )
    return body_child(content).findtext(f"{{{MD}}}result/{{{MD}}}status")


def deploy_requests(emulator) -> dict[str, str]:
    return {r["Id"]: r["Status"] for r in emulator.state.rows("DeployRequest")}


def test_deploys_run_one_at_a_time_and_the_others_wait_pending(emulator_factory):
    emulator = emulator_factory(deploy_polls=2, deploy_tick=0)
    first = start_deploy(emulator, "P1")
    second = start_deploy(emulator, "P2")
    assert deploy_requests(emulator) == {first: "InProgress", second: "Pending"}
    # Polling the waiting deploy does not move it: it waits for the running one.
    assert [status_of(emulator, second) for _ in range(5)] == ["Pending"] * 5
    assert not emulator.state.has("ApexPage", "P2")
    assert status_of(emulator, first) == "InProgress"
    assert status_of(emulator, first) == "Succeeded"
    assert deploy_requests(emulator) == {first: "Succeeded", second: "InProgress"}
    assert status_of(emulator, second) == "InProgress"
    assert status_of(emulator, second) == "Succeeded"
    assert emulator.state.has("ApexPage", "P1") and emulator.state.has("ApexPage", "P2")


def test_a_canceled_deploy_lets_the_next_one_run(emulator_factory):
    emulator = emulator_factory(deploy_polls=2, deploy_tick=0)
    first = start_deploy(emulator, "P1")
    second = start_deploy(emulator, "P2")
    soap_call(emulator, f'<cancelDeploy xmlns="{MD}"><String>{first}</String></cancelDeploy>')
    # Running, so not canceled at once (cancelDeploy()): Canceling holds the queue.
    assert deploy_requests(emulator) == {first: "Canceling", second: "Pending"}
    assert [status_of(emulator, first) for _ in range(2)] == ["Canceling", "Canceled"]
    assert deploy_requests(emulator) == {first: "Canceled", second: "InProgress"}


def test_a_deploy_progresses_with_wall_clock_time_when_nobody_polls(emulator_factory):
    emulator = emulator_factory(deploy_polls=3, deploy_tick=0.05)
    deploy_id = start_deploy(emulator, "P1")
    deadline = time.monotonic() + 30
    while not emulator.state.has("ApexPage", "P1") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert emulator.state.has("ApexPage", "P1")
    assert deploy_requests(emulator)[deploy_id] == "Succeeded"
    assert not emulator.history.of("checkDeployStatus")


def test_a_lost_answer_is_carried_out_then_dropped(emulator_factory):
    emulator = emulator_factory(deploy_polls=1, deploy_tick=0)
    emulator.faults.lose_answer("deploy")
    with pytest.raises(requests.ConnectionError):
        start_deploy(emulator, "P1")
    (call,) = emulator.history.deploys
    assert call.fault == "lost" and call.deploy_id in deploy_requests(emulator)
    assert status_of(emulator, call.deploy_id) == "Succeeded"


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        ("lost:deploy:1", ("lost", frozenset({"deploy"}), 1)),
        ("drop:checkDeployStatus:2", ("drop", frozenset({"checkDeployStatus"}), 2)),
        ("request_limit:query:*", ("request_limit", frozenset({"query"}), None)),
        ("http_503:*:3", ("http_503", frozenset({"*"}), 3)),
    ],
)
def test_fault_specs_parse(spec, rule):
    faults = Faults()
    faults.add_spec(spec)
    (added,) = faults._rules
    assert (added.name, added.kinds, added.remaining) == rule


@pytest.mark.parametrize("spec", ["bogus:deploy:1", "drop:deploy", "drop:deploy:0", "drop:x:y"])
def test_bad_fault_specs_are_refused(spec):
    with pytest.raises(ValueError, match="--fault"):
        Faults().add_spec(spec)


def test_slow_deploy_spec_sets_stuck_polls():
    faults = Faults()
    faults.add_spec("stuck:deploy:7")
    assert faults.stuck_polls == 7


def test_the_command_line_takes_fault_options(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.org_emulator", "--port", "0", "--state", str(tmp_path),
         "--reset", "--fault", "drop:query:1", "--fault", "lost:sobject_create:1"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        info = json.loads(process.stdout.readline())
        headers = {"Authorization": f"Bearer {info['access_token']}"}
        base = f"{info['instance_url']}/services/data/v63.0"
        query = f"{base}/query?q=SELECT+Id+FROM+Organization"
        with pytest.raises(requests.ConnectionError):
            requests.get(query, headers=headers, verify=info["ca_bundle"], timeout=30)
        answer = requests.get(query, headers=headers, verify=info["ca_bundle"], timeout=30)
        assert answer.status_code == 200
        account = {"Name": "Lost answer"}
        with pytest.raises(requests.ConnectionError):
            requests.post(f"{base}/sobjects/Account", json=account, headers=headers,
                          verify=info["ca_bundle"], timeout=30)  # fmt: skip
        found = requests.get(
            f"{base}/query?q=SELECT+Name+FROM+Account+WHERE+Name+=+'Lost+answer'",
            headers=headers, verify=info["ca_bundle"], timeout=30,
        )  # fmt: skip
        assert found.json()["totalSize"] == 1  # carried out, only the answer was lost
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_command_line_refuses_a_bad_fault_option(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "tests.org_emulator", "--state", str(tmp_path), "--fault", "x"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "KIND:CALL:COUNT" in run.stderr
