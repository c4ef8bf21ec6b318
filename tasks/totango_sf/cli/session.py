"""What a command needs before it acts: its config, its project and its org's session.

Each ends the command with the exit code of what went wrong (2 for a config or a
place that cannot be right, 4 for an org that cannot be reached), so a command body
reads on with values that are known to be good. The config is loaded before any org
is contacted: bad input is exit 2 before any network. ``guarded`` does the same for
the steps' calls once connected: a dropped or refused call is exit 4.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tasks.totango_sf.cli.output import fail, note_config
from tasks.totango_sf.errors import EXIT_BAD_INPUT, EXIT_ORG_UNREACHABLE


def load_config_or_exit(config: Path | None, org: str | None, as_json: bool) -> Any:
    """The effective config (defaults, file, the org's overlay), or exit 2 naming each problem."""
    from tasks.totango_sf.config.model import ConfigError, load_config

    try:
        loaded = load_config(config, org)
    except ConfigError as exc:
        lines = "\n".join(f"  {p}" for p in exc.problems)
        fail(
            f"invalid config ({exc.source}):\n{lines}",
            EXIT_BAD_INPUT,
            as_json,
            problems=exc.problems,
        )
    note_config(loaded)
    return loaded


def require_project(as_json: bool) -> None:
    """Exit 2 outside a CumulusCI project, before anything reaches an org."""
    from tasks.totango_sf.state.state_paths import PROJECT_MARKER, find_project_root

    if find_project_root() is None:
        # CumulusCI needs its project to load the org and its tasks, and .totango/
        # lives beside cumulusci.yml: refuse here, before any call reaches the org.
        fail(
            f"not inside a CumulusCI project: no {PROJECT_MARKER} in the current folder"
            " or any folder above it",
            EXIT_BAD_INPUT,
            as_json,
            actions=["cd to the project that holds cumulusci.yml and run the command again"],
        )


def connect_or_exit(org: str, as_json: bool) -> Any:
    """The org's session, or exit 4 with a message (never a token) when it is unreachable."""
    from tasks.totango_sf.salesforce.connection import OrgUnreachable, connect

    require_project(as_json)
    try:
        return connect(org)
    except OrgUnreachable as exc:
        fail(str(exc), EXIT_ORG_UNREACHABLE, as_json)


def session_and_config(org: str, config: Path | None, as_json: bool) -> tuple[Any, Any]:
    """Config first (bad input is exit 2 before any network), then the org (exit 4)."""
    cfg = load_config_or_exit(config, org, as_json)
    return connect_or_exit(org, as_json), cfg


def guarded(org: str, as_json: bool, action: Callable[[], Any]) -> Any:
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
