"""Record pages: a component or a page is ours only when a deploy of ours placed or made it.

A component carrying our identifier on a page no deploy of ours patched (a copy of one of
our pages, say), and a record page named like the one the setup creates that no deploy
created, are the admin's: left as they are, never removed, never deleted.
"""

from __future__ import annotations

import json

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.merge.flexipage import WidgetComponent, add_widget_component
from tasks.totango_sf.merge.record_page_plan import RecordPageOwnership, plan_record_pages
from tests.org_emulator.seed import SEED
from tests.support.cli import as_json, cli, write_config

PAGE = "Account_Record_Page"
WIDGET = WidgetComponent(page="Totango_Account_Insights", height=290)
CREATED = "Opportunity_Totango_Record_Page"


def seeded(name: str) -> bytes:
    return (SEED / "flexipages" / f"{name}.flexipage").read_bytes()


def copied_component() -> bytes:
    """The seeded page holding a component with our identifier that no deploy put there."""
    return add_widget_component(seeded(PAGE), WIDGET, "63.0")


def retrieved_with(page: bytes) -> dict[str, bytes]:
    files = {
        f"flexipages/{p.stem}.flexipage": p.read_bytes() for p in (SEED / "flexipages").iterdir()
    }
    files.update({f"objects/{p.stem}.object": p.read_bytes() for p in (SEED / "objects").iterdir()})
    files.update(
        {f"applications/{p.stem}.app": p.read_bytes() for p in (SEED / "applications").iterdir()}
    )
    files[f"flexipages/{PAGE}.flexipage"] = page
    return files


def test_a_component_with_our_identifier_on_a_page_we_never_patched_is_the_admins():
    config = build_config({"widget": {"record_pages": "none"}})
    retrieved = retrieved_with(copied_component())
    unknown = plan_record_pages(config, retrieved)  # no record at all: the identifier counts
    assert {r.page: r.action for r in unknown.rows}[PAGE] == "remove"
    nothing_ours = plan_record_pages(config, retrieved, owned=RecordPageOwnership())
    assert {r.page: r.action for r in nothing_ours.rows}[PAGE] == "leave"
    assert PAGE not in nothing_ours.merged
    ours = plan_record_pages(config, retrieved, owned=RecordPageOwnership(frozenset({PAGE})))
    assert {r.page: r.action for r in ours.rows}[PAGE] == "remove"


def test_the_admins_copy_survives_deploy_and_uninstall(emulator, use_org, tmp_path):
    use_org(emulator)
    copy = copied_component()
    emulator.state.set_metadata_xml("FlexiPage", PAGE, copy)
    for selection in ("none", "all"):
        folder = tmp_path / selection
        folder.mkdir()
        config = write_config(folder, widget={"record_pages": selection})
        result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
        assert result.exit_code == 0, result.output
        assert emulator.state.metadata_xml("FlexiPage", PAGE) == copy, selection
    uninstall = cli(
        "rollback", "--org", "emu", "--config", str(config), "--remove-components", "--json"
    )
    # Our page cannot be deleted while the admin's component shows it (Salesforce refuses
    # it, naming the page): the uninstall stops there, partly done, and their page stays.
    assert uninstall.exit_code == 5, uninstall.output
    assert "FlexiPage - Account_Record_Page" in uninstall.stdout
    assert emulator.state.metadata_xml("FlexiPage", PAGE) == copy
    assert emulator.state.has("ApexPage", "Totango_Account_Insights")


def test_our_own_component_placed_by_a_deploy_is_still_ours(emulator, use_org, tmp_path):
    use_org(emulator)
    before = emulator.state.metadata_xml("FlexiPage", PAGE)
    (tmp_path / "all").mkdir()
    every = write_config(tmp_path / "all", widget={"record_pages": "all"})
    assert cli("deploy", "--org", "emu", "--config", str(every)).exit_code == 0
    assert b"totango_widget" in emulator.state.metadata_xml("FlexiPage", PAGE)
    none = write_config(tmp_path, widget={"record_pages": "none"})
    result = cli("deploy", "--org", "emu", "--config", str(none), "--json")
    assert result.exit_code == 0, result.output
    rows = {r["page"]: r for r in as_json(result)["record_pages"]}
    assert rows[PAGE]["action"] == "remove"
    assert emulator.state.metadata_xml("FlexiPage", PAGE) == before


def test_a_page_named_like_ours_that_no_deploy_created_is_left_and_never_deleted(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    theirs = seeded("Opportunity_Sales_Page").replace(
        b"<masterLabel>", b"<masterLabel>Hand made ", 1
    )
    emulator.state.set_metadata_xml("FlexiPage", CREATED, theirs)
    config = write_config(tmp_path, widget={"create_record_page": True})
    plan = cli(
        "plan", "--org", "emu", "--config", str(config), "--json", "--out", str(tmp_path / "o")
    )
    assert plan.exit_code == 0, plan.output
    warnings = json.loads(plan.stdout)["warnings"]
    assert any(f"{CREATED} exists and was not made by this setup" in w for w in warnings)
    assert ("FlexiPage", CREATED) not in {
        (c["type"], c["name"]) for c in as_json(plan)["components"]
    }
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    assert emulator.state.metadata_xml("FlexiPage", CREATED) == theirs
    uninstall = cli(
        "rollback", "--org", "emu", "--config", str(config), "--remove-components", "--json"
    )
    assert uninstall.exit_code == 0, uninstall.output
    assert ("FlexiPage", CREATED) not in {
        (d["type"], d["name"]) for d in as_json(uninstall)["delete"]
    }
    assert emulator.state.metadata_xml("FlexiPage", CREATED) == theirs
