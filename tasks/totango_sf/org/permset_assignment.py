"""Assign the Totango permission set to the active users of the configured profiles.

Deploying fields grants no field-level security, so the permission set must be
assigned. Existing assignments are read first (re-running creates nothing), and
new ones are created in bulk through the Composite sObject collections API, 200
records per call, instead of one REST call per user.

Each assignment created is recorded in the org's assignment ledger (``row_ledger``) as
soon as the org returns its id. The permission set may be an admin's, made before the
first deploy; it then stays at an uninstall, but the assignments this tool made on it
go, and only those.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tasks.totango_sf.errors import Failed
from tasks.totango_sf.salesforce.soql import soql_list, soql_string
from tasks.totango_sf.state.row_ledger import DamagedLedger, RowLedger

COLLECTION_LIMIT = 200
# PermissionSetAssignment rows this tool created, per org. Relative: under the project root.
ASSIGNMENTS_ROOT = Path(".totango/assignments")
ASSIGNMENTS = RowLedger(
    "permission_set_assignment",
    "permission-set assignment ledger",
    "rollback --remove-components",
)


class PermissionSetMissing(Failed):
    """The permission set is not in the org (the deploy did not create it)."""


@dataclass
class AssignmentReport:
    permission_set: str
    eligible_users: int = 0
    already_assigned: int = 0
    assigned: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["warnings"]  # the run's own warnings carry them (org/deploy.after_deploy)
        return data


def chunks(items: list[Any], size: int = COLLECTION_LIMIT) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def permission_set_id(session: Any, name: str) -> str:
    rows = session.query(f"SELECT Id FROM PermissionSet WHERE Name = {soql_string(name)}")  # noqa: S608
    if not rows:
        raise PermissionSetMissing(f"permission set {name!r} is not in the org")
    return str(rows[0]["Id"])


def assign_permission_set(session: Any, name: str, profiles: list[str]) -> AssignmentReport:
    report = AssignmentReport(name)
    if not profiles:
        return report
    perm_id = permission_set_id(session, name)
    users = session.query(
        "SELECT Id FROM User WHERE IsActive = true AND Profile.Name IN "  # noqa: S608
        + soql_list(profiles)
    )
    existing = session.query(
        "SELECT Id, AssigneeId FROM PermissionSetAssignment"  # noqa: S608
        f" WHERE PermissionSetId = {soql_string(perm_id)}"
    )
    report.calls = 3
    assigned = {str(row["AssigneeId"])[:15] for row in existing}
    missing = [str(u["Id"]) for u in users if str(u["Id"])[:15] not in assigned]
    report.eligible_users = len(users)
    report.already_assigned = len(users) - len(missing)
    client = session.salesforce()
    for batch in chunks(missing):
        body = {
            "allOrNone": False,
            "records": [
                {
                    "attributes": {"type": "PermissionSetAssignment"},
                    "AssigneeId": user_id,
                    "PermissionSetId": perm_id,
                }
                for user_id in batch
            ],
        }
        results = client.restful("composite/sobjects", method="POST", json=body)
        report.calls += 1
        created: set[str] = set()
        for user_id, result in zip(batch, results, strict=False):
            if result.get("success"):
                report.assigned += 1
                created.update([str(result["id"])] if result.get("id") else [])
            else:
                report.failed.append({"user_id": user_id, "errors": result.get("errors", [])})
        warning = record_assignments(session.name, created, name)
        report.warnings += [warning] if warning else []
    return report


def assignments_made(org: str) -> set[str]:
    """The assignment ids this tool created in ``org``; a damaged ledger is a
    ``DamagedLedger`` naming the file (exit 2): read it before anything is sent."""
    return ASSIGNMENTS.read(ASSIGNMENTS_ROOT, org)


def record_assignments(org: str, created: set[str], permission_set: str) -> str | None:
    """Add ``created`` to the ledger once the org made them; the warning when it cannot."""
    if not created:
        return None
    unrecorded = (
        f"{len(created)} assignment(s) of permission set {permission_set!r} were made"
        f" ({', '.join(sorted(created))}) but are not recorded as made by this tool, so an"
        " uninstall will keep them; remove them in Setup if they must go"
    )
    try:
        recorded = assignments_made(org)
    except DamagedLedger as exc:  # damaged since the run read it: never overwrite it
        return f"{exc}: {unrecorded}"
    return ASSIGNMENTS.write(ASSIGNMENTS_ROOT, org, recorded | created, unrecorded)


def recorded_assignments_present(session: Any) -> tuple[list[str], list[str]]:
    """(the assignment ids the ledger lists, those of them still in the org): reads only."""
    recorded = sorted(assignments_made(session.name))
    present: list[str] = []
    for batch in chunks(recorded):
        rows = session.query(
            f"SELECT Id FROM PermissionSetAssignment WHERE Id IN {soql_list(batch)}"  # noqa: S608 - literals escaped by soql_list
        )
        present += [str(r["Id"]) for r in rows]
    return recorded, present


def remove_recorded_assignments(session: Any, recorded: list[str], present: list[str]) -> int:
    """Delete ``present``, the assignments this tool made that are still in the org (on
    whatever permission set), and drop from the ledger every id no longer there."""
    still_there = {i[:15] for i in present}
    gone = {i for i in recorded if i[:15] not in still_there}
    removed = 0
    client = session.salesforce()
    try:
        for batch in chunks(present):
            results = client.restful(
                "composite/sobjects",
                method="DELETE",
                params={"ids": ",".join(batch), "allOrNone": "false"},
            )
            for assignment_id, result in zip(batch, results, strict=False):
                if result.get("success"):
                    removed += 1
                    gone.update(i for i in recorded if i[:15] == assignment_id[:15])
    finally:
        # Written even when a call failed: what was removed is no longer ours to remove.
        left = {i for i in recorded if i not in gone}
        if gone:
            ASSIGNMENTS.write(ASSIGNMENTS_ROOT, session.name, left, "the ledger was not updated")
    return removed


def remove_assignments(session: Any, name: str) -> int:
    """Delete every assignment of the permission set (before the set itself is deleted)."""
    try:
        perm_id = permission_set_id(session, name)
    except PermissionSetMissing:
        return 0
    rows = session.query(
        f"SELECT Id FROM PermissionSetAssignment WHERE PermissionSetId = {soql_string(perm_id)}"  # noqa: S608
    )
    client = session.salesforce()
    removed = 0
    for batch in chunks([str(r["Id"]) for r in rows]):
        results = client.restful(
            "composite/sobjects",
            method="DELETE",
            params={"ids": ",".join(batch), "allOrNone": "false"},
        )
        removed += sum(1 for r in results if r.get("success"))
    return removed
