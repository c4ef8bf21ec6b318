"""``totango-sf verify``: report drift between the org and the setup; changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tasks.totango_sf.cli.fleet import run_on_fleet, single_org
from tasks.totango_sf.cli.options import (
    DEFAULT_PARALLEL,
    ConfigOption,
    JsonOption,
    OrgNames,
    OrgsGlob,
    ParallelOption,
)
from tasks.totango_sf.cli.org_errors import handle_org_errors, org_errors
from tasks.totango_sf.cli.org_tables import print_drift
from tasks.totango_sf.cli.output import print_result, print_warnings
from tasks.totango_sf.cli.progress import ObservedSession, reading
from tasks.totango_sf.cli.session import connect_or_exit, load_config_or_exit
from tasks.totango_sf.errors import EXIT_DRIFT


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
        with reading(f"verify {org}") as say:
            report = verify_flow.verify(ObservedSession(session, say), cfg)
    except org_errors() as exc:
        handle_org_errors(session, as_json, exc)
    if as_json:
        print_result(report.to_json(), 0 if report.in_sync else EXIT_DRIFT)
    else:
        print_drift(report)
        print_warnings(report.warnings, advice=False)
    if not report.in_sync:
        raise typer.Exit(EXIT_DRIFT)


def _verify_fleet(
    org_names: list[str] | None,
    orgs_glob: str | None,
    parallel: int,
    config: Path | None,
    as_json: bool,
) -> None:
    from tasks.totango_sf.org import verify as verify_flow

    def job(session: Any, cfg: Any, lane: Any) -> tuple[int, dict[str, Any]]:
        lane.stage("retrieving")
        report = verify_flow.verify(session, cfg)
        return (0 if report.in_sync else EXIT_DRIFT), report.to_json()

    run_on_fleet("verify", org_names, orgs_glob, parallel, config, as_json, job)
