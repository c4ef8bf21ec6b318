"""The ``totango-sf`` command line: the app, its commands and how a run starts.

Each command lives in its own module under ``cli/commands/``, named in one registry
here (``COMMANDS`` and ``GROUPS``, in the order ``--help`` lists them) and imported only
when needed, as pip's ``commands/__init__.py`` does: a run that names a command imports
and builds that command alone (``app_for``); ``--help`` builds them all. A command
module imports only typer and the framework modules beside this one (output, options,
session, ...); heavy imports (pydantic models, lxml schema, cumulusci, rich) happen
inside the commands, so that ``--help`` stays fast.

Commands are thin: they load the config, call the plain functions that do the
work, and print a rich table or (with ``--json``) one JSON document on stdout.

Exit codes (``errors.py``): 0 ok / in sync, 1 deploy failed, 2 bad input, 3 drift,
4 org unreachable or auth failed, 5 outcome unknown or partly done (settle it with
``totango-sf status``), 6 another change to the org is running, 7 a manual step of
``setup`` is still open.
"""

from __future__ import annotations

import codecs
import functools
import gc
import importlib
import io
import os
import sys
from collections.abc import Collection
from typing import Annotated, Any

import typer

from tasks.totango_sf.cli.output import error_document, fail, print_json
from tasks.totango_sf.errors import EXIT_BAD_INPUT, TotangoError

# Each command: its module under cli/commands/ and the function in it, in --help's order.
COMMANDS: dict[str, tuple[str, str]] = {
    "plan": ("plan", "plan_command"),
    "apply": ("apply", "apply_command"),
    "validate": ("validate", "validate_command"),
    "deploy": ("deploy", "deploy_command"),
    "verify": ("verify", "verify_command"),
    "rollback": ("rollback", "rollback_command"),
    "org-id": ("org_id", "org_id_command"),
    "doctor": ("doctor", "doctor_command"),
    "install": ("install", "install_command"),
    "connected-app": ("connected_app", "connected_app_command"),
    "setup": ("setup", "setup_command"),
    "mapping": ("mapping", "mapping_command"),
    "status": ("status", "status_command"),
    "snapshots": ("snapshots", "snapshots_command"),
}
# Each group of subcommands: its module and its typer app; --help lists them last.
GROUPS: dict[str, tuple[str, str]] = {
    "config": ("config", "config_app"),
}

_APP_SETTINGS: dict[str, Any] = dict(
    help="Totango's Salesforce setup as one reviewed, repeatable, atomic deployment.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help: brackets such as "[default: ...]" print literally instead of being read
    # as rich markup, and --help skips typer's rich formatter (markdown-it and friends).
    rich_markup_mode=None,
    # Help fills the terminal (click stops at 80 columns unless told), and -h is --help.
    context_settings={"max_content_width": 10_000, "help_option_names": ["-h", "--help"]},
)

# Each command's examples, shown at the end of its --help.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "plan": (
        "totango-sf plan --config orgconfig/totango.yml",
        "totango-sf plan --org uat --diff --detailed-exitcode",
    ),
    "apply": (
        "totango-sf apply --source-dir ../my-sfdx-project --dry-run",
        "totango-sf apply --source-dir ../my-sfdx-project",
    ),
    "validate": ("totango-sf validate build/totango/package",),
    "deploy": (
        "totango-sf deploy --org uat",
        "totango-sf deploy --org prod --check-only --test-level RunLocalTests",
        "totango-sf deploy --org prod --quick 0Af... --yes",
    ),
    "verify": ("totango-sf verify --org uat", "totango-sf verify --orgs 'uat-*' --json"),
    "rollback": (
        "totango-sf rollback --org uat",
        "totango-sf rollback --org uat --remove-components --snapshot 20250101T120000Z",
    ),
    "org-id": ("totango-sf org-id --org prod",),
    "doctor": ("totango-sf doctor --org uat", "totango-sf doctor --orgs 'uat-*'"),
    "install": ("totango-sf install --org uat", "totango-sf install --org prod --yes"),
    "connected-app": (
        "totango-sf connected-app --org uat",
        "totango-sf connected-app --org uat --revoke",
    ),
    "setup": ("totango-sf setup --org uat", "totango-sf setup --org uat --browser --allow-manual"),
    "mapping": ("totango-sf mapping", "totango-sf mapping --format csv > mapping.csv"),
    "status": ("totango-sf status --org uat", "totango-sf status --org uat --deploy-id 0Af..."),
}


def epilog(name: str) -> str | None:
    """The examples of a command as its help's last paragraph, kept as written (``\b``)."""
    examples = EXAMPLES.get(name)
    if not examples:
        return None
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in examples)


def _load(module: str, attribute: str) -> Any:
    return getattr(importlib.import_module(f"tasks.totango_sf.cli.commands.{module}"), attribute)


def register(app: typer.Typer, names: Collection[str] | None = None) -> None:
    """Add the named commands and groups to ``app``, every one when no names are given.

    Only the modules of the commands added are imported.
    """
    for name, (module, function) in COMMANDS.items():
        if names is None or name in names:
            app.command(name, epilog=epilog(name))(_load(module, function))
    for name, (module, group) in GROUPS.items():
        if names is None or name in names:
            app.add_typer(_load(module, group), name=name)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("totango-sf")
        except PackageNotFoundError:
            number = "unknown (not installed)"
        typer.echo(f"totango-sf {number}")
        raise typer.Exit()


