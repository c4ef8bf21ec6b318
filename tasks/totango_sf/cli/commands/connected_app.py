"""``totango-sf connected-app``: the configured profiles' access to Totango's connected app."""

from __future__ import annotations

from typing import Annotated

import typer

from tasks.totango_sf.cli.default_org import org_or_default
from tasks.totango_sf.cli.guard import changing
from tasks.totango_sf.cli.hints import runnable_hint
from tasks.totango_sf.cli.options import ConfigOption, JsonOption, OrgRequired
from tasks.totango_sf.cli.output import (
    Column,
    fail,
    out,
    print_result,
    print_table,
    print_warnings,
    styled,
)
from tasks.totango_sf.cli.session import guarded, session_and_config
from tasks.totango_sf.errors import EXIT_OUTCOME_UNKNOWN, EXIT_STEP_FAILED


def connected_app_command(
    org: OrgRequired = None,
    config: ConfigOption = None,
    revoke: Annotated[
        bool, typer.Option("--revoke", help="Remove the configured profiles' access instead.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Grant the configured profiles the connected app and report its policy."""
    from tasks.totango_sf.steps.connected_app import (
        AccessPartlyDone,
        AccessWriteFailed,
        ConnectedAppNotFound,
        ProfileNotFound,
        grant_profiles,
        policy_label,
        revoke_profiles,
    )

    org = org_or_default(org, as_json)
    session, cfg = session_and_config(org, config, as_json)
    action = revoke_profiles if revoke else grant_profiles
    try:
        with changing(org, "connected-app", as_json):
            result = guarded(org, as_json, lambda: action(session, cfg, org))
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
    print_table(
        f"{result.app.name}: profile access on {org}",
        [Column("profile", whole=True), Column("access", whole=True)],
        [[row.profile, row.action] for row in result.profiles],
    )
    out.print(f"Permitted Users policy: {policy_label(result.app.admin_approved)}")
    if result.policy_advice:
        out.print(styled(("not set:", "bold yellow"), " ", result.policy_advice))
    print_warnings(result.warnings)
