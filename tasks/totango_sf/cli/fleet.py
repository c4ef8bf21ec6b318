"""``--org A --org B`` / ``--orgs GLOB``: deploy, verify, doctor, rollback and setup on a fleet.

Everything that can be refused offline is refused before any org is touched:
every org's config (its own ``orgconfig/<org>.yml`` overlay) is loaded and
checked first, and a deploy with placeholder IPs stops the whole run with the
names of the orgs concerned. Then each org runs in its own lane (see
``steps/fleet.py``) and its result is kept apart: one org failing, timing out or
being unreachable does not stop the others. A terminal gets a live table with
one row per org; a CI log gets one line per stage change, prefixed with the org.
The exit code is the worst of the orgs' codes, and ``--json`` holds each one.
"""

from __future__ import annotations

import fnmatch
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from tasks.totango_sf.cli.output import err, error_document, fail, out, print_result
from tasks.totango_sf.cli.session import require_project
from tasks.totango_sf.errors import (
    EXIT_BAD_INPUT,
    EXIT_DEPLOY_FAILED,
    EXIT_DRIFT,
    EXIT_INTERRUPTED,
    EXIT_MANUAL_STEP_OPEN,
    EXIT_OK,
    EXIT_ORG_BUSY,
    EXIT_ORG_UNREACHABLE,
    EXIT_OUTCOME_UNKNOWN,
)

# Worst first: what a CI job must look at before anything else.
SEVERITY = (
    EXIT_OUTCOME_UNKNOWN,
    EXIT_INTERRUPTED,
    EXIT_DEPLOY_FAILED,
    EXIT_ORG_BUSY,
    EXIT_ORG_UNREACHABLE,
    EXIT_BAD_INPUT,
    EXIT_DRIFT,
    EXIT_MANUAL_STEP_OPEN,
    EXIT_OK,
)


def worst_code(codes: list[int]) -> int:
    """The code a fleet run exits with: the most serious of its orgs' codes."""
    rank = {code: index for index, code in enumerate(SEVERITY)}
    return min(codes, key=lambda code: rank.get(code, 0), default=EXIT_OK)


def single_org(org_names: list[str] | None, orgs_glob: str | None, as_json: bool) -> str | None:
    """The org of a single-org run, or None when the options name a fleet."""
    names = org_names or []
    if not names and not orgs_glob:
        from tasks.totango_sf.cli.default_org import org_or_default

        return org_or_default(None, as_json)
    if len(names) == 1 and not orgs_glob:
        return names[0]
    return None


def resolve_orgs(
    org_names: list[str] | None,
    orgs_glob: str | None,
    as_json: bool,
    keychain_names: Callable[[], list[str]] | None = None,
) -> list[str]:
    """The named orgs, then the keychain's orgs matching the glob, each once, in order."""
    orgs: list[str] = []
    for name in org_names or []:
        if name not in orgs:
            orgs.append(name)
    if orgs_glob:
        from tasks.totango_sf.salesforce.connection import OrgUnreachable, list_org_names
        from tasks.totango_sf.salesforce.identifiers import org_name_problem

        try:
            known = (keychain_names or list_org_names)()
        except OrgUnreachable as exc:
            fail(str(exc), EXIT_ORG_UNREACHABLE, as_json)

        # A keychain name that could not be an --org value is never picked by a glob.
        matched = sorted(
            n for n in known if fnmatch.fnmatchcase(n, orgs_glob) and not org_name_problem(n)
        )
        if not matched:
            shown = ", ".join(sorted(known)) or "none"
            fail(
                f"--orgs {orgs_glob!r} matches no org in CumulusCI's keychain (known: {shown})",
                EXIT_BAD_INPUT,
                as_json,
            )
        orgs += [n for n in matched if n not in orgs]
    return orgs


def load_configs(config: Path | None, orgs: list[str], as_json: bool) -> dict[str, Any]:
    """Every org's effective config, or exit 2 naming each broken one; nothing is sent."""
    from tasks.totango_sf.steps.fleet import fleet_configs

    configs, problems = fleet_configs(config, orgs)
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        fail(f"invalid config; no org was touched:\n{lines}", EXIT_BAD_INPUT, as_json)
    return configs


def orgs_and_configs(
    org_names: list[str] | None, orgs_glob: str | None, config: Path | None, as_json: bool
) -> tuple[list[str], dict[str, Any]]:
    """The fleet's orgs and each one's config, or exit 2 or 4 before any org is touched."""
    orgs = resolve_orgs(org_names, orgs_glob, as_json)
    return orgs, load_configs(config, orgs, as_json)


