"""The snapshots of one org as a history: what each run was, how it ended, what it owns.

One row per snapshot, oldest first: its id and date, its kind (a deploy, a validation, a
quick deploy of a validation taken elsewhere, or an adoption recorded without a deploy),
its outcome as the manifest records it (settled by ``totango-sf status`` when a run could
not), its deploy id, and the rollback that undid it, if any. Read from the manifests alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tasks.totango_sf.state.rollback_mark import MARK_KEY, rolled_back_at
from tasks.totango_sf.state.snapshot import readable_manifests


@dataclass(frozen=True)
class SnapshotRow:
    id: str
    date: str
    kind: str
    outcome: str
    deploy_id: str | None
    rolled_back_at: str | None = None
    rollback_deploy_id: str | None = None
    components_created: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "date": self.date,
            "kind": self.kind,
            "outcome": self.outcome,
            "deploy_id": self.deploy_id,
            "rolled_back_at": self.rolled_back_at,
            "rollback_deploy_id": self.rollback_deploy_id,
            "components_created": self.components_created,
        }


def snapshot_date(snapshot_id: str) -> str:
    """The UTC time an id (``%Y%m%dT%H%M%S%fZ``) stands for, in ISO 8601."""
    try:
        moment = datetime.strptime(snapshot_id, "%Y%m%dT%H%M%S%fZ")
    except ValueError:
        return ""
    return moment.isoformat(timespec="seconds") + "Z"


def _kind(manifest: dict[str, Any]) -> str:
    if manifest.get("kind") == "adopt":
        return "adopt"
    if manifest.get("quick_deploy_of"):
        return "quick deploy"
    if manifest.get("check_only"):
        return "validation" if not manifest.get("quick_deploy_id") else "validation, quick-deployed"
    return "deploy"


def _outcome(manifest: dict[str, Any]) -> str:
    if manifest.get("kind") == "adopt":
        return "recorded"
    state = manifest.get("quick_deploy_state") or manifest.get("deploy_state")
    if manifest.get("deploy_success"):
        outcome = "deployed"
        if state == "follow_up_failed":
            outcome = "deployed; follow-up failed"
    elif state in ("submitting", "submitted", "unknown"):
        outcome = "unknown (settle it with totango-sf status)"
    elif manifest.get("check_only") and state == "succeeded":
        outcome = "validated"
    elif state in ("failed", "canceled", "not_started"):
        outcome = state.replace("_", " ")
    else:
        outcome = "not sent"
    if rolled_back_at(manifest) is not None:
        outcome += ", rolled back"
    return outcome


def snapshot_history(root: Path, org: str) -> list[SnapshotRow]:
    rows = []
    for snapshot_id, manifest in readable_manifests(root, org):
        mark = manifest.get(MARK_KEY)
        rows.append(
            SnapshotRow(
                snapshot_id,
                snapshot_date(snapshot_id),
                _kind(manifest),
                _outcome(manifest),
                manifest.get("deploy_id") or manifest.get("quick_deploy_id"),
                rolled_back_at(manifest),
                mark.get("deploy_id") if isinstance(mark, dict) else None,
                len(manifest.get("components_added", [])),
            )
        )
    return rows
