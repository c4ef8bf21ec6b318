"""Every deploy traceable: its id in the snapshot manifest, and no outcome guessed.

A deploy may outlive the process that started it: the process is interrupted, a
poll's answer is lost, or the start's answer is lost after the org took it. So
the manifest says where each deploy stands *before* the next step can fail:
``submitting`` before the start call, ``submitted`` with the id the moment the
org returns it, then how it ended. ``totango-sf status`` finds the unfinished
ones here and settles them against the org.

The org's own list of deploys is the Tooling API ``DeployRequest`` object
(Id, Status, CheckOnly, CreatedDate; queried the same way by public sfdx
plugins: ``select Id, Status, CheckOnly ... from DeployRequest ORDER BY
CreatedDate desc``). A recorded real answer (github.com/mohan-chinnappan-n/cli-dx,
``deployment/depolymentStatus.json``, API v55.0) shows each record with
``attributes`` {type, url}, ``Id`` 0Af..., ``CreatedDate`` as
``2022-07-12T20:52:55.000+0000``, ``CheckOnly`` true/false and ``Status``
Succeeded/Failed/Canceled; ``tests/contracts/test_deploy_request_shape.py`` reads it.
It answers two questions no local file can: is a deploy already running in the
org (Salesforce runs one at a time and queues the rest as Pending, Metadata API
DeployResult ``status``), and did a start whose answer was lost reach the org.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from tasks.totango_sf.errors import Busy, LocalFileError, status_command
from tasks.totango_sf.salesforce.metadata_api import (
    DeployOutcomeUnknown,
    DeployResult,
    ProgressCallback,
    Sleep,
    StartedCallback,
    follow_deploy,
)
from tasks.totango_sf.state.snapshot import Snapshot, readable_snapshots, save_manifest

TrackState = Literal[
    "submitting",  # the start call is on its way; no id yet
    "submitted",  # the org returned the id; polling
    "unknown",  # the answer was lost or polling stopped; the org decides
    "follow_up_failed",  # deployed, but assignment or verify did not finish
    "succeeded",
    "failed",
    "canceled",
    "not_started",  # a lost start that the org shows never arrived
]
# What ``status`` picks up without an id.
UNFINISHED: frozenset[str] = frozenset({"submitting", "submitted", "unknown", "follow_up_failed"})
# Manifest key prefix per kind of deploy one snapshot can carry.
Operation = Literal["deploy", "quick", "rollback"]
PREFIX: dict[str, str] = {
    "deploy": "deploy",
    "quick": "quick_deploy",
    "rollback": "rollback_deploy",
}
OPERATIONS: tuple[Operation, ...] = ("rollback", "quick", "deploy")
ACTIVE_STATUSES = ("Pending", "InProgress", "Canceling")
# A lost start is matched to a DeployRequest created from this long before it was sent
# (clock skew between this machine and the org).
CLOCK_SLACK = timedelta(seconds=120)


class DeployInFlight(Busy):
    """A deploy is already queued or running in the org; ours would wait behind it."""

    def __init__(self, deploy_id: str, status: str):
        self.deploy_id = deploy_id
        self.status = status
        super().__init__(
            f"deploy {deploy_id} is already {status} in the org; one change at a time per org"
        )

    def verdict_message(self) -> str:
        return f"{self}; nothing was sent"

    def verdict_data(self) -> dict[str, Any]:
        return {"deploy_id": self.deploy_id, "deploy_status": self.status}

    def verdict_actions(self, org: str) -> list[str]:
        return [status_command(org, self.deploy_id)]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Tracker:
    """Writes one deploy's progress into its snapshot's manifest, as it happens."""

    snapshot: Snapshot
    operation: Operation = "deploy"

    @property
    def prefix(self) -> str:
        return PREFIX[self.operation]

    @property
    def deploy_id(self) -> str | None:
        if self.operation == "deploy":
            return self.snapshot.deploy_id
        value = self.snapshot.extra.get(f"{self.prefix}_id")
        return str(value) if value else None

    @property
    def state(self) -> str | None:
        value = self.snapshot.extra.get(f"{self.prefix}_state")
        return str(value) if value else None

    @property
    def submitted_at(self) -> str | None:
        value = self.snapshot.extra.get(f"{self.prefix}_submitted_at")
        return str(value) if value else None

    def _set(self, state: str, **extra: Any) -> None:
        self.snapshot.extra[f"{self.prefix}_state"] = state
        for key, value in extra.items():
            self.snapshot.extra[f"{self.prefix}_{key}"] = value
        save_manifest(self.snapshot)

    def submitting(self) -> None:
        """Recorded before the start call: if this cannot be written, nothing is sent."""
        try:
            self._set("submitting", submitted_at=now_iso())
        except LocalFileError as exc:
            raise exc.noting("nothing was sent to the org") from None
        # From here on the org may act: a manifest that cannot be written is a warning.
        self.snapshot.sent = True

    def started(self, deploy_id: str) -> None:
        # Every id ever started from this snapshot (a snapshot can be rolled back
        # twice), so a lost start is never matched to an earlier deploy of ours.
        history = self.snapshot.extra.setdefault("deploy_ids", [])
        if deploy_id not in history:
            history.append(deploy_id)
        if self.operation == "deploy":
            self.snapshot.deploy_id = deploy_id
            self._set("submitted")
        else:
            self._set("submitted", id=deploy_id)

    def finished(self, result: DeployResult) -> None:
        state = "succeeded" if result.success else result.status.lower()
        self._set(state if state in ("succeeded", "canceled") else "failed")

    def unknown(self, reason: str) -> None:
        self._set("unknown", reason=reason)

    def not_started(self) -> None:
        self._set("not_started")

    def follow_up(self, error: str | None) -> None:
        if error:
            self._set("follow_up_failed", reason=error)
        else:
            self._set("succeeded", reason=None)


def find_tracked(root: Path, org: str, deploy_id: str) -> Tracker | None:
    """The snapshot and operation that recorded ``deploy_id``, newest first."""
    for snapshot in readable_snapshots(root, org):
        for operation in OPERATIONS:
            tracker = Tracker(snapshot, operation)
            if tracker.deploy_id == deploy_id:
                return tracker
    return None


def last_unfinished(root: Path, org: str) -> Tracker | None:
    """The org's most recent deploy, rollback or quick deploy that never settled.

    Damaged manifests are skipped (``snapshot.damaged_snapshots`` names them): a deploy
    they recorded can still be settled by its id."""
    for snapshot in readable_snapshots(root, org):
        for operation in OPERATIONS:
            tracker = Tracker(snapshot, operation)
            if tracker.state in UNFINISHED:
                return tracker
    return None


# -- the org's list of deploys --------------------------------------------------------


RECENT_DEPLOYS = (
    "SELECT Id, Status, CheckOnly, CreatedDate FROM DeployRequest"
    " ORDER BY CreatedDate DESC LIMIT 20"
)


def recent_deploys(session: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = session.query(RECENT_DEPLOYS, tooling=True)
    return rows


def refuse_if_in_flight(session: Any) -> None:
    """Raise DeployInFlight when the org already has a deploy queued or running."""
    for row in recent_deploys(session):
        if row.get("Status") in ACTIVE_STATUSES:
            raise DeployInFlight(str(row["Id"]), str(row["Status"]))


def _parse_time(text: str) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def known_deploy_ids(tracker: Tracker) -> set[str]:
    """Every deploy id the org's manifests already account for."""
    folder = tracker.snapshot.path.parent
    root, org = folder.parent, tracker.snapshot.org
    known: set[str] = set()
    for snapshot in readable_snapshots(root, org):
        known |= {i for op in OPERATIONS if (i := Tracker(snapshot, op).deploy_id)}
        known |= set(snapshot.extra.get("deploy_ids") or [])
    return known


