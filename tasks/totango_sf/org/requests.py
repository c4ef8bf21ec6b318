"""What a run is asked to do, and whom it tells as it goes: the flows' two parameter objects.

Both shells parse their options into a request (``DeployRequest``, ``RollbackRequest``),
run the flow with it and the hooks, and render the result, so a flow takes the session,
the config, the request and the hooks, never a dozen loose keywords.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tasks.totango_sf.salesforce.metadata_api import (
    DEFAULT_TIMEOUT,
    Polling,
    ProgressCallback,
    Sleep,
    StartedCallback,
)

ApexTests = str | list[str] | tuple[str, ...] | None


@dataclass(frozen=True)
class RunHooks:
    """Callbacks of a run: progress while polling, the plan once it is known, the deploy
    id the moment the org returns it, and the sleep between polls (tests pass their own)."""

    progress: ProgressCallback | None = None
    sleep: Sleep = time.sleep
    on_plan: Callable[..., None] | None = None
    on_started: StartedCallback | None = None
    # A line for the user while the run waits on the org (stderr when None).
    notice: Callable[[str], None] | None = None


@dataclass(frozen=True)
class DeployRequest:
    """A deploy, a check-only validation, or (``quick_id``) a quick deploy of a validation."""

    check_only: bool = False
    yes: bool = False
    quick_id: str | None = None
    test_level: str | None = None
    tests: ApexTests = None
    timeout: float = DEFAULT_TIMEOUT
    # Where snapshots are kept; None is the project's .totango/snapshots.
    snapshot_root: Path | None = None
    # Sections and ranges made by hand become ours (``state/ownership.py``).
    adopt: bool = False


@dataclass(frozen=True)
class RollbackRequest:
    """A rollback: surgical by default, ``exact`` restores the snapshot's files."""

    snapshot_id: str | None = None
    remove_components: bool = False
    delete_fields: bool = False
    exact: bool = False
    force: bool = False
    yes: bool = False
    test_level: str | None = None
    tests: ApexTests = None
    timeout: float = DEFAULT_TIMEOUT
    snapshot_root: Path | None = None


def polling(request: DeployRequest | RollbackRequest, hooks: RunHooks) -> Polling:
    """How the run's deploy is waited for."""
    return Polling(request.timeout, hooks.progress, hooks.sleep, hooks.on_started, hooks.notice)
