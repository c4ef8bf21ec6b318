"""``totango-sf setup``: every step of the article in order, on one org or a fleet.

Exit codes: 0 ok, 1 a step failed, 2 bad input, 4 org unreachable, 7 a manual step is
still open and ``--allow-manual`` was not given.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tasks.totango_sf.cli.fleet import run_on_fleet, single_org
from tasks.totango_sf.cli.hints import rerun_command, runnable_hint, runnable_hints
from tasks.totango_sf.cli.options import (
    DEFAULT_PARALLEL,
    ConfigOption,
    JsonOption,
    OrgNames,
    OrgsGlob,
    ParallelOption,
)
from tasks.totango_sf.cli.org_errors import handle_org_errors, org_errors
from tasks.totango_sf.cli.output import Column, out, print_result, print_table, step_status
from tasks.totango_sf.cli.progress import step_progress
from tasks.totango_sf.cli.session import guarded, session_and_config
from tasks.totango_sf.errors import EXIT_MANUAL_STEP_OPEN, EXIT_OK, EXIT_STEP_FAILED


def manual_steps_open(report: Any) -> list[str]:
    return [s.step for s in report.steps if s.status == "manual step needed"]


def setup_exit_code(report: Any, allow_manual: bool) -> int:
    """1 when a step failed; 7 while a manual step is open, unless the user allows it."""
    if not report.ok:
        return EXIT_STEP_FAILED
    if manual_steps_open(report) and not allow_manual:
        return EXIT_MANUAL_STEP_OPEN
    return EXIT_OK


def setup_command(
    org_names: OrgNames = None,
    orgs_glob: OrgsGlob = None,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    config: ConfigOption = None,
    browser: Annotated[
        bool,
        typer.Option("--browser", help="Run the Robot browser tasks for the steps with no API."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Allow changing a production org.")] = False,
    allow_manual: Annotated[
        bool,
        typer.Option(
            "--allow-manual", help="Exit 0 even while a manual step of the article is open."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Run every step: doctor, install, deploy, connected-app, [browser], verify.

    Exits 7 while a manual step is still open (CI must not read that as done), unless
    --allow-manual is given; 1 when a step failed.
    """
    from tasks.totango_sf.steps.setup import run_setup

    org = single_org(org_names, orgs_glob, as_json)
    if org is None:

        def job(session: Any, cfg: Any, lane: Any) -> tuple[int, dict[str, Any]]:
            report = run_setup(
                session,
                cfg,
                session.name,
                browser=browser,
                yes=yes,
                progress=lambda message: lane.stage(message.splitlines()[0][:60]),
            )
            document = runnable_hints(report.to_json(), session.name, config)
            return setup_exit_code(report, allow_manual), document

        run_on_fleet("setup", org_names, orgs_glob, parallel, config, as_json, job, lock=True)
        return

    session, cfg = session_and_config(org, config, as_json)
    try:
        report = guarded(
            org,
            as_json,
            lambda: run_setup(
                session, cfg, org, browser=browser, yes=yes, progress=step_progress(as_json)
            ),
        )
    except org_errors() as exc:
        # What stops setup itself (the org busy, a deploy refused) ends through the verdict.
        handle_org_errors(session, as_json, exc)
    open_steps = manual_steps_open(report)
    code = setup_exit_code(report, allow_manual)
    if as_json:
        document = {"org": org, **report.to_json(), "manual_steps_open": open_steps}
        print_result(runnable_hints(document, org, config), code)
    else:
        print_table(
            f"setup stages: {org}",
            [Column("stage", whole=True), Column("status", whole=True), Column("detail")],
            [
                [s.stage, step_status(s.status), runnable_hint(s.detail, org, config)]
                for s in report.stages
            ],
        )
        print_table(
            "the article's steps",
            [
                Column("step", whole=True),
                Column("what"),
                Column("status", whole=True),
                Column("detail"),
            ],
            [
                [s.step, s.title, step_status(s.status), runnable_hint(s.detail, org, config)]
                for s in report.steps
            ],
        )
        if code == EXIT_MANUAL_STEP_OPEN:
            rerun = rerun_command("setup", org, config, allow_manual=True, yes=yes)
            out.print(
                f"manual step(s) {', '.join(open_steps)} still open: do them as the table says,"
                f" then: {rerun}",
                soft_wrap=True,
            )
    if code:
        raise typer.Exit(code)
