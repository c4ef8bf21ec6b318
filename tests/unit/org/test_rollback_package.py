"""The package a rollback sends: what goes before the deploy and what after it (no org)."""

from __future__ import annotations


def test_a_created_page_is_deleted_before_the_pages_it_shows(tmp_path):
    from tasks.totango_sf.org.rollback import rollback_package

    deleted = [("ApexPage", "Totango_Opportunity_Insights"), ("FlexiPage", "X_Page")]
    files = rollback_package({}, deleted, "63.0")
    assert b"X_Page" in files["destructiveChangesPre.xml"]
    assert b"X_Page" not in files["destructiveChangesPost.xml"]
    assert b"Totango_Opportunity_Insights" in files["destructiveChangesPost.xml"]
