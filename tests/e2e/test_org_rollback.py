"""Security.settings scope, snapshots bound to their org, and rollback that keeps later work."""

from __future__ import annotations

import io
import json
import zipfile

from lxml import etree

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.metadata.xml import canonical_bytes
from tasks.totango_sf.org.requests import DeployRequest, RunHooks
from tests.support.cli import as_json, cli, write_config

SECURITY = "settings/Security.settings"
ACCOUNT = "Account-Account Layout"
ADMIN_RANGE = (
    b"<ipRanges><description>Admin VPN</description>"
    b"<end>9.9.9.9</end><start>9.9.9.9</start></ipRanges>"
)


def sent_file(emulator, deploy_id: str, path: str) -> bytes | None:
    """A file exactly as a deploy sent it to the emulator."""
    data = emulator.metadata.deploys[deploy_id].zip_data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(path) if path in archive.namelist() else None


def top_level(data: bytes) -> list[str]:
    return [etree.QName(c).localname for c in etree.fromstring(data) if isinstance(c.tag, str)]


def security(emulator) -> bytes:
    return emulator.state.metadata_xml("Settings", "Security")


def admin_adds_a_range(emulator) -> None:
    emulator.state.set_metadata_xml(
        "Settings",
        "Security",
        security(emulator).replace(b"<networkAccess>", b"<networkAccess>" + ADMIN_RANGE, 1),
    )


def admin_edits_the_account_layout(emulator) -> None:
    layout = emulator.state.metadata_xml("Layout", ACCOUNT)
    edited = layout.replace(b"<label>Account Information</label>", b"<label>Account Facts</label>")
    assert edited != layout
    emulator.state.set_metadata_xml("Layout", ACCOUNT, edited)


# -- Security.settings: networkAccess only --------------------------------------------


def test_deploy_sends_network_access_only_and_keeps_a_setting_changed_after_the_retrieve(
    emulator, use_org, tmp_path
):
    from tasks.totango_sf.config.model import load_config
    from tasks.totango_sf.org import deploy as flow
    from tasks.totango_sf.salesforce.connection import connect
    from tests.support.schemas import oracle_schemas

    use_org(emulator)
    config = load_config(write_config(tmp_path), "emu")
    session = connect("emu")

    def admin_changes_a_session_setting(state) -> None:
        # After the retrieve, before the deploy: a change the deploy must not revert.
        changed = security(emulator).replace(
            b"<forceRelogin>true</forceRelogin>", b"<forceRelogin>false</forceRelogin>"
        )
        emulator.state.set_metadata_xml("Settings", "Security", changed)

    outcome = flow.deploy(
        session, config, DeployRequest(), RunHooks(on_plan=admin_changes_a_session_setting)
    )
    assert outcome.status == "deployed", outcome.to_json()
    sent = sent_file(emulator, outcome.deploy.id, SECURITY)
    assert sent is not None and top_level(sent) == ["networkAccess"]
    for schema in oracle_schemas():
        assert schema.validate_bytes(sent) == [], schema.api_version
    now = security(emulator)
    assert b"<forceRelogin>false</forceRelogin>" in now
    assert b"<start>8.8.8.8</start>" in now and b"Head office" in now
    assert b"<minimumPasswordLength>8</minimumPasswordLength>" in now
    assert outcome.verify is not None and outcome.verify.in_sync


# -- surgical rollback keeps later work -----------------------------------------------


