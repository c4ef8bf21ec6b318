"""A created record page made the org default, only with an explicit flag.

``widget.create_record_page.assign_org_default`` sets the object's View / Large
action override to the page the deploy creates, in the same atomic deploy, and
keeps every other override. verify reports a changed org default as drift, and
both rollback modes give back the previous View override (here none: the
system default page) with the rest of the object untouched.

Here against the emulated org; the object file alone is in
tests/unit/merge/test_org_default_assignment.py, and the emulator's own rules in
tests/emulator/test_org_default_rules.py.
"""

from __future__ import annotations

import pytest

from tasks.totango_sf.merge.flexipage import page_facts
from tasks.totango_sf.merge.org_default import (
    assign_org_default,
    org_default_page,
)
from tasks.totango_sf.metadata.xml import canonical_bytes
from tests.support.cli import as_json, cli, write_config
from tests.support.org_default import CREATED, OBJECT_PATH, PHONE, object_file

ASSIGN = {"create_record_page": {"assign_org_default": True}}


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
    from tasks.totango_sf.cli.output import out

    monkeypatch.setattr(out, "_width", 250)
    use_org(emulator)
    config = write_config(tmp_path, widget=ASSIGN)
    result = cli("plan", "--org", "emu", "--config", str(config), "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "+ org default (every user)" in text
    assert f"the system default -> {CREATED}" in text
