"""``totango-sf status``: settle a deploy that its own run could not.

A run that ended with "outcome unknown" (a lost answer, an interrupt, a timeout
without a confirmed cancel) or "deployed; follow-up failed" leaves its state in
the snapshot manifest. This module picks it up again: it finds the deploy (by id,
or the org's last unfinished one), waits for the org to finish it, records how it
ended, and for a deploy that went through runs the follow-ups (permission-set
assignment, verify) that the first run never finished. It never starts a deploy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.errors import BadInput
from tasks.totango_sf.org.deploy import after_deploy, layouts_for_verify
from tasks.totango_sf.org.results import DeployOutcome
from tasks.totango_sf.salesforce.identifiers import deploy_id_problem
from tasks.totango_sf.salesforce.metadata_api import (
    DEFAULT_TIMEOUT,
    DeployOutcomeUnknown,
    DeployResult,
    NoSuchDeploy,
    ProgressCallback,
    Sleep,
    follow_deploy,
)
from tasks.totango_sf.state import snapshot as snapshots
from tasks.totango_sf.state.ownership import settle_pending_release
from tasks.totango_sf.state.rollback_mark import mark_rolled_back
from tasks.totango_sf.state.tracking import find_tracked, last_unfinished, lost_start

Settled = Literal[
    "nothing_to_follow",  # no unfinished deploy recorded for this org
    "not_started",  # a lost start that never reached the org: nothing changed
    "succeeded",  # deployed (and, for a deploy, assigned and verified)
    "follow_up_failed",  # deployed; assignment or verify still did not finish
    "failed",  # the org rolled it back whole: nothing changed
    "canceled",  # canceled before it changed anything
]


@dataclass
class StatusReport:
    org: str
    state: Settled
    deploy_id: str | None = None
    operation: str | None = None
    snapshot_id: str | None = None
    check_only: bool = False
    deploy: DeployResult | None = None
    follow_up: DeployOutcome | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.state in ("nothing_to_follow", "succeeded") and (
            self.follow_up is None or self.follow_up.ok
        )

    @property
    def org_changed(self) -> bool:
        return self.state in ("succeeded", "follow_up_failed") and not self.check_only

    def to_json(self) -> dict[str, Any]:
        follow_up = self.follow_up
        return {
            "ok": self.ok,
            "org": self.org,
            "state": self.state,
            "deploy_id": self.deploy_id,
            "operation": self.operation,
            "snapshot": self.snapshot_id,
            "check_only": self.check_only,
            "org_changed": self.org_changed,
            "deploy": self.deploy.to_json() if self.deploy else None,
            "permission_set_assignments": follow_up.assignments.to_json()
            if follow_up and follow_up.assignments
            else None,
            "verify": follow_up.verify.to_json() if follow_up and follow_up.verify else None,
            "follow_up_error": follow_up.follow_up_error if follow_up else None,
            "warnings": self.warnings,
        }


def follow(
    session: Any,
    config: TotangoConfig,
    *,
    deploy_id: str | None = None,
    snapshot_root: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: ProgressCallback | None = None,
    sleep: Sleep = time.sleep,
) -> StatusReport:
    """Wait for the deploy, record how it ended, finish its follow-ups, report."""
    if deploy_id is not None and (problem := deploy_id_problem(deploy_id)):
        raise BadInput(f"--deploy-id: {problem}")
    root = snapshots.snapshot_folder(snapshot_root)
    damaged = [d.warning for d in snapshots.damaged_snapshots(root, session.name)]
    tracker = (
        find_tracked(root, session.name, deploy_id)
        if deploy_id
        else last_unfinished(root, session.name)
    )
    if tracker is None and deploy_id is None:
        return StatusReport(session.name, "nothing_to_follow", warnings=damaged)
    report = StatusReport(session.name, "failed", deploy_id, warnings=damaged)
    if tracker is not None:
        # Whatever status records, the org already acted on: a manifest that cannot be
        # written is a warning, and the org's answer is reported all the same.
        tracker.snapshot.sent = True
        report.warnings = tracker.snapshot.warnings
        report.warnings[:0] = damaged
        report.operation = tracker.operation
        report.snapshot_id = tracker.snapshot.id
        report.check_only = bool(tracker.snapshot.extra.get("check_only")) and (
            tracker.operation == "deploy"
        )
        deploy_id = deploy_id or tracker.deploy_id
    else:
        report.warnings.append(f"no snapshot here records {deploy_id}: nothing to verify against")
    if deploy_id is None and tracker is not None:
        # The start's answer was lost: the org's own list says whether it arrived.
        deploy_id = lost_start(session, tracker)
        if deploy_id is None:
            tracker.not_started()
            report.state = "not_started"
            return report
        tracker.started(deploy_id)
    assert deploy_id is not None
    report.deploy_id = deploy_id
    if tracker is None or tracker.state != "follow_up_failed":
        try:
            result = follow_deploy(
                session, deploy_id, config.api_version, timeout=timeout, progress=progress,
                sleep=sleep,
            )  # fmt: skip
        except NoSuchDeploy as exc:
            if tracker is not None:
                raise exc.recorded_in(tracker.snapshot.path) from None
            raise
        except DeployOutcomeUnknown as exc:
            if tracker is not None:
                tracker.unknown(exc.reason)
            raise
        report.deploy = result
        if tracker is not None:
            tracker.finished(result)
            if tracker.operation == "deploy":
                snapshots.record_deploy(
                    tracker.snapshot, deploy_id, result.success and not report.check_only
                )
            elif tracker.operation == "rollback" and result.success:
                # Its first deploy takes pages, objects and ranges back; were this the
                # second, the first went through and left the mark already.
                mark_rolled_back(tracker.snapshot, None, deploy_id)
                # What it took out is no longer ours (``state/ownership.py``).
                settle_pending_release(tracker.snapshot)
        if not result.success:
            report.state = "canceled" if result.status == "Canceled" else "failed"
            return report
    report.state = "succeeded"
    if tracker is not None and tracker.operation in ("deploy", "quick") and not report.check_only:
        outcome = DeployOutcome(session.name, "", "deployed", snapshot_id=report.snapshot_id)
        after_deploy(session, config, outcome, layouts_for_verify(config, tracker.snapshot))
        report.follow_up = outcome
        tracker.follow_up(outcome.follow_up_error)
        if tracker.operation == "quick" and "quick_deploy_of" not in tracker.snapshot.extra:
            # The validation's snapshot now describes a deploy that went through.
            snapshots.record_deploy(tracker.snapshot, tracker.snapshot.deploy_id or "", True)
        if outcome.follow_up_error:
            report.state = "follow_up_failed"
    return report
