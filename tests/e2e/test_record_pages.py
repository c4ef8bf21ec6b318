"""The widget on Lightning record pages, end to end against the emulated org.

The seeded org assigns record pages at all three levels (org default, app default,
app + record type + profile), one of them a Dynamic Forms page with no Record
Detail component, and leaves Opportunity on the system default outside the Sales
app. A deploy must make the widget reachable on every assigned page of Account,
Lead and Opportunity; verify is then in sync; rollback gives every page back.
"""

from __future__ import annotations

import json

import pytest

from tasks.totango_sf.merge.flexipage import page_facts
from tasks.totango_sf.merge.record_pages import pages_in_use
from tasks.totango_sf.metadata.schema import load_schema
from tasks.totango_sf.metadata.xml import canonical_bytes
from tests.support.cli import as_json, cli, write_config

OBJECTS = ("Account", "Lead", "Opportunity")


def assigned_pages(emulator) -> dict[str, str]:
    """Every custom record page users of the three objects see -> its object."""
    from tasks.totango_sf.merge.record_pages import assignments

    state = emulator.state
    objects = {
        o: (state.component("CustomObject", o) or {}).get(f"objects/{o}.object") for o in OBJECTS
    }
    apps = {n: state.metadata_xml("CustomApplication", n) for n in state.names("CustomApplication")}
    return {
        page: rows[0].sobject for page, rows in pages_in_use(assignments(objects, apps)).items()
    }


