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

A deploy or rollback schedule that draws SIGINT or SIGTERM runs as a real
``totango-sf`` process (the emulator stays a thread of this one, its deploy made
slow), and the signal is sent to that process once it has printed the deploy id
on stderr, as a CI runner or a user at a terminal would send it. The other
schedules run in this process; there, the emulator sends this process the signal
the moment a chosen call arrives.

``TOTANGO_FAULT_SCHEDULES`` (default 30) sets how many schedules run,
``TOTANGO_FAULT_SEED`` (default 20261129) the seed; the tally is printed (-s).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.cli import cli, write_config
from tests.support.processes import command, project

SCHEDULES = int(os.environ.get("TOTANGO_FAULT_SCHEDULES", "30"))
SEED = int(os.environ.get("TOTANGO_FAULT_SEED", "20261129"))

# Where each fault may strike: the calls deploy, rollback and connected-app make.
METADATA_CALLS = (
    "listMetadata", "retrieve", "checkStatus", "checkRetrieveStatus", "deploy", "checkDeployStatus"
)  # fmt: skip
# Reads (every one retried) and writes (never repeated as a request).
REST_READS = ("query", "tooling_query", "sobject_get", "userinfo", "versions")
REST_CALLS = (*REST_READS, "sobject_create", "sobject_delete", "composite", "token")
HTTP_FAULTS = (
    "http_500", "http_503", "drop", "lost", "invalid_session", "move_instance", "request_limit"
)  # fmt: skip
COMMANDS = ("deploy", "rollback", "connected-app", "connected-app --revoke")


@dataclass
class Schedule:
    number: int
    command: str
    faults: list[tuple[str, str, int]] = field(default_factory=list)
    slow_polls: int = 0
    timeout: float | None = None
    interrupt: tuple[str, int] | None = None  # (call kind, signal)
    # Seconds after the deploy id is printed before a process is signalled.
    signal_delay: float = 0.0
    signalled: bool = False  # set by the run: the process got its signal

    @property
    def signals_a_process(self) -> bool:
        """Deploy and rollback take their signal as a separate process."""
        return bool(self.interrupt) and self.command in ("deploy", "rollback")

    def describe(self) -> str:
        parts = [f"#{self.number} {self.command}"]
        parts += [f"{name}:{kind}:{count}" for name, kind, count in self.faults]
        if self.slow_polls:
            parts.append(f"slow:{self.slow_polls}")
        if self.timeout:
            parts.append(f"--timeout {self.timeout}")
        if self.interrupt:
            parts.append(f"{signal.Signals(self.interrupt[1]).name}@{self.interrupt[0]}")
            parts.append(f"+{self.signal_delay:.1f}s")
        return " ".join(parts)


def make_schedule(rng: random.Random, number: int) -> Schedule:
    schedule = Schedule(number, rng.choice(COMMANDS))
    rest_first = schedule.command.startswith("connected-app")
    for _ in range(rng.randint(1, 3)):
        pool = REST_CALLS if rest_first and rng.random() < 0.7 else METADATA_CALLS + REST_CALLS
        name = rng.choice(HTTP_FAULTS)
        once = name in ("invalid_session", "move_instance")
        count = 1 if once else rng.choice((1, 1, 1, 2, 3, 50))
        schedule.faults.append((name, rng.choice(pool), count))
    if not rest_first and rng.random() < 0.3:
        schedule.slow_polls = rng.randint(3, 12)
        if rng.random() < 0.4:
            schedule.timeout = 0.2
    if rng.random() < 0.25:
        kinds = ("sobject_create", "query") if rest_first else ("checkDeployStatus", "retrieve")
        schedule.interrupt = (rng.choice(kinds), rng.choice((signal.SIGINT, signal.SIGTERM)))
        # A separate process is signalled after its deploy id shows: soon (while the
        # slow deploy runs) or later (it may have finished, the verify may be running).
        schedule.signal_delay = rng.choice((0.0, 0.0, 0.5, 1.5, 3.0))
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
def org(emulator_factory, monkeypatch, tmp_path, fast_retries_and_cancels):
    monkeypatch.setattr("tasks.totango_sf.state.snapshot.SNAPSHOT_ROOT", tmp_path / "snapshots")
    monkeypatch.setattr("tasks.totango_sf.salesforce.metadata_api.FIRST_POLL_INTERVAL", 0.001)
    monkeypatch.setattr("tasks.totango_sf.salesforce.metadata_api.MAX_POLL_INTERVAL", 0.02)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    emulator = emulator_factory(flavour="sandbox", package_installed=True, deploy_tick=0.05)
    for key, value in emulator.env("emu").items():
        monkeypatch.setenv(key, value)
    return emulator


class Run:
    """One command's exit code and JSON document (None when it printed none), in process."""

    signalled = False

    def __init__(self, args: list[str]):
        self.args = args
        result = cli(*args, "--json")
        self.code = result.exit_code
        self.exception = result.exception
        self.stdout, self.stderr, self.output = result.stdout, result.stderr, result.output
        self.doc = _document(self.stdout)


def _document(stdout: str) -> dict | None:
    try:
        return json.loads(stdout)
    except ValueError:
        return None


DEPLOY_ID = re.compile(r"\b0Af[0-9A-Za-z]{15}\b")


