"""Who may sign in through a connected app since the September 2025 restriction, on
production and sandbox orgs (tests/org_emulator/app_authorization.py names the sources:
Salesforce Help 005132365 and 005228838, ConnectedAppSettings, forcedotcom/cli 3260)."""

from __future__ import annotations

import pytest
import requests

from tests.org_emulator import app_authorization, managed_package

GATEWAY_KEY = "3MVG9totangoGatewayEmulatorKey"
APP_KEY = "3MVG9totangoAppEmulatorKey"
FLAVOURS = ["production", "sandbox"]


def user(emulator, first: str) -> dict:
    return next(u for u in emulator.state.rows("User") if u["Name"].startswith(first))


def sign_in(emulator, key: str, first: str) -> tuple[int, dict]:
    response = requests.post(
        f"{emulator.instance_url}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": key,
            "username": user(emulator, first)["Username"],
            "password": "secret",
        },
        timeout=10,
    )
    return response.status_code, response.json()


def authorized_before(emulator, first: str) -> None:
    emulator.state.insert(
        "OauthToken",
        {
            "AppName": managed_package.GATEWAY_APP,
            "AppMenuItemId": None,
            "UserId": user(emulator, first)["Id"],
            "UseCount": 2,
        },
    )


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_an_uninstalled_gateway_refuses_new_users_only(emulator_factory, flavour):
    emulator = emulator_factory(flavour=flavour, package_installed=True)
    authorized_before(emulator, "Sam")
    status, answer = sign_in(emulator, GATEWAY_KEY, "Sue")
    assert (status, answer) == (
        400,
        {"error": "invalid_client", "error_description": "app must be installed into org"},
    )
    assert sign_in(emulator, GATEWAY_KEY, "Sam")[0] == 200  # authorized it before
    assert sign_in(emulator, GATEWAY_KEY, "Ada")[0] == 200  # a System Administrator
    managed_package.install_gateway(emulator.state)
    assert sign_in(emulator, GATEWAY_KEY, "Sue")[0] == 200


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_api_access_control_overrides_the_apps_own_policy(emulator_factory, flavour):
    emulator = emulator_factory(flavour=flavour, package_installed=True)
    authorized_before(emulator, "Sam")
    app_authorization.set_api_access_control(emulator.state, True)
    # Uninstalled: no one, not even those who authorized it before.
    assert sign_in(emulator, GATEWAY_KEY, "Sam")[1]["error"] == "invalid_client"
    assert sign_in(emulator, GATEWAY_KEY, "Ada")[1]["error"] == "invalid_client"
    # Installed, "All users may self-authorize", yet only granted users may use it.
    status, answer = sign_in(emulator, APP_KEY, "Sue")
    assert (status, answer["error_description"]) == (
        400,
        "user is not admin approved to access this app",
    )
    app = next(r for r in emulator.state.rows("ConnectedApplication") if r["Name"] == "TotangoApp")
    assert app["OptionsAllowAdminApprovedUsersOnly"] is False
    sue = user(emulator, "Sue")
    profile_set = next(
        r
        for r in emulator.state.rows("PermissionSet")
        if r.get("IsOwnedByProfile") and r["ProfileId"] == sue["ProfileId"]
    )
    emulator.state.insert(
        "SetupEntityAccess", {"ParentId": profile_set["Id"], "SetupEntityId": app["Id"]}
    )
    assert sign_in(emulator, APP_KEY, "Sue")[0] == 200
    app_authorization.set_api_access_control(emulator.state, False)
    assert sign_in(emulator, APP_KEY, "Sam")[0] == 200


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_an_admin_approved_app_refuses_a_user_not_granted(emulator_factory, flavour):
    emulator = emulator_factory(flavour=flavour, package_installed=True)
    for row in emulator.state.rows("ConnectedApplication"):
        row["OptionsAllowAdminApprovedUsersOnly"] = True
    assert sign_in(emulator, APP_KEY, "Sue")[1]["error"] == "invalid_app_access"
