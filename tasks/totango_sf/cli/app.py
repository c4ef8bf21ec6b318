"""The ``totango-sf`` command line: the app, its commands and how a run starts.

Each command lives in its own module under ``cli/commands/`` and is registered here,
from ``COMMANDS``, in the order ``--help`` lists them. The modules import only typer and
the framework modules beside this one (output, options, session, ...); heavy imports
(pydantic models, lxml schema, cumulusci, rich) happen inside the commands, so that
``--help`` stays fast, and a run builds only the command it names (``app_for``).

Commands are thin: they load the config, call the plain functions that do the
work, and print a rich table or (with ``--json``) one JSON document on stdout.

Exit codes (``errors.py``): 0 ok / in sync, 1 deploy failed, 2 bad input, 3 drift,
4 org unreachable or auth failed, 5 outcome unknown or partly done (settle it with
``totango-sf status``), 6 another change to the org is running, 7 a manual step of
``setup`` is still open.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from tasks.totango_sf.cli.commands import (
    apply,
    config,
    connected_app,
    deploy,
    doctor,
    install,
    mapping,
    org_id,
    plan,
    rollback,
    setup,
    status,
    validate,
    verify,
)
from tasks.totango_sf.cli.output import error_document, print_json
from tasks.totango_sf.errors import EXIT_BAD_INPUT

# Every command and the function that runs it, in the order ``--help`` lists them.
COMMANDS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("plan", plan.plan_command),
    ("apply", apply.apply_command),
    ("validate", validate.validate_command),
    ("deploy", deploy.deploy_command),
    ("verify", verify.verify_command),
    ("rollback", rollback.rollback_command),
    ("org-id", org_id.org_id_command),
    ("doctor", doctor.doctor_command),
    ("install", install.install_command),
    ("connected-app", connected_app.connected_app_command),
    ("setup", setup.setup_command),
    ("mapping", mapping.mapping_command),
    ("status", status.status_command),
)
# Groups of subcommands; --help lists them after the commands.
GROUPS: tuple[tuple[str, typer.Typer], ...] = (("config", config.config_app),)


def register(app: typer.Typer) -> None:
    """Add every command and group to ``app``."""
    for name, command in COMMANDS:
        app.command(name)(command)
    for name, group in GROUPS:
        app.add_typer(group, name=name)


_APP_SETTINGS: dict[str, Any] = dict(
    help="Totango's Salesforce setup as one reviewed, repeatable, atomic deployment.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help: brackets such as "[default: ...]" print literally instead of being read
    # as rich markup, and --help skips typer's rich formatter (markdown-it and friends).
    rich_markup_mode=None,
)
app = typer.Typer(**_APP_SETTINGS)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("totango-sf")
        except PackageNotFoundError:
            number = "unknown (not installed)"
        typer.echo(f"totango-sf {number}")
        raise typer.Exit()


@app.callback()
def _global_options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Totango's Salesforce setup as one reviewed, repeatable, atomic deployment."""


register(app)


def _command_name(command: Any) -> str:
    if command.name:
        return str(command.name)
    return typer.main.get_command_name(command.callback.__name__) if command.callback else ""


def app_for(args: list[str]) -> typer.Typer:
    """The app a run needs: only the named command when the first argument names one.

    Before it reads the arguments, typer builds the options of every registered
    command (signatures, type hints, about 20 ms for all of them), though a run needs
    one. ``--help`` without a command, an option first, or a name that is no command
    get the whole app, so the command list and "No such command" stay as they are.
    Only typer's registry (``registered_commands`` and friends) is read, not patched.
    """
    name = args[0] if args else ""
    commands = [c for c in app.registered_commands if _command_name(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if len(commands) + len(groups) != 1:
        return app
    one = typer.Typer(**_APP_SETTINGS)
    one.registered_callback = app.registered_callback
    one.registered_commands = commands
    one.registered_groups = groups
    return one


def main() -> None:
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
    try:
        main()
    finally:
        gc.freeze()


if __name__ == "__main__":
    run()
