"""The record-page table that ``plan --org`` and ``deploy`` print, one row per page in use."""

from __future__ import annotations

from typing import Any

from tasks.totango_sf.cli.common import out

_SHOWS = {
    "component": "[green]its own component[/]",
    "layout_section": "[green]layout section (Record Detail)[/]",
    "partly": "[yellow]layout section, not for every profile[/]",
    "never": "[red]never[/]",
}
_ACTION = {
    "add": "[cyan]add component[/]",
    "leave": "leave",
    "cannot": "[red]cannot[/]",
    "create": "[green]create page[/]",
    "remove": "[yellow]remove component[/]",
}


def print_record_pages(plan: Any, title: str = "Lightning record pages") -> None:
    """``plan`` is a RecordPagePlan; prints nothing when no object has a page in use."""
    if plan is None or not plan.rows:
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in ("object", "page", "assigned", "widget shows through", "deploy", "why"):
        table.add_column(column)
    for row in plan.rows:
        data = row.to_json()
        table.add_row(
            escape(data["object"]),
            escape(data["page"]),
            escape("; ".join(data["assigned"])),
            _SHOWS[row.shows],
            _ACTION[row.action]
            + ("\n[yellow]+ org default (every user)[/]" if row.becomes_org_default else ""),
            escape(data["reason"]),
        )
    out.print(table)