@dataclass
class OrgReport:
    """One org's line in the fleet result: its exit code and its result or error."""

    org: str
    code: int
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    elapsed: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"org": self.org, "status": self.code, "elapsed": self.elapsed}
        if self.result is not None:
            body["result"] = self.result
        if self.error is not None:
            body.update({k: v for k, v in self.error.items() if k != "status"})
        body["warnings"] = self.warnings
        return body


Job = Callable[[Any, Any, Any], tuple[int, dict[str, Any]]]


def run_fleet_command(
    command: str,
    orgs: list[str],
    configs: dict[str, Any],
    parallel: int,
    as_json: bool,
    job: Job,
    lock: bool = False,
) -> None:
    """Run ``job(session, config, lane)`` on every org, show it, print one result, exit.

    With ``lock``, each lane holds its org's lock (``state/lock.py``) for its whole run,
    as a single-org change does; an org whose lock is taken ends with exit 6 alone.
    """
    from cumulusci.core.exceptions import CumulusCIException

    from tasks.totango_sf.salesforce.connection import redact, shared_runtime
    from tasks.totango_sf.steps.fleet import run_fleet

    require_project(as_json)
    try:
        runtime = shared_runtime()
    except (CumulusCIException, OSError) as exc:
        message = f"could not load CumulusCI's project or keychain: {redact(str(exc))}"
        fail(message, EXIT_ORG_UNREACHABLE, as_json)

    def lane_job(org: str, lane: Any) -> OrgReport:
        return _run_one(org, configs[org], lane, job, runtime, command if lock else None)

    console = err if as_json else out
    with _fleet_display(console, command, orgs) as (on_change, poll), _sigterm_as_interrupt():
        run = run_fleet(orgs, lane_job, parallel, on_change=on_change, poll=poll)
    reports = [_report_of(o) for o in run.outcomes]
    code = worst_code([r.code for r in reports])
    summary = _summary(reports, run.interrupted)
    if as_json:
        print_result(
            {
                "command": command,
                "orgs": [r.to_json() for r in reports],
                "summary": summary,
                "interrupted": run.interrupted,
            },
            code,
        )
    else:
        _print_summary(command, reports, summary, run.interrupted)
    raise typer.Exit(code)


def deploy_stage(lane: Any) -> Callable[[Any], None]:
    """A deploy's progress callback that shows its stage in the org's lane."""

    def progress(p: Any) -> None:
        lane.deploy_started(p.deploy_id)
        if p.status in ("Succeeded", "SucceededPartial"):
            lane.stage("verifying")
        elif p.total:
            lane.stage(f"deploying {min(p.deployed, p.total)}/{p.total}")
        else:
            lane.stage(f"deploying ({p.status})")

    return progress


def run_on_fleet(
    command: str,
    org_names: list[str] | None,
    orgs_glob: str | None,
    parallel: int,
    config: Path | None,
    as_json: bool,
    job: Job,
    lock: bool = False,
) -> None:
    """The fleet the options name, each org's config checked, then ``run_fleet_command``."""
    orgs, configs = orgs_and_configs(org_names, orgs_glob, config, as_json)
    run_fleet_command(command, orgs, configs, parallel, as_json, job, lock=lock)


def _run_one(
    org: str, config: Any, lane: Any, job: Job, runtime: Any, lock_command: str | None
) -> OrgReport:
    """One lane: lock, connect, run the job, and turn the org path's exceptions into a verdict."""
    from tasks.totango_sf.state.lock import OrgBusy, OrgLock

    lock = OrgLock(org, lock_command.split()[0]) if lock_command else None
    try:
        if lock is not None:
            lock.acquire()
    except OrgBusy as exc:
        lane.finish(f"busy (exit {EXIT_ORG_BUSY})")
        document = error_document(str(exc), EXIT_ORG_BUSY, holder=exc.holder.to_json())
        return OrgReport(org, EXIT_ORG_BUSY, error=document)
    try:
        return _connect_and_run(org, config, lane, job, runtime)
    finally:
        if lock is not None:
            lock.release()


