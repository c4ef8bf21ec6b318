"""doctor's checks of Totango's connection user, and connected-app not locking it out."""

from __future__ import annotations

import json

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.steps.doctor import run_doctor
from tasks.totango_sf.steps.integration_check import (
    INTEGRATION_APP,
    INTEGRATION_FIELDS,
    INTEGRATION_USER,
)
from tests.support.cli import cli, write_config
from tests.support.org import session_for


def setup_config(tmp_path, **integration):
    path = write_config(tmp_path, integration=integration)
    return path, build_config(json.loads(path.read_text()))


def rows(emu, monkeypatch, cfg) -> dict:
    report = run_doctor(session_for(emu, monkeypatch), cfg, "emu", include_metadata=False)
    return {c.name: c for c in report.checks}


def admin_approved(emu) -> None:
    for row in emu.state.rows("ConnectedApplication"):
        row["OptionsAllowAdminApprovedUsersOnly"] = True


def test_unset_connection_user_warns(emulator_factory, monkeypatch, tmp_path):
    emu = emulator_factory(package_installed=True)
    _, cfg = setup_config(tmp_path)
    checks = rows(emu, monkeypatch, cfg)
    for name in (INTEGRATION_USER, INTEGRATION_FIELDS, INTEGRATION_APP):
        assert checks[name].status == "warn" and not checks[name].required
    assert "integration.username" in checks[INTEGRATION_USER].detail


def test_missing_or_inactive_user_fails(emulator_factory, monkeypatch, tmp_path):
    emu = emulator_factory(package_installed=True)
    _, cfg = setup_config(tmp_path, username="nobody@example.com")
    assert rows(emu, monkeypatch, cfg)[INTEGRATION_USER].status == "fail"
    user = next(u for u in emu.state.rows("User") if u["Username"].startswith("totango."))
    user["IsActive"] = False
    _, cfg = setup_config(tmp_path, username=user["Username"])
    check = rows(emu, monkeypatch, cfg)[INTEGRATION_USER]
    assert check.status == "fail" and "inactive" in check.detail


def test_field_access_then_app_access_through_the_integration_permission_set(
    emulator_factory, monkeypatch, tmp_path
):
    emu = emulator_factory(package_installed=True)
    admin_approved(emu)
    username = emu.integration_user()["username"]
    path, cfg = setup_config(tmp_path, username=username)
    before = rows(emu, monkeypatch, cfg)
    assert before[INTEGRATION_USER].status == "ok"
    assert before[INTEGRATION_FIELDS].status == "fail"
    assert "33 fields" in before[INTEGRATION_FIELDS].detail
    assert before[INTEGRATION_APP].status == "fail"
    assert "OAUTH_APP_ACCESS_DENIED" in before[INTEGRATION_APP].detail

    deployed = cli("deploy", "--org", "emu", "--config", str(path), "--json")
    assert deployed.exit_code == 0, deployed.output
    after_deploy = rows(emu, monkeypatch, cfg)
    assert after_deploy[INTEGRATION_FIELDS].status == "ok"
    # Its profile is not in connected_app.profiles: still locked out of the app.
    assert after_deploy[INTEGRATION_APP].status == "fail"

    granted = cli("connected-app", "--org", "emu", "--config", str(path), "--json")
    assert granted.exit_code == 0, granted.output
    assert "permission set Totango_Integration" in granted.stdout
    assert rows(emu, monkeypatch, cfg)[INTEGRATION_APP].status == "ok"
