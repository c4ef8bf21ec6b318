"""How a running command shows its progress: a deploy's bar or lines, a step's messages.

A deploy draws a rich bar in a terminal and prints plain lines in a CI log.

Under ``--json`` stdout holds one document only, so progress goes to stderr. rich's
progress module is imported only when a bar is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tasks.totango_sf.cli.output import err, out, styled


@contextmanager
def progress_display(as_json: bool, title: str) -> Iterator[Callable[[Any], None]]:
    """A rich progress bar fed by the deploy's progress callback (stderr under --json).

    Not on a terminal (a CI log), a bar would print nothing useful: one line per
    status change instead, with the component and test counts.
    """
    console = err if as_json else out
    if not console.is_terminal:
        yield status_lines(console, title)
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    # A column reads its text as markup unless told not to, whatever the console says.
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[count]}", markup=False),
        TextColumn("{task.fields[status]}", style="dim", markup=False),
        TimeElapsedColumn(),
        console=console,
        transient=as_json,
    ) as bar:
        task_id = bar.add_task(title, total=None, status="Queued", count="")

        def update(progress: Any) -> None:
            bar.update(
                task_id,
                total=progress.total or None,
                completed=progress.deployed,
                status=progress.status,
                count=f"{progress.deployed}/{progress.total} components",
            )

        yield update


def status_lines(console: Any, title: str) -> Callable[[Any], None]:
    """A progress callback printing one plain line each time the deploy status changes."""
    last: list[str] = []

    def line(progress: Any) -> None:
        if last and last[-1] == progress.status:
            return
        last.append(progress.status)
        # A count past its total would read as a bug in the log; Salesforce's own
        # totals can lag while it expands a package, so the total is the larger.
        total = max(progress.total, progress.deployed)
        tests_total = max(
            getattr(progress, "tests_total", 0), getattr(progress, "tests_completed", 0)
        )
        tests = f"{getattr(progress, 'tests_completed', 0)}/{tests_total} tests"
        console.print(
            f"{title} {progress.deploy_id}: {progress.status}"
            f" ({progress.deployed}/{total} components, {tests}, {progress.elapsed:.0f}s)",
            soft_wrap=True,
        )

    return line


def step_progress(as_json: bool) -> Callable[[str], None]:
    """A step's progress callback: each message, dimmed, on stderr."""
    # With --json stdout holds one document only, so progress goes to stderr.
    return lambda message: err.print(styled((message, "dim")))