def _connect_and_run(org: str, config: Any, lane: Any, job: Job, runtime: Any) -> OrgReport:
    from tasks.totango_sf.org.verdicts import handled_errors, verdict_of
    from tasks.totango_sf.salesforce.connection import connect

    session = None
    try:
        lane.stage("connecting")
        session = connect(org, runtime)
        code, result = job(session, config, lane)
    except handled_errors() as exc:
        verdict = verdict_of(exc, session.secrets if session is not None else ())
        if lane.board.deploy_id and verdict.code != EXIT_BAD_INPUT:
            verdict_data = {**verdict.data, "deploy_id": lane.board.deploy_id}
        else:
            verdict_data = verdict.data
        document = error_document(verdict.message, verdict.code, **verdict_data)
        lane.finish(f"{OUTCOMES.get(verdict.code, ('failed', ''))[0]} (exit {verdict.code})")
        return OrgReport(org, verdict.code, error=document)
    warnings = list(result.pop("warnings", None) or [])
    if code == EXIT_OK:
        word = _OK_WORDS.get(str(result.get("status")), "in sync" if "drift" in result else "ok")
    else:
        word = OUTCOMES.get(code, (f"exit {code}", ""))[0]
    lane.finish(f"{word} (exit {code})")
    return OrgReport(org, code, result=result, warnings=warnings)


def _report_of(outcome: Any) -> OrgReport:
    org = outcome.org
    if outcome.result is not None:
        report: OrgReport = outcome.result
        report.elapsed = outcome.elapsed
        return report
    from tasks.totango_sf.errors import status_command
    from tasks.totango_sf.steps.fleet import FleetStopped

    if outcome.stopped_before_start:
        message = "interrupted before this org was touched; nothing was sent to it"
        return OrgReport(org, EXIT_INTERRUPTED, error=error_document(message, EXIT_INTERRUPTED))
    if isinstance(outcome.error, FleetStopped) or outcome.error is None:
        if outcome.deploy_id:
            message = (
                f"interrupted while deploy {outcome.deploy_id} was running in the org; it may"
                f" still complete. Follow it with: {status_command(org, outcome.deploy_id)}"
            )
            code = EXIT_OUTCOME_UNKNOWN
        else:
            message = "interrupted before a deploy was started; the org was not changed"
            code = EXIT_INTERRUPTED
        document = error_document(message, code, name="Interrupted", deploy_id=outcome.deploy_id)
        return OrgReport(org, code, error=document, elapsed=outcome.elapsed)
    # An unexpected exception (a bug, not an org answer). Whether the org changed is
    # only known when no deploy had started.
    from tasks.totango_sf.salesforce.connection import redact

    detail = redact(f"{type(outcome.error).__name__}: {outcome.error}")
    if outcome.deploy_id:
        message = f"unexpected error after deploy {outcome.deploy_id} started: {detail}"
        code = EXIT_OUTCOME_UNKNOWN
    else:
        message = f"unexpected error before any deploy: {detail}"
        code = EXIT_DEPLOY_FAILED
    document = error_document(message, code, name="UnexpectedError", deploy_id=outcome.deploy_id)
    return OrgReport(org, code, error=document, elapsed=outcome.elapsed)


def _summary(reports: list[OrgReport], interrupted: bool) -> dict[str, Any]:
    by_code: dict[str, list[str]] = {}
    for report in reports:
        by_code.setdefault(str(report.code), []).append(report.org)
    return {
        "orgs": len(reports),
        "succeeded": sum(1 for r in reports if r.code == EXIT_OK),
        "by_exit_code": by_code,
        "interrupted": interrupted,
    }


# What each exit code means for one org of a fleet, as a person reads it, and its colour.
OUTCOMES: dict[int, tuple[str, str]] = {
    EXIT_OK: ("ok", "green"),
    EXIT_DEPLOY_FAILED: ("failed", "red"),
    EXIT_BAD_INPUT: ("bad input", "red"),
    EXIT_DRIFT: ("drift", "yellow"),
    EXIT_ORG_UNREACHABLE: ("unreachable", "red"),
    EXIT_OUTCOME_UNKNOWN: ("unknown", "bold red"),
    EXIT_ORG_BUSY: ("busy", "yellow"),
    EXIT_MANUAL_STEP_OPEN: ("manual step open", "yellow"),
    EXIT_INTERRUPTED: ("interrupted", "red"),
}
# What "ok" is called for each command's result status (the JSON keeps its value).
_OK_WORDS = {
    "in_sync": "in sync",
    "deployed": "deployed",
    "validated": "validated",
    "rolled_back": "rolled back",
    "nothing_to_do": "nothing to roll back",
}


