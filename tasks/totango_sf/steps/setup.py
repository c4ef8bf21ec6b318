"""``setup``: the whole article on one org, in order, with one summary row per step.

doctor -> install -> deploy -> connected-app -> browser tasks (only when asked)
-> verify (doctor again). The first doctor gates on the prerequisites only:
a fresh org is expected to fail the "is it set up" checks. Every step of the
article ends as done, already done, manual step needed (with instructions) or
failed; the final doctor, not the stages' own claims, decides what is done.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from tasks.totango_sf.steps import doctor as checks
from tasks.totango_sf.steps.connected_app import (
    GATEWAY_TASK,
    POLICY_TASK,
    AccessWriteFailed,
    ConnectedAppNotFound,
    ProfileNotFound,
    grant_profiles,
)
from tasks.totango_sf.steps.install import (
    MissingVersionId,
    PackageInstallFailed,
    ProductionNeedsYes,
    install_package,
)
from tasks.totango_sf.steps.org_id import read_org_identity

StepStatus = Literal["done", "already done", "manual step needed", "failed"]
StageStatus = Literal["ok", "already done", "skipped", "failed", "not available", "changed", "open"]


@dataclass(frozen=True)
class TaskRun:
    """How a ``cci task run`` ended: its exit code and the last error line it printed."""

    code: int
    last_error: str = ""


Runner = Callable[[Sequence[str]], "int | TaskRun"]
# How much of a task's output is kept to find its last error line.
_TAIL_LINES = 200
Progress = Callable[[str], None]

# The seed article's steps, in its order: (step, title, doctor check that verifies it).
SEED_STEPS: tuple[tuple[str, str, str | None], ...] = (
    ("1", "Org ID to Totango", None),
    ("2", "Install the managed package", checks.PACKAGE),
    ("3a", "Connected app policy: admin approved", checks.POLICY),
    ("3b", "Connected app profiles", checks.PROFILES),
    ("3c", "Trusted IP ranges", checks.TRUSTED_RANGES),
    ("3d", "Totango Gateway installed", checks.GATEWAY),
    ("4", "Widget on layouts", checks.WIDGET),
    ("5", "Insights fields", checks.INSIGHTS_FIELDS),
)


@dataclass(frozen=True)
class StageResult:
    stage: str
    status: StageStatus
    detail: str = ""


@dataclass(frozen=True)
class StepRow:
    step: str
    title: str
    status: StepStatus
    detail: str


@dataclass
class SetupReport:
    stages: list[StageResult] = field(default_factory=list)
    steps: list[StepRow] = field(default_factory=list)
    before: checks.DoctorReport | None = None
    after: checks.DoctorReport | None = None

    @property
    def ok(self) -> bool:
        return not any(s.status == "failed" for s in self.steps) and not any(
            s.status == "failed" for s in self.stages
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "stages": [asdict(s) for s in self.stages],
            "steps": [asdict(s) for s in self.steps],
            "doctor_before": self.before.to_json() if self.before else None,
            "doctor_after": self.after.to_json() if self.after else None,
        }


def run_cci_task(args: Sequence[str]) -> TaskRun:
    """Run ``cci task run ...`` in a subprocess (Robot browser tasks need their own process).

    Its output is passed on to stderr as it comes (so a person sees it, and ``--json``
    keeps stdout to its document) and its tail is kept: a task that crashes (a traceback,
    a Robot failure) is reported by its exit code and its last error line.
    """
    import collections
    import sys

    tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
    try:
        process = subprocess.Popen(
            ["cci", "task", "run", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        return TaskRun(127, f"could not start cci: {exc.strerror or exc}")
    assert process.stdout is not None
    for line in process.stdout:
        sys.stderr.write(line)
        tail.append(line.rstrip("\n"))
    code = process.wait()
    return TaskRun(code, last_error_line(list(tail)) if code else "")


_ERROR_LINE = re.compile(
    r"^(?:[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b.*|Error: .+|.*\bFAIL\b.*)$"
)


def last_error_line(lines: Sequence[str]) -> str:
    """The last line that reads as an error (a Python exception, ``Error:``, a Robot FAIL),
    else the last non-empty line."""
    stripped = [line.strip() for line in lines if line.strip()]
    for line in reversed(stripped):
        if _ERROR_LINE.match(line):
            return line
    return stripped[-1] if stripped else ""


def _task_run(outcome: int | TaskRun) -> TaskRun:
    return outcome if isinstance(outcome, TaskRun) else TaskRun(outcome)


def deploy_available() -> bool:
    return importlib.util.find_spec("tasks.totango_sf.org.deploy") is not None


def _install_stage(
    session: Any, config: Any, yes: bool, progress: Progress, before: Any = None
) -> StageResult:
    package = before.get(checks.PACKAGE) if before is not None else None
    try:
        result = install_package(session, config, yes=yes, progress=progress)
    except MissingVersionId as exc:
        if package is not None and package.status == "ok":
            return StageResult("install", "already done", f"already installed: {package.detail}")
        return StageResult("install", "skipped", str(exc))
    except (ProductionNeedsYes, PackageInstallFailed) as exc:
        return StageResult("install", "failed", str(exc))
    if result.action == "installed":
        return StageResult("install", "changed", result.detail)
    return StageResult("install", "already done", result.detail)


def _deploy_stage(session: Any, config: Any, yes: bool, progress: Progress) -> StageResult:
    if not deploy_available():
        return StageResult(
            "deploy", "not available", "tasks.totango_sf.org.deploy is not installed"
        )
    from tasks.totango_sf.org import deploy as org_deploy_flow
    from tasks.totango_sf.org.requests import DeployRequest, RunHooks
    from tasks.totango_sf.org.results import DeployRefused

    try:
        outcome = org_deploy_flow.deploy(
            session,
            config,
            DeployRequest(yes=yes),
            RunHooks(progress=lambda p: progress(f"deploy {p.status}: {p.deployed}/{p.total}")),
        )
    except DeployRefused as exc:
        return StageResult("deploy", "failed", str(exc))
    if outcome.status == "failed":
        return StageResult(
            "deploy",
            "failed",
            f"the deploy failed; run `totango-sf deploy --org {session.name}`"
            " for the component errors",
        )
    if outcome.status == "deployed":
        deploy_id = outcome.deploy.id if outcome.deploy is not None else ""
        return StageResult("deploy", "changed", f"deployed {deploy_id}".strip())
    if outcome.status == "in_sync":
        return StageResult("deploy", "already done", "the org already matches the setup")
    return StageResult("deploy", "ok", outcome.status.replace("_", " "))


def _connected_app_stage(session: Any, config: Any, org_name: str) -> StageResult:
    try:
        result = grant_profiles(session, config, org_name)
    except (ConnectedAppNotFound, ProfileNotFound, AccessWriteFailed) as exc:
        return StageResult("connected-app", "failed", str(exc))
    added = [p.profile for p in result.profiles if p.action == "added"]
    detail = ("granted to " + ", ".join(added)) if added else "all profiles already granted"
    detail = "; ".join([detail, *result.warnings])
    return StageResult("connected-app", "changed" if added else "ok", detail)


def _browser_stages(
    before: checks.DoctorReport, org_name: str, runner: Runner
) -> list[StageResult]:
    stages = []
    for check_name, task in ((checks.POLICY, POLICY_TASK), (checks.GATEWAY, GATEWAY_TASK)):
        check = before.get(check_name)
        if check is not None and check.status == "ok":
            stages.append(StageResult(task, "ok", "already in place"))
            continue
        run = _task_run(runner([task, "--org", org_name]))
        if run.code == 0:
            stages.append(StageResult(task, "changed", "cci task exit code 0"))
            continue
        why = f": {run.last_error}" if run.last_error else ""
        stages.append(StageResult(task, "failed", f"cci task exit code {run.code}{why}"))
    return stages


def _step_row(
    step: str,
    title: str,
    check_name: str | None,
    report: SetupReport,
    identity_detail: str,
) -> StepRow:
    if check_name is None:
        return StepRow(step, title, "manual step needed", identity_detail)
    before = report.before.get(check_name) if report.before else None
    after = report.after.get(check_name) if report.after else None
    if after is None:
        return StepRow(step, title, "failed", "not checked: setup stopped earlier")
    if after.status == "ok":
        already = before is not None and before.status == "ok"
        return StepRow(step, title, "already done" if already else "done", after.detail)
    # The policy and the Gateway have no API: unless a browser task tried and
    # failed, what is left is a manual step with its instructions.
    browser_task = {checks.POLICY: POLICY_TASK, checks.GATEWAY: GATEWAY_TASK}.get(check_name)
    if browser_task is not None:
        ran = _stage(report, browser_task)
        if ran == "failed":
            # The task itself failed: its own error, not the org's state, is the reason.
            detail = _stage_detail(report, browser_task)
            return StepRow(
                step,
                title,
                "failed",
                f"{browser_task} failed ({detail}); do it by hand: {after.fix}",
            )
        if ran != "changed":
            return StepRow(step, title, "manual step needed", after.fix)
        return StepRow(
            step,
            title,
            "failed",
            f"{browser_task} exited 0 but the org still shows: {after.detail}; {after.fix}",
        )
    if after.status == "warn" or (
        check_name == checks.PACKAGE and _stage(report, "install") == "skipped"
    ):
        return StepRow(step, title, "manual step needed", f"{after.detail}; {after.fix}")
    if _stage(report, "deploy") == "not available" and check_name in (
        checks.WIDGET,
        checks.INSIGHTS_FIELDS,
    ):
        return StepRow(step, title, "manual step needed", f"{after.detail}; {after.fix}")
    return StepRow(step, title, "failed", f"{after.detail}; fix: {after.fix}")


def _stage(report: SetupReport, name: str) -> str | None:
    return next((s.status for s in report.stages if s.stage == name), None)


def _stage_detail(report: SetupReport, name: str) -> str:
    return next((s.detail for s in report.stages if s.stage == name), "")


def run_setup(
    session: Any,
    config: Any,
    org_name: str,
    *,
    browser: bool = False,
    yes: bool = False,
    runner: Runner = run_cci_task,
    progress: Progress | None = None,
    include_metadata: bool = True,
) -> SetupReport:
    """Every stage in order; stops after doctor when a prerequisite fails."""
    say = progress or (lambda message: None)
    report = SetupReport()
    identity = read_org_identity(session)
    identity_detail = (
        f"paste {identity.id15} (15) or {identity.id18} (18) into {identity.paste_into}"
    )
    say("doctor")
    report.before = checks.run_doctor(session, config, org_name, include_metadata)
    if not report.before.prerequisites_ok:
        failed = [c for c in report.before.checks if c.failed and c.name in checks.PREREQUISITES]
        report.stages.append(
            StageResult("doctor", "failed", "; ".join(f"{c.name}: {c.detail}" for c in failed))
        )
        report.after = report.before
        report.steps = [
            _step_row(step, title, name, report, identity_detail)
            for step, title, name in SEED_STEPS
        ]
        return report
    report.stages.append(StageResult("doctor", "ok", "prerequisites met"))
    say("install")
    report.stages.append(_install_stage(session, config, yes, say, report.before))
    say("deploy")
    report.stages.append(_deploy_stage(session, config, yes, say))
    say("connected-app")
    report.stages.append(_connected_app_stage(session, config, org_name))
    if browser:
        say("browser tasks")
        report.stages.extend(_browser_stages(report.before, org_name, runner))
    say("verify")
    report.after = checks.run_doctor(session, config, org_name, include_metadata)
    open_checks = [c.name for c in report.after.checks if c.status != "ok"]
    # Open checks become manual or failed steps below; the stage says they are open.
    report.stages.append(
        StageResult("verify", "open", "still open: " + ", ".join(open_checks))
        if open_checks
        else StageResult("verify", "ok", "all checks ok")
    )
    report.steps = [
        _step_row(step, title, name, report, identity_detail) for step, title, name in SEED_STEPS
    ]
    return report
