"""``totango-sf deploy``: retrieve, merge, diff and deploy the setup in one atomic deploy.

Also ``--check-only`` (a validation) and ``--quick`` (deploy a validation), and a
fleet run with one lane per org. In a terminal a production org asks before the deploy,
after showing the org plan; CI needs ``--yes``. ``--json`` prints exactly one JSON
document on stdout; progress then goes to stderr.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from tasks.totango_sf.cli.apex_test_report import print_tests
from tasks.totango_sf.cli.failure_origins import print_failure_origins
from tasks.totango_sf.cli.fleet import (
    deploy_stage,
    orgs_and_configs,
    run_fleet_command,
    single_org,
)
from tasks.totango_sf.cli.guard import announce, changing, fail_interrupted_before_send
from tasks.totango_sf.cli.hints import rerun_command
from tasks.totango_sf.cli.option_sets import options_command
from tasks.totango_sf.cli.options import (
    AdoptOption,
    FleetTarget,
    JsonOption,
    QuickOption,
    TestLevelOption,
    TestsOption,
    TimeoutOption,
    apex_test_options_or_exit,
)
from tasks.totango_sf.cli.org_errors import handle_org_errors, org_errors
from tasks.totango_sf.cli.org_tables import (
    NOT_CHANGED,
    component_rows,
    print_diffs,
    print_drift,
    print_failures,
)
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
from tasks.totango_sf.cli.record_pages import print_record_pages
from tasks.totango_sf.cli.session import connect_or_exit, load_config_or_exit
from tasks.totango_sf.errors import (
    EXIT_BAD_INPUT,
    EXIT_DEPLOY_FAILED,
    EXIT_DRIFT,
    EXIT_OUTCOME_UNKNOWN,
    status_command,
)


@dataclass(frozen=True)
class DeployOptions(FleetTarget):
    """The options of `totango-sf deploy`, after the org, fleet and config options."""

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
    apex_test_options_or_exit(options.test_level, options.tests, options.as_json)
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

    org_plan_shown = False
    yes = options.yes
    if not (yes or options.check_only or options.as_json) and _interactive():
        yes = _confirm_production(session, org, options, None if options.quick_id else cfg)
        org_plan_shown = yes and not options.quick_id

    def show_org_plan(state: Any) -> None:
        if options.as_json or org_plan_shown:
            return
        _print_org_plan(state, org, options.diff)

    try:
        with (
            changing(org, "deploy", options.as_json),
            progress_display(
                options.as_json, "deploy" if not options.check_only else "validate"
            ) as update,
        ):
            if options.quick_id:
                outcome = flow.quick(
                    ObservedSession(session, update.step),
                    cfg,
                    DeployRequest(yes=yes, timeout=options.timeout, quick_id=options.quick_id),
                    RunHooks(progress=update, on_started=announce(org, update.note)),
                )
            else:
                outcome = flow.deploy(
                    ObservedSession(session, update.step),
                    cfg,
                    DeployRequest(
                        check_only=options.check_only,
                        yes=yes,
                        timeout=options.timeout,
                        test_level=options.test_level,
                        tests=options.tests,
                        adopt=options.adopt,
                    ),
                    RunHooks(
                        progress=update,
                        on_plan=show_org_plan,
                        on_started=announce(org, update.note),
                    ),
                )
    except org_errors() as exc:
        flags = ["--quick", options.quick_id] if options.quick_id else []
        with_yes = rerun_command("deploy", org, options.config, *flags, yes=True)
        handle_org_errors(session, options.as_json, exc, with_yes)
    except KeyboardInterrupt:
        fail_interrupted_before_send(options.as_json)
    _finish_deploy(outcome, options.as_json, options.diff, options.config)


def _interactive() -> bool:
    import sys

    return sys.stdin.isatty() and sys.stdout.isatty()


def _confirm_production(session: Any, org: str, options: DeployOptions, cfg: Any = None) -> bool:
    """In a terminal, ask instead of refusing; CI (no TTY) still needs --yes.

    With ``cfg`` the org plan (read from the org, nothing sent) is shown first, so the
    question comes after the answer to "what will change?".
    """
    as_json, diff = options.as_json, options.diff
    try:
        production = session.kind().is_production
        if production and cfg is not None:
            from tasks.totango_sf.org.org_plan import plan_against_org

            state = plan_against_org(session, cfg, options.adopt).state
    except org_errors() as exc:
        handle_org_errors(session, as_json, exc)
    if not production:
        return False
    if cfg is not None:
        _print_org_plan(state, org, diff)
        if state.in_sync:
            return True
    if typer.confirm(f"{org} is a PRODUCTION org. Deploy the Totango setup to it?"):
        return True
    # A "no" is an answer, not an error: exit 1 (nothing done), said plainly.
    err.print("not confirmed, nothing sent", soft_wrap=True)
    raise typer.Exit(EXIT_DEPLOY_FAILED)


def _print_org_plan(state: Any, org: str, diff: bool) -> None:
    """The org plan before a deploy: its components, record pages, diffs and warnings."""
    print_component_table(component_rows(state), f"Totango setup on {org}")
    print_record_pages(state.record_pages)
    if diff:
        print_diffs(state)
    print_warnings(state.warnings)


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
            print_failure_origins(outcome)
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
        _print_follow_ups(outcome, config)
    code = _deploy_exit_code(outcome)
    if code:
        raise typer.Exit(code)


# What the integration user's assignment came to, as a person reads it.
_INTEGRATION_WORDS = {
    "assigned": ("assigned", "green"),
    "already_assigned": ("already assigned", "green"),
    "not_configured": ("not configured", "yellow"),
    "user_not_found": ("user not found", "red"),
    "user_inactive": ("user inactive", "red"),
    "failed": ("failed", "red"),
}


def _print_follow_ups(outcome: Any, config: Path | None) -> None:
    """What a deploy did after it went through, as ``--json`` holds it: the permission set
    assignments, the integration user's, the verify and the snapshot to roll back to."""
    warnings = list(outcome.warnings)
    if outcome.assignments is not None:
        a = outcome.assignments
        out.print(
            f"permission set {a.permission_set}: {a.assigned} assigned,"
            f" {a.already_assigned} already assigned, {len(a.failed)} failed"
        )
    if outcome.integration is not None:
        i = outcome.integration
        word = _INTEGRATION_WORDS.get(i.state, (i.state.replace("_", " "), ""))
        who = f" to {i.username}" if i.username else ""
        if i.state == "not_configured":
            detail = " (set integration.username in the config)"
        else:
            detail = f" ({i.detail})" if i.detail and i.state != "assigned" else ""
        out.print(styled(f"integration user: {i.permission_set}{who} ", word, detail))
        # The line above says it; the deploy's warning of the same would say it twice.
        from tasks.totango_sf.org.deploy import integration_warning

        warnings = [w for w in warnings if w != integration_warning(i)]
    if outcome.verify is not None:
        if outcome.verify.in_sync:
            count = len(outcome.verify.items)
            out.print(styled("verify: ", ("in sync", "green"), f" ({count} component(s) checked)"))
        else:
            print_drift(outcome.verify)
    if outcome.snapshot_id:
        rollback = rerun_command("rollback", outcome.org, config, "--snapshot", outcome.snapshot_id)
        out.print(f"snapshot: {outcome.snapshot_id} (undo with: {rollback})")
    print_warnings(warnings)


def _deploy_exit_code(outcome: Any) -> int:
    if outcome.deploy is not None and not outcome.deploy.success:
        return EXIT_DEPLOY_FAILED
    if outcome.follow_up_error:
        return EXIT_OUTCOME_UNKNOWN
    if outcome.verify is not None and not outcome.verify.in_sync:
        return EXIT_DRIFT
    return 0


# -- fleets: the same flows, one lane per org (see cli/fleet.py) ---------------------


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
                progress=deploy_stage(lane),
                sleep=lane.sleep,
                on_plan=lambda state: lane.stage("in sync" if state.in_sync else "planned"),
            ),
        )
        return _deploy_exit_code(outcome), outcome.to_json()

    command = "deploy --check-only" if check_only else "deploy"
    run_fleet_command(command, orgs, configs, parallel, as_json, job, lock=True)
