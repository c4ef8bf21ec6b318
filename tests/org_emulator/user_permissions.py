"""User permissions the Metadata API asks for, read from the user's permission sets.

A user's permissions are those of their profile's own permission set and of every
permission set assigned to them (``PermissionSet.Permissions<Name>``). The Metadata API
serves only users with "Modify All Data" or "Modify Metadata Through Metadata API
Functions" (Metadata API Developer Guide, "User Permissions": "Modify Metadata Through
Metadata API Functions or Modify All Data"); every other user's call is refused with the
fault a real org was recorded sending (HTTP 500, ``sf:INSUFFICIENT_ACCESS``:
../shared/recorded/nelsonic_fault_insufficient_access.xml, a describeMetadata call).
"""

from __future__ import annotations

from tests.org_emulator.field_security import user_permission_set_ids
from tests.org_emulator.state import OrgState

METADATA_API_PERMISSIONS = ("ModifyAllData", "ModifyMetadata")
# The recorded words (nelsonic_fault_insufficient_access.xml).
METADATA_API_REFUSED = (
    "INSUFFICIENT_ACCESS: use of the Metadata API requires a user with the ModifyAllData permission"
)


def has_permission(state: OrgState, user_id: str, name: str) -> bool:
    sets = user_permission_set_ids(state, user_id)
    return any(
        str(row["Id"])[:15] in sets and row.get(f"Permissions{name}")
        for row in state.rows("PermissionSet")
    )


def may_use_metadata_api(state: OrgState, user_id: str) -> bool:
    return any(has_permission(state, user_id, p) for p in METADATA_API_PERMISSIONS)


def set_profile_permission(state: OrgState, user_id: str, name: str, value: bool) -> None:
    """Grant or revoke a permission on the user's profile (every user of it is affected)."""
    user = state.get("User", user_id) or {}
    for row in state.rows("PermissionSet"):
        if (
            row.get("IsOwnedByProfile")
            and str(row.get("ProfileId"))[:15] == str(user.get("ProfileId"))[:15]
        ):
            row[f"Permissions{name}"] = value