def test_deploy_reaches_every_assigned_page_verify_in_sync_rollback_restores(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    pages = assigned_pages(emulator)
    assert set(pages.values()) == set(OBJECTS)
    before = {name: emulator.state.metadata_xml("FlexiPage", name) for name in pages}
    unused_before = emulator.state.metadata_xml("FlexiPage", "Account_Unused_Page")

    plan = cli("plan", "--org", "emu", "--config", str(config), "--json")
    assert plan.exit_code == 0, plan.output
    rows = as_json(plan)["record_pages"]
    by_page = {r["page"]: r for r in rows}
    assert by_page["Account_Sales_Dynamic"]["action"] == "add"
    assert by_page["Account_Sales_Dynamic"]["widget_shows"] == "never"
    # The org default reaches the Standard profile, whose Account.Customer layout is
    # one the config does not patch: the Record Detail alone misses those users.
    assert by_page["Account_Record_Page"]["widget_shows"] == "partly"
    assert by_page["Account_Record_Page"]["action"] == "add"
    assert by_page["Lead_Admin_Page"]["widget_shows"] == "layout_section"
    assert by_page["Lead_Admin_Page"]["action"] == "leave"
    assert by_page["Account_Support_Page"]["assigned"] == [
        "app standard__LightningSales, record type Account.Customer, profile Standard"
    ]
    assert by_page["(system default)"]["object"] == "Opportunity"
    assert {r["object"] for r in rows} == set(OBJECTS)

    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    doc = as_json(result)
    assert doc["status"] == "deployed" and doc["verify"]["in_sync"] is True
    assert [c.kind for c in emulator.history.deploys].count("deploy") == 1

    schema = load_schema()
    for name, sobject in pages.items():
        after = emulator.state.metadata_xml("FlexiPage", name)
        page = f"Totango_{sobject}_Insights"
        facts = page_facts(after, page)
        # Reachable: through its own component, or the layout section in Record Detail.
        assert facts.widget in ("component", "layout_section"), name
        assert not schema.validate_bytes(after), name
        if facts.widget == "layout_section":
            assert after == before[name], f"{name} shows the layout section: left alone"
        layouts = [n for n in emulator.state.names("Layout") if n.startswith(f"{sobject}-")]
        assert any(page.encode() in emulator.state.metadata_xml("Layout", n) for n in layouts)
    assert (
        page_facts(
            emulator.state.metadata_xml("FlexiPage", "Lead_Dynamic_Page"), "Totango_Lead_Insights"
        ).widget
        == "component"
    )
    # A page nobody is assigned is not touched.
    assert emulator.state.metadata_xml("FlexiPage", "Account_Unused_Page") == unused_before

    verify = cli("verify", "--org", "emu", "--config", str(config), "--json")
    assert verify.exit_code == 0, verify.output
    assert as_json(verify)["in_sync"] is True

    again = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert as_json(again)["status"] == "in_sync"

    rollback = cli("rollback", "--org", "emu", "--config", str(config), "--json")
    assert rollback.exit_code == 0, rollback.output
    for name in pages:
        restored = emulator.state.metadata_xml("FlexiPage", name)
        assert canonical_bytes(restored) == canonical_bytes(before[name]), name


def test_edited_component_is_drift_and_rollback_keeps_an_admins_later_change(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    assert cli("deploy", "--org", "emu", "--config", str(config), "--json").exit_code == 0
    state = emulator.state
    page = state.metadata_xml("FlexiPage", "Account_Sales_Dynamic")
    state.set_metadata_xml(
        "FlexiPage",
        "Account_Sales_Dynamic",
        page.replace(b"<value>290</value>", b"<value>90</value>"),
    )
    verify = cli("verify", "--org", "emu", "--config", str(config), "--json")
    assert verify.exit_code == 3
    drift = {d["name"]: d for d in as_json(verify)["drift"]}
    assert "height 90 → 290" in drift["Account_Sales_Dynamic"]["detail"]

    # An admin renames the page after the deploy: rollback takes our component out
    # and keeps their label.
    edited = state.metadata_xml("FlexiPage", "Account_Sales_Dynamic").replace(
        b"<masterLabel>Account Sales (Dynamic Forms)</masterLabel>",
        b"<masterLabel>Account Sales v2</masterLabel>",
    )
    state.set_metadata_xml("FlexiPage", "Account_Sales_Dynamic", edited)
    assert cli("rollback", "--org", "emu", "--config", str(config), "--json").exit_code == 0
    after = state.metadata_xml("FlexiPage", "Account_Sales_Dynamic")
    assert b"Account Sales v2" in after and b"Totango_Account_Insights" not in after


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        ("none", set()),
        ("all", {"Account_Record_Page", "Account_Sales_Dynamic", "Account_Support_Page",
                 "Lead_Dynamic_Page", "Lead_Admin_Page", "Opportunity_Sales_Page"}),
        (["Lead_*"], {"Lead_Dynamic_Page", "Lead_Admin_Page"}),
        ("auto", {"Account_Sales_Dynamic", "Lead_Dynamic_Page", "Account_Record_Page",
                  "Account_Support_Page"}),
    ],
)  # fmt: skip
def test_record_pages_selection(emulator, use_org, tmp_path, selection, expected):
    use_org(emulator)
    config = write_config(tmp_path, widget={"record_pages": selection})
    plan = cli("plan", "--org", "emu", "--config", str(config), "--json")
    assert plan.exit_code == 0, plan.output
    doc = as_json(plan)
    added = {r["page"] for r in doc["record_pages"] if r["action"] == "add"}
    assert added == expected
    patched = {c["name"] for c in doc["components"] if c["type"] == "FlexiPage"}
    assert patched == expected


def test_unknown_region_is_named_and_nothing_is_sent(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path, widget={"record_page_region": "nowhere"})
    plan = cli("plan", "--org", "emu", "--config", str(config), "--json")
    assert plan.exit_code == 0, plan.output
    rows = {r["page"]: r for r in as_json(plan)["record_pages"]}
    assert rows["Account_Sales_Dynamic"]["action"] == "cannot"
    assert "'nowhere'" in rows["Account_Sales_Dynamic"]["reason"]


def test_doctor_lists_record_pages_before_and_after_deploy(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)

    def record_page_check() -> dict:
        result = cli("doctor", "--org", "emu", "--config", str(config), "--json")
        checks = {c["name"]: c for c in as_json(result)["checks"]}
        return checks["widget on record pages"]

    before = record_page_check()
    assert before["status"] == "warn"
    assert (
        "Account Account_Sales_Dynamic (app standard__LightningSales): component missing"
        in (before["detail"])
    )
    assert "Opportunity (system default) (org default): layout section" in before["detail"]
    assert cli("deploy", "--org", "emu", "--config", str(config), "--json").exit_code == 0
    after = record_page_check()
    assert after["status"] == "ok", after["detail"]
    assert "Lead Lead_Dynamic_Page (org default): own component" in after["detail"]


