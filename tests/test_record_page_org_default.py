"""A created record page made the org default, only with an explicit flag.

``widget.create_record_page.assign_org_default`` sets the object's View / Large
action override to the page the deploy creates, in the same atomic deploy, and
keeps every other override. verify reports a changed org default as drift, and
both rollback modes give back the previous View override (here none: the
system default page) with the rest of the object untouched.
"""

from __future__ import annotations

import pytest

from tasks.totango_sf.merge.flexipage import page_facts
from tasks.totango_sf.merge.org_default import (
    assign_org_default,
    exact_overrides,
    org_default_page,
    overrides_only,
    restore_org_default,
)
from tasks.totango_sf.metadata.components import Component, mdapi_files, source_files
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import load_schema
from tasks.totango_sf.metadata.xml import canonical_bytes
from tests.org_emulator.deploy_engine import run_deploy
from tests.org_emulator.seed import build_state
from tests.support.cli import as_json, cli, write_config
from tests.support.mdapi import deploy_zip

MD = "http://soap.sforce.com/2006/04/metadata"
CREATED = "Opportunity_Totango_Record_Page"
OBJECT_PATH = "objects/Opportunity.object"
ASSIGN = {"create_record_page": {"assign_org_default": True}}


def object_file(*overrides: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="{MD}">'
        + "".join(f"<actionOverrides>{o}</actionOverrides>" for o in overrides)
        + "</CustomObject>\n"
    ).encode()


# The phone override and a Classic Visualforce edit override: neither is the org
# default record page, and both must survive the assignment and its rollback.
PHONE = (
    "<actionName>View</actionName><content>Opportunity_Sales_Page</content>"
    "<formFactor>Small</formFactor><type>Flexipage</type>"
)
EDIT = "<actionName>Edit</actionName><type>Standard</type>"
ADMIN_DEFAULT = (
    "<actionName>View</actionName><content>Admin_Page</content>"
    "<formFactor>Large</formFactor><type>Flexipage</type>"
)


def fields_of(override) -> tuple:
    return tuple((child.tag, child.text) for child in override)


# -- the merge -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "before", [None, object_file(), object_file(PHONE, EDIT), object_file(EDIT, ADMIN_DEFAULT)]
)
def test_assign_is_schema_valid_idempotent_keeps_others_and_has_an_exact_inverse(before):
    schema = load_schema()
    after = assign_org_default(before, CREATED)
    assert not schema.validate_bytes(after)
    assert org_default_page(after) == CREATED
    assert assign_org_default(after, CREATED) == after  # a second run changes nothing
    others = [
        fields_of(o)
        for o in parse_xml(overrides_only(before)).iter(f"{{{MD}}}actionOverrides")
        if o.findtext(f"{{{MD}}}formFactor") != "Large"
    ]
    kept = [fields_of(o) for o in parse_xml(after).iter(f"{{{MD}}}actionOverrides")]
    assert all(o in kept for o in others)
    # The override is written as Lightning App Builder writes it, in schema order.
    ours = next(o for o in parse_xml(after) if o.findtext(f"{{{MD}}}content") == CREATED)
    assert [c.tag.split("}")[1] for c in ours] == [
        "actionName", "comment", "content", "formFactor", "skipRecordTypeSelect", "type"
    ]  # fmt: skip

    restored = restore_org_default(after, before)
    assert not schema.validate_bytes(restored)
    assert org_default_page(restored) == org_default_page(before)
    if org_default_page(before) is None:
        # No override before: View / Large back to Default (the system page), not omitted.
        view = [
            o
            for o in parse_xml(restored)
            if (o.findtext(f"{{{MD}}}actionName"), o.findtext(f"{{{MD}}}formFactor"))
            == ("View", "Large")
        ]
        assert [v.findtext(f"{{{MD}}}type") for v in view] == ["Default"]
    else:
        assert restored == overrides_only(before)
    exact = exact_overrides(before, after)
    assert not schema.validate_bytes(exact)
    assert org_default_page(exact) == org_default_page(before)


