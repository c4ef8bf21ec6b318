"""``totango-sf mapping``: the field mapping table for Totango's integration job."""

from __future__ import annotations

from typing import Annotated

import typer

from tasks.totango_sf.cli.options import ConfigOption, JsonOption, completer
from tasks.totango_sf.cli.output import Column, fail, print_result, print_table, print_warnings
from tasks.totango_sf.cli.session import load_config_or_exit
from tasks.totango_sf.errors import EXIT_BAD_INPUT

FORMATS = ("table", "csv", "json")


def mapping_command(
    config: ConfigOption = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="table|csv|json",
            autocompletion=completer(FORMATS),
            help="table, csv or json: per object, Totango's field and its Salesforce API name."
            " json is the bare list of mappings, for Totango's import; --json is the"
            " envelope every command prints ({status, result: {mappings, ...}, warnings}).",
        ),
    ] = "table",
    as_json: JsonOption = False,
) -> None:
    """Print the field mapping Totango's outbound integration job needs (no org needed)."""
    from tasks.totango_sf.steps.mapping import field_mapping

    if output_format not in ("table", "csv", "json"):
        fail(
            f"--format must be table, csv or json (got {output_format!r})", EXIT_BAD_INPUT, as_json
        )
    cfg = load_config_or_exit(config, None, as_json)
    mapping = field_mapping(cfg)
    if as_json:
        print_result(mapping.to_json())
        return
    if output_format == "csv":
        typer.echo(mapping.to_csv(), nl=False)
        return
    if output_format == "json":
        import json

        typer.echo(json.dumps(mapping.to_json()["mappings"], indent=2))
        return
    print_table(
        "Totango field mapping",
        [
            Column("object", whole=True),
            Column("Totango field"),
            Column("Salesforce API name", whole=True),
            Column("type", whole=True),
        ],
        [[r.object, r.totango_field, r.salesforce_field, r.type] for r in mapping.rows],
    )
    print_warnings(mapping.warnings)
