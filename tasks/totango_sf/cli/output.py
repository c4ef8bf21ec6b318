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
import re
import sys
from dataclasses import dataclass
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
            # soft_wrap: a line is never broken by rich; the terminal folds it, and a
            # log keeps it whole, so a command or a path in it can be copied and grepped.
            console = Console(
                stderr=object.__getattribute__(self, "_stderr"),
                markup=False,
                emoji=False,
                highlight=False,
                soft_wrap=True,
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


# What the run knows that an error document carries: its command and its config.
_run: dict[str, Any] = {"command": None, "config": None}


def note_command(name: str | None) -> None:
    _run["command"] = name


def note_config(config: Any) -> None:
    """The config the run loaded: its warnings go into an error document too."""
    _run["config"] = config


def _command_name() -> str:
    if _run["command"]:
        return str(_run["command"])
    words = [a for a in sys.argv[1:] if not a.startswith("-")]
    return words[0] if words else ""


def _config_warnings() -> list[str]:
    if _run["config"] is None:
        return []
    from tasks.totango_sf.render.plan import plan_warnings

    return plan_warnings(_run["config"])


def fixes_named_in(message: str) -> list[str]:
    """The commands a message names (in backticks or parentheses), as actions to take."""
    return [c.strip("`()") for c in _commands(message)]


def error_document(
    message: str, code: int, name: str | None = None, actions: list[str] | None = None, **data: Any
) -> dict[str, Any]:
    """sf CLI's error JSON (sf-plugins-core's ``SfCommandError.toJson``): ``name``,
    ``message``, ``exitCode``, ``actions``, ``context``, ``data``, ``warnings``, ``code``,
    ``status``, ``commandName``; never a stack trace. ``actions`` holds the commands the
    message names when none are given."""
    command = _command_name()
    document: dict[str, Any] = {
        "name": name or ERROR_NAMES.get(code, "Error"),
        "message": message,
        "exitCode": code,
        "actions": list(actions or fixes_named_in(message)),
        "context": command,
        "commandName": command,
        "code": str(code),
        "status": code,
        "warnings": _config_warnings(),
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


@dataclass(frozen=True)
class Column:
    """A column of ``print_table``: its header, and whether its cells are kept whole.

    ``whole`` cells (identifiers, paths, commands, short statuses) are never wrapped,
    folded or cut; the other cells are prose, wrapped between words.
    """

    header: str
    whole: bool = False
    justify: str = "left"


# The narrowest a prose column gets in a table before the list layout is used instead.
_MIN_PROSE = 12


def _lines(cell: Any) -> list[str]:
    return (cell.plain if hasattr(cell, "plain") else str(cell)).split("\n")


def _width(cell: Any) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in _lines(cell)), default=0)


# A command inside prose: in backticks, in parentheses, or bare up to a comma or semicolon.
_COMMAND = re.compile(r"\((?:totango-sf|cci|sf) [^)]*\)|`[^`]+`|(?:totango-sf|cci) [^,;`]+")


def _commands(text: str) -> list[str]:
    return [m.group(0).rstrip(" .") for m in _COMMAND.finditer(text)]


def commands_apart(cell: Any) -> Any:
    """A prose cell with each command on a line of its own, so that no wrap splits it."""
    if not isinstance(cell, str) or not _commands(cell):
        return cell
    parts: list[str] = []
    last = 0
    for match in _COMMAND.finditer(cell):
        command = match.group(0).rstrip(" .")
        parts += [cell[last : match.start()].strip(), command]
        last = match.start() + len(command)
    parts.append(cell[last:].strip())
    return "\n".join(part for part in parts if part)


def _longest_word(cell: Any) -> int:
    from rich.cells import cell_len

    words = [w for line in _lines(cell) for w in line.split()]
    words += _commands(cell if isinstance(cell, str) else "")
    return max((cell_len(w) for w in words), default=0)


def table_widths(columns: list[Column], rows: list[list[Any]], width: int) -> list[int] | None:
    """Each column's width in a table of ``width`` cells, or None when it cannot fit.

    A whole column is as wide as its widest cell; a prose column at least as wide as its
    longest word (so no word is ever folded), and shares what is left.
    """
    frame = 3 * len(columns) + 1  # borders and one space of padding each side
    natural = [
        max([_width(c.header)] + [_width(r[i]) for r in rows]) for i, c in enumerate(columns)
    ]
    least = [
        natural[i]
        if c.whole
        else max(
            [_MIN_PROSE if natural[i] > _MIN_PROSE else natural[i], _width(c.header)]
            + [_longest_word(r[i]) for r in rows]
        )
        for i, c in enumerate(columns)
    ]
    room = width - frame
    if sum(least) > room:
        return None
    if sum(natural) <= room:
        return natural
    widths = list(least)
    spare = room - sum(least)
    wants = [natural[i] - least[i] for i in range(len(columns))]
    total_want = sum(wants)
    for i, want in enumerate(wants):
        widths[i] += spare * want // total_want if total_want else 0
    return widths