def test_restore_keeps_what_an_admin_changed_elsewhere_since():
    after = assign_org_default(object_file(PHONE), CREATED)
    edited = after.replace(b"<content>Opportunity_Sales_Page</content>", b"<content>X</content>")
    restored = restore_org_default(edited, object_file(PHONE))
    assert b"<content>X</content>" in restored and org_default_page(restored) is None


def test_object_settings_and_fields_share_one_file_in_schema_order():
    settings = Component("CustomObject", "Opportunity", assign_org_default(None, CREATED))
    field = Component(
        "CustomField",
        "Opportunity.Health__c",
        f'<CustomField xmlns="{MD}"><fullName>Health__c</fullName><label>H</label>'
        "<length>10</length><type>Text</type></CustomField>".encode(),
    )
    files = mdapi_files([field, settings])
    root = parse_xml(files[OBJECT_PATH])
    assert [c.tag.split("}")[1] for c in root] == ["actionOverrides", "fields"]
    assert not load_schema().validate_bytes(files[OBJECT_PATH])
    assert "force-app/main/default/objects/Opportunity/Opportunity.object-meta.xml" in (
        source_files([settings])
    )


# -- the emulator --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "accepted"),
    [
        ("Opportunity_Sales_Page", True),  # a record page of Opportunity
        ("Account_Record_Page", False),  # a record page of another object
        ("No_Such_Page", False),
    ],
)
def test_emulator_accepts_an_org_default_only_for_a_record_page_of_the_object(content, accepted):
    state = build_state("sandbox")
    files = {OBJECT_PATH: assign_org_default(None, content)}
    outcome = run_deploy(state, deploy_zip(files, {"CustomObject": ["Opportunity"]}, "63.0"))
    assert outcome.ok is accepted
    if not accepted:
        problem = outcome.failures[0].problem
        if content == "No_Such_Page":
            assert problem == "In field: content - no FlexiPage named No_Such_Page found"
        else:
            assert problem.startswith(f"{content} does not exist or is not a valid override")


def test_emulator_refuses_to_delete_the_org_default_page():
    state = build_state("sandbox")
    destructive = (
        f'<?xml version="1.0" encoding="UTF-8"?><Package xmlns="{MD}"><types>'
        "<members>Account_Record_Page</members><name>FlexiPage</name></types></Package>"
    ).encode()
    outcome = run_deploy(state, deploy_zip({"destructiveChanges.xml": destructive}, {}, "63.0"))
    assert not outcome.ok
    assert "CustomObject - Account" in outcome.failures[0].problem


# -- end to end ----------------------------------------------------------------------


def seed_other_overrides(emulator) -> dict[str, bytes] | None:
    # In the emulator's stored form (canonical), so the comparison after rollback is of
    # the override set, not of a test file's whitespace.
    seeded = canonical_bytes(object_file(PHONE))
    emulator.state.put("CustomObject", "Opportunity", {OBJECT_PATH: seeded})
    return dict(emulator.state.component("CustomObject", "Opportunity") or {})


