"""The record-page plan as ``plan --org`` and ``deploy`` print it, one row per page in use."""

from __future__ import annotations

from typing import Any

from tasks.totango_sf.cli.output import Column, print_table, styled

# Each cell's text and its style.
_SHOWS = {
    "component": ("its own component", "green"),
    "layout_section": ("layout section (Record Detail)", "green"),
    "partly": ("layout section, not for every profile", "yellow"),
    "never": ("never", "red"),
}
_ACTION = {
    "add": ("add component", "cyan"),
    "leave": ("leave", ""),
    "cannot": ("cannot", "red"),
    "create": ("create page", "green"),
    "remove": ("remove component", "yellow"),
}
_ORG_DEFAULT = ("\n+ org default (every user)", "yellow")


def print_record_pages(page_plan: Any, title: str = "Lightning record pages") -> None:
    """The record-page plan (a RecordPagePlan); nothing when no object has a page in use."""
    if page_plan is None or not page_plan.rows:
        return
    rows = []
    for row in page_plan.rows:
        data = row.to_json()
        rows.append(
            [
                data["object"],
                data["page"],
                # One assignment a line: each names an app, a profile or a record type.
                "\n".join(data["assigned"]),
                styled(_SHOWS[row.shows]),
                styled(_ACTION[row.action], *([_ORG_DEFAULT] if row.becomes_org_default else [])),
                data["reason"],
            ]
        )
    columns = [
        Column("object", whole=True),
        Column("page", whole=True),
        Column("assigned", whole=True),
        Column("widget shows through"),
        Column("deploy", whole=True),
        Column("why"),
    ]
    print_table(title, columns, rows)