def test_default_rollback_removes_only_what_the_setup_owns(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    original_lead = emulator.state.metadata_xml("Layout", "Lead-Lead Layout")
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0
    admin_adds_a_range(emulator)
    admin_edits_the_account_layout(emulator)

    result = cli("rollback", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    doc = as_json(result)
    assert doc["mode"] == "surgical" and doc["status"] == "rolled_back"
    now = security(emulator)
    assert b"<start>9.9.9.9</start>" in now  # the admin's range stays
    assert b"<start>8.8.8.8</start>" not in now and b"1.1.1.0" not in now  # ours are gone
    assert b"Head office" in now and b"VPN egress" in now
    layout = emulator.state.metadata_xml("Layout", ACCOUNT)
    assert b"<label>Account Facts</label>" in layout  # the admin's edit stays
    assert b"Totango_Account_Insights" not in layout
    lead = emulator.state.metadata_xml("Layout", "Lead-Lead Layout")
    assert canonical_bytes(lead) == canonical_bytes(original_lead)
    sent = sent_file(emulator, doc["deploy_id"], SECURITY)
    assert sent is not None and top_level(sent) == ["networkAccess"]


def test_exact_restore_refuses_with_a_diff_when_the_org_changed_unless_forced(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    original = security(emulator)
    original_account = emulator.state.metadata_xml("Layout", ACCOUNT)

    # Unchanged since the deploy: the exact restore goes ahead.
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0
    exact = cli("rollback", "--org", "emu", "--config", str(config), "--exact", "--json")
    assert exact.exit_code == 0, exact.output
    assert as_json(exact)["mode"] == "exact"
    assert canonical_bytes(security(emulator)) == canonical_bytes(original)

    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0
    admin_adds_a_range(emulator)
    admin_edits_the_account_layout(emulator)
    deploys = len(emulator.history.deploys)
    refused = cli("rollback", "--org", "emu", "--config", str(config), "--exact", "--json")
    assert refused.exit_code == 2, refused.output
    error = as_json(refused)
    assert "changed since" in error["message"] and "--force" in error["message"]
    diffs = error["data"]["diffs"]
    assert set(diffs) == {SECURITY, f"layouts/{ACCOUNT}.layout"}
    assert "+" in diffs[SECURITY] and "9.9.9.9" in diffs[SECURITY]
    assert "Account Facts" in diffs[f"layouts/{ACCOUNT}.layout"]
    assert len(emulator.history.deploys) == deploys  # nothing sent
    text = cli("rollback", "--org", "emu", "--config", str(config), "--exact")
    assert text.exit_code == 2 and "9.9.9.9" in text.stdout

    forced = cli(
        "rollback", "--org", "emu", "--config", str(config), "--exact", "--force", "--json"
    )
    assert forced.exit_code == 0, forced.output
    assert canonical_bytes(security(emulator)) == canonical_bytes(original)
    account = emulator.state.metadata_xml("Layout", ACCOUNT)
    assert canonical_bytes(account) == canonical_bytes(original_account)


def test_force_without_exact_is_bad_input(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.history.clear()
    result = cli("rollback", "--org", "emu", "--config", str(config), "--force", "--json")
    assert result.exit_code == 2
    assert "--exact" in as_json(result)["message"]
    assert len(emulator.history) == 0


# -- snapshots are bound to their org -------------------------------------------------


def test_snapshot_records_the_org_and_rollback_refuses_another_orgs(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0
    folder = next((tmp_path / "snapshots" / "emu").iterdir())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["org_id"][:15] == emulator.org_id[:15]

    manifest["org_id"] = "00D000000000042EAA"  # the alias now names another org
    (folder / "manifest.json").write_text(json.dumps(manifest))
    deploys = len(emulator.history.deploys)
    layout = emulator.state.metadata_xml("Layout", ACCOUNT)
    for extra in ([], ["--exact", "--force"]):
        result = cli("rollback", "--org", "emu", "--config", str(config), "--json", *extra)
        assert result.exit_code == 2, result.output
        message = as_json(result)["message"]
        assert "00D000000000042EAA" in message and emulator.org_id[:15] in message
    assert len(emulator.history.deploys) == deploys
    assert emulator.state.metadata_xml("Layout", ACCOUNT) == layout


# -- --remove-components: assignments go only after the removing deploy succeeded ------


def test_assignments_stay_when_the_removing_deploy_fails(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0
    assigned = len(emulator.state.rows("PermissionSetAssignment"))
    assert assigned == 3
    layout = emulator.state.metadata_xml("Layout", ACCOUNT)
    emulator.faults.fail_component("Layout", ACCOUNT, "Emulated failure: row lock")

    failed = cli(
        "rollback", "--org", "emu", "--config", str(config), "--remove-components", "--json"
    )
    assert failed.exit_code == 1, failed.output
    assert as_json(failed)["permission_set_assignments_removed"] == 0
    assert len(emulator.state.rows("PermissionSetAssignment")) == assigned
    assert emulator.state.has("PermissionSet", "Totango_Insights")
    assert emulator.state.has("ApexPage", "Totango_Account_Insights")
    assert emulator.state.metadata_xml("Layout", ACCOUNT) == layout

    emulator.faults.clear()
    done = cli("rollback", "--org", "emu", "--config", str(config), "--remove-components", "--json")
    assert done.exit_code == 0, done.output
    doc = as_json(done)
    assert doc["status"] == "rolled_back"
    assert doc["permission_set_assignments_removed"] == assigned
    assert emulator.state.rows("PermissionSetAssignment") == []
    assert not emulator.state.has("PermissionSet", "Totango_Insights")
    assert not emulator.state.has("ApexPage", "Totango_Account_Insights")
    assert "Totango_Account_Health__c" in emulator.state.field_names("Account")


def test_a_failure_after_the_assignments_went_is_reported_as_partly_done(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0
    emulator.faults.fail_component("PermissionSet", "Totango_Insights", "Emulated: locked")

    partly = cli(
        "rollback", "--org", "emu", "--config", str(config), "--remove-components", "--json"
    )
    assert partly.exit_code == 5, partly.output
    doc = json.loads(partly.stdout)
    assert doc["result"]["status"] == "partly_done"
    assert any("Re-run the same rollback" in w for w in doc["warnings"])
    assert doc["result"]["deploy"]["success"] is True
    assert doc["result"]["permission_set_deploy"]["success"] is False
    layout = emulator.state.metadata_xml("Layout", ACCOUNT)
    assert b"Totango_Account_Insights" not in layout  # the first deploy stands
    assert emulator.state.rows("PermissionSetAssignment") == []
    assert emulator.state.has("PermissionSet", "Totango_Insights")

    emulator.faults.clear()
    again = cli(
        "rollback", "--org", "emu", "--config", str(config), "--remove-components", "--json"
    )
    assert again.exit_code == 0, again.output
    assert not emulator.state.has("PermissionSet", "Totango_Insights")
    assert not emulator.state.has("ApexPage", "Totango_Account_Insights")