def _global_options(
    ctx: typer.Context,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Totango's Salesforce setup as one reviewed, repeatable, atomic deployment."""
    from tasks.totango_sf.cli.output import new_run

    new_run(ctx.invoked_subcommand)


def _new_app(names: Collection[str] | None = None) -> typer.Typer:
    app = typer.Typer(**_APP_SETTINGS)
    app.callback()(_global_options)
    register(app, names)
    return app


@functools.cache
def whole_app() -> typer.Typer:
    """The app with every command, built on first use (``--help`` lists them all)."""
    return _new_app()


def __getattr__(name: str) -> Any:
    # ``from tasks.totango_sf.cli.app import app``: the whole app, built when asked for.
    if name == "app":
        return whole_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def app_for(args: list[str]) -> typer.Typer:
    """The app a run needs: only the named command when the first argument names one.

    Only that command's module is imported, and typer builds only its options (for
    every registered command it reads signatures and type hints before it reads the
    arguments, about 20 ms for all of them). ``--help`` without a command, an option
    first, or a name that is no command get the whole app, so the command list and
    "No such command" stay as they are.
    """
    name = args[0] if args else ""
    if name not in COMMANDS and name not in GROUPS:
        return whole_app()
    return _new_app([name])


def main() -> None:
    try:
        _main()
    except TotangoError as exc:
        # A refusal a command did not turn into its own message (a damaged state file,
        # a place that cannot be written): the same one line and exit code, by the one
        # verdict table, never a traceback.
        from tasks.totango_sf.org.verdicts import verdict_of

        verdict = verdict_of(exc)
        as_json = "--json" in sys.argv[1:]
        try:
            fail(verdict.message, verdict.code, as_json, actions=verdict.actions, **verdict.data)
        except typer.Exit as done:
            sys.exit(done.exit_code)


def _main() -> None:
    run = app_for(sys.argv[1:])
    if "--json" not in sys.argv[1:]:
        run()
        return
    # Under --json even a usage error (an unknown option, a missing argument) is one
    # JSON document on stdout, so CI parsers never meet click's plain-text usage lines.
    try:
        code = run(standalone_mode=False)
    except typer.TyperException as exc:
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        print_json(error_document(message, EXIT_BAD_INPUT, name="UsageError"))
        sys.exit(EXIT_BAD_INPUT)
    except typer.Abort:
        print_json(error_document("aborted", 130, name="Aborted"))
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def run() -> None:
    """The ``totango-sf`` executable: ``main``, then the process ends without a last sweep.

    At exit the interpreter runs its cyclic garbage collector over every object the
    stack built (typer, pydantic, rich, lxml, jinja2: some 40 000), which took about
    40 ms of a 350 ms ``plan``. Nothing is left to free once the command has run:
    files are written and closed, output is flushed at exit, and ``atexit`` hooks
    (logging's flush among them) still run. ``gc.freeze`` moves every object to the
    permanent generation, which collections then ignore (Python docs, ``gc.freeze``:
    "ignore all the future collections"). Not in ``main``: tests call that in-process.
    """
    _streams_that_never_break()
    try:
        main()
    finally:
        gc.freeze()


class _QuietWhenClosed(io.RawIOBase):
    """A stream's file descriptor that stops writing, silently, once its reader is gone.

    ``totango-sf verify | head -1`` (or ``| true``) closes the pipe while the command
    still writes; Python ignores SIGPIPE, so each later write raises BrokenPipeError,
    which would end the command with exit 1 and a traceback in place of its own exit
    code. Here the rest is dropped, as a closed pipe cannot take it, and the command
    runs to its end and exits with its own code.
    """

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self._closed_pipe = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: Any) -> int:
        size = len(data)
        if self._closed_pipe:
            return size
        try:
            return os.write(self._fd, data)
        except BrokenPipeError:
            self._closed_pipe = True
            return size

    def close(self) -> None:
        # The interpreter closes sys.stdout at exit: the descriptor stays the process's.
        super().close()


def _streams_that_never_break() -> None:
    """stdout and stderr that survive a closed pipe and a terminal that is not UTF-8.

    With ``PYTHONIOENCODING=ascii`` (or a C locale) a label such as "Tötängo" raised
    UnicodeEncodeError; what the terminal's encoding cannot take is now written as a
    backslash escape (``T\\xf6t\\xe4ngo``), the rest as it is.
    """
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        try:
            fd = stream.fileno()
            encoding = stream.encoding or "utf-8"
        except (AttributeError, OSError, ValueError):
            continue  # not a real file (an embedding host): leave it alone
        utf = codecs.lookup(encoding).name.startswith("utf")
        stream.flush()
        wrapped = io.TextIOWrapper(
            io.BufferedWriter(_QuietWhenClosed(fd)),
            encoding=encoding,
            errors=stream.errors if utf else "backslashreplace",
            line_buffering=stream.line_buffering,
            write_through=name == "stderr",
        )
        setattr(sys, name, wrapped)


if __name__ == "__main__":
    run()
