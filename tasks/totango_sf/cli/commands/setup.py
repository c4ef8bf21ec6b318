"""``totango-sf`` commands for the article's non-metadata steps.

``register(app)`` adds org-id, doctor, install, connected-app and setup. Only
typer is imported here at module level; rich, the org and CumulusCI code are
imported inside each command so that ``--help`` stays fast.

Exit codes: 0 ok, 1 a step failed, 2 bad input, 4 org unreachable, 6 (setup) a manual
step is still open and ``--allow-manual`` was not given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tasks.totango_sf.cli.fleet import run_on_fleet, single_org
from tasks.totango_sf.cli.hints import rerun_command, runnable_hint, runnable_hints
from tasks.totango_sf.cli.options import (
    DEFAULT_PARALLEL,
    ConfigOption,
    JsonOption,
    OrgNames,
    OrgRequired,
    OrgsGlob,
    ParallelOption,
)
from tasks.totango_sf.cli.output import err, fail, out, print_result, styled
from tasks.totango_sf.cli.session import connect_or_exit
from tasks.totango_sf.errors import (
    EXIT_BAD_INPUT,
    EXIT_MANUAL_STEP_OPEN,
    EXIT_OK,
    EXIT_ORG_UNREACHABLE,
    EXIT_OUTCOME_UNKNOWN,
    EXIT_STEP_FAILED,
)

if TYPE_CHECKING:
    from rich.text import Text


STATUS_COLOUR = {
    "ok": "green",
    "done": "green",
    "already done": "green",
    "changed": "green",
    "warn": "yellow",
    "manual step needed": "yellow",
    "skipped": "yellow",
    "not available": "yellow",
    "fail": "red",
    "failed": "red",
}


def _coloured(status: str) -> Text:
    return styled((status, STATUS_COLOUR.get(status, "white")))


def _session_and_config(org: str, config: Path | None, as_json: bool) -> tuple[Any, Any]:
    """Config first (bad input is exit 2 before any network), then the org (exit 4)."""
    from tasks.totango_sf.cli.session import load_config_or_exit

    cfg = load_config_or_exit(config, org, as_json)
    return connect_or_exit(org, as_json), cfg


def _guarded(org: str, as_json: bool, action: Callable[[], Any]) -> Any:
    """Network and auth errors during a command are exit 4, with secrets redacted."""
    from tasks.totango_sf.salesforce.connection import OrgUnreachable, org_call_errors, short_reason

    try:
        return action()
    except OrgUnreachable as exc:
        fail(str(exc), EXIT_ORG_UNREACHABLE, as_json)
    except org_call_errors() as exc:
        fail(
            f"org {org!r} refused or dropped a call ({short_reason(exc)});"
            f" check it with `cci org info {org}`",
            EXIT_ORG_UNREACHABLE,
            as_json,
        )


def _progress(as_json: bool) -> Callable[[str], None]:
    # With --json stdout holds one document only, so progress goes to stderr.
    return lambda message: err.print(styled((message, "dim")))


def org_id_command(
    org: OrgRequired, config: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """Print the 15- and 18-character Organization ID and where to paste it in Totango."""
    from tasks.totango_sf.steps.org_id import read_org_identity

    session, _ = _session_and_config(org, config, as_json)
    identity = _guarded(org, as_json, lambda: read_org_identity(session))
    if as_json:
        print_result({"org": org, **identity.to_json()})
        return
    out.print(styled("Organization ID (15): ", (identity.id15, "bold")))
    out.print(styled("Organization ID (18): ", (identity.id18, "bold")))
    out.print(f"{identity.name} - {identity.edition}, {identity.kind}")
    out.print(f"Paste it into {identity.paste_into}.")


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
            return (0 if report.ok else EXIT_STEP_FAILED), report.to_json()

        run_on_fleet("doctor", org_names, orgs_glob, parallel, config, as_json, job)
        return

    session, cfg = _session_and_config(org, config, as_json)
    report = _guarded(org, as_json, lambda: run_doctor(session, cfg, org))
    document = runnable_hints({"org": org, **report.to_json()}, org, config)
    if as_json:
        print_result(document, 0 if report.ok else EXIT_STEP_FAILED)
    else:
        from rich.table import Table

        table = Table(title=f"doctor: {org}", title_justify="left")
        table.add_column("check")
        table.add_column("status")
        table.add_column("detail", overflow="fold")
        table.add_column("fix", overflow="fold")
        for check in document["checks"]:
            table.add_row(check["name"], _coloured(check["status"]), check["detail"], check["fix"])
        out.print(table)
    if not report.ok:
        raise typer.Exit(EXIT_STEP_FAILED)


def install_command(
    org: OrgRequired,
    config: ConfigOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Allow installing into production.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Install the Totango managed package (package.version_id, security type FULL)."""
    from tasks.totango_sf.cli.session import load_config_or_exit
    from tasks.totango_sf.steps.install import (
        MISSING_VERSION_ID,
        PackageInstallFailed,
        ProductionNeedsYes,
        install_package,
    )

    cfg = load_config_or_exit(config, org, as_json)
    if not cfg.package.version_id:
        # Checked before connecting: a missing id is bad input, whatever the org.
        fail(MISSING_VERSION_ID, EXIT_BAD_INPUT, as_json)
    session = connect_or_exit(org, as_json)
    try:
        result = _guarded(
            org, as_json, lambda: install_package(session, cfg, yes, _progress(as_json))
        )
    except ProductionNeedsYes as exc:
        fail(
            str(exc),
            EXIT_BAD_INPUT,
            as_json,
            actions=[rerun_command("install", org, config, yes=True)],
        )
    except PackageInstallFailed as exc:
        fail(str(exc), EXIT_STEP_FAILED, as_json)
    if as_json:
        print_result({"org": org, **result.to_json()})
        return
    out.print(f"{result.action}: {result.detail}")


