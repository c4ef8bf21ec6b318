"""Fleet runs: one command on several orgs at once, each org isolated from the others.

Here against emulated orgs; the runner and the fleet's command line with no org are in
tests/unit/steps/test_fleet.py and tests/unit/cli/test_fleet.py.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.support.cli import SECTION_LABEL, cli, write_config
from tests.support.cli_json import error_of, result_of

LAYOUT = "Account-Account Layout"


# -- against emulators ---------------------------------------------------------------


def test_mixed_fleet_each_org_gets_its_own_result_and_the_worst_code(
    emulator_factory, use_org, tmp_path
):
    good = use_org(emulator_factory(flavour="sandbox"), "good")
    broken = use_org(emulator_factory(flavour="sandbox"), "broken")
    broken.faults.fail_component("Layout", LAYOUT, "Element {x}y invalid at this location")
    prod = use_org(emulator_factory(flavour="production"), "prod")
    gone = use_org(emulator_factory(flavour="sandbox"), "gone")
    gone.stop()  # unreachable: its keychain entry points at a closed port
    before = {e: e.state.metadata_xml("Layout", LAYOUT) for e in (broken, prod)}
    config = write_config(tmp_path)

    result = cli(
        "deploy", "--org", "good", "--org", "broken", "--org", "prod", "--org", "gone",
        "--config", str(config), "--parallel", "4", "--json",
    )  # fmt: skip

    document = json.loads(result.stdout)
    by_org = {row["org"]: row for row in document["result"]["orgs"]}
    assert [row["org"] for row in document["result"]["orgs"]] == ["good", "broken", "prod", "gone"]
    assert by_org["good"]["status"] == 0 and by_org["good"]["result"]["verify"]["in_sync"]
    assert by_org["broken"]["status"] == 1
    assert by_org["prod"]["status"] == 2, by_org["prod"]
    assert "production" in by_org["prod"]["message"]
    assert "prod" in by_org["prod"]["message"]
    assert by_org["gone"]["status"] == 4
    assert result.exit_code == document["status"] == 1  # a failed deploy outranks the rest
    assert document["result"]["summary"]["by_exit_code"] == {
        "0": ["good"], "1": ["broken"], "2": ["prod"], "4": ["gone"],
    }  # fmt: skip
    # Each org's own state: only the good one changed.
    assert SECTION_LABEL in good.state.metadata_xml("Layout", LAYOUT)
    assert broken.state.metadata_xml("Layout", LAYOUT) == before[broken]
    assert prod.state.metadata_xml("Layout", LAYOUT) == before[prod]
    assert [d for d in prod.history.deploys] == []
    for emulator in (good, broken, prod):
        assert emulator.access_token not in result.stdout + result.stderr


def test_each_org_gets_its_own_overlay(emulator_factory, use_org, tmp_path):
    one = use_org(emulator_factory(flavour="sandbox"), "one")
    two = use_org(emulator_factory(flavour="sandbox"), "two")
    config = write_config(tmp_path)
    (tmp_path / "two.yml").write_text(json.dumps({"widget": {"height": 444}}))

    result = cli("deploy", "--org", "one", "--org", "two", "--config", str(config), "--json")

    assert result.exit_code == 0, result.stdout
    assert b"<height>290</height>" in one.state.metadata_xml("Layout", LAYOUT)
    assert b"<height>444</height>" in two.state.metadata_xml("Layout", LAYOUT)
    snapshots = sorted(p.name for p in (tmp_path / "snapshots").iterdir())
    assert snapshots == ["one", "two"]


def test_verify_by_glob_runs_on_matching_keychain_orgs_only(emulator_factory, use_org, tmp_path):
    a = use_org(emulator_factory(flavour="sandbox"), "uat-a")
    b = use_org(emulator_factory(flavour="sandbox"), "uat-b")
    other = use_org(emulator_factory(flavour="sandbox"), "other")
    for emulator in (a, b, other):
        emulator.history.clear()
    config = write_config(tmp_path)

    result = cli("verify", "--orgs", "uat-*", "--config", str(config), "--json")

    document = result_of(result.stdout)
    assert [row["org"] for row in document["orgs"]] == ["uat-a", "uat-b"]
    assert all(row["status"] == 3 for row in document["orgs"])  # nothing deployed yet: drift
    assert result.exit_code == 3
    assert len(other.history) == 0 and len(a.history) > 0 and len(b.history) > 0


def test_guards_run_once_before_any_org_is_touched(emulator_factory, use_org, tmp_path):
    one = use_org(emulator_factory(flavour="sandbox"), "one")
    two = use_org(emulator_factory(flavour="sandbox"), "two")
    for emulator in (one, two):
        emulator.history.clear()
    # No addresses: the default ones, placeholders, stand.
    placeholder = write_config(tmp_path, addresses=None, widget={"height": 300})
    refused = cli("deploy", "--org", "one", "--org", "two", "--config", str(placeholder), "--json")
    assert refused.exit_code == 2
    assert "placeholder" in error_of(refused.stdout)["message"]

    config = write_config(tmp_path)
    (tmp_path / "two.yml").write_text(json.dumps({"widget": {"height": 5000}}))
    broken = cli("doctor", "--org", "one", "--org", "two", "--config", str(config), "--json")
    assert broken.exit_code == 2
    message = error_of(broken.stdout)["message"]
    assert "two" in message and "widget.height" in message
    assert len(one.history) == 0 and len(two.history) == 0


def test_ci_log_gets_one_line_per_stage_change_prefixed_with_the_org(
    emulator_factory, use_org, tmp_path
):
    use_org(emulator_factory(flavour="sandbox"), "one")
    use_org(emulator_factory(flavour="sandbox"), "two")
    config = write_config(tmp_path)

    result = cli("deploy", "--org", "one", "--org", "two", "--config", str(config))

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for org in ("one", "two"):
        stages = [line.split("] ", 1)[1].rsplit(" (", 1)[0] for line in lines
                  if line.startswith(f"[{org}] ")]  # fmt: skip
        assert stages[0] == "connecting" and "retrieving" in stages
        assert any(s.startswith("deploying") for s in stages) and "verifying" in stages
        assert len(stages) == len(set(stages))  # a line per change, not per poll
        assert stages[-1] == "deployed (exit 0)"
    assert "2 org(s): 2 deployed" in result.stdout


# -- the CumulusCI task ------------------------------------------------------------


def test_cci_fleet_task_deploys_each_org_and_fails_when_one_fails(
    emulator_factory, use_org, tmp_path, caplog
):
    from cumulusci.core.exceptions import CumulusCIFailure, TaskOptionsError
    from cumulusci.tasks.salesforce.tests.util import create_task

    from tasks.totango_sf.cci.fleet import TotangoFleetDeploy

    caplog.set_level("INFO")
    good = use_org(emulator_factory(flavour="sandbox"), "ci-good")
    bad = use_org(emulator_factory(flavour="sandbox"), "ci-bad")
    bad.faults.fail_component("Layout", LAYOUT, "Element {x}y invalid at this location")
    config = write_config(tmp_path)
    task = create_task(TotangoFleetDeploy, {"orgs": "ci-good,ci-bad", "config": str(config)})
    task.project_config.keychain.list_orgs = lambda: ["ci-bad", "ci-good", "other"]
    with pytest.raises(CumulusCIFailure, match="1 of 2"):
        task()
    assert task.return_values["failed"] == ["ci-bad"]
    assert task.return_values["orgs"]["ci-good"]["verify"]["in_sync"] is True
    assert SECTION_LABEL in good.state.metadata_xml("Layout", LAYOUT)
    assert SECTION_LABEL not in bad.state.metadata_xml("Layout", LAYOUT)
    assert any(r.getMessage().startswith("[ci-good] ") for r in caplog.records)

    glob = create_task(TotangoFleetDeploy, {"orgs": "nomatch-*", "config": str(config)})
    glob.project_config.keychain.list_orgs = lambda: ["ci-bad", "ci-good"]
    with pytest.raises(TaskOptionsError, match="nomatch"):
        glob()
    with pytest.raises(TaskOptionsError, match="parallel"):
        create_task(TotangoFleetDeploy, {"orgs": "a", "parallel": "0"})
    with pytest.raises(TaskOptionsError, match="yes"):
        create_task(TotangoFleetDeploy, {"orgs": "a", "yes": "maybe"})
    with pytest.raises(TaskOptionsError, match="orgs"):
        create_task(TotangoFleetDeploy, {"orgs": " , "})
    with pytest.raises(TaskOptionsError, match="config_org"):
        create_task(TotangoFleetDeploy, {"orgs": "a", "config_org": "a"})


# -- interrupts ----------------------------------------------------------------------


@pytest.mark.usefixtures("sigint_raises")
def test_sigint_during_a_fleet_deploy_reports_each_deploy_that_may_still_run(
    emulator_factory, tmp_path
):
    import os
    import signal
    import subprocess

    from tests.support.paths import REPO_ROOT
    from tests.support.processes import command, project

    folder = project(tmp_path)
    config = write_config(folder)
    env = {**os.environ, "HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO_ROOT)}
    emulators = []
    for name in ("int-a", "int-b"):
        emulator = emulator_factory(flavour="sandbox")
        emulator.faults.stuck_deploy(100_000)  # stays InProgress until canceled or stopped
        env.update(emulator.env(name))
        emulators.append(emulator)
    process = subprocess.Popen(
        command("deploy", "--org", "int-a", "--org", "int-b", "--config", str(config), "--json"),
        cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(
        "checkDeployStatus" in e.history.kinds() for e in emulators
    ):
        time.sleep(0.2)
    if not all("checkDeployStatus" in e.history.kinds() for e in emulators):
        process.kill()
        pytest.fail(f"no deploy reached both orgs: {process.communicate()[1][-3000:]}")
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 5, stderr[-2000:]
    document = json.loads(stdout)
    assert document["status"] == 5 and document["result"]["interrupted"] is True
    for row, emulator in zip(document["result"]["orgs"], emulators, strict=True):
        deploy_id = emulator.history.deploys[0].deploy_id
        assert row["status"] == 5 and row["data"]["deploy_id"] == deploy_id
        assert deploy_id in row["message"] and "may still" in row["message"]
    assert "Traceback" not in stderr


def test_a_locked_org_is_skipped_with_exit_6_and_the_others_deploy(
    emulator_factory, use_org, tmp_path
):
    from tasks.totango_sf.state.lock import OrgLock

    free = use_org(emulator_factory(flavour="sandbox"), "free")
    held = use_org(emulator_factory(flavour="sandbox"), "held")
    held.history.clear()
    config = write_config(tmp_path)
    with OrgLock("held", "rollback"):
        result = cli("deploy", "--org", "free", "--org", "held", "--config", str(config), "--json")
    by_org = {row["org"]: row for row in json.loads(result.stdout)["result"]["orgs"]}
    assert by_org["free"]["status"] == 0
    assert by_org["held"]["status"] == 6 and "rollback" in json.dumps(by_org["held"])
    assert result.exit_code == 6
    assert SECTION_LABEL in free.state.metadata_xml("Layout", LAYOUT)
    assert len(held.history) == 0  # nothing was sent to the locked org
