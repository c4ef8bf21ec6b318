"""The org commands of ``totango-sf``: deploy, verify, rollback, and ``plan --org``.

Only typer is imported here at module level, so ``totango-sf --help`` pays for
neither CumulusCI's imports nor rich's; each command imports what it runs.
``--json`` prints exactly one JSON document on stdout; progress then goes to
stderr.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from tasks.totango_sf.cli.apex_test_report import (
    TestLevelOption,
    TestsOption,
    check_test_options,
    print_tests,
)
from tasks.totango_sf.cli.arguments import (
    QuickOption,
    SnapshotOption,
    TimeoutOption,
    missing_snapshot_problem,
)
from tasks.totango_sf.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_DEPLOY_FAILED,
    EXIT_DRIFT,
    EXIT_OUTCOME_UNKNOWN,
    ConfigOption,
    JsonOption,
    connect_or_exit,
    err,
    fail,
    load_config_or_exit,
    out,
    print_plan_table,
    print_problems_table,
    print_result,
    print_warnings,
    rerun_command,
    styled,
)
from tasks.totango_sf.cli.fleet import (
    DEFAULT_PARALLEL,
    OrgNames,
    OrgsGlob,
    ParallelOption,
    single_org,
)
from tasks.totango_sf.cli.guard import (
    announce,
    changing,
    fail_interrupted_before_send,
)
from tasks.totango_sf.cli.option_sets import options_command
from tasks.totango_sf.cli.record_pages import print_record_pages
from tasks.totango_sf.errors import status_command

NOT_CHANGED = "The deploy failed and was rolled back as a whole: the org was not changed."
AdoptOption = Annotated[
    bool,
    typer.Option(
        "--adopt",
        help="Adopt the Totango sections and ranges an admin made by hand: from then on they"
        " are the setup's (kept items, given back as they were on rollback). Without it they"
        " are left as they are.",
    ),
]


@contextmanager
def progress_display(as_json: bool, title: str) -> Iterator[Callable[[Any], None]]:
    """A rich progress bar fed by the deploy's progress callback (stderr under --json).

    Not on a terminal (a CI log), a bar would print nothing useful: one line per
    status change instead, with the component and test counts.
    """
    console = err if as_json else out
    if not console.is_terminal:
        yield status_lines(console, title)
        return
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    # A column reads its text as markup unless told not to, whatever the console says.
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[count]}", markup=False),
        TextColumn("{task.fields[status]}", style="dim", markup=False),
        TimeElapsedColumn(),
        console=console,
        transient=as_json,
    ) as bar:
        task_id = bar.add_task(title, total=None, status="Queued", count="")

        def update(progress: Any) -> None:
            bar.update(
                task_id,
                total=progress.total or None,
                completed=progress.deployed,
                status=progress.status,
                count=f"{progress.deployed}/{progress.total} components",
            )

        yield update


def status_lines(console: Any, title: str) -> Callable[[Any], None]:
    """A progress callback printing one plain line each time the deploy status changes."""
    last: list[str] = []

    def line(progress: Any) -> None:
        if last and last[-1] == progress.status:
            return
        last.append(progress.status)
        # A count past its total would read as a bug in the log; Salesforce's own
        # totals can lag while it expands a package, so the total is the larger.
        total = max(progress.total, progress.deployed)
        tests_total = max(
            getattr(progress, "tests_total", 0), getattr(progress, "tests_completed", 0)
        )
        tests = f"{getattr(progress, 'tests_completed', 0)}/{tests_total} tests"
        console.print(
            f"{title} {progress.deploy_id}: {progress.status}"
            f" ({progress.deployed}/{total} components, {tests}, {progress.elapsed:.0f}s)",
            soft_wrap=True,
        )

    return line


def _handle_org_errors(
    session: Any, as_json: bool, exc: Exception, with_yes: str | None = None
) -> NoReturn:
    """Turn the deploy path's specific exceptions into exit codes and messages."""
    from tasks.totango_sf.org.verdicts import verdict_of

    secrets = session.secrets if session is not None else ()
    verdict = verdict_of(exc, secrets, session.name if session is not None else "")
    if verdict.problems and not as_json:
        print_problems_table("schema errors (nothing sent)", verdict.problems)
    diffs = verdict.data.get("diffs")
    if diffs and not as_json:
        for diff in diffs.values():
            out.print(diff, soft_wrap=True)
    # ``with_yes``: the same command with --yes, offered when production refused it.
    actions = list(verdict.actions)
    if with_yes and "--yes" in verdict.message:
        actions.append(with_yes)
    fail(verdict.message, verdict.code, as_json, actions=actions, **verdict.data)


