"""``totango-sf apply``: the setup written into a local project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tasks.totango_sf.cli.options import ConfigOption, JsonOption
from tasks.totango_sf.cli.output import (
    fail,
    out,
    print_problems_table,
    print_result,
    print_warnings,
)
from tasks.totango_sf.cli.session import load_config_or_exit
from tasks.totango_sf.errors import EXIT_BAD_INPUT, EXIT_DEPLOY_FAILED


def apply_command(
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