def connected_app_command(
    org: OrgRequired,
    config: ConfigOption = None,
    revoke: Annotated[
        bool, typer.Option("--revoke", help="Remove the configured profiles' access instead.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Grant the configured profiles the connected app and report its policy."""
    from tasks.totango_sf.cli.guard import changing
    from tasks.totango_sf.steps.connected_app import (
        AccessPartlyDone,
        AccessWriteFailed,
        ConnectedAppNotFound,
        ProfileNotFound,
        grant_profiles,
        policy_label,
        revoke_profiles,
    )

    session, cfg = _session_and_config(org, config, as_json)
    action = revoke_profiles if revoke else grant_profiles
    try:
        with changing(org, "connected-app", as_json):
            result = _guarded(org, as_json, lambda: action(session, cfg, org))
    except AccessPartlyDone as exc:  # before AccessWriteFailed: the org may have changed
        command = f"totango-sf connected-app --org {org}" + (" --revoke" if revoke else "")
        fail(str(exc), EXIT_OUTCOME_UNKNOWN, as_json, actions=[command], outcome="partly done")
    except (ConnectedAppNotFound, ProfileNotFound, AccessWriteFailed) as exc:
        fail(runnable_hint(str(exc), org, config), EXIT_STEP_FAILED, as_json)
    except KeyboardInterrupt:
        fail("interrupted before any change was made", EXIT_STEP_FAILED, as_json)
    if as_json:
        print_result({"org": org, **result.to_json()})
        return
    from rich.table import Table

    table = Table(title=f"{result.app.name}: profile access on {org}", title_justify="left")
    table.add_column("profile")
    table.add_column("access")
    for row in result.profiles:
        table.add_row(row.profile, row.action)
    out.print(table)
    out.print(f"Permitted Users policy: {policy_label(result.app.admin_approved)}")
    if result.policy_advice:
        out.print(styled(("not set:", "bold yellow"), " ", result.policy_advice))


def manual_steps_open(report: Any) -> list[str]:
    return [s.step for s in report.steps if s.status == "manual step needed"]


def setup_exit_code(report: Any, allow_manual: bool) -> int:
    """1 when a step failed; 6 while a manual step is open, unless the user allows it."""
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
            return setup_exit_code(report, allow_manual), report.to_json()

        run_on_fleet("setup", org_names, orgs_glob, parallel, config, as_json, job, lock=True)
        return

    session, cfg = _session_and_config(org, config, as_json)
    report = _guarded(
        org,
        as_json,
        lambda: run_setup(session, cfg, org, browser=browser, yes=yes, progress=_progress(as_json)),
    )
    open_steps = manual_steps_open(report)
    code = setup_exit_code(report, allow_manual)
    if as_json:
        document = {"org": org, **report.to_json(), "manual_steps_open": open_steps}
        print_result(runnable_hints(document, org, config), code)
    else:
        from rich.table import Table

        stages = Table(title=f"setup stages: {org}", title_justify="left")
        for column in ("stage", "status", "detail"):
            stages.add_column(column, overflow="fold")
        for stage in report.stages:
            stages.add_row(stage.stage, _coloured(stage.status), stage.detail)
        out.print(stages)
        steps = Table(title="the article's steps", title_justify="left")
        for column in ("step", "what", "status", "detail"):
            steps.add_column(column, overflow="fold")
        for step in report.steps:
            detail = runnable_hint(step.detail, org, config)
            steps.add_row(step.step, step.title, _coloured(step.status), detail)
        out.print(steps)
        if code == EXIT_MANUAL_STEP_OPEN:
            rerun = rerun_command("setup", org, config, allow_manual=True, yes=yes)
            out.print(
                f"manual step(s) {', '.join(open_steps)} still open: do them as the table says,"
                f" then: {rerun}",
                soft_wrap=True,
            )
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add the org-step commands to the ``totango-sf`` app."""
    app.command("org-id")(org_id_command)
    app.command("doctor")(doctor_command)
    app.command("install")(install_command)
    app.command("connected-app")(connected_app_command)
    app.command("setup")(setup_command)
