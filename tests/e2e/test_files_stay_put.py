"""Files stay where they belong when an org is involved: a hostile layout name from the org,
state at the project root when run from a subfolder, the connected-app grant ledger."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.metadata.paths import UnsafePath
from tasks.totango_sf.org.requests import DeployRequest
from tasks.totango_sf.salesforce.connection import connect
from tasks.totango_sf.state import snapshot as snapshots
from tasks.totango_sf.steps import connected_app
from tests.support.cli import ONE_ADDRESS, cli
from tests.support.cli_json import result_of
from tests.support.files import mode, project_with_subfolder


def test_a_hostile_layout_in_the_org_stops_the_deploy_before_anything_is_sent(
    emulator, monkeypatch, tmp_path
):
    """A layout whose name climbs out of the snapshot folder: exit 2, nothing deployed."""
    from tasks.totango_sf.org import deploy as flow

    hostile = "Account-../../../../escaped"
    state = emulator.state
    state.set_metadata_xml(
        "Layout", hostile, state.metadata_xml("Layout", "Account-Account Layout")
    )
    for key, value in emulator.env("emu").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr("tasks.totango_sf.salesforce.metadata_api.FIRST_POLL_INTERVAL", 0.001)
    cfg = build_config({"widget": {"layouts": ["Account-*"]}, **ONE_ADDRESS})
    root = tmp_path / "deep" / "er" / "snapshots"
    with pytest.raises(UnsafePath):
        flow.deploy(connect("emu"), cfg, DeployRequest(snapshot_root=root))
    assert emulator.history.deploys == []
    assert not any(p.is_file() for p in tmp_path.rglob("*escaped*"))


def test_deploy_from_a_subfolder_rolls_back_from_the_root(emulator, monkeypatch, tmp_path):
    folder = project_with_subfolder(tmp_path)
    subprocess_free_git(folder)
    for key, value in emulator.env("emu").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr("tasks.totango_sf.salesforce.metadata_api.FIRST_POLL_INTERVAL", 0.001)
    monkeypatch.setattr(snapshots, "SNAPSHOT_ROOT", Path(".totango/snapshots"))

    monkeypatch.chdir(folder / "sub" / "dir")
    deployed = cli("deploy", "--org", "emu", "--config", str(folder / "totango.yml"), "--json")
    assert deployed.exit_code == 0, deployed.stdout
    snapshot_id = result_of(deployed.stdout)["snapshot"]
    assert not (folder / "sub" / "dir" / ".totango").exists()

    state = folder / ".totango"
    manifest = state / "snapshots" / "emu" / snapshot_id / "manifest.json"
    assert manifest.is_file()
    private = [p for p in state.rglob("*")] + [state]
    assert {mode(p) for p in private if p.is_dir()} == {0o700}
    assert {mode(p) for p in private if p.is_file()} == {0o600}

    monkeypatch.chdir(folder)
    rolled = cli("rollback", "--org", "emu", "--config", "totango.yml", "--snapshot", snapshot_id)
    assert rolled.exit_code == 0, rolled.stdout


def subprocess_free_git(folder: Path) -> None:
    """CumulusCI wants a git repository; a HEAD file is all it reads."""
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")


def test_every_grant_is_recorded_before_the_next_one_so_revoke_knows_it(
    emulator_factory, monkeypatch, tmp_path
):
    emu = emulator_factory(flavour="sandbox", package_installed=True)
    for key, value in emu.env("emu").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    session = connect("emu")
    cfg = build_config({"connected_app": {"profiles": ["Standard User", "System Administrator"]}})
    # The first grant is made; the second insert fails with a server error.
    calls = {"n": 0}
    client = session.salesforce()
    original_create = client.SetupEntityAccess.create

    def create_then_fail(values):
        calls["n"] += 1
        if calls["n"] == 2:
            from simple_salesforce.exceptions import SalesforceGeneralError

            raise SalesforceGeneralError("url", 500, "SetupEntityAccess", b"emulated")
        return original_create(values)

    class _Proxy:
        def __getattr__(self, name):
            return getattr(client, name)

        class SetupEntityAccess:
            create = staticmethod(create_then_fail)
            delete = staticmethod(client.SetupEntityAccess.delete)

    monkeypatch.setattr(session, "salesforce", lambda: _Proxy())
    with pytest.raises(connected_app.AccessWriteFailed):
        connected_app.grant_profiles(session, cfg, "emu")
    made = [r["Id"] for r in emu.state.rows("SetupEntityAccess")]
    assert len(made) == 1
    assert {i[:15] for i in connected_app.granted_by_us("emu")} == {made[0][:15]}
    ledger = connected_app._ledger("emu")
    assert mode(ledger) == 0o600 and mode(ledger.parent) == 0o700

    revoked = connected_app.revoke_profiles(connect("emu"), cfg, "emu")
    assert [p.action for p in revoked.profiles].count("removed") == 1
    assert emu.state.rows("SetupEntityAccess") == []
    assert connected_app.granted_by_us("emu") == set()
