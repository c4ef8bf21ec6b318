"""A rollback on a pre-49.0 record page takes only the claimed component, against an org."""

from __future__ import annotations

from pathlib import Path

from tasks.totango_sf.merge.flexipage import (
    LegacyClaim,
    WidgetComponent,
    place_widget_component,
)
from tasks.totango_sf.metadata.schema import load_schema
from tasks.totango_sf.metadata.xml import canonical_bytes
from tasks.totango_sf.state.record_page_claims import CLAIMS_KEY
from tasks.totango_sf.state.snapshot import Snapshot
from tests.support.flexipages import as_current, hand_placed, heights, legacy, seeded

PAGE = "Totango_Account_Insights"


def test_rollback_takes_only_the_claimed_component_and_keeps_an_admins(emulator, use_org):
    """Against the emulated org, as the rollback retrieves the pages: the Lead page holds
    ours (claimed) and an admin's copy; the Account page only an admin's."""
    from tasks.totango_sf.org.record_page_rollback import WIDGETS_KEY, pages_without_widget
    from tasks.totango_sf.salesforce.connection import connect
    from tasks.totango_sf.salesforce.metadata_api import retrieve_files

    use_org(emulator)
    lead_widget = WidgetComponent(page="Totango_Lead_Insights", height=290)
    lead_page = legacy(seeded("Account_Record_Page"), "Lead", detail_panel=False)
    ours, claim = place_widget_component(lead_page, lead_widget, "48.0")
    lead_both = hand_placed(ours, "Totango_Lead_Insights")  # the admin's goes first
    assert claim is not None
    claim = LegacyClaim(claim.region, claim.index + 1, claim.properties)
    account = hand_placed(legacy(seeded("Account_Record_Page")))
    emulator.state.set_metadata_xml("FlexiPage", "Lead_Dynamic_Page", lead_both)
    emulator.state.set_metadata_xml("FlexiPage", "Account_Record_Page", account)
    snapshot = Snapshot(
        "emu",
        "1",
        Path("unused"),
        {},
        [],
        [("FlexiPage", "Lead_Dynamic_Page"), ("FlexiPage", "Account_Record_Page")],
        None,
        {
            WIDGETS_KEY: {"Lead_Dynamic_Page": lead_widget.page, "Account_Record_Page": PAGE},
            CLAIMS_KEY: {"Lead_Dynamic_Page": claim.to_json()},
        },
    )
    pages = pages_without_widget(snapshot, retrieve_files(connect("emu"), snapshot.patched, "48.0"))
    lead_after = pages["flexipages/Lead_Dynamic_Page.flexipage"]
    assert heights(lead_after) == ["200"]  # the admin's, kept
    assert lead_after == canonical_bytes(hand_placed(lead_page, "Totango_Lead_Insights"))
    assert pages["flexipages/Account_Record_Page.flexipage"] == canonical_bytes(account)
    for data in pages.values():
        assert not load_schema().validate_bytes(as_current(data))