def _org_errors() -> tuple[type[Exception], ...]:
    from tasks.totango_sf.org.verdicts import handled_errors

    return handled_errors()


def print_failures(result: Any) -> None:
    from rich.table import Table

    table = Table(title="component failures", title_justify="left")
    # The file is what the reader acts on: never wrapped, the problem folds instead.
    table.add_column("file", overflow="fold")
    table.add_column("line", justify="right")
    table.add_column("problem", overflow="fold")
    for f in result.failures:
        table.add_row(f.file, str(f.line or ""), f.problem)
    err.print(table)
    if result.error_message:
        err.print(styled((result.error_message, "red")))


def print_diffs(state: Any) -> None:
    for diff in state.changed:
        if diff.diff:
            out.print(diff.diff, soft_wrap=True)


def print_drift(report: Any) -> None:
    from rich.table import Table

    table = Table(title=f"verify {report.org}", title_justify="left")
    for column in ("type", "name", "state", "detail"):
        table.add_column(column, overflow="fold")
    colour = {"in_sync": "green", "missing": "red", "changed": "yellow"}
    # Drift first, one row each; what is in sync folds into one row per type so the
    # table stays readable with dozens of fields (--json keeps every component).
    in_sync: dict[str, int] = {}
    for item in report.items:
        if item.state == "in_sync":
            in_sync[item.type] = in_sync.get(item.type, 0) + 1
            continue
        state = styled((item.state.replace("_", " "), colour[item.state]))
        table.add_row(item.type, item.name, state, item.detail)
    for type_name, count in in_sync.items():
        table.add_row(type_name, f"{count} component(s)", styled(("in sync", "green")), "")
    out.print(table)
    if report.in_sync:
        out.print(styled(("in sync", "green")))
    else:
        out.print(styled(("drift:", "yellow"), f" {len(report.drift)} component(s) differ"))


def _plan_rows(state: Any) -> list[dict[str, str]]:
    from tasks.totango_sf.render.plan import summarise_fields

    rows = [
        {"type": d.type, "name": d.name, "action": d.action, "summary": d.summary}
        for d in state.diffs
    ]
    return summarise_fields(rows)


@dataclass(frozen=True)
class DeployOptions:
    """The options of `totango-sf deploy`."""

    org_names: OrgNames = None
    orgs_glob: OrgsGlob = None
    parallel: ParallelOption = DEFAULT_PARALLEL
    config: ConfigOption = None
    check_only: Annotated[
        bool, typer.Option("--check-only", help="Validate only; prints the validation id.")
    ] = False
    quick_id: QuickOption = None
    yes: Annotated[bool, typer.Option("--yes", help="Allow deploying to production.")] = False
    diff: Annotated[bool, typer.Option("--diff", help="Show the unified XML diff.")] = False
    timeout: TimeoutOption = 1800.0
    as_json: JsonOption = False
    test_level: TestLevelOption = None
    tests: TestsOption = None
    adopt: AdoptOption = False