def lost_start(session: Any, tracker: Tracker) -> str | None:
    """The id of the deploy a lost start created, or None when the org shows none.

    Candidates are the org's deploys created since the start was sent (less some
    clock skew) that no manifest here accounts for. Raises DeployOutcomeUnknown
    when that leaves more than one.
    """
    since = _parse_time(tracker.submitted_at or "")
    if since is None:
        raise DeployOutcomeUnknown(None, "the manifest holds no submission time")
    known = known_deploy_ids(tracker)
    candidates = [
        str(row["Id"])
        for row in recent_deploys(session)
        if (created := _parse_time(str(row.get("CreatedDate") or ""))) is not None
        and created >= since - CLOCK_SLACK
        and str(row["Id"]) not in known
    ]
    if len(candidates) > 1:
        raise DeployOutcomeUnknown(
            None,
            f"several deploys started since {tracker.submitted_at}: {', '.join(candidates)};"
            " name one with --deploy-id",
        )
    return candidates[0] if candidates else None


def run_tracked(
    tracker: Tracker,
    start: Callable[[StartedCallback], DeployResult],
    session: Any,
    api_version: str,
    *,
    timeout: float,
    progress: ProgressCallback | None,
    sleep: Sleep,
    on_started: StartedCallback | None = None,
) -> DeployResult:
    """Start a deploy with its id recorded on arrival; settle a lost start if the org can.

    A start whose answer was lost is looked up in the org's deploy list: there, we
    follow it; not there (yet), it stays unknown for ``status`` to confirm. Anything
    still open is recorded as unknown and re-raised.
    """

    def started(deploy_id: str) -> None:
        tracker.started(deploy_id)
        if on_started is not None:
            on_started(deploy_id)

    tracker.submitting()
    try:
        try:
            result = start(started)
        except DeployOutcomeUnknown as exc:
            if exc.deploy_id is not None:
                raise
            found = _lookup_lost_start(session, tracker, exc)
            if found is None:
                # Most likely refused before it arrived, but the org's list may lag
                # behind its queue: `status` confirms later instead of guessing now.
                raise DeployOutcomeUnknown(
                    None, f"{exc.reason}; the org lists no such deploy yet"
                ) from None
            started(found)
            result = follow_deploy(
                session, found, api_version, timeout=timeout, progress=progress, sleep=sleep
            )
    except DeployOutcomeUnknown as exc:
        tracker.unknown(exc.reason)
        raise
    tracker.finished(result)
    return result


def _lookup_lost_start(session: Any, tracker: Tracker, exc: DeployOutcomeUnknown) -> str | None:
    from tasks.totango_sf.salesforce.connection import org_call_errors

    errors: tuple[type[BaseException], ...] = (*org_call_errors(), KeyboardInterrupt)
    try:
        return lost_start(session, tracker)
    except errors as lookup_error:
        raise DeployOutcomeUnknown(
            None, f"{exc.reason}; the org's deploy list could not be read ({lookup_error!r})"
        ) from None


# -- interrupts ------------------------------------------------------------------------


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where SIGINT would be, so one handler covers both."""


@contextlib.contextmanager
def interrupts_raise() -> Iterator[None]:
    """While the block runs, SIGTERM raises like SIGINT does (CI runners send SIGTERM)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