def test_create_record_page_for_an_object_on_the_system_default(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path, widget={"create_record_page": True})
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    doc = as_json(result)
    assert doc["verify"]["in_sync"] is True
    rows = {r["page"]: r for r in doc["record_pages"]}
    assert rows["Opportunity_Totango_Record_Page"]["action"] == "create"
    # Only Opportunity is on the system default in the seeded org.
    assert not any(
        r["action"] == "create" for r in doc["record_pages"] if r["object"] != "Opportunity"
    )
    created = emulator.state.metadata_xml("FlexiPage", "Opportunity_Totango_Record_Page")
    facts = page_facts(created, "Totango_Opportunity_Insights")
    assert facts.detail_panel and facts.widget == "component"
    assert not load_schema().validate_bytes(created)
    # Not assigned: the object's org default is still the system page.
    assert b"Opportunity_Totango_Record_Page" not in (
        emulator.state.component("CustomObject", "Opportunity") or {}
    ).get("objects/Opportunity.object", b"")

    rollback = cli(
        "rollback", "--org", "emu", "--config", str(config), "--remove-components", "--json"
    )
    assert rollback.exit_code == 0, rollback.output
    assert not emulator.state.has("FlexiPage", "Opportunity_Totango_Record_Page")


def test_package_page_not_available_in_lightning_leaves_record_pages_and_says_so(
    emulator_factory, use_org, tmp_path
):
    org = use_org(emulator_factory(flavour="sandbox", package_installed=True))
    before = org.state.metadata_xml("FlexiPage", "Account_Sales_Dynamic")
    config = write_config(tmp_path, namespace="totango", widget={"generate_page": False})
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.stdout)["warnings"]
    assert any(
        "totango__Totango_Account_Insights" in w and "availableInTouch" in w for w in warnings
    )
    assert org.state.metadata_xml("FlexiPage", "Account_Sales_Dynamic") == before


def test_plan_text_output_shows_the_record_page_table(emulator, use_org, tmp_path, monkeypatch):
    from tasks.totango_sf.cli.output import out

    monkeypatch.setattr(out, "_width", 250)  # a wide terminal: no cell is cut short
    use_org(emulator)
    config = write_config(tmp_path, widget={"record_pages": ["Lead_*"]})
    result = cli("plan", "--org", "emu", "--config", str(config), "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "Lightning record pages" in text
    assert "Lead_Dynamic_Page" in text and "Account_Sales_Dynamic" in text
    assert "['Lead_*']" in text  # printed as text, not taken for markup


def test_narrowing_the_selection_takes_our_component_back_out(emulator, use_org, tmp_path):
    use_org(emulator)
    everywhere = write_config(tmp_path, widget={"record_pages": "all"})
    assert cli("deploy", "--org", "emu", "--config", str(everywhere), "--json").exit_code == 0
    before = emulator.state.metadata_xml("FlexiPage", "Opportunity_Sales_Page")
    assert b"Totango_Opportunity_Insights" in before
    auto = tmp_path / "auto"
    auto.mkdir()
    config = write_config(auto)
    verify = cli("verify", "--org", "emu", "--config", str(config), "--json")
    assert verify.exit_code == 3
    drift = {d["name"]: d["detail"] for d in as_json(verify)["drift"]}
    assert "does not select" in drift["Opportunity_Sales_Page"]
    assert cli("deploy", "--org", "emu", "--config", str(config), "--json").exit_code == 0
    after = emulator.state.metadata_xml("FlexiPage", "Opportunity_Sales_Page")
    assert b"Totango_Opportunity_Insights" not in after
    lead = emulator.state.metadata_xml("FlexiPage", "Lead_Dynamic_Page")
    assert b"Totango_Lead_Insights" in lead  # still selected by auto


@pytest.mark.parametrize(
    "widget",
    [{"record_pages": "some"}, {"record_pages": []}, {"record_pages": ["bad name!"]},
     {"record_page_position": "middle"}],
)  # fmt: skip
def test_bad_record_page_config_is_exit_2_naming_the_key(emulator, use_org, tmp_path, widget):
    use_org(emulator)
    config = write_config(tmp_path, widget=widget)
    emulator.history.clear()
    result = cli("plan", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 2
    assert f"widget.{next(iter(widget))}" in as_json(result)["message"]
    assert "Traceback" not in result.output
    assert emulator.history.kinds() == []