@options_command(DeployOptions)
def deploy_command(options: DeployOptions) -> None:
    """Retrieve, merge, diff and deploy the whole setup to an org in one atomic deploy.

    Exit codes: 0 deployed or in sync, 1 deploy failed (org unchanged), 2 bad input
    or refused, 3 deployed but verify found drift, 4 org unreachable, 5 outcome
    unknown or deployed with a follow-up failed (see `totango-sf status`), 6 another
    change to the org is running.
    """
    if options.check_only and options.quick_id:
        fail("--check-only and --quick exclude each other", EXIT_BAD_INPUT, options.as_json)
    if options.timeout <= 0:
        fail("--timeout must be positive", EXIT_BAD_INPUT, options.as_json)
    if options.quick_id and (options.test_level or options.tests):
        fail("--quick runs no tests: the validation ran them", EXIT_BAD_INPUT, options.as_json)
    check_test_options(options.test_level, options.tests, options.as_json)
    if options.adopt and options.quick_id:
        fail(
            "--quick deploys a validation as it was validated: validate with --adopt instead",
            EXIT_BAD_INPUT,
            options.as_json,
        )
    org = single_org(options.org_names, options.orgs_glob, options.as_json)
    if org is None:
        if options.adopt:
            fail(
                "--adopt applies to one org: review its plan (`totango-sf plan --org NAME"
                " --adopt`) and deploy it alone",
                EXIT_BAD_INPUT,
                options.as_json,
            )
        if options.test_level or options.tests:
            fail(
                "--test-level and --tests apply to a single --org; fleets use each org's default",
                EXIT_BAD_INPUT,
                options.as_json,
            )
        if options.quick_id:
            fail(
                "--quick applies to one org's validation; use it with a single --org",
                EXIT_BAD_INPUT,
                options.as_json,
            )
        _deploy_fleet(
            options.org_names,
            options.orgs_glob,
            options.parallel,
            options.config,
            options.as_json,
            options.check_only,
            options.yes,
            options.timeout,
        )
        return
    cfg = load_config_or_exit(options.config, org, options.as_json)
    if cfg.trusted_ip_ranges.uses_placeholders:
        from tasks.totango_sf.org.deploy import PLACEHOLDER_REFUSAL

        fail(PLACEHOLDER_REFUSAL, EXIT_BAD_INPUT, options.as_json)
    session = connect_or_exit(org, options.as_json)
    from tasks.totango_sf.org import deploy as flow
    from tasks.totango_sf.org.requests import DeployRequest, RunHooks

    plan_shown = False
    yes = options.yes
    if not (yes or options.check_only or options.as_json) and _interactive():
        yes = _confirm_production(
            session,
            org,
            options.as_json,
            None if options.quick_id else cfg,
            options.diff,
            options.adopt,
        )
        plan_shown = yes and not options.quick_id

    def show_plan(state: Any) -> None:
        if options.as_json or plan_shown:
            return
        print_plan_table(_plan_rows(state), f"Totango setup on {org}")
        print_record_pages(state.record_pages)
        if options.diff:
            print_diffs(state)
        print_warnings(state.warnings)

    try:
        with (
            changing(org, "deploy", options.as_json),
            progress_display(
                options.as_json, "deploy" if not options.check_only else "validate"
            ) as update,
        ):
            if options.quick_id:
                outcome = flow.quick(
                    session,
                    cfg,
                    DeployRequest(yes=yes, timeout=options.timeout, quick_id=options.quick_id),
                    RunHooks(progress=update, on_started=announce(org)),
                )
            else:
                outcome = flow.deploy(
                    session,
                    cfg,
                    DeployRequest(
                        check_only=options.check_only,
                        yes=yes,
                        timeout=options.timeout,
                        test_level=options.test_level,
                        tests=options.tests,
                        adopt=options.adopt,
                    ),
                    RunHooks(progress=update, on_plan=show_plan, on_started=announce(org)),
                )
    except _org_errors() as exc:
        flags = ["--quick", options.quick_id] if options.quick_id else []
        with_yes = rerun_command("deploy", org, options.config, *flags, yes=True)
        _handle_org_errors(session, options.as_json, exc, with_yes)
    except KeyboardInterrupt:
        fail_interrupted_before_send(options.as_json)
    _finish_deploy(outcome, options.as_json, options.diff, options.config)


def _interactive() -> bool:
    import sys

    return sys.stdin.isatty() and sys.stdout.isatty()


