"""``totango-sf install``: the Totango managed package, installed into the org."""

from __future__ import annotations

from typing import Annotated

import typer

from tasks.totango_sf.cli.default_org import org_or_default
from tasks.totango_sf.cli.hints import rerun_command
from tasks.totango_sf.cli.options import ConfigOption, JsonOption, OrgRequired
from tasks.totango_sf.cli.output import fail, out, print_result
from tasks.totango_sf.cli.progress import step_progress
from tasks.totango_sf.cli.session import connect_or_exit, guarded, load_config_or_exit
from tasks.totango_sf.errors import EXIT_BAD_INPUT, EXIT_STEP_FAILED


def install_command(
    org: OrgRequired = None,
    config: ConfigOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Allow installing into production.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Install the Totango managed package (package.version_id, security type FULL)."""
    from tasks.totango_sf.steps.install import (
        MISSING_VERSION_ID,
        PackageInstallFailed,
        ProductionNeedsYes,
        install_package,
    )

    org = org_or_default(org, as_json)
    cfg = load_config_or_exit(config, org, as_json)
    if not cfg.package.version_id:
        # Checked before connecting: a missing id is bad input, whatever the org.
        fail(MISSING_VERSION_ID, EXIT_BAD_INPUT, as_json)
    session = connect_or_exit(org, as_json)
    try:
        result = guarded(
            org, as_json, lambda: install_package(session, cfg, yes, step_progress(as_json))
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
    # "skipped" is the JSON's word; a person reads why nothing was installed.
    word = "installed" if result.action == "installed" else "nothing to install"
    out.print(f"{word}: {result.detail}", soft_wrap=True)
