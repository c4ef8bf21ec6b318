"""The tables an org command prints: the org plan's components, failures, diffs and drift.

Shared by ``plan --org``, ``deploy``, ``verify``, ``rollback`` and ``status``; rich is
imported when a table is built.
"""

from __future__ import annotations

from typing import Any

from tasks.totango_sf.cli.output import err, out, styled

NOT_CHANGED = "The deploy failed and was rolled back as a whole: the org was not changed."


def component_rows(state: Any) -> list[dict[str, str]]:
    """The org plan's components (its desired state's diffs) as component-table rows."""
    from tasks.totango_sf.render.plan import summarise_fields

    rows = [
        {"type": d.type, "name": d.name, "action": d.action, "summary": d.summary}
        for d in state.diffs
    ]
    return summarise_fields(rows)


def print_failures(result: Any) -> None:
    from rich.table import Table

    table = Table(title="component failures", title_justify="left")
    # The file is what the reader acts on: never wrapped, the problem folds instead.
    table.add_column("file", overflow="fold")
    table.add_column("line", justify="right")
    table.add_column("problem", overflow="fold")
    for f in result.failures:
        table.add_row(f.file, str(f.line or ""), f.problem)
    err.print(table)
    if result.error_message:
        err.print(styled((result.error_message, "red")))


def print_diffs(state: Any) -> None:
    for diff in state.changed:
        if diff.diff:
            out.print(diff.diff, soft_wrap=True)


def print_drift(report: Any) -> None:
    from rich.table import Table

    table = Table(title=f"verify {report.org}", title_justify="left")
    for column in ("type", "name", "state", "detail"):
        table.add_column(column, overflow="fold")
    colour = {"in_sync": "green", "missing": "red", "changed": "yellow"}
    # Drift first, one row each; what is in sync folds into one row per type so the
    # table stays readable with dozens of fields (--json keeps every component).
    in_sync: dict[str, int] = {}
    for item in report.items:
        if item.state == "in_sync":
            in_sync[item.type] = in_sync.get(item.type, 0) + 1
            continue
        state = styled((item.state.replace("_", " "), colour[item.state]))
        table.add_row(item.type, item.name, state, item.detail)
    for type_name, count in in_sync.items():
        table.add_row(type_name, f"{count} component(s)", styled(("in sync", "green")), "")
    out.print(table)
    if report.in_sync:
        out.print(styled(("in sync", "green")))
    else:
        out.print(styled(("drift:", "yellow"), f" {len(report.drift)} component(s) differ"))