def print_table(
    title: str,
    columns: list[Column],
    rows: list[list[Any]],
    console: Console | None = None,
) -> None:
    """A table whose identifiers stay whole on one line, at any width, in a terminal or a log.

    When the whole columns and the prose's longest words fit the console, a table; else
    a list: one line per row holding its whole cells, then one ``header: text`` line per
    prose cell, none of them wrapped by rich (a terminal folds them, a log keeps them on
    one line), so every name, path and command can be found with grep.
    """
    target = console if console is not None else out
    widths = table_widths(columns, rows, target.width)
    if widths is None:
        _print_list(title, columns, rows, target)
        return
    from rich.table import Table

    table = Table(title=title or None, title_justify="left", expand=False)
    for column, width in zip(columns, widths, strict=True):
        if column.whole:
            table.add_column(
                column.header,
                width=width,
                no_wrap=True,
                overflow="ignore",
                justify=column.justify,  # type: ignore[arg-type]
            )
        else:
            table.add_column(column.header, width=width, overflow="fold", justify=column.justify)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(
            *(
                cell if c.whole else commands_apart(cell)
                for cell, c in zip(row, columns, strict=True)
            )
        )
    target.print(table)


def _print_list(title: str, columns: list[Column], rows: list[list[Any]], console: Any) -> None:
    from rich.text import Text

    if title:
        console.print(Text(title, style="italic"), soft_wrap=True)
    for row in rows:
        head = [
            " ".join(_lines(cell)) if not hasattr(cell, "plain") else cell
            for cell, c in zip(row, columns, strict=True)
            if c.whole and _width(cell)
        ]
        line = Text("- ")
        for index, cell in enumerate(head):
            if index:
                line.append("  ")
            line.append(cell if isinstance(cell, Text) else Text(cell))
        console.print(line, soft_wrap=True)
        for cell, column in zip(row, columns, strict=True):
            if column.whole or not _width(cell):
                continue
            text = Text(f"    {column.header}: ")
            text.append(cell if isinstance(cell, Text) else Text(" ".join(_lines(cell))))
            console.print(text, soft_wrap=True)


def print_problems_table(title: str, problems: list[Any]) -> None:
    print_table(
        title,
        [
            Column("file", whole=True),
            Column("line", whole=True, justify="right"),
            Column("problem"),
        ],
        [[p.path, str(p.line), p.message] for p in problems],
        err,
    )


# One verb per change, the same in plan, apply, deploy and rollback (JSON keeps its values).
VERBS = {
    "create": "add",
    "created": "add",
    "added": "add",
    "update": "update",
    "updated": "update",
    "patch": "patch",
    "merged": "patch",
    "patched": "patch",
    "delete": "remove",
    "deleted": "remove",
    "removed": "remove",
    "unchanged": "unchanged",
    "restore": "restore",
}
VERB_COLOUR = {
    "add": "green",
    "update": "yellow",
    "patch": "cyan",
    "remove": "red",
    "restore": "yellow",
}


def verb(action: str) -> str:
    """The word a person reads for a plan's or apply's action token."""
    return VERBS.get(action, action.replace("_", " "))


def print_component_table(rows: list[dict[str, str]], title: str) -> None:
    """One row per component and what a plan does to it (add, update, patch, remove).

    The offline plan, the org plan and the rollback plan each give their own rows.
    """
    table_rows = []
    for row in rows:
        word = verb(row["action"])
        table_rows.append(
            [row["type"], row["name"], styled((word, VERB_COLOUR.get(word, ""))), row["summary"]]
        )
    print_table(
        title,
        [
            Column("type", whole=True),
            Column("name", whole=True),
            Column("action", whole=True),
            Column("summary"),
        ],
        table_rows,
    )


_printed_warnings: set[str] = set()


def new_run(command: str | None = None) -> None:
    """Forget what the last run printed and loaded (tests run many commands in one process)."""
    _printed_warnings.clear()
    _run.update(command=command, config=None)


# The setup's own advice about the integration user: said by the commands that deploy it
# (plan and deploy), not again by every command that reads the org.
SETUP_ADVICE = ("integration.username is not set", "package.version_id is not set")


def print_warnings(warnings: list[str], advice: bool = True) -> None:
    """Each warning once per run, however many steps of the run name it; ``advice=False``
    leaves out the setup's advice (verify, rollback and status do not deploy it)."""
    for warning in warnings:
        if warning in _printed_warnings or (not advice and warning.startswith(SETUP_ADVICE)):
            continue
        _printed_warnings.add(warning)
        out.print(styled(("warning:", "bold yellow"), " ", warning))


# A step's or a check's status and the colour it is shown in.
STEP_STATUS_COLOUR = {
    "ok": "green",
    "done": "green",
    "already done": "green",
    "changed": "green",
    "open": "yellow",
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
