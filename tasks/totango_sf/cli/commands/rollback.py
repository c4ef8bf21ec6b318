"""``totango-sf rollback``: take out what the setup owns, or restore a snapshot's files.

One atomic deploy either way, under the org's lock; a fleet rolls back each org in its
own lane.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from tasks.totango_sf.cli.apex_test_report import print_tests
from tasks.totango_sf.cli.failure_origins import print_failure_origins
from tasks.totango_sf.cli.fleet import deploy_stage, run_on_fleet, single_org
from tasks.totango_sf.cli.guard import announce, changing, fail_interrupted_before_send
from tasks.totango_sf.cli.hints import rerun_command
from tasks.totango_sf.cli.option_sets import options_command
from tasks.totango_sf.cli.options import (
    FleetTarget,
    JsonOption,
    RollbackTestLevelOption,
    SnapshotOption,
    TestsOption,
    apex_test_options_or_exit,
    missing_snapshot_problem,
)
from tasks.totango_sf.cli.org_errors import handle_org_errors, org_errors
from tasks.totango_sf.cli.org_tables import NOT_CHANGED, print_failures
from tasks.totango_sf.cli.output import (
    err,
    fail,
    out,
    print_component_table,
    print_result,
    print_warnings,
    styled,
)
from tasks.totango_sf.cli.progress import ObservedSession, progress_display
from tasks.totango_sf.cli.session import connect_or_exit, load_config_or_exit
from tasks.totango_sf.errors import EXIT_BAD_INPUT, EXIT_DEPLOY_FAILED, EXIT_OUTCOME_UNKNOWN


@dataclass(frozen=True)
class RollbackOptions(FleetTarget):
    """The options of `totango-sf rollback`, after the org, fleet and config options."""

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
    test_level: RollbackTestLevelOption = None
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
    apex_test_options_or_exit(options.test_level, options.tests, options.as_json)
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

    def show_rollback_plan(restored: list[tuple[str, str]], deleted: list[tuple[str, str]]) -> None:
        if options.as_json:
            return
        rows = [
            {"type": t, "name": n, "action": "restore", "summary": "as before the deploy"}
            for t, n in restored
        ]
        rows += [{"type": t, "name": n, "action": "delete", "summary": ""} for t, n in deleted]
        print_component_table(rows, f"rollback of {org}")

    try:
        with (
            changing(org, "rollback", options.as_json),
            progress_display(options.as_json, "rollback") as update,
        ):
            outcome = rollback_flow.rollback(
                ObservedSession(session, update.step),
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
                RunHooks(
                    progress=update,
                    on_plan=show_rollback_plan,
                    on_started=announce(org, update.note),
                ),
            )
    except org_errors() as exc:
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
        handle_org_errors(session, options.as_json, exc, with_yes)
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
        print_failure_origins(outcome)
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
        print_warnings(outcome.warnings, advice=False)
    if code:
        raise typer.Exit(code)


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
    from tasks.totango_sf.org import rollback as rollback_flow
    from tasks.totango_sf.org.requests import RollbackRequest, RunHooks

    def job(session: Any, cfg: Any, lane: Any) -> tuple[int, dict[str, Any]]:
        lane.stage("reading snapshot")
        outcome = rollback_flow.rollback(
            session,
            cfg,
            RollbackRequest(
                remove_components=remove_components, delete_fields=delete_fields, yes=yes
            ),
            RunHooks(progress=deploy_stage(lane), sleep=lane.sleep),
        )
        return _rollback_exit_code(outcome), outcome.to_json()

    run_on_fleet("rollback", org_names, orgs_glob, parallel, config, as_json, job, lock=True)
