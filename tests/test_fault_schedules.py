"""Seeded fault schedules: deploy, rollback and connected-app under random faults.

Each schedule mixes the faults an org and its network really produce: 5xx pages,
dropped connections, answers lost after the org acted, expired sessions, request
limits, slow deploys, and SIGINT/SIGTERM arriving while the client waits. After
each run only three outcomes pass:

- succeeded, and an independent ``verify`` finds the org in sync;
- failed (exit 1 or 4), with the org's metadata and records identical to before,
  read from the emulator's own state;
- outcome unknown (exit 5), with the id (or the settling command) printed, and
  ``status`` (for connected-app: the same command again) then brings the org to
  one of the first two.

``TOTANGO_FAULT_SCHEDULES`` (default 30) sets how many schedules run,
``TOTANGO_FAULT_SEED`` (default 20261129) the seed; the tally is printed (-s).
"""

from __future__ import annotations

import json
import os
import random
import signal
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.test_org_deploy import cli, write_config

SCHEDULES = int(os.environ.get("TOTANGO_FAULT_SCHEDULES", "30"))
SEED = int(os.environ.get("TOTANGO_FAULT_SEED", "20261129"))

# Where each fault may strike: the calls deploy, rollback and connected-app make.
METADATA_CALLS = ("listMetadata", "retrieve", "checkRetrieveStatus", "deploy", "checkDeployStatus")
REST_CALLS = ("query", "tooling_query", "sobject_create", "sobject_delete", "token")
HTTP_FAULTS = ("http_500", "http_503", "drop", "lost", "invalid_session", "request_limit")
COMMANDS = ("deploy", "rollback", "connected-app", "connected-app --revoke")


@dataclass
class Schedule:
    number: int
    command: str
    faults: list[tuple[str, str, int]] = field(default_factory=list)
    slow_polls: int = 0
    timeout: float | None = None
    interrupt: tuple[str, int] | None = None  # (call kind, signal)

    def describe(self) -> str:
        parts = [f"#{self.number} {self.command}"]
        parts += [f"{name}:{kind}:{count}" for name, kind, count in self.faults]
        if self.slow_polls:
            parts.append(f"slow:{self.slow_polls}")
        if self.timeout:
            parts.append(f"--timeout {self.timeout}")
        if self.interrupt:
            parts.append(f"{signal.Signals(self.interrupt[1]).name}@{self.interrupt[0]}")
        return " ".join(parts)


def make_schedule(rng: random.Random, number: int) -> Schedule:
    schedule = Schedule(number, rng.choice(COMMANDS))
    rest_first = schedule.command.startswith("connected-app")
    for _ in range(rng.randint(1, 3)):
        pool = REST_CALLS if rest_first and rng.random() < 0.7 else METADATA_CALLS + REST_CALLS
        name = rng.choice(HTTP_FAULTS)
        count = 1 if name == "invalid_session" else rng.choice((1, 1, 1, 2, 3, 50))
        schedule.faults.append((name, rng.choice(pool), count))
    if not rest_first and rng.random() < 0.3:
        schedule.slow_polls = rng.randint(3, 12)
        if rng.random() < 0.4:
            schedule.timeout = 0.2
    if rng.random() < 0.25:
        kinds = ("sobject_create", "query") if rest_first else ("checkDeployStatus", "retrieve")
        schedule.interrupt = (rng.choice(kinds), rng.choice((signal.SIGINT, signal.SIGTERM)))
    return schedule


def fingerprint(emulator) -> str:
    """The org as the product can change it: metadata and records, not the deploy log."""
    with emulator.state.lock:
        data = emulator.state.to_json()
    records = {k: v for k, v in data["records"].items() if k != "DeployRequest"}
    return json.dumps({"components": data["components"], "records": records}, sort_keys=True)


def has_setup(emulator) -> bool:
    layout = emulator.state.metadata_xml("Layout", "Account-Account Layout") or b""
    return b"Totango_Account_Insights" in layout


def grants(emulator) -> set[str]:
    return {r["Id"] for r in emulator.state.rows("SetupEntityAccess")}


@pytest.fixture
def org(emulator_factory, monkeypatch, tmp_path):
    monkeypatch.setattr("tasks.totango_sf.org.snapshot.SNAPSHOT_ROOT", tmp_path / "snapshots")
    monkeypatch.setattr("tasks.totango_sf.org.metadata_api.FIRST_POLL_INTERVAL", 0.001)
    monkeypatch.setattr("tasks.totango_sf.org.metadata_api.MAX_POLL_INTERVAL", 0.02)
    monkeypatch.setattr("tasks.totango_sf.org.metadata_api.TRANSIENT_RETRY_DELAYS", (0.0, 0.0))
    monkeypatch.setattr("tasks.totango_sf.org.metadata_api.CANCEL_CONFIRM_DELAYS", (0.0, 0.05))
    monkeypatch.setattr("tasks.totango_sf.org.deploy.FOLLOW_UP_RETRY_DELAYS", (0.0,))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    emulator = emulator_factory(flavour="sandbox", package_installed=True, deploy_tick=0.05)
    for key, value in emulator.env("emu").items():
        monkeypatch.setenv(key, value)
    return emulator


