"""Assign the Totango permission set to the active users of the configured profiles.

Deploying fields grants no field-level security, so the permission set must be
assigned. Existing assignments are read first (re-running creates nothing), and
new ones are created in bulk through the Composite sObject collections API, 200
records per call, instead of one REST call per user.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tasks.totango_sf.errors import Failed
from tasks.totango_sf.salesforce.soql import soql_list, soql_string

COLLECTION_LIMIT = 200


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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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
        for user_id, result in zip(batch, results, strict=False):
            if result.get("success"):
                report.assigned += 1
            else:
                report.failed.append({"user_id": user_id, "errors": result.get("errors", [])})
    return report


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