class ProcessRun(Run):
    """One command as a real ``totango-sf`` process, signalled once it printed a deploy id.

    The signal goes ``delay`` seconds after the first deploy id shows on stderr, and
    only while the process still runs; one that never prints an id is not signalled.
    """

    def __init__(self, args: list[str], folder: Path, signum: int, delay: float):
        self.args = args
        env = {k: v for k, v in os.environ.items() if not k.startswith("CUMULUSCI_REPO")}
        env.pop("CUMULUSCI_AUTO_DETECT", None)
        process = subprocess.Popen(
            command(*args, "--json"), cwd=folder, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        err: list[str] = []
        out: list[str] = []
        shown = threading.Event()

        def read_stderr() -> None:
            for line in process.stderr:  # type: ignore[union-attr]
                err.append(line)
                if DEPLOY_ID.search(line):
                    shown.set()

        readers = [
            threading.Thread(target=read_stderr, daemon=True),
            threading.Thread(target=lambda: out.append(process.stdout.read()), daemon=True),  # type: ignore[union-attr]
        ]
        for reader in readers:
            reader.start()
        deadline = time.monotonic() + 240
        while not shown.wait(0.05) and process.poll() is None and time.monotonic() < deadline:
            pass
        if shown.is_set() and process.poll() is None:
            time.sleep(delay)
            if process.poll() is None:
                process.send_signal(signum)
                self.signalled = True
        try:
            process.wait(timeout=240)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"{args} still ran 240 s after the signal") from None
        for reader in readers:
            reader.join(timeout=30)
        self.code = process.returncode
        self.exception = None
        self.stdout, self.stderr = "".join(out), "".join(err)
        self.output = self.stdout + self.stderr
        self.doc = _document(self.stdout)


def run_schedule(emulator, config: Path, schedule: Schedule, folder: Path) -> str:
    """Run one schedule; return its outcome, or raise AssertionError on a violation."""
    before = fingerprint(emulator)
    faults = emulator.faults
    for name, kind, count in schedule.faults:
        faults.add(name, kind, count=count)
    if schedule.signals_a_process:
        # Slow enough that the signal lands while the org still works on it (the
        # emulator ticks every 0.05 s); a short --timeout would cancel it first.
        faults.stuck_deploy(max(schedule.slow_polls, 40))
    elif schedule.slow_polls:
        faults.stuck_deploy(schedule.slow_polls)
    if schedule.interrupt and not schedule.signals_a_process:
        kind, signum = schedule.interrupt
        faults.on_call(kind, lambda: os.kill(os.getpid(), signum))
    args = [*schedule.command.split(), "--org", "emu", "--config", str(config)]
    if schedule.timeout and schedule.command == "deploy" and not schedule.signals_a_process:
        args += ["--timeout", str(schedule.timeout)]
    if schedule.signals_a_process:
        assert schedule.interrupt is not None
        run: Run = ProcessRun(args, folder, schedule.interrupt[1], schedule.signal_delay)
    else:
        run = Run(args)
    faults.clear()
    schedule.signalled = run.signalled
    assert run.exception is None or isinstance(run.exception, SystemExit), "".join(
        traceback.format_exception(run.exception)
    )
    assert run.doc is not None, f"no JSON document (exit {run.code}): {run.output[-600:]}"
    assert "Traceback" not in run.output
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
        assert again.code == 0, f"re-run did not settle: {again.output[-600:]}"
        settle_succeeded(emulator, config, schedule.command)
        return "unknown, then settled"
    deploy_id = (run.doc.get("data") or {}).get("deploy_id") or (run.doc.get("result") or {}).get(
        "deploy_id"
    )
    assert deploy_id or any("totango-sf status --org emu" in a for a in actions), run.doc
    if deploy_id:
        assert deploy_id in run.stderr or deploy_id in run.stdout
    status = Run(["status", "--org", "emu", "--config", str(config)])
    state = (status.doc or {}).get("result", {}).get("state")
    if status.code == 0:
        assert state in ("succeeded", "nothing_to_follow"), status.doc
        settle_succeeded(emulator, config, schedule.command)
        return "unknown, then settled"
    assert status.code == 1, f"status exit {status.code}: {status.output[-600:]}"
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


# About a second a schedule: a run of many more than 30 gets a timeout to match.
@pytest.mark.timeout(max(300, 10 * SCHEDULES))
@pytest.mark.usefixtures("sigint_raises")
def test_seeded_fault_schedules_end_in_one_of_three_outcomes(org, tmp_path, monkeypatch):
    config = write_config(tmp_path)
    # A CumulusCI project for the separate processes; this process keeps its state
    # (snapshots, locks) in the same place, so `status` here settles their deploys.
    folder = project(tmp_path)
    monkeypatch.setattr(
        "tasks.totango_sf.state.snapshot.SNAPSHOT_ROOT", folder / ".totango" / "snapshots"
    )
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
            outcome = run_schedule(org, config, schedule, folder)
        except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - every escape is a finding
            detail = str(exc) if isinstance(exc, AssertionError) else traceback.format_exc()
            violations.append(f"{schedule.describe()}: {detail}")
            outcome = "VIOLATION"
        where = ""
        if schedule.signals_a_process:
            where = " (signalled process)" if schedule.signalled else " (process, no id seen)"
        tally[(schedule.command.split()[0] + where, outcome)] += 1
    lines = [f"fault schedules: {SCHEDULES} (seed {SEED})"]
    lines += [f"  {name:34} {outcome:24} {n}" for (name, outcome), n in sorted(tally.items())]
    print("\n".join(lines))
    assert not violations, "\n".join(violations)
    processes = [name for (name, _), n in tally.items() for _ in range(n) if "process" in name]
    # The subprocess path must really be taken, and really signal, in every CI run.
    assert not processes or any("signalled" in name for name in processes), tally