def _confirm_production(
    session: Any, org: str, as_json: bool, cfg: Any = None, diff: bool = False, adopt: bool = False
) -> bool:
    """In a terminal, ask instead of refusing; CI (no TTY) still needs --yes.

    With ``cfg`` the plan (read from the org, nothing sent) is shown first, so the
    question comes after the answer to "what will change?".
    """
    try:
        production = session.kind().is_production
        if production and cfg is not None:
            from tasks.totango_sf.org import org_plan

            state = org_plan.plan_against_org(session, cfg, adopt).state
    except _org_errors() as exc:
        _handle_org_errors(session, as_json, exc)
    if not production:
        return False
    if cfg is not None:
        print_plan_table(_plan_rows(state), f"Totango setup on {org}")
        print_record_pages(state.record_pages)
        if diff:
            print_diffs(state)
        print_warnings(state.warnings)
        if state.in_sync:
            return True
    if typer.confirm(f"{org} is a PRODUCTION org. Deploy the Totango setup to it?"):
        return True
    fail("not confirmed; nothing was sent", EXIT_BAD_INPUT, as_json)


def _finish_deploy(outcome: Any, as_json: bool, diff: bool, config: Path | None = None) -> None:
    result = outcome.deploy
    if as_json:
        print_result(outcome.to_json(with_diff=diff), _deploy_exit_code(outcome))
    elif outcome.status == "in_sync":
        out.print(
            styled(
                ("in sync", "green"),
                f": {outcome.org} already matches the setup; nothing deployed.",
            )
        )
    elif result is not None and not result.success:
        if result.failures or result.error_message:
            print_failures(result)
        print_tests(result)
        err.print(styled((f"deploy {result.id} {result.status}.", "bold red"), f" {NOT_CHANGED}"))
    elif outcome.status == "validated":
        print_tests(result)
        out.print(
            styled(
                ("validated", "green"),
                " (nothing changed). Validation id: ",
                (result.id, "bold"),
                "\nApply it with: "
                + rerun_command(
                    "deploy",
                    outcome.org,
                    config,
                    "--quick",
                    result.id,
                    yes=outcome.org_kind == "production",
                ),
            )
        )
    elif outcome.follow_up_error:
        err.print(
            styled(
                (f"deployed {result.id if result else ''}; follow-up failed:", "bold yellow"),
                f" {outcome.follow_up_error}\nThe deploy went through; finish the follow-up with:"
                f" {status_command(outcome.org, result.id if result else None)}",
            )
        )
    else:
        print_tests(result)
        out.print(styled(("deployed", "green"), f" {result.id} ({result.status})"))
    if not as_json:
        if outcome.assignments is not None:
            a = outcome.assignments
            out.print(
                f"permission set {a.permission_set}: {a.assigned} assigned,"
                f" {a.already_assigned} already assigned, {len(a.failed)} failed"
            )
        if outcome.verify is not None and not outcome.verify.in_sync:
            print_drift(outcome.verify)
        if outcome.snapshot_id:
            out.print(f"snapshot: {outcome.snapshot_id}")
        print_warnings(outcome.warnings)
    code = _deploy_exit_code(outcome)
    if code:
        raise typer.Exit(code)


def _deploy_exit_code(outcome: Any) -> int:
    if outcome.deploy is not None and not outcome.deploy.success:
        return EXIT_DEPLOY_FAILED
    if outcome.follow_up_error:
        return EXIT_OUTCOME_UNKNOWN
    if outcome.verify is not None and not outcome.verify.in_sync:
        return EXIT_DRIFT
    return 0