class Run:
    """One command's exit code and JSON document (None when it printed none)."""

    def __init__(self, args: list[str]):
        self.args = args
        self.result = cli(*args, "--json")
        self.code = self.result.exit_code
        try:
            self.doc = json.loads(self.result.stdout)
        except ValueError:
            self.doc = None


def run_schedule(emulator, config: Path, schedule: Schedule) -> str:
    """Run one schedule; return its outcome, or raise AssertionError on a violation."""
    before = fingerprint(emulator)
    faults = emulator.faults
    for name, kind, count in schedule.faults:
        faults.add(name, kind, count=count)
    if schedule.slow_polls:
        faults.stuck_deploy(schedule.slow_polls)
    if schedule.interrupt:
        kind, signum = schedule.interrupt
        faults.on_call(kind, lambda: os.kill(os.getpid(), signum))
    args = [*schedule.command.split(), "--org", "emu", "--config", str(config)]
    if schedule.timeout and schedule.command == "deploy":
        args += ["--timeout", str(schedule.timeout)]
    run = Run(args)
    faults.clear()
    assert run.result.exception is None or isinstance(run.result.exception, SystemExit), "".join(
        traceback.format_exception(run.result.exception)
    )
    assert run.doc is not None, f"no JSON document (exit {run.code}): {run.result.output[-600:]}"
    assert "Traceback" not in run.result.output
    if run.code == 0:
        settle_succeeded(emulator, config, schedule.command)
        return "succeeded"
    if run.code in (1, 4):
        assert fingerprint(emulator) == before, f"exit {run.code} but the org changed"
        return "failed, org unchanged"
    assert run.code == 5, f"exit {run.code} is none of the three outcomes: {run.doc}"
    actions = run.doc.get("actions") or []
    if schedule.command.startswith("connected-app"):
        assert actions and actions[0].startswith("totango-sf connected-app"), run.doc
        again = Run([*schedule.command.split(), "--org", "emu", "--config", str(config)])
        assert again.code == 0, f"re-run did not settle: {again.result.output[-600:]}"
        settle_succeeded(emulator, config, schedule.command)
        return "unknown, then settled"
    deploy_id = (run.doc.get("data") or {}).get("deploy_id") or (run.doc.get("result") or {}).get(
        "deploy_id"
    )
    assert deploy_id or any("totango-sf status --org emu" in a for a in actions), run.doc
    if deploy_id:
        assert deploy_id in run.result.stderr or deploy_id in run.result.stdout
    status = Run(["status", "--org", "emu", "--config", str(config)])
    state = (status.doc or {}).get("result", {}).get("state")
    if status.code == 0:
        assert state in ("succeeded", "nothing_to_follow"), status.doc
        settle_succeeded(emulator, config, schedule.command)
        return "unknown, then settled"
    assert status.code == 1, f"status exit {status.code}: {status.result.output[-600:]}"
    assert fingerprint(emulator) == before, "status says failed but the org changed"
    return "unknown, then settled"


def settle_succeeded(emulator, config: Path, command: str) -> None:
    if command == "deploy":
        verify = Run(["verify", "--org", "emu", "--config", str(config)])
        assert verify.code == 0, f"deployed but verify exit {verify.code}: {verify.doc}"
    elif command == "rollback":
        last = [c for c in emulator.history.deploys if c.success is not None][-1]
        assert last.success, "rollback exit 0 but its deploy did not succeed"
    elif command == "connected-app":
        assert grants(emulator), "connected-app exit 0 but no grant in the org"


def test_seeded_fault_schedules_end_in_one_of_three_outcomes(org, tmp_path):
    config = write_config(tmp_path)
    rng = random.Random(SEED)
    tally: Counter[tuple[str, str]] = Counter()
    violations: list[str] = []
    for number in range(SCHEDULES):
        schedule = make_schedule(rng, number)
        # Deploy onto an org without the setup and roll back one with it, so that
        # each of them has real work to do (an in-sync deploy sends nothing).
        if schedule.command in ("deploy", "rollback"):
            schedule.command = "rollback" if has_setup(org) else "deploy"
        try:
            outcome = run_schedule(org, config, schedule)
        except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - every escape is a finding
            detail = str(exc) if isinstance(exc, AssertionError) else traceback.format_exc()
            violations.append(f"{schedule.describe()}: {detail}")
            outcome = "VIOLATION"
        tally[(schedule.command.split()[0], outcome)] += 1
    lines = [f"fault schedules: {SCHEDULES} (seed {SEED})"]
    lines += [f"  {command:14} {outcome:24} {n}" for (command, outcome), n in sorted(tally.items())]
    print("\n".join(lines))
    assert not violations, "\n".join(violations)
