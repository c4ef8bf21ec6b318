"""The Gateway check looks for the OAuth Usage install, not for usage of the app."""

from __future__ import annotations

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.steps.doctor import run_doctor
from tasks.totango_sf.steps.gateway import gateway_status
from tests.org_emulator.managed_package import GATEWAY_APP, install_gateway
from tests.support.org import config, session_for


def test_an_app_in_use_is_not_an_installed_app(emulator_factory, monkeypatch):
    emu = emulator_factory(flavour="sandbox", package_installed=True)
    # What an org shows before the Install click: a ConnectedApplication row and tokens.
    assert any(r["Name"] == GATEWAY_APP for r in emu.state.rows("ConnectedApplication"))
    session = session_for(emu, monkeypatch)
    status = gateway_status(session, GATEWAY_APP)
    assert status.state == "in_use_not_installed" and status.tokens == 1
    check = {c.name: c for c in run_doctor(session, config(), "emu").checks}["Gateway installed"]
    assert check.status == "fail" and "in use" in check.detail and "OAuth Usage" in check.fix

    install_gateway(emu.state)
    assert gateway_status(session, GATEWAY_APP).state == "installed"
    check = {c.name: c for c in run_doctor(session, config(), "emu").checks}["Gateway installed"]
    assert check.status == "ok"


def test_no_usage_and_no_install_is_absent(emulator, monkeypatch):
    session = session_for(emulator, monkeypatch)
    assert gateway_status(session, GATEWAY_APP).state == "absent"


def test_a_differently_named_app_menu_item_does_not_count(emulator_factory, monkeypatch):
    emu = emulator_factory(flavour="sandbox", package_installed=True)
    emu.state.insert(
        "AppMenuItem",
        {"Name": "Other_App", "Label": "Other App", "Type": "ConnectedApplication"},
    )
    assert gateway_status(session_for(emu, monkeypatch), GATEWAY_APP).state != "installed"
