"""What every ``totango-sf`` command shares: exit codes, options, output helpers.

Only typer and rich are imported here, so ``--help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from tasks.totango_sf.cli.arguments import OrgOptional

EXIT_OK = 0
EXIT_DEPLOY_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_DRIFT = 3
EXIT_ORG_UNREACHABLE = 4
# A deploy was started and its end is not known (interrupted, or its answer was lost).
EXIT_OUTCOME_UNKNOWN = 5

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Setup config YAML [default: orgconfig/totango.yml]."),
]
OrgOption = OrgOptional
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document only.")]


# Bumped when a command's ``result`` changes shape incompatibly; CI parsers can pin it.
JSON_SCHEMA_VERSION = 1

# The ``name`` of an error document, one per exit code (sf CLI names its errors the same way).
ERROR_NAMES = {
    EXIT_DEPLOY_FAILED: "DeployFailed",
    EXIT_BAD_INPUT: "BadInput",
    EXIT_DRIFT: "Drift",
    EXIT_ORG_UNREACHABLE: "OrgUnreachable",
    EXIT_OUTCOME_UNKNOWN: "OutcomeUnknown",
}


def print_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")


def print_result(result: dict[str, Any], status: int = EXIT_OK) -> None:
    """The one JSON document of a command that ran: sf CLI's envelope.

    ``{"status": N, "result": {...}, "warnings": [...]}``; ``status`` is the exit code
    the command ends with, and the result's own ``warnings`` move to the envelope.
    """
    body = dict(result)
    warnings = list(body.pop("warnings", None) or [])
    body["schema_version"] = JSON_SCHEMA_VERSION
    print_json({"status": status, "result": body, "warnings": warnings})


def error_document(
    message: str, code: int, name: str | None = None, actions: list[str] | None = None, **data: Any
) -> dict[str, Any]:
    """sf CLI's error envelope: ``{"status", "name", "message", "actions"}`` plus any data."""
    document: dict[str, Any] = {
        "status": code,
        "name": name or ERROR_NAMES.get(code, "Error"),
        "message": message,
        "actions": actions or [],
    }
    if data:
        document["data"] = data
    return document


def fail(
    message: str, code: int, as_json: bool, actions: list[str] | None = None, **extra: Any
) -> NoReturn:
    if as_json:
        print_json(error_document(message, code, actions=actions, **extra))
    else:
        err.print(f"[bold red]error:[/] {message}", highlight=False)
        for action in actions or []:
            err.print(f"  try: {action}", highlight=False)
    raise typer.Exit(code)


def load_config_or_exit(config: Path | None, org: str | None, as_json: bool) -> Any:
    from tasks.totango_sf.config.model import ConfigError, load_config

    try:
        return load_config(config, org)
    except ConfigError as exc:
        lines = "\n".join(f"  {p}" for p in exc.problems)
        fail(
            f"invalid config ({exc.source}):\n{lines}",
            EXIT_BAD_INPUT,
            as_json,
            problems=exc.problems,
        )


def print_problems_table(title: str, problems: list[Any]) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("file")
    table.add_column("line", justify="right")
    table.add_column("problem")
    for p in problems:
        table.add_row(p.path, str(p.line), p.message)
    err.print(table)


def print_plan_table(rows: list[dict[str, str]], title: str) -> None:
    table = Table(title=title, title_justify="left")
    for column in ("type", "name", "action", "summary"):
        table.add_column(column)
    colour = {"create": "green", "update": "yellow", "patch": "cyan", "delete": "red"}
    for row in rows:
        action = row["action"]
        table.add_row(
            row["type"], row["name"], f"[{colour.get(action, 'white')}]{action}[/]", row["summary"]
        )
    out.print(table)


def print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        out.print(f"[bold yellow]warning:[/] {warning}", highlight=False)


def connect_or_exit(org: str, as_json: bool) -> Any:
    """The org's session, or exit 4 with a message (never a token) when it is unreachable."""
    from tasks.totango_sf.org.connection import OrgUnreachable, connect

    require_project(as_json)
    try:
        return connect(org)
    except OrgUnreachable as exc:
        fail(str(exc), EXIT_ORG_UNREACHABLE, as_json)


def require_project(as_json: bool) -> None:
    """Exit 2 outside a CumulusCI project, before anything reaches an org."""
    from tasks.totango_sf.org.state_paths import PROJECT_MARKER, find_project_root

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
