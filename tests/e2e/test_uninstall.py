"""Uninstall (``rollback --remove-components``) takes out what every deploy made.

What the setup owns is computed from every deploy and rollback the org has seen, not
from the latest snapshot: after deploy -> rollback -> deploy the components were made by
the first deploy, and the second found them in place. ``totango-sf snapshots`` lists the
history and what is owned.
"""

from __future__ import annotations

import json

import pytest

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.metadata.xml import canonical_bytes
from tests.support.cli import as_json, cli, write_config
from tests.support.schemas import check

LAYOUTS = ("Account-Account Layout", "Lead-Lead Layout", "Opportunity-Opportunity Layout")
OURS = [
    ("ApexPage", "Totango_Account_Insights"),
    ("ApexPage", "Totango_Lead_Insights"),
    ("CustomTab", "Totango"),
    ("PermissionSet", "Totango_Insights"),
    ("PermissionSet", "Totango_Integration"),
]
UNINSTALL = ("--remove-components", "--delete-fields")


def org_files(emulator) -> dict[str, bytes]:
    files = {name: canonical_bytes(emulator.state.metadata_xml("Layout", name)) for name in LAYOUTS}
    files["security"] = canonical_bytes(emulator.state.metadata_xml("Settings", "Security"))
    return files


def run(*args: str, yes: bool = False):
    extra = ["--yes"] if yes else []
    result = cli(*args, "--org", "emu", "--json", *extra)
    assert result.exit_code == 0, result.output
    return as_json(result)


def deploy(config, yes: bool = False):
    return run("deploy", "--config", str(config), yes=yes)


def uninstall(config, yes: bool = False):
    return run("rollback", "--config", str(config), *UNINSTALL, yes=yes)


def assert_uninstalled(emulator, before: dict[str, bytes], doc: dict) -> None:
    deleted = {(d["type"], d["name"]) for d in doc["delete"]}
    assert set(OURS) <= deleted, deleted
    assert any(kind == "CustomField" for kind, _ in deleted)
    for kind, name in OURS:
        assert not emulator.state.has(kind, name), (kind, name)
    assert "Totango_Account_Health__c" not in emulator.state.field_names("Account")
    assert org_files(emulator) == before


