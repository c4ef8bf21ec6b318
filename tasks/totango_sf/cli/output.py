"""What every ``totango-sf`` command shares: exit codes, options, output helpers.

Only typer is imported here; rich is imported when something is first printed with
it, so ``--help`` and ``--json`` runs never load it.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

import typer

from tasks.totango_sf.errors import (  # noqa: F401 - the shells' exit codes, defined once
    ERROR_NAMES,
    EXIT_BAD_INPUT,
    EXIT_DEPLOY_FAILED,
    EXIT_DRIFT,
    EXIT_MANUAL_STEP_OPEN,
    EXIT_OK,
    EXIT_ORG_BUSY,
    EXIT_ORG_UNREACHABLE,
    EXIT_OUTCOME_UNKNOWN,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


def _forwarded(name: str) -> Any:
    return property(
        lambda self: getattr(self._real(), name),
        lambda self, value: setattr(self._real(), name, value),
    )


class _LazyConsole:
    """A rich ``Console`` built on first use: importing rich costs more than ``--help`` does.

    Every attribute read or write goes to the real console, so ``out.print(...)``,
    ``Progress(console=out)`` and ``with out:`` behave as with a ``Console``.
    """

    # No __dict__ of its own: a look at ``out.__dict__`` sees the real console's.
    __slots__ = ("_stderr", "_console")
    # Console's settable properties, as properties here too, so that code which asks
    # the type first (pytest's monkeypatch) sees them as such and restores, not deletes.
    file = _forwarded("file")
    width = _forwarded("width")
    height = _forwarded("height")
    size = _forwarded("size")

    def __init__(self, stderr: bool) -> None:
        object.__setattr__(self, "_stderr", stderr)
        object.__setattr__(self, "_console", None)

    def _real(self) -> Console:
        console = object.__getattribute__(self, "_console")
        if console is None:
            from rich.console import Console

            # Values from the config, the org and the command line are shown verbatim.
            # With rich's defaults (Console: "markup ... Defaults to True", "emoji ...
            # Defaults to True", "highlight ... Defaults to True"; rich docs, "Console
            # Markup"), "[/]" in a value raises MarkupError, "[red]x" loses its
            # brackets, ":thumbs_up:" becomes an emoji and numbers and paths are
            # recoloured. Styles are given explicitly instead, with ``styled``.
            console = Console(
                stderr=object.__getattribute__(self, "_stderr"),
                markup=False,
                emoji=False,
                highlight=False,
            )
            object.__setattr__(self, "_console", console)
        return cast("Console", console)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._real(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._real(), name)

    def __enter__(self) -> Console:
        return self._real().__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self._real().__exit__(*exc)


out = cast("Console", _LazyConsole(stderr=False))
err = cast("Console", _LazyConsole(stderr=True))


def styled(*parts: str | tuple[str, str]) -> Text:
    """One line or cell, each part plain text or ``(text, style)``; nothing in it is markup.

    ``styled(("error:", "bold red"), " ", message)`` shows ``message`` verbatim, brackets
    and colons included, whatever it holds.
    """
    from rich.text import Text

    return Text.assemble(*parts)


# Bumped when a command's ``result`` changes shape incompatibly; CI parsers can pin it.
JSON_SCHEMA_VERSION = 1


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
        err.print(styled(("error:", "bold red"), " ", message))
        for action in actions or []:
            err.print(f"  try: {action}")
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
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    # Long paths and messages fold onto more lines instead of being cut at 80 columns.
    table.add_column("file", overflow="fold")
    table.add_column("line", justify="right")
    table.add_column("problem", overflow="fold")
    for p in problems:
        table.add_row(p.path, str(p.line), p.message)
    err.print(table)


def print_plan_table(rows: list[dict[str, str]], title: str) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in ("type", "name", "action", "summary"):
        table.add_column(column, overflow="fold")
    colour = {"create": "green", "update": "yellow", "patch": "cyan", "delete": "red"}
    for row in rows:
        action = row["action"]
        table.add_row(
            row["type"], row["name"], styled((action, colour.get(action, "white"))), row["summary"]
        )
    out.print(table)


def print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        out.print(styled(("warning:", "bold yellow"), " ", warning))


def connect_or_exit(org: str, as_json: bool) -> Any:
    """The org's session, or exit 4 with a message (never a token) when it is unreachable."""
    from tasks.totango_sf.salesforce.connection import OrgUnreachable, connect

    require_project(as_json)
    try:
        return connect(org)
    except OrgUnreachable as exc:
        fail(str(exc), EXIT_ORG_UNREACHABLE, as_json)


def rerun_command(
    command: str, org: str | None, config: Path | None, *flags: str, **switches: bool
) -> str:
    """A hint that runs as printed: the same org and ``--config``, plus the given switches.

    ``switches`` name boolean options (``allow_manual=True`` -> ``--allow-manual``).
    """
    parts = ["totango-sf", *command.split()]
    if org:
        parts += ["--org", org]
    if config is not None:
        parts += ["--config", str(config)]
    parts += list(flags)
    parts += [f"--{name.replace('_', '-')}" for name, on in switches.items() if on]
    return shlex.join(parts)


# A command named in a hint: ``totango-sf <command> --org <name>`` or ``cci task run <task>
# --org <name>``; NAME stands for the org when the step does not know it.
_HINTED_COMMAND = re.compile(r"(totango-sf [a-z][a-z -]*?) --org ([A-Za-z0-9_.@-]+)")


def runnable_hint(text: str, org: str, config: Path | None) -> str:
    """``text`` with every ``totango-sf ... --org X`` hint made runnable as printed.

    The steps name commands without knowing the org name or the ``--config`` the
    user passed; a hint that drops ``--config`` would act on the default config.
    """

    def complete(match: re.Match[str]) -> str:
        command = f"{match.group(1)} --org {shlex.quote(org)}"
        if config is not None:
            command += f" --config {shlex.quote(str(config))}"
        return command

    return _HINTED_COMMAND.sub(complete, text)


def runnable_hints(document: Any, org: str, config: Path | None) -> Any:
    """Every string of a JSON-ready document passed through ``runnable_hint``."""
    if isinstance(document, str):
        return runnable_hint(document, org, config)
    if isinstance(document, dict):
        return {key: runnable_hints(value, org, config) for key, value in document.items()}
    if isinstance(document, list):
        return [runnable_hints(value, org, config) for value in document]
    return document


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
