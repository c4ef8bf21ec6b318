"""Can TotangoApp and the Totango Gateway still authorize users? ``doctor``'s answer.

Since September 2025 Salesforce blocks end users from uninstalled connected apps: users
who authorized such an app before keep using it (unless it uses the device flow), users
with "Approve Uninstalled Connected Apps" (the System Administrator standard profile has
it) may still authorize it, and any other user is refused with ``invalid_client``, "app
must be installed into org" (Salesforce Help 005132365, "Prepare for Connected App Usage
Restrictions Change"; the error as public guides for the change record it). "Use Any API
Client" no longer lets users self-authorize an uninstalled app (Salesforce Help 005228838).

An org-wide setting overrides an app's own policy: with API Access Control's "For
admin-approved users, limit API access to only allowlisted connected apps"
(``ConnectedAppSettings.enableAdminApprovedAppsOnly``, Metadata API Developer Guide: "If
true, only apps that have been approved or installed by the admin can call the
Salesforce API"), only users granted an installed app through a profile or permission
set may use it, even when the app lets all users self-authorize (Salesforce Help
005228838; "Restrict Access to APIs with Connected Apps"). It is read from the org's
``ConnectedApp.settings``; absent, it is off ("If false (default)").

TotangoApp comes with the package, so it is installed when the package is; the Gateway
is installed only by the OAuth Usage Install click (``gateway.py``). Read-only.
"""

from __future__ import annotations

from typing import Any

from tasks.totango_sf.steps.connected_app import find_connected_apps, gateway_advice
from tasks.totango_sf.steps.gateway import GatewayStatus, gateway_status

APP_AUTHORIZES = "TotangoApp can authorize"
GATEWAY_AUTHORIZES = "Gateway can authorize"
REFUSED = "invalid_client: app must be installed into org"
SETTINGS_PATH = "settings/ConnectedApp.settings"


def api_access_control(session: Any, api_version: str) -> bool | None:
    """Whether the org limits API access to admin-approved users of allowlisted apps;
    None when its ConnectedApp settings could not be read."""
    from lxml import etree

    from tasks.totango_sf.metadata.safe_xml import parse_xml
    from tasks.totango_sf.salesforce.metadata_api import MetadataCallFailed, retrieve_files

    try:
        files = retrieve_files(session, [("Settings", "ConnectedApp")], api_version)
    except MetadataCallFailed:
        return None
    data = files.get(SETTINGS_PATH)
    if data is None:
        return False
    try:
        value = parse_xml(data).findtext("{*}enableAdminApprovedAppsOnly")
    except etree.XMLSyntaxError:
        return None
    return (value or "").strip() == "true"


def uninstalled_consequence(gateway: GatewayStatus, controlled: bool | None = None) -> str:
    """What the rules mean for a Gateway that is not installed."""
    if controlled:
        return f"with API Access Control on, no one may use it until it is installed ({REFUSED})"
    if gateway.state == "in_use_not_installed":
        return (
            "since September 2025 Salesforce refuses every new user of an uninstalled"
            f" connected app ({REFUSED}); the {gateway.tokens} user token(s) from before keep"
            " working, and System Administrators can still authorize it"
        )
    return (
        "since September 2025 Salesforce refuses users of an uninstalled connected app"
        f" ({REFUSED}), System Administrators excepted"
    )


def authorization_checks(
    session: Any, config: Any, org_name: str, check: Any, read_settings: bool = True
) -> list[Any]:
    """Rows for doctor; ``check`` is doctor's row type (name, status, detail, fix, required)."""
    settings = config.connected_app
    controlled = api_access_control(session, config.api_version) if read_settings else None
    control = {
        True: "API Access Control is on",
        False: "API Access Control is off",
        None: "API Access Control not read",
    }[controlled]
    rows = [_app_row(session, settings.name, controlled, control, org_name, check)]
    gateway = gateway_status(session, settings.gateway)
    if gateway.state == "installed":
        who = (
            "only users granted it through a profile or permission set"
            if controlled
            else "users may authorize it under its own policy"
        )
        rows.append(
            check(GATEWAY_AUTHORIZES, "ok", f"{settings.gateway} is installed: {who} ({control})")
        )
    else:
        consequence = uninstalled_consequence(gateway, controlled)
        rows.append(
            check(
                GATEWAY_AUTHORIZES,
                "fail",
                f"{settings.gateway} is not installed: {consequence}",
                gateway_advice(settings.gateway, org_name),
            )
        )
    return rows


def _app_row(
    session: Any, name: str, controlled: bool | None, control: str, org_name: str, check: Any
) -> Any:
    app = find_connected_apps(session, [name]).get(name)
    if app is None:
        return check(
            APP_AUTHORIZES,
            "fail",
            f"{name} is not in the org: no one can authorize it",
            "install the Totango package (totango-sf install --org NAME)",
        )
    if controlled and not app.admin_approved:
        return check(
            APP_AUTHORIZES,
            "warn",
            f"{control}: only users granted {name} through a profile or permission set can"
            " sign in, although its own policy lets all users self-authorize",
            f"totango-sf connected-app --org {org_name} (grants the configured profiles)",
            False,
        )
    who = (
        "only users granted it through a profile or permission set"
        if controlled or app.admin_approved
        else "all users may self-authorize"
    )
    return check(APP_AUTHORIZES, "ok", f"{name} is installed with the package: {who} ({control})")
