"""``totango-sf mapping``: the field mapping table for Totango's integration job."""

from __future__ import annotations

from typing import Annotated

import typer

from tasks.totango_sf.cli.options import ConfigOption, JsonOption
from tasks.totango_sf.cli.output import fail, out, print_result, print_warnings
from tasks.totango_sf.cli.session import load_config_or_exit
from tasks.totango_sf.errors import EXIT_BAD_INPUT

FORMATS = ("table", "csv", "json")


def mapping_command(
    config: ConfigOption = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="table, csv or json: per object, Totango's field and its Salesforce API name.",
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
    from rich.table import Table

    table = Table(title="Totango field mapping")
    for column in ("object", "Totango field", "Salesforce API name", "type"):
        table.add_column(column)
    for row in mapping.rows:
        table.add_row(row.object, row.totango_field, row.salesforce_field, row.type)
    out.print(table)
    print_warnings(mapping.warnings)