def verify_command(
    org_names: OrgNames = None,
    orgs_glob: OrgsGlob = None,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Report drift between the org and the setup; changes nothing.

    Exit 0 in sync, 3 drift.
    """
    org = single_org(org_names, orgs_glob, as_json)
    if org is None:
        _verify_fleet(org_names, orgs_glob, parallel, config, as_json)
        return
    cfg = load_config_or_exit(config, org, as_json)
    session = connect_or_exit(org, as_json)
    from tasks.totango_sf.org import verify as verify_flow

    try:
        report = verify_flow.verify(session, cfg)
    except _org_errors() as exc:
        _handle_org_errors(session, as_json, exc)
    if as_json:
        print_result(report.to_json(), 0 if report.in_sync else EXIT_DRIFT)
    else:
        print_drift(report)
        print_warnings(report.warnings)
    if not report.in_sync:
        raise typer.Exit(EXIT_DRIFT)


@dataclass(frozen=True)
class RollbackOptions:
    """The options of `totango-sf rollback`."""

    org_names: OrgNames = None
    orgs_glob: OrgsGlob = None
    parallel: ParallelOption = DEFAULT_PARALLEL
    config: ConfigOption = None
    snapshot: SnapshotOption = None
    remove_components: Annotated[
        bool,
        typer.Option(
            "--remove-components",
            help="Also delete the page, tab, permission set (and its assignments) and report.",
        ),
    ] = False
    delete_fields: Annotated[
        bool,
        typer.Option(
            "--delete-fields",
            help="With --remove-components, also delete the fields AND THEIR DATA.",
        ),
    ] = False
    yes: Annotated[bool, typer.Option("--yes", help="Allow rolling back production.")] = False
    as_json: JsonOption = False
    exact: Annotated[
        bool,
        typer.Option(
            "--exact",
            help="Restore the snapshot's files exactly; refused when the org changed since.",
        ),
    ] = False
    force: Annotated[
        bool, typer.Option("--force", help="With --exact, overwrite changes made since.")
    ] = False
    test_level: TestLevelOption = None
    tests: TestsOption = None


@options_command(RollbackOptions)
def rollback_command(options: RollbackOptions) -> None:
    """Take out what the setup owns from the org's current layouts and ranges (default),
    or with --exact restore the snapshot's files; one atomic deploy.

    Exit codes: 0 rolled back, 1 failed (org unchanged), 2 bad input or refused,
    4 org unreachable, 5 partly done (re-run to finish).
    """
    if options.delete_fields and not options.remove_components:
        fail("--delete-fields needs --remove-components", EXIT_BAD_INPUT, options.as_json)
    if options.force and not options.exact:
        fail("--force goes with --exact", EXIT_BAD_INPUT, options.as_json)
    check_test_options(options.test_level, options.tests, options.as_json)
    org = single_org(options.org_names, options.orgs_glob, options.as_json)
    if (
        org is not None
        and options.snapshot is not None
        and (problem := missing_snapshot_problem(org, options.snapshot))
    ):
        fail(problem, EXIT_BAD_INPUT, options.as_json)
    if org is None:
        if options.snapshot:
            fail(
                "--snapshot names one org's snapshot; use it with a single --org",
                EXIT_BAD_INPUT,
                options.as_json,
            )
        if options.exact or options.test_level or options.tests:
            fail(
                "--exact, --test-level and --tests apply to a single --org",
                EXIT_BAD_INPUT,
                options.as_json,
            )
        _rollback_fleet(
            options.org_names,
            options.orgs_glob,
            options.parallel,
            options.config,
            options.as_json,
            options.remove_components,
            options.delete_fields,
            options.yes,
        )
        return
    cfg = load_config_or_exit(options.config, org, options.as_json)
    session = connect_or_exit(org, options.as_json)
    from tasks.totango_sf.org import rollback as rollback_flow
    from tasks.totango_sf.org.requests import RollbackRequest, RunHooks

    def show_plan(restored: list[tuple[str, str]], deleted: list[tuple[str, str]]) -> None:
        if options.as_json:
            return
        rows = [
            {"type": t, "name": n, "action": "update", "summary": "restore"} for t, n in restored
        ]
        rows += [{"type": t, "name": n, "action": "delete", "summary": ""} for t, n in deleted]
        print_plan_table(rows, f"rollback of {org}")

    try:
        with (
            changing(org, "rollback", options.as_json),
            progress_display(options.as_json, "rollback") as update,
        ):
            outcome = rollback_flow.rollback(
                session,
                cfg,
                RollbackRequest(
                    snapshot_id=options.snapshot,
                    remove_components=options.remove_components,
                    delete_fields=options.delete_fields,
                    exact=options.exact,
                    force=options.force,
                    yes=options.yes,
                    test_level=options.test_level,
                    tests=options.tests,
                ),
                RunHooks(progress=update, on_plan=show_plan, on_started=announce(org)),
            )
    except _org_errors() as exc:
        flags = ["--snapshot", options.snapshot] if options.snapshot else []
        with_yes = rerun_command(
            "rollback",
            org,
            options.config,
            *flags,
            remove_components=options.remove_components,
            delete_fields=options.delete_fields,
            yes=True,
        )
        _handle_org_errors(session, options.as_json, exc, with_yes)
    except KeyboardInterrupt:
        fail_interrupted_before_send(options.as_json)
    result = outcome.deploy
    code = _rollback_exit_code(outcome)
    if options.as_json:
        print_result(outcome.to_json(), code)
    elif outcome.status == "partly_done":
        err.print(styled(("rollback partly done.", "bold yellow")))
    elif result is not None and not result.success:
        print_failures(result)
        print_tests(result)
        err.print(
            styled((f"rollback deploy {result.id} {result.status}.", "bold red"), f" {NOT_CHANGED}")
        )
    elif outcome.status == "nothing_to_do":
        out.print(
            styled(("nothing to roll back", "green"), ": the org holds nothing the setup owns")
        )
    else:
        how = "restored its files" if outcome.mode == "exact" else "removed what the setup owns"
        out.print(
            styled(
                (f"rolled back the deploy of snapshot {outcome.snapshot_id}", "green"), f" ({how})"
            )
        )
    if not options.as_json:
        print_warnings(outcome.warnings)
    if code:
        raise typer.Exit(code)


# -- fleets: the same flows, one lane per org (see cli/fleet.py) ---------------------


def _deploy_stage(lane: Any) -> Callable[[Any], None]:
    def progress(p: Any) -> None:
        lane.deploy_started(p.deploy_id)
        if p.status in ("Succeeded", "SucceededPartial"):
            lane.stage("verifying")
        elif p.total:
            lane.stage(f"deploying {min(p.deployed, p.total)}/{p.total}")
        else:
            lane.stage(f"deploying ({p.status})")

    return progress


def _deploy_fleet(
    org_names: list[str] | None,
    orgs_glob: str | None,
    parallel: int,
    config: Path | None,
    as_json: bool,
    check_only: bool,
    yes: bool,
    timeout: float,
) -> None:
    from tasks.totango_sf.cli.fleet import orgs_and_configs, run_fleet_command
    from tasks.totango_sf.org import deploy as flow
    from tasks.totango_sf.org.requests import DeployRequest, RunHooks
    from tasks.totango_sf.steps.fleet import placeholder_orgs

    orgs, configs = orgs_and_configs(org_names, orgs_glob, config, as_json)
    placeholders = placeholder_orgs(configs)
    if placeholders:
        fail(
            f"{flow.PLACEHOLDER_REFUSAL}; no org was touched"
            f" (config of: {', '.join(placeholders)})",
            EXIT_BAD_INPUT,
            as_json,
        )

    def job(session: Any, cfg: Any, lane: Any) -> tuple[int, dict[str, Any]]:
        lane.stage("retrieving")
        outcome = flow.deploy(
            session,
            cfg,
            DeployRequest(check_only=check_only, yes=yes, timeout=timeout),
            RunHooks(
                progress=_deploy_stage(lane),
                sleep=lane.sleep,
                on_plan=lambda state: lane.stage("in sync" if state.in_sync else "planned"),
            ),
        )
        return _deploy_exit_code(outcome), outcome.to_json()

    command = "deploy --check-only" if check_only else "deploy"
    run_fleet_command(command, orgs, configs, parallel, as_json, job, lock=True)


def _verify_fleet(
    org_names: list[str] | None,
    orgs_glob: str | None,
    parallel: int,
    config: Path | None,
    as_json: bool,
) -> None:
    from tasks.totango_sf.cli.fleet import orgs_and_configs, run_fleet_command
    from tasks.totango_sf.org import verify as verify_flow

    orgs, configs = orgs_and_configs(org_names, orgs_glob, config, as_json)

    def job(session: Any, cfg: Any, lane: Any) -> tuple[int, dict[str, Any]]:
        lane.stage("retrieving")
        report = verify_flow.verify(session, cfg)
        return (0 if report.in_sync else EXIT_DRIFT), report.to_json()

    run_fleet_command("verify", orgs, configs, parallel, as_json, job)


def _rollback_exit_code(outcome: Any) -> int:
    # Partly done changed the org without finishing: neither "ok" nor "unchanged".
    if outcome.status == "partly_done":
        return EXIT_OUTCOME_UNKNOWN
    return 0 if outcome.ok else EXIT_DEPLOY_FAILED


def _rollback_fleet(
    org_names: list[str] | None,
    orgs_glob: str | None,
    parallel: int,
    config: Path | None,
    as_json: bool,
    remove_components: bool,
    delete_fields: bool,
    yes: bool,
) -> None:
    from tasks.totango_sf.cli.fleet import orgs_and_configs, run_fleet_command
    from tasks.totango_sf.org import rollback as rollback_flow
    from tasks.totango_sf.org.requests import RollbackRequest, RunHooks

    orgs, configs = orgs_and_configs(org_names, orgs_glob, config, as_json)

    def job(session: Any, cfg: Any, lane: Any) -> tuple[int, dict[str, Any]]:
        lane.stage("reading snapshot")
        outcome = rollback_flow.rollback(
            session,
            cfg,
            RollbackRequest(
                remove_components=remove_components, delete_fields=delete_fields, yes=yes
            ),
            RunHooks(progress=_deploy_stage(lane), sleep=lane.sleep),
        )
        return _rollback_exit_code(outcome), outcome.to_json()

    run_fleet_command("rollback", orgs, configs, parallel, as_json, job, lock=True)


def plan_against_org(
    cfg: Any,
    org: str,
    out_dir: Path,
    as_json: bool,
    diff: bool = False,
    detailed: bool = False,
    force: bool = False,
    adopt: bool = False,
) -> None:
    """``totango-sf plan --org``: read the org, show what deploy would do, change nothing.

    No check-only deploy: the diff is between the org's retrieved files and the merge.
    ``detailed`` exits 3 (drift) when changes are pending, as Terraform's
    ``-detailed-exitcode`` distinguishes "changes present" from success. ``adopt``: the
    plan of ``deploy --adopt`` (sections and ranges made by hand become ours).
    """
    session = connect_or_exit(org, as_json)
    from tasks.totango_sf.org import org_plan
    from tasks.totango_sf.render.plan import write_files

    try:
        result = org_plan.plan_against_org(session, cfg, adopt)
        package = {f"package/{p}": d for p, d in result.files.items()}
        written = write_files(package, out_dir, force=force)
    except _org_errors() as exc:
        _handle_org_errors(session, as_json, exc)
    code = EXIT_DRIFT if detailed and not result.state.in_sync else 0
    if as_json:
        document = {
            **result.to_json(with_diff=diff),
            "out_dir": str(out_dir),
            "files": len(written),
        }
        print_result(document, code)
        raise typer.Exit(code)
    print_plan_table(_plan_rows(result.state), f"Totango setup plan for {org}")
    print_record_pages(result.state.record_pages)
    if diff:
        print_diffs(result.state)
    if result.state.in_sync:
        out.print(styled(("in sync", "green"), ": deploy would change nothing."))
    else:
        out.print(
            styled("Wrote the package deploy would send to ", (f"{out_dir}/package", "bold"), ".")
        )
    print_warnings(result.state.warnings)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add deploy, verify and rollback to the ``totango-sf`` app."""
    app.command("deploy")(deploy_command)
    app.command("verify")(verify_command)
    app.command("rollback")(rollback_command)