def outcome_of(command: str, report: OrgReport) -> str:
    """The one word or two for an org's end: in sync, drift, unreachable, failed, ..."""
    if report.code == EXIT_OK:
        status = str((report.result or {}).get("status") or "")
        if command == "verify":
            return "in sync"
        return _OK_WORDS.get(status, "ok")
    return OUTCOMES.get(report.code, (f"exit {report.code}", "red"))[0]


def _drift_of(result: dict[str, Any]) -> list[dict[str, Any]]:
    verify = result.get("verify") if "drift" not in result else result
    return list((verify or {}).get("drift") or [])


def outcome_detail(report: OrgReport) -> str:
    """What the outcome is about: the error's first line, the drift, the failed checks."""
    if report.error is not None:
        return str(report.error["message"]).splitlines()[0]
    result = report.result or {}
    drift = _drift_of(result)
    if drift:
        names = ", ".join(f"{d['type']} {d['name']}" for d in drift[:3])
        more = f" and {len(drift) - 3} more" if len(drift) > 3 else ""
        return f"{len(drift)} component(s) differ: {names}{more}"
    checks = [c for c in result.get("checks") or [] if c.get("status") == "fail"]
    if checks:
        return f"{len(checks)} check(s) failed: " + ", ".join(c["name"] for c in checks)
    open_steps = [
        s["step"]
        for s in result.get("steps") or []
        if s.get("status") != "done" and s.get("status") != "already done"
    ]
    if result.get("steps") and open_steps:
        return "step(s) not done: " + ", ".join(open_steps)
    return str(result.get("deploy_id") or result.get("snapshot") or "")


def _print_summary(
    command: str, reports: list[OrgReport], summary: dict[str, Any], interrupted: bool
) -> None:
    from tasks.totango_sf.cli.output import Column, print_table, styled

    rows = []
    for report in reports:
        word = outcome_of(command, report)
        colour = OUTCOMES.get(report.code, ("", "red"))[1]
        rows.append(
            [
                report.org,
                styled((word, colour)),
                str(report.code),
                f"{report.elapsed:.1f}s",
                outcome_detail(report),
            ]
        )
    print_table(
        f"{command}: {len(reports)} org(s)",
        [
            Column("org", whole=True),
            Column("outcome", whole=True),
            Column("exit", whole=True, justify="right"),
            Column("elapsed", whole=True, justify="right"),
            Column("detail"),
        ],
        rows,
    )
    for report in reports:
        drift = _drift_of(report.result or {})
        if drift:
            print_table(
                f"drift on {report.org}",
                [
                    Column("type", whole=True),
                    Column("name", whole=True),
                    Column("state", whole=True),
                    Column("detail"),
                ],
                [
                    [
                        d["type"],
                        d["name"],
                        styled((d["state"].replace("_", " "), "yellow")),
                        d.get("detail") or "",
                    ]
                    for d in drift
                ],
            )
    counts: dict[str, int] = {}
    for report in reports:
        word = outcome_of(command, report)
        counts[word] = counts.get(word, 0) + 1
    tally = ", ".join(f"{n} {word}" for word, n in counts.items())
    out.print(
        f"{summary['orgs']} org(s): {tally}" + (" (interrupted)" if interrupted else ""),
        soft_wrap=True,
    )


@contextmanager
def _fleet_display(
    console: Any, command: str, orgs: list[str]
) -> Iterator[tuple[Callable[[Any], None], Callable[[list[Any]], None]]]:
    """A live table in a terminal; otherwise one line per stage change (CI logs)."""
    if not console.is_terminal:
        lock = threading.Lock()

        def line(board: Any) -> None:
            with lock:
                console.print(f"[{board.org}] {board.stage} ({board.elapsed():.1f}s)")

        yield line, lambda boards: None
        return

    from rich.live import Live
    from rich.table import Table

    def table(boards: list[Any]) -> Table:
        grid = Table(title=f"{command} on {len(orgs)} org(s)", title_justify="left")
        grid.add_column("org", no_wrap=True, overflow="ignore")
        grid.add_column("stage", overflow="fold")
        grid.add_column("elapsed", no_wrap=True, justify="right")
        for board in boards:
            grid.add_row(board.org, board.stage, f"{board.elapsed():.1f}s")
        return grid

    with Live(console=console, transient=False, auto_refresh=False) as live:
        yield (lambda board: None), (lambda boards: live.update(table(boards), refresh=True))


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job cancelled) stops the lanes the way Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
