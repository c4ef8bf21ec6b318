"""``totango-sf org-id``: the Organization ID to paste into Totango."""

from __future__ import annotations

from tasks.totango_sf.cli.default_org import org_or_default
from tasks.totango_sf.cli.options import ConfigOption, JsonOption, OrgRequired
from tasks.totango_sf.cli.output import out, print_result, styled
from tasks.totango_sf.cli.session import guarded, session_and_config


def org_id_command(
    org: OrgRequired = None, config: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """Print the 15- and 18-character Organization ID and where to paste it in Totango."""
    from tasks.totango_sf.steps.org_id import read_org_identity

    org = org_or_default(org, as_json)
    session, _ = session_and_config(org, config, as_json)
    identity = guarded(org, as_json, lambda: read_org_identity(session))
    if as_json:
        print_result({"org": org, **identity.to_json()})
        return
    out.print(styled("Organization ID (15): ", (identity.id15, "bold")))
    out.print(styled("Organization ID (18): ", (identity.id18, "bold")))
    out.print(f"{identity.name} - {identity.edition}, {identity.kind}")
    out.print(f"Paste it into {identity.paste_into}.")
