"""``totango-sf doctor``: the org's prerequisites and setup, one row per check; changes nothing."""

from __future__ import annotations

from typing import Any

import typer

from tasks.totango_sf.cli.fleet import run_on_fleet, single_org
from tasks.totango_sf.cli.hints import runnable_hints
from tasks.totango_sf.cli.options import (
    DEFAULT_PARALLEL,
    ConfigOption,
    JsonOption,
    OrgNames,
    OrgsGlob,
    ParallelOption,
)
from tasks.totango_sf.cli.output import Column, print_result, print_table, step_status
from tasks.totango_sf.cli.progress import ObservedSession, reading
from tasks.totango_sf.cli.session import guarded, session_and_config
from tasks.totango_sf.errors import EXIT_STEP_FAILED


def doctor_command(
    org_names: OrgNames = None,
    orgs_glob: OrgsGlob = None,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check the org's prerequisites and setup, one row per check; changes nothing."""
    from tasks.totango_sf.steps.doctor import run_doctor

    org = single_org(org_names, orgs_glob, as_json)
    if org is None:

        def job(session: Any, cfg: Any, lane: Any) -> tuple[int, dict[str, Any]]:
            lane.stage("checking")
            report = run_doctor(session, cfg, session.name)
            document = runnable_hints(report.to_json(), session.name, config)
            return (0 if report.ok else EXIT_STEP_FAILED), document

        run_on_fleet("doctor", org_names, orgs_glob, parallel, config, as_json, job)
        return

    session, cfg = session_and_config(org, config, as_json)
    with reading(f"doctor {org}") as say:
        report = guarded(org, as_json, lambda: run_doctor(ObservedSession(session, say), cfg, org))
    document = runnable_hints({"org": org, **report.to_json()}, org, config)
    if as_json:
        print_result(document, 0 if report.ok else EXIT_STEP_FAILED)
    else:
        print_table(
            f"doctor: {org}",
            [
                Column("check", whole=True),
                Column("status", whole=True),
                Column("detail"),
                Column("fix"),
            ],
            [
                [c["name"], step_status(c["status"]), c["detail"], c["fix"]]
                for c in document["checks"]
            ],
        )
    if not report.ok:
        raise typer.Exit(EXIT_STEP_FAILED)
