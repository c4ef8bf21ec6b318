"""``totango-sf status``: follow a deploy to its end and finish what its run could not.

The command for every "outcome unknown" and "deployed; follow-up failed" exit:
it reattaches to the deploy by id (or the org's last unfinished one from the
snapshot manifests), waits, records the end in the manifest, runs the
permission-set assignment and verify for a deploy that went through, and
reports. It never starts a deploy, so it is safe to run again.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tasks.totango_sf.cli.default_org import org_or_default
from tasks.totango_sf.cli.guard import changing, fail_unknown
from tasks.totango_sf.cli.options import ConfigOption, JsonOption, OrgRequired, deploy_id_checked
from tasks.totango_sf.cli.org_errors import handle_org_errors, org_errors
from tasks.totango_sf.cli.org_tables import print_drift, print_failures
from tasks.totango_sf.cli.output import err, out, print_result, print_warnings, styled
from tasks.totango_sf.cli.progress import progress_display
from tasks.totango_sf.cli.session import connect_or_exit, load_config_or_exit
from tasks.totango_sf.errors import EXIT_DEPLOY_FAILED, EXIT_DRIFT, EXIT_OUTCOME_UNKNOWN

# Each state's verdict (shown in its style) and the rest of the line.
MESSAGES = {
    "nothing_to_follow": (
        ("nothing to follow", "green"),
        ": no unfinished deploy is recorded for {org}.",
    ),
    "not_started": (("not started", "green"), ": the deploy never reached {org}; nothing changed."),
    "succeeded": (("succeeded", "green"), ": deploy {id} went through."),
    "follow_up_failed": (
        ("deployed; follow-up failed", "bold yellow"),
        ": deploy {id} went through.",
    ),
    "failed": (
        ("failed", "bold red"),
        ": deploy {id} was rolled back whole; {org} was not changed.",
    ),
    "canceled": (("canceled", "bold red"), ": deploy {id} was canceled; {org} was not changed."),
}


def exit_code(report: Any) -> int:
    if report.state in ("failed", "canceled", "not_started"):
        return EXIT_DEPLOY_FAILED
    if report.state == "follow_up_failed":
        return EXIT_OUTCOME_UNKNOWN
    follow_up = report.follow_up
    if follow_up is not None and follow_up.verify is not None and not follow_up.verify.in_sync:
        return EXIT_DRIFT
    return 0


def status_command(
    org: OrgRequired = None,
    config: ConfigOption = None,
    deploy_id: Annotated[
        str | None,
        typer.Option(
            "--deploy-id",
            metavar="DEPLOY_ID",
            help="The deploy to follow [default: the last unfinished].",
            callback=deploy_id_checked,
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help="Stop waiting after this many seconds (the deploy runs on).",
        ),
    ] = 1800.0,
    as_json: JsonOption = False,
) -> None:
    """Follow a deploy to its end, then finish its assignment and verify, and report.

    Exit codes: 0 succeeded (or nothing to follow), 1 failed or canceled (org
    unchanged), 3 deployed but drift, 4 org unreachable, 5 still unknown or a
    follow-up failed again, 6 another change to the org is running.
    """
    org = org_or_default(org, as_json)
    cfg = load_config_or_exit(config, org, as_json)
    session = connect_or_exit(org, as_json)
    from tasks.totango_sf.org.reattach import follow

    try:
        with changing(org, "status", as_json), progress_display(as_json, "status") as update:
            report = follow(session, cfg, deploy_id=deploy_id, timeout=timeout, progress=update)
    except org_errors() as exc:
        handle_org_errors(session, as_json, exc)
    except KeyboardInterrupt:
        from tasks.totango_sf.salesforce.metadata_api import DeployOutcomeUnknown

        fail_unknown(
            org, as_json, DeployOutcomeUnknown(deploy_id, "stopped following"), session.secrets
        )
    code = exit_code(report)
    if as_json:
        print_result(report.to_json(), code)
        raise typer.Exit(code)
    if report.deploy is not None and not report.deploy.success:
        print_failures(report.deploy)
    verdict, rest = MESSAGES[report.state]
    message = styled(verdict, rest.format(org=org, id=report.deploy_id))
    (out if code in (0, EXIT_DRIFT) else err).print(message)
    follow_up = report.follow_up
    if follow_up is not None:
        if follow_up.follow_up_error:
            err.print(f"follow-up: {follow_up.follow_up_error}")
        if follow_up.verify is not None:
            print_drift(follow_up.verify)
    if report.snapshot_id:
        out.print(f"snapshot: {report.snapshot_id}")
    print_warnings(report.warnings, advice=False)
    raise typer.Exit(code)
