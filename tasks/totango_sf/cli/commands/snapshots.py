"""``totango-sf snapshots --org NAME``: the org's snapshots, and what the setup owns now.

Reads the local snapshot manifests only (no org call): one row per snapshot (id, date,
kind, outcome, deploy id, the rollback that undid it), then what the setup owns in the
org from every deploy and rollback recorded there (``state/ownership.py``): what a
rollback with ``--remove-components`` would take out and delete.
"""

from __future__ import annotations

from typing import Any

from tasks.totango_sf.cli.default_org import org_or_default
from tasks.totango_sf.cli.options import ConfigOption, JsonOption, OrgRequired
from tasks.totango_sf.cli.output import out, print_result, styled
from tasks.totango_sf.cli.session import load_config_or_exit


def owned_json(ownership: Any) -> dict[str, Any]:
    return {
        "sections": [
            {"layout": layout, "origin": r.origin, "label": r.label, "page": r.page}
            for layout, r in sorted(ownership.sections.items())
        ],
        "ranges": [
            {"start": k[0], "end": k[1], "description": k[2], "origin": origin}
            for k, origin in sorted(ownership.ranges.items())
        ],
        "components": [
            {"type": t, "name": n, "snapshot": snapshot}
            for (t, n), snapshot in sorted(ownership.components.items())
        ],
    }


def snapshots_command(
    org: OrgRequired, config: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """List the org's snapshots (id, date, kind, outcome, deploy id) and what the setup owns.

    Local only: reads .totango/snapshots/<org>/, never the org.
    """
    org = org_or_default(org, as_json)
    if config is not None:
        load_config_or_exit(config, org, as_json)
    from tasks.totango_sf.state.ownership import current_ownership
    from tasks.totango_sf.state.snapshot import snapshot_folder
    from tasks.totango_sf.state.snapshot_history import snapshot_history

    root = snapshot_folder(None)
    rows = snapshot_history(root, org)
    owned = owned_json(current_ownership(root, org))
    if as_json:
        print_result({"org": org, "snapshots": [r.to_json() for r in rows], "owned": owned})
        return
    from rich.table import Table

    table = Table(title=f"snapshots of {org}", title_justify="left")
    # Ids are what a reader copies (--snapshot, status --deploy-id): never wrapped.
    table.add_column("id", no_wrap=True)
    table.add_column("date", overflow="fold")
    table.add_column("kind", overflow="fold")
    table.add_column("outcome", overflow="fold")
    table.add_column("deploy id", no_wrap=True)
    for row in rows:
        table.add_row(row.id, row.date, row.kind, row.outcome, row.deploy_id or "")
    out.print(table)
    if not rows:
        out.print(f"no snapshot of {org} here")
        return
    out.print(
        styled(
            ("owned by the setup: ", "bold"),
            f"{len(owned['sections'])} section(s), {len(owned['ranges'])} range(s),"
            f" {len(owned['components'])} component(s)",
        )
    )
    for section in owned["sections"]:
        out.print(
            f"  section {section['label']!r} ({section['origin']}) on {section['layout']}",
            soft_wrap=True,
        )