def test_deploy_rollback_deploy_then_uninstall_deletes_what_the_first_deploy_made(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    before = org_files(emulator)
    config = write_config(tmp_path)
    deploy(config)
    run("rollback", "--config", str(config))
    second = deploy(config)
    assert second["status"] == "deployed"
    doc = uninstall(config)
    assert doc["status"] == "rolled_back"
    assert_uninstalled(emulator, before, doc)

    history = run("snapshots")
    assert [s["kind"] for s in history["snapshots"]] == ["deploy", "deploy"]
    assert all("rolled back" in s["outcome"] for s in history["snapshots"])
    assert history["owned"] == {"sections": [], "ranges": [], "components": []}
    again = run("rollback", "--config", str(config), *UNINSTALL)
    assert again["status"] == "nothing_to_do" and again["delete"] == []


@pytest.mark.parametrize("second", ["in-sync", "another-range", "taller"])
def test_deploy_deploy_then_uninstall(emulator, use_org, tmp_path, second):
    use_org(emulator)
    before = org_files(emulator)
    first = write_config(tmp_path)
    deploy(first)
    folder = tmp_path / second
    folder.mkdir()
    extra = {
        "in-sync": {},
        "another-range": {"trusted_ip_ranges": {"addresses": ["8.8.8.8", "1.1.1.0/24", "4.4.4.4"]}},
        "taller": {"widget": {"height": 500}},
    }[second]
    config = write_config(folder, **extra)
    doc = deploy(config)
    assert doc["status"] == ("in_sync" if second == "in-sync" else "deployed")
    assert_uninstalled(emulator, before, uninstall(config))


def test_uninstall_in_production_after_deploy_rollback_deploy(emulator_factory, use_org, tmp_path):
    org = use_org(emulator_factory(flavour="production", package_installed=False))
    before = org_files(org)
    config = write_config(tmp_path)
    deploy(config, yes=True)
    run("rollback", "--config", str(config), yes=True)
    deploy(config, yes=True)
    refused = cli("rollback", "--org", "emu", "--config", str(config), *UNINSTALL, "--json")
    assert refused.exit_code == 2
    assert_uninstalled(org, before, uninstall(config, yes=True))


def test_a_component_that_existed_before_the_first_deploy_is_adopted_only_on_request_and_given_back(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    tab = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<CustomTab xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        b"    <frameHeight>600</frameHeight>\n"
        b"    <label>Totango</label>\n"
        b"    <motif>Custom57: Building Block</motif>\n"
        b"    <url>https://app.totango.com/</url>\n"
        b"    <urlEncodingKey>UTF-8</urlEncodingKey>\n"
        b"</CustomTab>\n"
    )
    emulator.state.set_metadata_xml("CustomTab", "Totango", tab)
    config = write_config(tmp_path)
    # The admin's tab differs from the setup's: replacing it takes --adopt, and plan says so.
    planned = cli("plan", "--org", "emu", "--config", str(config), "--out", str(tmp_path / "o"))
    assert planned.exit_code == 0, planned.output
    shown = " ".join(planned.output.split())
    assert "deploy would refuse: CustomTab 'Totango' is in the org" in shown
    planned_json = cli("plan", "--org", "emu", "--config", str(config), "--json")
    [why] = as_json(planned_json)["deploy_refused"]
    assert why.startswith("CustomTab 'Totango'")
    adopting = cli("plan", "--org", "emu", "--config", str(config), "--adopt", "--json")
    assert as_json(adopting)["deploy_refused"] == []
    refused = cli("deploy", "--config", str(config), "--org", "emu", "--json")
    assert refused.exit_code == 2, refused.output
    message = as_json(refused)["message"]
    assert "CustomTab 'Totango'" in message and "--adopt" in message and "tab.name" in message
    assert emulator.history.deploys == []
    adopted = run("deploy", "--config", str(config), "--adopt")
    assert adopted["status"] == "deployed"
    assert canonical_bytes(emulator.state.metadata_xml("CustomTab", "Totango")) != canonical_bytes(
        tab
    )
    run("rollback", "--config", str(config))
    deploy(config)  # the tab is the setup's now: no --adopt needed
    doc = uninstall(config)
    assert ("CustomTab", "Totango") not in {(d["type"], d["name"]) for d in doc["delete"]}
    assert {"type": "CustomTab", "name": "Totango"} in doc["restore"]
    # Given back as the admin had it, while what the setup made is gone.
    assert canonical_bytes(emulator.state.metadata_xml("CustomTab", "Totango")) == canonical_bytes(
        tab
    )
    assert not emulator.state.has("ApexPage", "Totango_Account_Insights")
    assert run("snapshots")["owned"]["components"] == []


def test_a_component_recreated_by_hand_after_an_uninstall_is_the_admins(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    deploy(config)
    uninstall(config)
    # The admin makes a tab of that name by hand; our next deploy finds it in place.
    by_hand = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<CustomTab xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        b"    <label>Totango</label>\n    <motif>Custom57: Building Block</motif>\n"
        b"    <url>https://example.com/</url>\n"
        b"</CustomTab>\n"
    )
    emulator.state.set_metadata_xml("CustomTab", "Totango", by_hand)
    # What the earlier deploy made was uninstalled: the tab is the admin's, not ours.
    refused = cli("deploy", "--config", str(config), "--org", "emu", "--json")
    assert refused.exit_code == 2 and "CustomTab 'Totango'" in as_json(refused)["message"]
    run("deploy", "--config", str(config), "--adopt")
    owned = {(c["type"], c["name"]) for c in run("snapshots")["owned"]["components"]}
    assert ("CustomTab", "Totango") not in owned
    assert ("ApexPage", "Totango_Account_Insights") in owned
    doc = uninstall(config)
    assert ("CustomTab", "Totango") not in {(d["type"], d["name"]) for d in doc["delete"]}
    assert canonical_bytes(emulator.state.metadata_xml("CustomTab", "Totango")) == canonical_bytes(
        by_hand
    )


def test_snapshots_lists_every_run_with_its_kind_outcome_and_deploy_id(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    validated = run("deploy", "--config", str(config), "--check-only")
    deployed = deploy(config)
    listing = run("snapshots")
    rows = listing["snapshots"]
    assert [(r["kind"], r["outcome"]) for r in rows] == [
        ("validation", "validated"),
        ("deploy", "deployed"),
    ]
    assert [r["deploy_id"] for r in rows] == [validated["deploy_id"], deployed["deploy_id"]]
    assert all(r["date"].endswith("Z") and r["id"] for r in rows)
    owned = listing["owned"]
    assert {s["layout"] for s in owned["sections"]} == set(LAYOUTS)
    assert {(r["start"], r["origin"]) for r in owned["ranges"]} == {
        ("8.8.8.8", "created"),
        ("1.1.1.0", "created"),
    }
    table = cli("snapshots", "--org", "emu")
    assert table.exit_code == 0 and deployed["deploy_id"] in table.stdout
    assert "3 section(s), 2 range(s)" in table.stdout
    empty = cli("snapshots", "--org", "other", "--json")
    assert empty.exit_code == 0 and json.loads(empty.stdout)["result"]["snapshots"] == []
    # Both documents follow the published schema.
    check("snapshots", cli("snapshots", "--org", "emu", "--json").stdout, 0)
    check("snapshots", empty.stdout, 0)


def test_uninstall_gives_an_adopted_section_back_and_leaves_a_hand_made_one(
    emulator_factory, use_org, tmp_path
):
    from tests.support.layouts import RATING, item, put_section, section

    # The admin's section shows the package's page, which existed before any deploy.
    emulator = use_org(emulator_factory(flavour="sandbox", package_installed=True))
    before_lead = canonical_bytes(emulator.state.metadata_xml("Layout", "Lead-Lead Layout"))
    health = section("Customer Health", RATING, item("totango__Totango_Account_Insights", 200))
    adopted = put_section(emulator, "Account-Account Layout", health)
    config = write_config(tmp_path)
    run("deploy", "--config", str(config), "--adopt")
    # After the deploy an admin adds a "Totango" section of their own to the Lead layout.
    theirs = section("Totango", RATING)
    lead = put_section(emulator, "Lead-Lead Layout", theirs)
    assert lead.count(b"<label>Totango</label>") == 2
    deploy(config)  # in sync: ours is known by its record, theirs is left
    doc = uninstall(config)
    assert doc["status"] == "rolled_back"
    account = canonical_bytes(emulator.state.metadata_xml("Layout", "Account-Account Layout"))
    assert account == adopted
    lead_now = canonical_bytes(emulator.state.metadata_xml("Layout", "Lead-Lead Layout"))
    assert lead_now == canonical_bytes(
        before_lead.replace(b"<layoutSections>", theirs + b"<layoutSections>", 1)
    )


def test_uninstall_deletes_the_report_folder_it_made_with_its_reports(emulator, use_org, tmp_path):
    # package.xml names a report folder under Report (Totango_Reports), as it names the
    # reports in it: the org deletes the folder, not only the reports.
    use_org(emulator)
    config = write_config(tmp_path)
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0
    assert emulator.state.names("ReportFolder") == ["Totango_Reports"]
    result = cli(
        "rollback", "--org", "emu", "--config", str(config), "--remove-components", "--json"
    )
    assert result.exit_code == 0, result.output
    assert emulator.state.names("ReportFolder") == []
    assert emulator.state.names("Report") == []
