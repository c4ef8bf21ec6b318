"""After a failed deploy, one line per component failure: its file and element, whether
this setup changed it or carried it over unchanged from the org, and what to do
(``org/failure_origin.py``)."""

from __future__ import annotations

from typing import Any

from tasks.totango_sf.cli.output import err


def print_failure_origins(outcome: Any) -> None:
    for traced in outcome.failure_origins():
        err.print(traced.line_text(), soft_wrap=True)
