"""The ``totango-sf`` command line.

Commands are thin: they load the config, call the plain functions that do the
work, and print a rich table or (with ``--json``) one JSON document on stdout.
Heavy imports (pydantic models, lxml schema, cumulusci) happen inside commands
so that ``--help`` stays fast.

Exit codes: 0 ok / in sync, 1 deploy failed, 2 bad input, 3 drift,
4 org unreachable or auth failed, 5 outcome unknown or partly done (settle it with
``totango-sf status``), 6 another change to the org is running.
"""

from __future__ import annotations

import gc
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from tasks.totango_sf.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_DEPLOY_FAILED,
    ConfigOption,
    JsonOption,
    OrgOption,
    error_document,
    fail,
    load_config_or_exit,
    out,
    print_json,
    print_plan_table,
    print_problems_table,
    print_result,
    print_warnings,
    styled,
)
from tasks.totango_sf.cli.mapping import register as register_mapping
from tasks.totango_sf.cli.option_sets import options_command
from tasks.totango_sf.cli.org import AdoptOption
from tasks.totango_sf.cli.org import register as register_org_commands
from tasks.totango_sf.cli.snapshots import register as register_snapshots
from tasks.totango_sf.cli.status import register as register_status
from tasks.totango_sf.cli.steps import register as register_org_steps

_APP_SETTINGS: dict[str, Any] = dict(
    help="Totango's Salesforce setup as one reviewed, repeatable, atomic deployment.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help: brackets such as "[default: ...]" print literally instead of being read
    # as rich markup, and --help skips typer's rich formatter (markdown-it and friends).
    rich_markup_mode=None,
)
app = typer.Typer(**_APP_SETTINGS)
config_app = typer.Typer(
    help="Inspect the setup config.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(config_app, name="config")


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


@dataclass(frozen=True)
class PlanOptions:
    """The options of `totango-sf plan`."""

    config: ConfigOption = None
    org: OrgOption = None
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the package.")] = Path(
        "build/totango"
    )
    output_format: Annotated[
        str, typer.Option("--format", help="mdapi (Metadata API folder) or source (sfdx).")
    ] = "mdapi"
    diff: Annotated[
        bool, typer.Option("--diff", help="With --org: the unified XML diff of each change.")
    ] = False
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode",
            help="With --org: exit 3 when changes are pending, 0 when in sync (as Terraform).",
        ),
    ] = False
    force: Annotated[
        bool, typer.Option("--force", help="Let --out replace files this command did not write.")
    ] = False
    as_json: JsonOption = False
    adopt: AdoptOption = False


@app.command()
@options_command(PlanOptions)
def plan(options: PlanOptions) -> None:
    """Render and validate the setup package and show what it would change.

    Offline unless --org is given. Writes the package to OUT/package and the
    layout and settings fragments that the merge adds to OUT/patches. With --org it
    reads the org and diffs; it never deploys, not even check-only.
    """
    config, org, out_dir, output_format = (
        options.config, options.org, options.out_dir, options.output_format
    )  # fmt: skip
    diff, detailed_exitcode, force, as_json = (
        options.diff, options.detailed_exitcode, options.force, options.as_json
    )  # fmt: skip
    if output_format not in ("mdapi", "source"):
        fail(f"--format must be 'mdapi' or 'source', not {output_format!r}", 2, as_json)
    if (diff or detailed_exitcode or options.adopt) and not org:
        option = "--diff" if diff else "--detailed-exitcode" if detailed_exitcode else "--adopt"
        fail(f"{option} compares with an org: add --org NAME", EXIT_BAD_INPUT, as_json)
    if org and output_format != "mdapi":
        fail(
            "plan --org writes a Metadata API package; use --format mdapi", EXIT_BAD_INPUT, as_json
        )
    if not org:
        from tasks.totango_sf.metadata.schema import start_loading_toolkit_schema

        start_loading_toolkit_schema()
    cfg = load_config_or_exit(config, org, as_json)
    if org:
        from tasks.totango_sf.cli.org import plan_against_org

        plan_against_org(
            cfg,
            org,
            out_dir,
            as_json,
            diff=diff,
            detailed=detailed_exitcode,
            force=force,
            adopt=options.adopt,
        )
        return

    from tasks.totango_sf.metadata.paths import UnsafePath
    from tasks.totango_sf.metadata.validation import SchemaValidationError
    from tasks.totango_sf.render.plan import build_plan, plan_files, write_files

    the_plan = build_plan(cfg)
    files = plan_files(the_plan, output_format)  # type: ignore[arg-type]
    try:
        write_files(files, out_dir, force=force)
    except SchemaValidationError as exc:
        print_problems_table("schema errors (nothing written)", exc.problems)
        fail("the rendered package is not schema-valid", EXIT_DEPLOY_FAILED, as_json)
    except UnsafePath as exc:  # OutDirRefused among them
        fail(str(exc), EXIT_BAD_INPUT, as_json)
    document = {
        **the_plan.to_json(),
        "out_dir": str(out_dir),
        "format": output_format,
        "files": sorted(files),
        "validated": len(files),
    }
    if as_json:
        print_result(document)
        return
    print_plan_table(the_plan.table_rows(), "Totango setup plan (offline)")
    out.print(
        styled(
            f"Wrote {len(files)} files to ",
            (str(out_dir), "bold"),
            f" ({output_format}); all passed Metadata API schema validation.",
        )
    )
    print_warnings(the_plan.warnings)


