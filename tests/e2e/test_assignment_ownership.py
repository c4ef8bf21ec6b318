"""Permission-set assignments are ours only when this tool made them.

The deploy assigns the permission sets to the configured profiles' users (and the
connection user). Each assignment it creates is recorded in the org's assignment ledger
when the org returns its id. An uninstall (``rollback --remove-components``) deletes the
permission sets the setup made, with every assignment they hold; a permission set an
admin made before the first deploy stays, and of its assignments only those the ledger
lists go: an assignment the admin made by hand stays with it.
"""

from __future__ import annotations

import errno

import pytest

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.metadata.xml import canonical_bytes
from tasks.totango_sf.org.permset_assignment import (
    assignments_made,
    recorded_assignments_present,
    remove_recorded_assignments,
)
from tests.support.cli import as_json, cli, write_config
from tests.support.files import fail_writes_into
from tests.support.org import session_for

PERMISSION_SET = "Totango_Insights"
ADMINS_PERMISSION_SET = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">\n'
    b"    <hasActivationRequired>false</hasActivationRequired>\n"
    b"    <label>Totango Insights (made by hand)</label>\n"
    b"</PermissionSet>\n"
)
UNINSTALL = ("--remove-components",)


def admins_permission_set(state, assigned_to: str) -> tuple[str, str]:
    """An admin's permission set of the configured name, made before the first deploy and
    assigned by hand to ``assigned_to``: (its id, that assignment's id)."""
    state.set_metadata_xml("PermissionSet", PERMISSION_SET, ADMINS_PERMISSION_SET)
    ps_id = state.insert(
        "PermissionSet",
        {
            "Name": PERMISSION_SET,
            "Label": "Totango Insights (made by hand)",
            "IsOwnedByProfile": False,
            "ProfileId": None,
            "NamespacePrefix": None,
            "Type": "Regular",
        },
    )
    user = next(u["Id"] for u in state.rows("User") if u["Username"].startswith(assigned_to))
    by_hand = state.insert(
        "PermissionSetAssignment", {"AssigneeId": user, "PermissionSetId": ps_id}
    )
    return ps_id, by_hand


def connection_user(state) -> str:
    return next(u["Username"] for u in state.rows("User") if u["Username"].startswith("totango."))


def assignments_of(state, ps_id: str) -> set[str]:
    return {r["Id"] for r in state.rows("PermissionSetAssignment") if r["PermissionSetId"] == ps_id}


def run(*args: str) -> dict:
    result = cli(*args, "--org", "emu", "--json", "--yes")
    assert result.exit_code == 0, result.output
    return as_json(result)


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_an_uninstall_gives_the_admins_permission_set_back_with_only_their_assignment(
    emulator_factory, use_org, tmp_path, flavour
):
    org = use_org(emulator_factory(flavour=flavour))
    ps_id, by_hand = admins_permission_set(org.state, "ada.admin")
    config = write_config(tmp_path)
    refused = cli("deploy", "--config", str(config), "--org", "emu", "--json", "--yes")
    assert refused.exit_code == 2, refused.output
    assert f"PermissionSet {PERMISSION_SET!r}" in as_json(refused)["message"]
    assert org.history.deploys == []

    deployed = run("deploy", "--config", str(config), "--adopt")
    assert deployed["status"] == "deployed"
    assert len(assignments_of(org.state, ps_id) - {by_hand}) == 2
    done = run("rollback", "--config", str(config), *UNINSTALL)

    assert done["status"] == "rolled_back", done
    assert {"type": "PermissionSet", "name": PERMISSION_SET} in done["restore"]
    assert canonical_bytes(org.state.metadata_xml("PermissionSet", PERMISSION_SET)) == (
        canonical_bytes(ADMINS_PERMISSION_SET)
    )
    assert assignments_of(org.state, ps_id) == {by_hand}
    assert not org.state.has("ApexPage", "Totango_Account_Insights")
    assert not org.state.has("PermissionSet", "Totango_Integration")
    again = run("rollback", "--config", str(config), *UNINSTALL)
    assert again["status"] == "nothing_to_do"
    assert assignments_of(org.state, ps_id) == {by_hand}


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_only_the_assignments_the_deploy_made_are_removed_from_an_admins_permission_set(
    emulator_factory, use_org, tmp_path, monkeypatch, flavour
):
    org = use_org(emulator_factory(flavour=flavour))
    ps_id, by_hand = admins_permission_set(org.state, "ada.admin")
    config = write_config(tmp_path, integration={"username": connection_user(org.state)})

    deployed = run("deploy", "--config", str(config), "--adopt")
    assert deployed["status"] == "deployed"
    ours = assignments_of(org.state, ps_id) - {by_hand}
    assert len(ours) == deployed["permission_set_assignments"]["assigned"] == 2
    integration = next(
        r for r in org.state.rows("PermissionSet") if r["Name"] == "Totango_Integration"
    )
    [integration_assignment] = assignments_of(org.state, integration["Id"])
    assert assignments_made("emu") == ours | {integration_assignment}

    session = session_for(org, monkeypatch)
    recorded, present = recorded_assignments_present(session)
    assert remove_recorded_assignments(session, recorded, present) == 3
    assert assignments_of(org.state, ps_id) == {by_hand}
    assert assignments_of(org.state, integration["Id"]) == set()
    assert assignments_made("emu") == set()
    # Run again: nothing is left to remove, and the admin's assignment still stands.
    assert recorded_assignments_present(session) == ([], [])
    assert assignments_of(org.state, ps_id) == {by_hand}


