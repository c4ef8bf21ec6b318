"""``totango-sf config``: the setup config's JSON Schema and its effective values."""

from __future__ import annotations

import typer

from tasks.totango_sf.cli.options import ConfigOption, JsonOption, OrgOption
from tasks.totango_sf.cli.output import print_json, print_result
from tasks.totango_sf.cli.session import load_config_or_exit

config_app = typer.Typer(
    help="Inspect the setup config.", no_args_is_help=True, rich_markup_mode=None
)


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
