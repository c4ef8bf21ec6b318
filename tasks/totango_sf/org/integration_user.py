"""Give Totango's connection user the integration permission set.

Totango's outbound job writes the insights fields as one Salesforce user, named
in ``integration.username``. That user is found by username, must be active, and
is assigned the integration permission set once (re-running creates nothing).
The assignment rides on the same Composite sObject call as the people's
permission set, so it needs no API of its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.org.permset_assignment import (
    PermissionSetMissing,
    permission_set_id,
    record_assignments,
)
from tasks.totango_sf.salesforce.soql import soql_string

AssignmentState = Literal[
    "assigned", "already_assigned", "not_configured", "user_not_found", "user_inactive", "failed"
]


@dataclass(frozen=True)
class IntegrationAssignment:
    username: str | None
    permission_set: str
    state: AssignmentState
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state in ("assigned", "already_assigned")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def find_user(session: Any, username: str) -> dict[str, Any] | None:
    rows = session.query(
        "SELECT Id, Username, IsActive, ProfileId FROM User"  # noqa: S608 - literal escaped by soql_string
        f" WHERE Username = {soql_string(username)}"
    )
    return rows[0] if rows else None


def assign_integration_user(session: Any, config: TotangoConfig) -> IntegrationAssignment:
    settings = config.integration
    name, username = settings.permission_set, settings.username
    if not username:
        return IntegrationAssignment(
            None, name, "not_configured", "integration.username is not set"
        )
    user = find_user(session, username)
    if user is None:
        return IntegrationAssignment(username, name, "user_not_found", "no such user in the org")
    if not user.get("IsActive"):
        return IntegrationAssignment(username, name, "user_inactive", "the user is inactive")
    try:
        perm_id = permission_set_id(session, name)
    except PermissionSetMissing as exc:
        return IntegrationAssignment(username, name, "failed", str(exc))
    existing = session.query(
        "SELECT Id FROM PermissionSetAssignment"  # noqa: S608 - literals escaped by soql_string
        f" WHERE PermissionSetId = {soql_string(perm_id)}"
        f" AND AssigneeId = {soql_string(str(user['Id']))}"
    )
    if existing:
        return IntegrationAssignment(username, name, "already_assigned")
    body = {
        "allOrNone": True,
        "records": [
            {
                "attributes": {"type": "PermissionSetAssignment"},
                "AssigneeId": user["Id"],
                "PermissionSetId": perm_id,
            }
        ],
    }
    (result,) = session.salesforce().restful("composite/sobjects", method="POST", json=body)
    if result.get("success"):
        created = {str(result["id"])} if result.get("id") else set()
        warning = record_assignments(session.name, created, name)
        return IntegrationAssignment(username, name, "assigned", warning or "")
    errors = "; ".join(str(e.get("message")) for e in result.get("errors", []))
    return IntegrationAssignment(username, name, "failed", errors)