@pytest.mark.parametrize(
    "exact, flavour", [(False, "sandbox"), (True, "sandbox"), (False, "production")]
)
def test_deploy_assigns_the_created_page_verify_in_sync_rollback_gives_the_system_page_back(
    emulator_factory, use_org, tmp_path, exact, flavour
):
    emulator = use_org(emulator_factory(flavour=flavour, package_installed=False))
    yes = ["--yes"] if flavour == "production" else []
    before = seed_other_overrides(emulator)
    config = write_config(tmp_path, widget=ASSIGN)

    plan = cli("plan", "--org", "emu", "--config", str(config), "--json")
    assert plan.exit_code == 0, plan.output
    doc = as_json(plan)
    rows = {r["page"]: r for r in doc["record_pages"] if r["object"] == "Opportunity"}
    assert rows[CREATED]["action"] == "create" and rows[CREATED]["becomes_org_default"] is True
    assert "every user of Opportunity" in rows[CREATED]["reason"]
    change = next(c for c in doc["components"] if c["type"] == "CustomObject")
    assert change["name"] == "Opportunity" and change["action"] == "update"
    assert f"the system default -> {CREATED}" in change["summary"]
    assert any("assign_org_default" in w for w in doc["warnings"])

    result = cli("deploy", "--org", "emu", "--config", str(config), "--json", *yes)
    assert result.exit_code == 0, result.output
    assert as_json(result)["verify"]["in_sync"] is True
    deploys = [c for c in emulator.history.deploys if c.kind == "deploy"]
    assert len(deploys) == 1  # the page and its assignment in one atomic deploy
    stored = emulator.state.component("CustomObject", "Opportunity")[OBJECT_PATH]
    assert org_default_page(stored) == CREATED
    assert b"<formFactor>Small</formFactor>" in stored  # the phone override is kept
    created = emulator.state.metadata_xml("FlexiPage", CREATED)
    assert page_facts(created, "Totango_Opportunity_Insights").widget == "component"

    # The listing now shows the created page as the org default, with the widget.
    again = as_json(cli("plan", "--org", "emu", "--config", str(config), "--json"))
    rows = [r for r in again["record_pages"] if r["object"] == "Opportunity"]
    assert {r["page"] for r in rows} >= {CREATED}
    assert "(system default)" not in {r["page"] for r in rows}
    row = next(r for r in rows if r["page"] == CREATED)
    assert row["assigned"] == ["org default"] and row["widget_shows"] == "component"
    assert again["in_sync"] is True
    doctor = as_json(cli("doctor", "--org", "emu", "--config", str(config), "--json"))
    check = {c["name"]: c for c in doctor["checks"]}["widget on record pages"]
    assert f"Opportunity {CREATED} (org default): created" in check["detail"]

    verify = cli("verify", "--org", "emu", "--config", str(config), "--json")
    assert verify.exit_code == 0, verify.output

    args = ["rollback", "--org", "emu", "--config", str(config), "--remove-components", "--json"]
    rollback = cli(*args, *(["--exact"] if exact else []), *yes)
    assert rollback.exit_code == 0, rollback.output
    assert emulator.state.component("CustomObject", "Opportunity") == before
    assert not emulator.state.has("FlexiPage", CREATED)


def test_org_default_changed_by_an_admin_is_drift_and_surgical_rollback_keeps_it(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path, widget=ASSIGN)
    assert cli("deploy", "--org", "emu", "--config", str(config), "--json").exit_code == 0
    chosen = assign_org_default(None, "Opportunity_Sales_Page")
    emulator.state.set_metadata_xml("CustomObject", "Opportunity", chosen)

    verify = cli("verify", "--org", "emu", "--config", str(config), "--json")
    assert verify.exit_code == 3
    drift = {
        d["name"]: d["detail"] for d in as_json(verify)["drift"] if d["type"] == "CustomObject"
    }
    assert drift["Opportunity"] == f"org default record page Opportunity_Sales_Page → {CREATED}"

    exact = cli("rollback", "--org", "emu", "--config", str(config), "--exact", "--json")
    assert exact.exit_code == 2 and "objects/Opportunity.object" in as_json(exact)["message"]

    rollback = cli("rollback", "--org", "emu", "--config", str(config), "--json")
    assert rollback.exit_code == 0, rollback.output
    assert any("Opportunity_Sales_Page" in w for w in as_json(rollback)["warnings"])
    stored = emulator.state.metadata_xml("CustomObject", "Opportunity")
    assert org_default_page(stored) == "Opportunity_Sales_Page"


def test_without_the_flag_the_created_page_stays_unassigned(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path, widget={"create_record_page": True})
    doc = as_json(cli("plan", "--org", "emu", "--config", str(config), "--json"))
    assert not any(c["type"] == "CustomObject" for c in doc["components"])
    row = next(r for r in doc["record_pages"] if r["page"] == CREATED)
    assert row["becomes_org_default"] is False


