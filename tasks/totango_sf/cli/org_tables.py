"""The tables an org command prints: the org plan's components, failures, diffs and drift.

Shared by ``plan --org``, ``deploy``, ``verify``, ``rollback`` and ``status``; rich is
imported when a table is built.
"""

from __future__ import annotations

from typing import Any

from tasks.totango_sf.cli.output import Column, err, out, print_table, styled

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
    # The file is what the reader acts on: never wrapped, the problem wraps instead.
    print_table(
        "component failures",
        [
            Column("file", whole=True),
            Column("line", whole=True, justify="right"),
            Column("problem"),
        ],
        [[f.file, str(f.line or ""), f.problem] for f in result.failures],
        err,
    )
    if result.error_message:
        err.print(styled((result.error_message, "red")))


def print_diffs(state: Any) -> None:
    for diff in state.changed:
        if diff.diff:
            out.print(diff.diff, soft_wrap=True)


def print_drift(report: Any) -> None:
    rows: list[list[Any]] = []
    colour = {"in_sync": "green", "missing": "red", "changed": "yellow"}
    # Drift first, one row each; what is in sync folds into one row per type so the
    # table stays readable with dozens of fields (--json keeps every component).
    in_sync: dict[str, int] = {}
    for item in report.items:
        if item.state == "in_sync":
            in_sync[item.type] = in_sync.get(item.type, 0) + 1
            continue
        state = styled((item.state.replace("_", " "), colour[item.state]))
        rows.append([item.type, item.name, state, item.detail])
    for type_name, count in in_sync.items():
        rows.append([type_name, f"{count} component(s)", styled(("in sync", "green")), ""])
    columns = [Column("type", whole=True), Column("name", whole=True), Column("state", whole=True)]
    print_table(f"verify {report.org}", [*columns, Column("detail")], rows)
    if report.in_sync:
        out.print(styled(("in sync", "green")))
    else:
        out.print(styled(("drift:", "yellow"), f" {len(report.drift)} component(s) differ"))
