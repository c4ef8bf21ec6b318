"""How the org's Apex test results of a deploy are shown.

Production deploys run the org's own tests; when one fails, the deploy fails
though the setup holds no Apex. The reader must see at once that the org's tests
failed, which ones, and that nothing was changed.
"""

from __future__ import annotations

from typing import Any

from tasks.totango_sf.cli.output import Column, err, out, print_table, styled


def print_tests(result: Any) -> None:
    """Tests run, failures and time; each failing test; coverage warnings."""
    report = result.tests if result is not None else None
    if report is None:
        return
    console = err if report.org_tests_failed else out
    console.print(
        f"Apex tests: {report.tests_run} run, {report.failures_count} failed,"
        f" {report.total_time_ms / 1000:.2f} s",
        soft_wrap=True,
    )
    if report.failures:
        print_table(
            "failing Apex tests",
            [Column("class", whole=True), Column("method", whole=True), Column("message")],
            [[f.class_name, f.method, f.message] for f in report.failures],
            err,
        )
    if report.coverage_warnings:
        print_table(
            "code coverage warnings",
            [Column("name", whole=True), Column("message")],
            [[w.name, w.message] for w in report.coverage_warnings],
            console,
        )
    if report.org_tests_failed and report.explanation:
        err.print(styled((report.explanation, "bold red")), soft_wrap=True)
