"""Who may authorize a connected app, since Salesforce's September 2025 restriction.

- Uninstalled connected apps are blocked for end users: only users who authorized the
  app before (and not through the device flow) keep using it, and users with "Approve
  Uninstalled Connected Apps" (given to the System Administrator standard profile) may
  still authorize it; any other user is refused (Salesforce Help 005132365, "Prepare for
  Connected App Usage Restrictions Change"). The refusal, as recorded in public guides
  for this change: ``error=invalid_client&error_description=app must be installed into
  org`` (docs.movedata.io, "Salesforce Connected App usage restrictions"; Cirrus
  Insight's admin article). "Use Any API Client" no longer lets users self-authorize
  uninstalled apps (Salesforce Help 005228838).
- An app is installed when it came with an installed package (TotangoApp) or an admin
  clicked Install in OAuth Usage, which gives it an App Menu item (managed_package.py).
- API Access Control, the org-wide "For admin-approved users, limit API access to only
  allowlisted connected apps" (Metadata API ``ConnectedAppSettings``,
  ``enableAdminApprovedAppsOnly``: "If true, only apps that have been approved or
  installed by the admin can call the Salesforce API"), overrides an app's own "All users
  may self-authorize": only users granted the app through a profile or permission set
  may use it (Salesforce Help 005228838; "Restrict Access to APIs with Connected Apps").
- With admin approval (the app's policy or API Access Control), a user not granted the
  app is refused with ``invalid_app_access`` "user is not admin approved to access this
  app" (recorded in forcedotcom/cli issue 3260, under API Access Control).

The token endpoint applies these to a password grant naming an app's consumer key
(``CONSUMER_KEYS``), as a client of that app signs a user in.
"""

from __future__ import annotations

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tests.org_emulator import catalog, managed_package
from tests.org_emulator.field_security import user_permission_set_ids
from tests.org_emulator.state import MD_NS, OrgState

# Consumer keys of the apps the emulator knows (a test double's own values).
CONSUMER_KEYS = {
    "3MVG9totangoAppEmulatorKey": "TotangoApp",
    "3MVG9totangoGatewayEmulatorKey": managed_package.GATEWAY_APP,
}
NOT_INSTALLED = ("invalid_client", "app must be installed into org")
NOT_APPROVED = ("invalid_app_access", "user is not admin approved to access this app")
# The profile Salesforce gives "Approve Uninstalled Connected Apps" (005132365).
APPROVES_UNINSTALLED = "System Administrator"


def set_api_access_control(state: OrgState, on: bool) -> None:
    """The org's ConnectedApp.settings with enableAdminApprovedAppsOnly ``on``."""
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ConnectedAppSettings xmlns="{MD_NS}">\n'
        f"    <enableAdminApprovedAppsOnly>{str(on).lower()}</enableAdminApprovedAppsOnly>\n"
        "</ConnectedAppSettings>\n"
    ).encode()
    state.put("Settings", "ConnectedApp", {catalog.file_path("Settings", "ConnectedApp"): xml})


def api_access_control(state: OrgState) -> bool:
    data = state.metadata_xml("Settings", "ConnectedApp")
    if not data:
        return False  # "If false (default)"
    try:
        value = parse_xml(data).findtext(f"{{{MD_NS}}}enableAdminApprovedAppsOnly")
    except etree.XMLSyntaxError:
        return False
    return (value or "").strip() == "true"


def _app(state: OrgState, name: str) -> dict | None:
    return next((r for r in state.rows("ConnectedApplication") if r["Name"] == name), None)


def is_installed(state: OrgState, name: str) -> bool:
    app = _app(state, name)
    if app is None:
        return False
    if name in managed_package.PACKAGED_APPS and managed_package.is_installed(state):
        return True
    return any(r.get("ApplicationId") == app["Id"] for r in state.rows("AppMenuItem"))


def _authorized_before(state: OrgState, name: str, user_id: str) -> bool:
    return any(
        r.get("AppName") == name and str(r.get("UserId"))[:15] == user_id[:15]
        for r in state.rows("OauthToken")
    )


def _profile_name(state: OrgState, user_id: str) -> str:
    user = state.get("User", user_id) or {}
    profile = state.get("Profile", str(user.get("ProfileId") or "")) or {}
    return str(profile.get("Name") or "")


def _granted(state: OrgState, app_id: str, user_id: str) -> bool:
    sets = user_permission_set_ids(state, user_id)
    return any(
        str(r.get("ParentId"))[:15] in sets and str(r.get("SetupEntityId"))[:15] == app_id[:15]
        for r in state.rows("SetupEntityAccess")
    )


def refusal(state: OrgState, name: str, user_id: str) -> tuple[str, str] | None:
    """The OAuth error refusing ``user_id`` the app ``name``, or None when allowed."""
    app = _app(state, name)
    controlled = api_access_control(state)
    if app is None or not is_installed(state, name):
        if controlled:
            return NOT_INSTALLED
        if _authorized_before(state, name, user_id):
            return None
        if _profile_name(state, user_id) == APPROVES_UNINSTALLED:
            return None
        return NOT_INSTALLED
    if (app.get("OptionsAllowAdminApprovedUsersOnly") or controlled) and not _granted(
        state, str(app["Id"]), user_id
    ):
        return NOT_APPROVED
    return None


def record_authorization(state: OrgState, name: str, user_id: str) -> None:
    """A user who signed in through the app now has a token of it (OAuth Usage)."""
    if not _authorized_before(state, name, user_id):
        item = next(
            (
                r["Id"]
                for r in state.rows("AppMenuItem")
                if (app := _app(state, name)) and r.get("ApplicationId") == app["Id"]
            ),
            None,
        )
        state.insert(
            "OauthToken", {"AppName": name, "AppMenuItemId": item, "UserId": user_id, "UseCount": 1}
        )
