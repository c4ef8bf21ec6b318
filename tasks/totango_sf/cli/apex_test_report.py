"""How the org's Apex test results of a deploy are shown.

Production deploys run the org's own tests; when one fails, the deploy fails
though the setup holds no Apex. The reader must see at once that the org's tests
failed, which ones, and that nothing was changed.
"""

from __future__ import annotations

from typing import Any

from tasks.totango_sf.cli.output import err, out, styled


def print_tests(result: Any) -> None:
    """Tests run, failures and time; each failing test; coverage warnings."""
    report = result.tests if result is not None else None
    if report is None:
        return
    from rich.table import Table

    console = err if report.org_tests_failed else out
    console.print(
        f"Apex tests: {report.tests_run} run, {report.failures_count} failed,"
        f" {report.total_time_ms / 1000:.2f} s",
        soft_wrap=True,
    )
    if report.failures:
        table = Table(title="failing Apex tests", title_justify="left")
        table.add_column("class", no_wrap=True)
        table.add_column("method", no_wrap=True)
        table.add_column("message", overflow="fold")
        for failure in report.failures:
            table.add_row(failure.class_name, failure.method, failure.message)
        err.print(table)
    if report.coverage_warnings:
        table = Table(title="code coverage warnings", title_justify="left")
        table.add_column("name", no_wrap=True)
        table.add_column("message", overflow="fold")
        for warning in report.coverage_warnings:
            table.add_row(warning.name, warning.message)
        console.print(table)
    if report.org_tests_failed and report.explanation:
        err.print(styled((report.explanation, "bold red")), soft_wrap=True)
