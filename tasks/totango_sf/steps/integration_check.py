"""``doctor``'s checks of Totango's connection user.

Totango's outbound job signs in to Salesforce as one user and writes the
insights fields. Three things decide whether that works, and each is a check:
- the user exists and is active;
- it may edit every writable insights field, through its profile or an assigned
  permission set (FieldPermissions rows of those permission sets);
- with "Admin approved users are pre-authorized" on TotangoApp, its profile or
  one of its permission sets is granted the app (SetupEntityAccess), or the
  sign-in is refused with OAUTH_APP_ACCESS_DENIED (Salesforce Help, knowledge
  article 000212208: with that policy, authorize the user's profile or a
  permission set of theirs).
Read-only: queries only.
"""

from __future__ import annotations

from typing import Any

from tasks.totango_sf.org.integration_user import find_user
from tasks.totango_sf.render.integration import writable_fields
from tasks.totango_sf.salesforce.soql import soql_list, soql_string
from tasks.totango_sf.steps.connected_app import find_connected_apps

INTEGRATION_USER = "integration user"
INTEGRATION_FIELDS = "integration user can edit fields"
INTEGRATION_APP = "integration user pre-authorized"
CHECK_NAMES = (INTEGRATION_USER, INTEGRATION_FIELDS, INTEGRATION_APP)


def user_permission_set_ids(session: Any, user: dict[str, Any]) -> list[str]:
    """The profile's own permission set and every assigned one."""
    owned = session.query(
        "SELECT Id FROM PermissionSet WHERE IsOwnedByProfile = true"  # noqa: S608 - literal escaped by soql_string
        f" AND ProfileId = {soql_string(str(user['ProfileId']))}"
    )
    assigned = session.query(
        "SELECT Id, PermissionSetId FROM PermissionSetAssignment"  # noqa: S608 - literal escaped by soql_string
        f" WHERE AssigneeId = {soql_string(str(user['Id']))}"
    )
    return [str(r["Id"]) for r in owned] + [str(r["PermissionSetId"]) for r in assigned]


def editable_fields(session: Any, permission_set_ids: list[str], objects: list[str]) -> set[str]:
    if not permission_set_ids:
        return set()
    rows = session.query(
        "SELECT Field, PermissionsEdit FROM FieldPermissions"  # noqa: S608 - literals escaped by soql_list
        f" WHERE ParentId IN {soql_list(permission_set_ids)}"
        f" AND SobjectType IN {soql_list(objects)}"
    )
    return {str(r["Field"]).lower() for r in rows if r.get("PermissionsEdit")}


def integration_checks(session: Any, config: Any, org_name: str, check: Any) -> list[Any]:
    """Rows for doctor; ``check`` is doctor's row type (name, status, detail, fix, required)."""
    settings = config.integration
    deploy_fix = f"totango-sf deploy --org {org_name}"
    if not settings.username:
        detail = "integration.username is not set: Totango's job has no user to write as"
        fix = "set integration.username to Totango's Salesforce connection user, then deploy"
        return [check(name, "warn", detail, fix, False) for name in CHECK_NAMES]
    user = find_user(session, settings.username)
    if user is None or not user.get("IsActive"):
        problem = "does not exist" if user is None else "is inactive"
        detail = f"{settings.username} {problem}"
        fix = "create or activate Totango's connection user, or fix integration.username"
        return [check(INTEGRATION_USER, "fail", detail, fix)] + [
            check(name, "fail", f"{settings.username} {problem}", fix) for name in CHECK_NAMES[1:]
        ]
    rows = [check(INTEGRATION_USER, "ok", f"{settings.username} is active", "")]
    sets = user_permission_set_ids(session, user)
    wanted = writable_fields(config)
    can_edit = editable_fields(session, sets, list(config.insights.objects))
    missing = [f for f in wanted if f.lower() not in can_edit]
    rows.append(
        check(
            INTEGRATION_FIELDS,
            "fail",
            f"no edit access to {len(missing)} of {len(wanted)} fields: "
            + ", ".join(missing[:4])
            + (" ..." if len(missing) > 4 else ""),
            deploy_fix + f" (assigns {settings.permission_set} to {settings.username})",
        )
        if missing
        else check(INTEGRATION_FIELDS, "ok", f"may edit all {len(wanted)} writable fields", "")
    )
    rows.append(_app_access(session, config, sets, org_name, check))
    return rows


def _app_access(session: Any, config: Any, sets: list[str], org_name: str, check: Any) -> Any:
    name = config.connected_app.name
    app = find_connected_apps(session, [name]).get(name)
    if app is None:
        return check(INTEGRATION_APP, "fail", f"{name} is not installed", "install the package")
    if not app.admin_approved:
        return check(
            INTEGRATION_APP, "ok", f"{name} lets all users self-authorize (see policy check)", ""
        )
    granted = session.query(
        "SELECT Id, ParentId FROM SetupEntityAccess"  # noqa: S608 - literals escaped
        f" WHERE SetupEntityId = {soql_string(app.id)} AND ParentId IN {soql_list(sets)}"
    )
    if granted:
        return check(
            INTEGRATION_APP, "ok", f"granted {name} through its profile or a permission set", ""
        )
    return check(
        INTEGRATION_APP,
        "fail",
        f"neither its profile nor its permission sets are granted {name}; with admin-approved"
        " users pre-authorized its sign-in is refused (OAUTH_APP_ACCESS_DENIED)",
        f"totango-sf deploy --org {org_name}, then totango-sf connected-app --org {org_name}"
        f" (grants {name} to {config.integration.permission_set})",
    )
