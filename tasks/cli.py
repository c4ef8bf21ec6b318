"""The ``totango-sf`` command line.

Commands are thin: they load the config, call the plain functions that do the
work, and print a rich table or (with ``--json``) one JSON document on stdout.
Heavy imports (pydantic models, lxml schema, cumulusci) happen inside commands
so that ``--help`` stays fast.

Exit codes: 0 ok / in sync, 1 deploy failed, 2 bad input, 3 drift,
4 org unreachable or auth failed.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

EXIT_OK = 0
EXIT_DEPLOY_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_DRIFT = 3
EXIT_ORG_UNREACHABLE = 4

app = typer.Typer(
    help="Totango's Salesforce setup as one reviewed, repeatable, atomic deployment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Inspect the setup config.", no_args_is_help=True)
app.add_typer(config_app, name="config")

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Setup config YAML [default: orgconfig/totango.yml]."),
]
OrgOption = Annotated[
    str | None, typer.Option("--org", help="CumulusCI org name; applies orgconfig/<org>.yml.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document only.")]


def print_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")


def fail(message: str, code: int, as_json: bool, **extra: Any) -> NoReturn:
    if as_json:
        print_json({"ok": False, "error": message, "exit_code": code, **extra})
    else:
        err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def load_config_or_exit(config: Path | None, org: str | None, as_json: bool) -> Any:
    from tasks.config import ConfigError, load_config

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


@app.command()
def plan(
    config: ConfigOption = None,
    org: OrgOption = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the package.")] = Path(
        "build/totango"
    ),
    output_format: Annotated[
        str, typer.Option("--format", help="mdapi (Metadata API folder) or source (sfdx).")
    ] = "mdapi",
    as_json: JsonOption = False,
) -> None:
    """Render and validate the setup package and show what it would change.

    Offline unless --org is given. Writes the package to OUT/package and the
    layout and settings fragments that the merge adds to OUT/patches.
    """
    if output_format not in ("mdapi", "source"):
        fail(f"--format must be 'mdapi' or 'source', not {output_format!r}", 2, as_json)
    cfg = load_config_or_exit(config, org, as_json)
    if org:
        from tasks.cli_org import plan_against_org

        plan_against_org(cfg, org, out_dir, output_format, as_json)
        return

    from tasks.plan import build_plan, plan_files, write_files
    from tasks.validation import SchemaValidationError

    the_plan = build_plan(cfg)
    files = plan_files(the_plan, output_format)  # type: ignore[arg-type]
    for owned in ("package", "patches"):
        shutil.rmtree(out_dir / owned, ignore_errors=True)
    try:
        write_files(files, out_dir)
    except SchemaValidationError as exc:
        print_problems_table("schema errors (nothing written)", exc.problems)
        fail("the rendered package is not schema-valid", EXIT_DEPLOY_FAILED, as_json)
    document = {
        "ok": True,
        **the_plan.to_json(),
        "out_dir": str(out_dir),
        "format": output_format,
        "files": sorted(files),
        "validated": len(files),
    }
    if as_json:
        print_json(document)
        return
    print_plan_table(the_plan.table_rows(), "Totango setup plan (offline)")
    out.print(
        f"Wrote {len(files)} files to [bold]{out_dir}[/] ({output_format});"
        " all passed Metadata API schema validation.",
        highlight=False,
    )
    print_warnings(the_plan.warnings)


@app.command()
def apply(
    source_dir: Annotated[
        Path, typer.Option("--source-dir", help="sfdx project or Metadata API folder to edit.")
    ],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the setup into a local project: new components plus merged layouts and settings."""
    from tasks.apply_source import ApplySourceError, apply_to_source
    from tasks.validation import SchemaValidationError

    cfg = load_config_or_exit(config, None, as_json)
    if not source_dir.is_dir():
        fail(f"--source-dir {source_dir} is not a directory", EXIT_BAD_INPUT, as_json)
    try:
        result = apply_to_source(cfg, source_dir)
    except ApplySourceError as exc:
        fail(f"--source-dir {source_dir}: {exc}", EXIT_BAD_INPUT, as_json)
    except SchemaValidationError as exc:
        print_problems_table("schema errors (nothing written)", exc.problems)
        fail("the merged files are not schema-valid; nothing was written", 1, as_json)
    if as_json:
        print_json({"ok": True, **result.to_json()})
        return
    table = Table(title=f"apply to {source_dir} ({result.project_format})", title_justify="left")
    for column in ("file", "change", "detail"):
        table.add_column(column)
    for change in result.changes:
        table.add_row(change.path, change.change, change.detail)
    out.print(table)
    out.print("changed" if result.changed else "nothing to change: already applied")
    print_warnings(result.warnings)


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Metadata files or folders.")],
    as_json: JsonOption = False,
) -> None:
    """Check metadata files against the Metadata API schema (file:line: problem)."""
    from tasks.validation import collect_metadata_files, validate_files

    try:
        files = collect_metadata_files(paths)
    except FileNotFoundError as exc:
        fail(f"no such file or folder: {exc}", EXIT_BAD_INPUT, as_json)
    problems = validate_files(files)
    if as_json:
        print_json(
            {
                "ok": not problems,
                "checked": len(files),
                "problems": [
                    {"path": p.path, "line": p.line, "message": p.message} for p in problems
                ],
            }
        )
    else:
        for problem in problems:
            out.print(str(problem), highlight=False, soft_wrap=True)
        verdict = "[red]invalid[/]" if problems else "[green]valid[/]"
        out.print(f"{len(files)} file(s) checked, {len(problems)} problem(s): {verdict}")
    if problems:
        raise typer.Exit(EXIT_BAD_INPUT)


@config_app.command("schema")
def config_schema() -> None:
    """Print the config's JSON Schema (for editor completion)."""
    from tasks.config import config_json_schema

    print_json(config_json_schema())


@config_app.command("show")
def config_show(config: ConfigOption = None, org: OrgOption = None) -> None:
    """Print the effective config (defaults, file and org overlay merged)."""
    cfg = load_config_or_exit(config, org, True)
    print_json(cfg.model_dump(mode="json"))


# The org commands live in their own module and import helpers from this one,
# so they are registered last.
from tasks.cli_org import register as register_org_commands  # noqa: E402
from tasks.cli_org_steps import register as register_org_steps  # noqa: E402

register_org_commands(app)
register_org_steps(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