def test_a_second_deploy_records_nothing_more_and_keeps_what_it_recorded(
    emulator, use_org, tmp_path
):
    org = use_org(emulator)
    config = write_config(tmp_path, integration={"username": connection_user(org.state)})
    first = run("deploy", "--config", str(config))
    recorded = assignments_made("emu")
    assert len(recorded) == first["permission_set_assignments"]["assigned"] + 1
    again = run("deploy", "--config", str(config))
    assert again["permission_set_assignments"]["assigned"] == 0
    assert assignments_made("emu") == recorded
    uninstalled = run("rollback", "--config", str(config), *UNINSTALL)
    assert uninstalled["status"] == "rolled_back"
    assert not recorded & {r["Id"] for r in org.state.rows("PermissionSetAssignment")}
    assert assignments_made("emu") == set()


@pytest.mark.parametrize("command", ["deploy", "uninstall"])
@pytest.mark.parametrize(
    "ledger",
    [
        "{not json",
        '{"permission_set_assignment": [1]}',
        "[]",
        '{"permission_set_assignment": ["0Pa000000000001\' OR Id != \'"]}',
    ],
)
def test_a_damaged_assignment_ledger_refuses_before_anything_is_sent(
    emulator_factory, use_org, tmp_path, monkeypatch, command, ledger
):
    org = use_org(emulator_factory(flavour="production"))
    config = write_config(tmp_path)
    if command == "uninstall":
        run("deploy", "--config", str(config))
    root = tmp_path / "ledgers"
    monkeypatch.setattr("tasks.totango_sf.org.permset_assignment.ASSIGNMENTS_ROOT", root)
    root.mkdir()
    (root / "emu.json").write_text(ledger)
    org.history.clear()
    args = ["deploy"] if command == "deploy" else ["rollback", *UNINSTALL]
    result = cli(*args, "--org", "emu", "--config", str(config), "--json", "--yes")
    assert result.exit_code == 2, result.output
    message = as_json(result)["message"]
    assert str(root / "emu.json") in message and "damaged" in message
    assert org.history.deploys == []
    assert [c for c in org.history if c.kind.startswith("sobject") and c.method != "GET"] == []
    assert (root / "emu.json").read_text() == ledger


def test_assignments_whose_ledger_cannot_be_written_are_a_warning_naming_them(
    emulator_factory, use_org, tmp_path, monkeypatch
):
    org = use_org(emulator_factory(flavour="production"))
    ps_id, by_hand = admins_permission_set(org.state, "ada.admin")
    fail_writes_into(monkeypatch, "totango-assignments", errno.ENOSPC)
    config = write_config(tmp_path)
    deployed = run("deploy", "--config", str(config), "--adopt")
    assert deployed["status"] == "deployed"
    made = sorted(assignments_of(org.state, ps_id) - {by_hand})
    [warning] = [w for w in deployed["warnings"] if "uninstall will keep them" in w]
    assert all(assignment in warning for assignment in made)
    assert "No space left on device" in warning
