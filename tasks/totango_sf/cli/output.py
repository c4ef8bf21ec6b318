"""How every ``totango-sf`` command speaks: two consoles, one JSON envelope, the tables.

Human output goes to ``out`` (results) and ``err`` (errors, progress); with ``--json``
stdout holds exactly one document, ``print_result``'s envelope on success or
``error_document``'s on failure, and ``fail`` prints either form and ends the command
with its exit code (the codes are defined once, in ``errors.py``).

Only typer is imported here; rich is imported when something is first printed with
it, so ``--help`` and ``--json`` runs never load it.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, NoReturn, cast

import typer

from tasks.totango_sf.errors import ERROR_NAMES, EXIT_OK

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
    """End the command with ``code``: the error envelope under --json, else a line on stderr."""
    if as_json:
        print_json(error_document(message, code, actions=actions, **extra))
    else:
        err.print(styled(("error:", "bold red"), " ", message))
        for action in actions or []:
            err.print(f"  try: {action}")
    raise typer.Exit(code)


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


def print_component_table(rows: list[dict[str, str]], title: str) -> None:
    """One row per component and what a plan does to it (create, update, patch, delete).

    The offline plan, the org plan and the rollback plan each give their own rows.
    """
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


# A step's or a check's status and the colour it is shown in.
STEP_STATUS_COLOUR = {
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


def step_status(status: str) -> Text:
    """A step's status (``ok``, ``manual step needed``, ...) in its colour."""
    return styled((status, STEP_STATUS_COLOUR.get(status, "white")))