@app.command()
def apply(
    source_dir: Annotated[
        Path, typer.Option("--source-dir", help="sfdx project or Metadata API folder to edit.")
    ],
    config: ConfigOption = None,
    allow_placeholders: Annotated[
        bool,
        typer.Option(
            "--allow-placeholders",
            help="Write the documentation IP list (RFC 5737/3849) even though it is a placeholder.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Write the setup into a local project: new components plus merged layouts and settings.

    Lines the merge does not change keep their bytes (entities, comments, CRLF).
    Schema errors a file already had are warnings; an error the merge adds refuses the run.
    """
    from tasks.totango_sf.merge.source_dir import (
        ApplySourceError,
        PlaceholderRangesError,
        apply_to_source,
    )
    from tasks.totango_sf.metadata.validation import SchemaValidationError

    cfg = load_config_or_exit(config, None, as_json)
    if not source_dir.is_dir():
        fail(f"--source-dir {source_dir} is not a directory", EXIT_BAD_INPUT, as_json)
    try:
        result = apply_to_source(cfg, source_dir, allow_placeholders=allow_placeholders)
    except PlaceholderRangesError as exc:
        fail(str(exc), EXIT_BAD_INPUT, as_json)
    except ApplySourceError as exc:
        fail(f"--source-dir {source_dir}: {exc}", EXIT_BAD_INPUT, as_json)
    except SchemaValidationError as exc:
        if not as_json:
            print_problems_table(
                "schema errors the merge would add (nothing written)", exc.problems
            )
        fail(
            "the merge would add schema errors; nothing was written",
            EXIT_DEPLOY_FAILED,
            as_json,
            problems=[str(p) for p in exc.problems],
        )
    if as_json:
        print_result(result.to_json())
        return
    from rich.table import Table

    table = Table(title=f"apply to {source_dir} ({result.project_format})", title_justify="left")
    table.add_column("file", overflow="fold")
    table.add_column("change")
    table.add_column("detail", overflow="fold")
    for change in result.changes:
        table.add_row(change.path, change.change, change.detail)
    out.print(table)
    out.print("changed" if result.changed else "nothing to change: already applied")
    print_warnings(result.warnings)


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Metadata files or folders.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check metadata files against the Metadata API schema (file:line: problem).

    --config is read and checked like every command's, so a broken config fails here too.
    """
    from tasks.totango_sf.metadata.validation import collect_metadata_files, validate_files

    load_config_or_exit(config, None, as_json)
    try:
        files = collect_metadata_files(paths)
    except FileNotFoundError as exc:
        fail(f"no such file or folder: {exc}", EXIT_BAD_INPUT, as_json)
    problems = validate_files(files)
    if as_json:
        print_result(
            {
                "checked": len(files),
                "problems": [
                    {"path": p.path, "line": p.line, "message": p.message} for p in problems
                ],
            },
            EXIT_BAD_INPUT if problems else 0,
        )
    else:
        for problem in problems:
            out.print(str(problem), soft_wrap=True)
        verdict = ("invalid", "red") if problems else ("valid", "green")
        out.print(styled(f"{len(files)} file(s) checked, {len(problems)} problem(s): ", verdict))
    if problems:
        raise typer.Exit(EXIT_BAD_INPUT)


@config_app.command("schema")
def config_schema(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Print the config's JSON Schema (for editor completion); --json wraps it in the envelope.

    The schema does not depend on the config; --config is accepted so that every
    command takes the same options.
    """
    from tasks.totango_sf.config.model import config_json_schema

    schema = config_json_schema()
    if as_json:
        print_result({"schema": schema})
    else:
        print_json(schema)


@config_app.command("show")
def config_show(
    config: ConfigOption = None, org: OrgOption = None, as_json: JsonOption = False
) -> None:
    """Print the effective config (defaults, file and org overlay merged) as JSON."""
    cfg = load_config_or_exit(config, org, as_json)
    if as_json:
        print_result({"config": cfg.model_dump(mode="json")})
    else:
        print_json(cfg.model_dump(mode="json"))


register_org_commands(app)
register_org_steps(app)
register_mapping(app)

register_status(app)
register_snapshots(app)


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