@pytest.mark.parametrize(
    "value",
    ["yes", 1, ["Case"], [], {"nested": True}],
)
def test_bad_assign_org_default_is_exit_2_naming_the_key_and_nothing_is_sent(
    emulator, use_org, tmp_path, value
):
    use_org(emulator)
    config = write_config(tmp_path, widget={"create_record_page": {"assign_org_default": value}})
    emulator.history.clear()
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 2, result.output
    assert "widget.create_record_page.assign_org_default" in as_json(result)["message"]
    assert "Traceback" not in result.output
    assert emulator.history.kinds() == []


def test_plan_text_marks_the_org_default_change(emulator, use_org, tmp_path, monkeypatch):
    from tasks.totango_sf.cli.common import out

    monkeypatch.setattr(out, "_width", 250)
    use_org(emulator)
    config = write_config(tmp_path, widget=ASSIGN)
    result = cli("plan", "--org", "emu", "--config", str(config), "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "+ org default (every user)" in text
    assert f"the system default -> {CREATED}" in text


def test_emulator_refuses_a_pre_deletion_of_a_page_the_deploy_only_then_unassigns():
    from tasks.totango_sf.org.rollback import rollback_package

    state = build_state("sandbox")
    unassign = {"objects/Account.object": restore_org_default(None, None)}
    members = [("CustomObject", "Account")]
    deleted = [("FlexiPage", "Account_Record_Page")]
    # As the rollback builds it: the page goes after the override no longer names it.
    package = rollback_package(unassign, members, deleted, "63.0")
    assert b"Account_Record_Page" in package["destructiveChangesPost.xml"]
    assert "destructiveChangesPre.xml" not in package
    assert run_deploy(state, zipped(package)).ok
    # Deleted first, while the org default still names it: refused.
    package["destructiveChangesPre.xml"] = package.pop("destructiveChangesPost.xml")
    refused = run_deploy(build_state("sandbox"), zipped(package))
    assert not refused.ok
    assert "CustomObject - Account" in refused.failures[0].problem


def zipped(files: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("value", "opportunity", "lead"),
    [
        (False, False, False),
        (True, False, False),
        ({"assign_org_default": True}, True, True),
        ({"assign_org_default": ["Opportunity"]}, True, False),
        ({"enabled": False}, False, False),
    ],
)
def test_which_objects_get_their_created_page_assigned(value, opportunity, lead):
    from tasks.totango_sf.config.model import build_config

    config = build_config({"widget": {"create_record_page": value}})
    flag = config.widget.create_record_page
    assert (flag.assigns("Opportunity"), flag.assigns("Lead")) == (opportunity, lead)
    assert flag.enabled is (
        value is True or isinstance(value, dict) and value != {"enabled": False}
    )


def test_rollback_of_a_deploy_that_left_the_org_default_as_it_was_sends_no_object(tmp_path):
    from tasks.totango_sf.org.org_default_rollback import plan_object_rollback
    from tasks.totango_sf.state.snapshot import save_deployed, write_snapshot

    ours = assign_org_default(None, CREATED)
    snapshot = write_snapshot(
        tmp_path, "emu", {OBJECT_PATH: ours}, [], [("CustomObject", "Opportunity")]
    )
    save_deployed(snapshot, {OBJECT_PATH: ours})
    for exact in (False, True):
        plan = plan_object_rollback(snapshot, {OBJECT_PATH: ours}, exact=exact)
        assert plan.files == {} and plan.restored == [] and plan.diffs == {}
    first = write_snapshot(
        tmp_path, "emu", {OBJECT_PATH: overrides_only(None)}, [], [("CustomObject", "Opportunity")]
    )
    save_deployed(first, {OBJECT_PATH: ours})
    plan = plan_object_rollback(first, {OBJECT_PATH: ours}, exact=False)
    assert org_default_page(plan.files[OBJECT_PATH]) is None
