"""Run one command on many orgs at once, each in its own lane.

The work per org is remote API calls (retrieve, deploy, poll, verify), so a
handful of threads keeps many orgs busy from one process. Each org gets its own
job call, and with it its own config overlay, connection, snapshot and ledger:
the runner shares nothing between lanes but the stage board and the stop flag.

A lane that raises never stops the others; its exception is kept as that org's
result. Ctrl-C sets the stop flag: lanes that have not reached the org yet end
as "not started"; a lane inside a deploy sees the flag at its next poll and
ends with the deploy id it holds, so the caller can say what is still running.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")

LaneState = Literal["waiting", "running", "done", "error", "stopped"]


def fleet_configs(
    config_path: Path | None, orgs: Sequence[str]
) -> tuple[dict[str, Any], list[str]]:
    """Every org's effective config (its overlay over the base), and, for the orgs whose
    config is broken, one ``org: source: problem`` line each. Read before any org is
    touched, so one broken overlay stops the whole run."""
    from tasks.totango_sf.config.model import ConfigError, load_config

    configs: dict[str, Any] = {}
    problems: list[str] = []
    for org in orgs:
        try:
            configs[org] = load_config(config_path, org)
        except ConfigError as exc:
            problems += [f"{org}: {exc.source}: {p}" for p in exc.problems]
    return configs, problems


def placeholder_orgs(configs: dict[str, Any]) -> list[str]:
    """The orgs whose config still holds the documentation IP placeholders."""
    return [org for org, config in configs.items() if config.trusted_ip_ranges.uses_placeholders]


class FleetStopped(Exception):
    """Raised inside a lane when the run was interrupted (Ctrl-C, SIGTERM).

    A signal, as KeyboardInterrupt is, so not a ``TotangoError``: no verdict may turn it
    into "failed"; the lane reports itself stopped and the fleet settles each deploy."""


@dataclass
class LaneBoard:
    """What one org is doing now; read by the live table, written by its lane."""

    org: str
    stage: str = "waiting"
    state: LaneState = "waiting"
    started: float | None = None
    finished: float | None = None
    deploy_id: str | None = None

    def elapsed(self, now: float | None = None) -> float:
        if self.started is None:
            return 0.0
        end = self.finished if self.finished is not None else (now or time.monotonic())
        return round(end - self.started, 1)


@dataclass
class LaneOutcome(Generic[T]):
    org: str
    result: T | None = None
    error: Exception | None = None
    stopped_before_start: bool = False
    deploy_id: str | None = None
    elapsed: float = 0.0


@dataclass
class Lane:
    """The handle a job gets: report a stage, note a deploy id, honour the stop flag."""

    board: LaneBoard
    _stop: threading.Event
    _on_change: Callable[[LaneBoard], None]
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stage(self, text: str) -> None:
        self.check_stop()
        with self._lock:
            changed = text != self.board.stage
            self.board.stage = text
        if changed:
            self._on_change(self.board)

    def finish(self, text: str) -> None:
        """The lane's last line; shown even after a stop, since it reports what happened."""
        with self._lock:
            self.board.stage = text
        self._on_change(self.board)

    def deploy_started(self, deploy_id: str) -> None:
        self.board.deploy_id = deploy_id

    def sleep(self, seconds: float) -> None:
        """A poll interval that ends early, with FleetStopped, when the run is stopped."""
        if self._stop.wait(seconds):
            raise FleetStopped(self.board.org)

    def check_stop(self) -> None:
        if self._stop.is_set():
            raise FleetStopped(self.board.org)


Job = Callable[[str, Lane], T]


@dataclass
class FleetRun(Generic[T]):
    outcomes: list[LaneOutcome[T]]
    interrupted: bool


def run_fleet(
    orgs: Sequence[str],
    job: Job[T],
    parallel: int,
    on_change: Callable[[LaneBoard], None] = lambda board: None,
    poll: Callable[[list[LaneBoard]], None] = lambda boards: None,
    stop: threading.Event | None = None,
) -> FleetRun[T]:
    """Run ``job(org, lane)`` for every org, ``parallel`` at a time, in org order.

    ``poll`` is called about five times a second from the calling thread (a live
    table redraws there). KeyboardInterrupt in the calling thread sets the stop
    flag and waits for every lane to notice and end; the run then says it was
    interrupted, with each lane's outcome as it stood.
    """
    stop = stop or threading.Event()
    boards = [LaneBoard(org) for org in orgs]
    outcomes: list[LaneOutcome[T]] = [LaneOutcome(org) for org in orgs]

    def lane_main(index: int) -> None:
        board, outcome = boards[index], outcomes[index]
        if stop.is_set():
            board.state, board.stage = "stopped", "not started"
            outcome.stopped_before_start = True
            on_change(board)
            return
        board.state, board.started = "running", time.monotonic()
        lane = Lane(board, stop, on_change)
        try:
            outcome.result = job(board.org, lane)
            board.state = "done"
        except FleetStopped as exc:
            board.state, board.stage, outcome.error = "stopped", "stopped", exc
        except Exception as exc:  # one org's failure is that org's result, not the run's
            board.state, outcome.error = "error", exc
            board.stage = f"error: {type(exc).__name__}"
        finally:
            board.finished = time.monotonic()
            outcome.deploy_id = board.deploy_id
            outcome.elapsed = board.elapsed()
            if board.state != "done":
                on_change(board)

    interrupted = False
    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="org") as pool:
        pending: set[Future[None]] = {pool.submit(lane_main, i) for i in range(len(orgs))}
        while pending:
            try:
                _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                poll(boards)
            except KeyboardInterrupt:
                interrupted = True
                stop.set()
    poll(boards)
    return FleetRun(outcomes, interrupted)
