"""How a running command shows its progress: a deploy's bar or lines, a step's messages.

A deploy draws a rich bar in a terminal and prints plain lines in a CI log.

Under ``--json`` stdout holds one document only, so progress goes to stderr. rich's
progress module is imported only when a bar is drawn.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tasks.totango_sf.cli.output import err, out, styled


class DeployDisplay:
    """What a deploy shows while it runs: a live bar in a terminal, lines in a CI log.

    Called with the deploy's progress; ``note`` prints a line (the deploy id) above the
    bar, never into it, and ``step`` names what the run does before the deploy starts
    (listMetadata, retrieve).
    """

    def __init__(
        self,
        update: Callable[[Any], None],
        note: Callable[[str], None],
        step: Callable[[str], None],
    ) -> None:
        self._update = update
        self.note = note
        self.step = step

    def __call__(self, progress: Any) -> None:
        self._update(progress)


@contextmanager
def progress_display(as_json: bool, title: str) -> Iterator[DeployDisplay]:
    """A rich progress bar fed by the deploy's progress callback (stderr under --json).

    Not on a terminal (a CI log), a bar would print nothing useful: one line per
    status change instead, with the component and test counts. The bar goes once the
    deploy ends (what the command prints next says how it ended), and its clock runs
    from the start of the command to its end, whatever the counts say.
    """
    console = err if as_json else out
    if not console.is_terminal:
        lines = status_lines(console, title)
        yield DeployDisplay(
            lines,
            lambda text: console.print(text, soft_wrap=True),
            lambda text: console.print(f"{title}: {text}", soft_wrap=True),
        )
        return
    from rich.progress import BarColumn, Progress, ProgressColumn, TaskProgressColumn, TextColumn
    from rich.text import Text

    started = time.monotonic()

    class Clock(ProgressColumn):
        """Time since the command started: it ticks while the org works, done or not."""

        def render(self, task: Any) -> Text:
            seconds = int(time.monotonic() - started)
            return Text(
                f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}",
                style="progress.elapsed",
            )

    # A column reads its text as markup unless told not to, whatever the console says.
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[count]}", markup=False),
        TextColumn("{task.fields[status]}", style="dim", markup=False),
        Clock(),
        console=console,
        transient=True,
        refresh_per_second=4,
    ) as bar:
        task_id = bar.add_task(title, total=None, status="reading the org", count="")

        def update(progress: Any) -> None:
            # The total can lag behind the count while Salesforce expands a package.
            total = max(progress.total, progress.deployed) or None
            bar.update(
                task_id,
                total=total,
                completed=progress.deployed,
                status=progress.status,
                count=f"{progress.deployed}/{progress.total} components",
                refresh=True,
            )

        def note(text: str) -> None:
            # Printed through the bar's own console: above the bar, never into its line.
            bar.console.print(text, soft_wrap=True)

        yield DeployDisplay(update, note, lambda text: bar.update(task_id, status=text))


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


@contextmanager
def reading(title: str) -> Iterator[Callable[[str], None]]:
    """While a command reads the org: a spinner naming the step in a terminal, one line
    per step in a log; both on stderr, so ``--json`` keeps stdout to its document."""
    if not err.is_terminal:
        yield lambda step: err.print(styled((f"{title}: {step}", "dim")), soft_wrap=True)
        return
    with err.status(f"{title}: connecting", spinner="dots") as status:
        yield lambda step: status.update(f"{title}: {step}")


class ObservedSession:
    """The org's session, naming each call it makes to whoever is showing progress.

    The flows read the org through the session only (its SOQL queries and the Metadata
    API calls built on ``api_task``), so wrapping it shows every step without the flows
    knowing: "listMetadata Layout", "retrieve 7 component(s)", "query Profile".
    """

    def __init__(self, session: Any, say: Callable[[str], None]) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_say", say)

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_session"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_session"), name, value)

    def query(self, soql: str, tooling: bool = False) -> list[dict[str, Any]]:
        match = _FROM.search(soql)
        self._say(f"query {match.group(1)}" if match else "query")
        return list(self._session.query(soql, tooling))

    @property
    def api_task(self) -> Any:
        task = self._session.api_task
        task.logger = _CallNamer(task.logger, self._say)
        return task


_FROM = re.compile(r"\bFROM\s+(\w+)", re.IGNORECASE)


class _CallNamer:
    """A logger for CumulusCI's Metadata API calls that names each call as it starts.

    CumulusCI logs "Pending" when a call starts; the call object (its ``self``) is in the
    caller's frame, and says which call it is and what it carries.
    """

    def __init__(self, logger: Any, say: Callable[[str], None]) -> None:
        self._logger = logger
        self._say = say

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger, name)

    def info(self, message: Any, *args: Any, **kwargs: Any) -> None:
        if message == "Pending":
            self._say(_call_name(sys._getframe(1).f_locals.get("self")))
        self._logger.info(message, *args, **kwargs)


def _call_name(call: Any) -> str:
    action = getattr(call, "soap_action_start", None) or "Metadata API call"
    if action == "listMetadata":
        return f"listMetadata {getattr(call, 'metadata_type', '')}".strip()
    if action == "retrieve":
        members = str(getattr(call, "package_xml", "")).count("<members>")
        return f"retrieve {members} component(s)"
    return str(action)
