"""doctor and setup tell whether TotangoApp and the Gateway can still authorize users under
the September 2025 rules and the org's API Access Control, on production and sandbox orgs.

The emulator refuses sign-ins as those rules say (tests/org_emulator/app_authorization.py),
so what doctor reports is checked against what the org then does.
"""

from __future__ import annotations

import pytest
import requests

from tasks.totango_sf.steps.app_authorization import APP_AUTHORIZES, GATEWAY_AUTHORIZES
from tasks.totango_sf.steps.doctor import GATEWAY, run_doctor
from tasks.totango_sf.steps.setup import run_setup
from tests.org_emulator import app_authorization, managed_package
from tests.support.cli_json import result_of
from tests.support.org import cli_app, config, session_for

FLAVOURS = ["production", "sandbox"]


def _sign_in(emulator, key: str, first: str) -> dict:
    user = next(u for u in emulator.state.rows("User") if u["Name"].startswith(first))
    return requests.post(
        f"{emulator.instance_url}/services/oauth2/token",
        data={"grant_type": "password", "client_id": key, "username": user["Username"]},
        timeout=10,
    ).json()


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_doctor_says_new_users_of_the_uninstalled_gateway_are_refused(
    emulator_factory, monkeypatch, flavour
):
    emulator = emulator_factory(flavour=flavour, package_installed=True)
    report = run_doctor(session_for(emulator, monkeypatch), config(), "emu")
    gateway = report.get(GATEWAY_AUTHORIZES)
    assert gateway.status == "fail"
    assert "since September 2025" in gateway.detail
    assert "app must be installed into org" in gateway.detail
    assert "1 user token(s) from before keep working" in gateway.detail
    assert "totango_install_gateway" in gateway.fix
    assert "Until then" in report.get(GATEWAY).fix
    assert report.get(APP_AUTHORIZES).status == "ok"
    # And so the org does: a new user is refused.
    assert _sign_in(emulator, "3MVG9totangoGatewayEmulatorKey", "Sue")["error"] == "invalid_client"

    managed_package.install_gateway(emulator.state)
    after = run_doctor(session_for(emulator, monkeypatch), config(), "emu")
    assert after.get(GATEWAY_AUTHORIZES).status == "ok"
    assert "access_token" in _sign_in(emulator, "3MVG9totangoGatewayEmulatorKey", "Sue")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_doctor_says_api_access_control_overrides_totangoapps_own_policy(
    emulator_factory, monkeypatch, flavour
):
    emulator = emulator_factory(flavour=flavour, package_installed=True)
    app_authorization.set_api_access_control(emulator.state, True)
    report = run_doctor(session_for(emulator, monkeypatch), config(), "emu")
    app = report.get(APP_AUTHORIZES)
    assert app.status == "warn" and "API Access Control is on" in app.detail
    assert "although its own policy lets all users self-authorize" in app.detail
    assert "totango-sf connected-app --org emu" in app.fix
    gateway = report.get(GATEWAY_AUTHORIZES)
    assert "no one may use it until it is installed" in gateway.detail
    refused = _sign_in(emulator, "3MVG9totangoAppEmulatorKey", "Sue")
    assert refused["error_description"] == "user is not admin approved to access this app"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_setup_tells_the_admin_too(emulator_factory, monkeypatch, flavour):
    emulator = emulator_factory(flavour=flavour, package_installed=True)
    report = run_setup(session_for(emulator, monkeypatch), config(), "emu", yes=True)
    gateway_step = next(s for s in report.steps if s.step == "3d")
    assert gateway_step.status == "manual step needed"
    assert "since September 2025" in gateway_step.detail
    checks = {c["name"]: c for c in report.to_json()["doctor_after"]["checks"]}
    assert checks[GATEWAY_AUTHORIZES]["status"] == "fail"
    assert checks[APP_AUTHORIZES]["status"] == "ok"
    assert report.after.get(GATEWAY).status == "fail"


def test_the_doctor_command_lists_both_in_its_json(emulator_factory, monkeypatch):
    from typer.testing import CliRunner

    emulator = emulator_factory(flavour="sandbox", package_installed=True)
    for key, value in emulator.env("emu").items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(cli_app(), ["doctor", "--org", "emu", "--json"])
    names = {c["name"] for c in result_of(result.stdout)["checks"]}
    assert {APP_AUTHORIZES, GATEWAY_AUTHORIZES} <= names
