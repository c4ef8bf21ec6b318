"""On a pre-49.0 record page, a component is ours only where the deploy recorded it.

That format has no component ``identifier``, so a Visualforce component showing
our page may be an admin's own. Ownership rests on the claim the deploy keeps in
its snapshot (region, position, properties as deployed), never on content alone:
a hand-placed component with our pageName is left alone by deploy, update and
rollback, and does not count as ours for idempotence. The rollback against the emulated
org is in tests/e2e/test_legacy_record_page_ownership.py.
"""

from __future__ import annotations

from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.merge.flexipage import (
    LegacyClaim,
    WidgetComponent,
    page_facts,
    place_widget_component,
    remove_widget_component,
    widget_component_state,
)
from tasks.totango_sf.merge.record_page_plan import plan_record_pages
from tasks.totango_sf.metadata.schema import load_schema
from tasks.totango_sf.metadata.xml import canonical_bytes
from tasks.totango_sf.state.record_page_claims import CLAIMS_KEY, claims_extra, claims_of
from tasks.totango_sf.state.snapshot import Snapshot
from tests.org_emulator.seed import SEED
from tests.support.flexipages import as_current, hand_placed, heights, legacy, seeded

PAGE = "Totango_Account_Insights"
WIDGET = WidgetComponent(page=PAGE, height=290)
MD = "http://soap.sforce.com/2006/04/metadata"


def test_a_hand_placed_component_with_our_page_is_not_ours():
    theirs = hand_placed(legacy(seeded("Account_Record_Page")))
    assert not load_schema().validate_bytes(as_current(theirs))
    taller = WidgetComponent(page=PAGE, height=500)
    merged, claim = place_widget_component(theirs, taller, "48.0")
    # It shows already: no second copy, and theirs keeps its height.
    assert canonical_bytes(merged) == canonical_bytes(theirs) and claim is None
    assert heights(merged) == ["200"]
    assert widget_component_state(theirs, WIDGET).status == "missing"
    assert remove_widget_component(theirs, WIDGET) == canonical_bytes(theirs)
    assert page_facts(theirs, PAGE).widget == "component"


def test_the_claim_finds_ours_beside_an_admins_component_with_the_same_page():
    original = legacy(seeded("Account_Record_Page"))
    merged, claim = place_widget_component(original, WIDGET, "48.0")
    assert claim == LegacyClaim(
        "sidebar",
        1,
        (("height", "290"), ("label", "Totango"), ("pageName", PAGE), ("showLabel", "false")),
    )
    # Later an admin adds their own copy first in the same region.
    both = hand_placed(merged)
    # Ours moved to index 2: the claim no longer matches, so nothing is taken.
    assert remove_widget_component(both, WIDGET, claim) == canonical_bytes(both)
    moved = LegacyClaim("sidebar", 2, claim.properties)
    without = remove_widget_component(both, WIDGET, moved)
    assert heights(without) == ["200"]
    # Update in place touches ours only.
    updated, new_claim = place_widget_component(both, WidgetComponent(PAGE, 450), "48.0", moved)
    assert sorted(heights(updated)) == ["200", "450"]
    assert new_claim == LegacyClaim("sidebar", 2, (("height", "450"), *moved.properties[1:]))


def test_a_stale_claim_does_not_take_an_admins_component_at_that_place():
    first = WidgetComponent(page=PAGE, height=290, position="first")
    theirs_later = legacy(seeded("Account_Record_Page"))
    merged, claim = place_widget_component(theirs_later, first, "48.0")
    assert claim is not None and claim.index == 0
    # Rolled back, then an admin put their own component (other height) at index 0.
    again = hand_placed(remove_widget_component(merged, first, claim))
    assert widget_component_state(again, first, claim).status == "missing"
    assert remove_widget_component(again, first, claim) == canonical_bytes(again)


def test_claims_go_through_the_snapshot_and_bad_entries_are_ignored(tmp_path):
    # The org path deploys at 63.0 only today; the plan takes a pinned version as
    # ``apply --source-dir`` does.
    config = build_config({"insights": {"objects": ["Account"]}}).model_copy(
        update={"api_version": "48.0"}
    )
    files = {
        "objects/Account.object": (SEED / "objects" / "Account.object").read_bytes(),
        "flexipages/Account_Record_Page.flexipage": legacy(
            seeded("Account_Record_Page"), detail_panel=False
        ),
    }
    plan = plan_record_pages(config, files)
    assert set(plan.claims) == {"Account_Record_Page"}
    extra = claims_extra(plan)
    snapshot = Snapshot("o", "1", tmp_path, {}, [], [], None, {**extra})
    assert claims_of(snapshot) == plan.claims
    bad = Snapshot("o", "1", tmp_path, {}, [], [], None, {CLAIMS_KEY: {"X": {"index": "0"}}})
    assert claims_of(bad) == {}
    assert claims_extra(None) == {}

    # The next plan, given the claim, finds ours: nothing left to do.
    deployed = {
        **files,
        "flexipages/Account_Record_Page.flexipage": plan.merged["Account_Record_Page"],
    }
    again = plan_record_pages(config, deployed, legacy_claims=plan.claims)
    assert again.merged["Account_Record_Page"] == plan.merged["Account_Record_Page"]
    # Without the claim (another machine), the component is not ours: left alone,
    # counted as showing the widget, no second copy.
    unclaimed = plan_record_pages(config, deployed)
    (row,) = [r for r in unclaimed.rows if r.page == "Account_Record_Page"]
    assert row.action == "leave" and row.shows == "component"
    assert "did not place" in row.reason


def test_apply_to_a_legacy_project_leaves_a_hand_placed_component_alone(tmp_path):
    from tasks.totango_sf.merge.source_dir import apply_to_source

    (tmp_path / "flexipages").mkdir()
    page = hand_placed(legacy(seeded("Account_Record_Page"), detail_panel=False), height=120)
    (tmp_path / "flexipages" / "Old.flexipage").write_bytes(page)
    (tmp_path / "package.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Package xmlns="{MD}"><types>'
        "<members>Old</members><name>FlexiPage</name></types>"
        "<version>48.0</version></Package>\n"
    )
    config = build_config(
        {"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}, "widget": {"record_pages": "all"}}
    )
    apply_to_source(config, tmp_path)
    after = (tmp_path / "flexipages" / "Old.flexipage").read_bytes()
    assert canonical_bytes(after) == canonical_bytes(page)
    assert heights(after) == ["120"]
    assert not apply_to_source(config, tmp_path).changed
