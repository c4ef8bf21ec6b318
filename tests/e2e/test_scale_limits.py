"""Metadata API limits at small thresholds, minimal reads, and the record-page region limit.

The limits (10,000 files, about 39 MB compressed, 600 MB uncompressed per retrieve or
deploy) are module constants on both sides: ``tasks/totango_sf/salesforce/limits.py``
(what the product plans for) and ``tests/org_emulator/limits.py`` (what the emulated org
refuses). Tests lower them, so a small org reaches them.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.merge.flexipage import (
    MAX_REGION_COMPONENTS,
    RegionFull,
    WidgetComponent,
    add_widget_component,
)
from tasks.totango_sf.salesforce import limits
from tests.org_emulator import limits as org_limits
from tests.org_emulator.retrieve_engine import retrieve
from tests.support.cli import cli, write_config
from tests.support.cli_json import error_of, result_of


def retrieved_types(emulator) -> list[dict[str, list[str]]]:
    return [c.detail["types"] for c in emulator.history if c.kind == "retrieve"]


# -- chunks, planned ---------------------------------------------------------------------


def test_members_that_fit_are_one_chunk():
    members = [("Layout", f"Account-L{i}") for i in range(5)] + [("Settings", "Security")]
    assert [c.all_members for c in limits.retrieve_chunks(members, 10)] == [sorted(members)]


def test_fields_and_record_types_share_their_object_file():
    members = [("CustomField", f"Account.F{i}__c") for i in range(50)]
    members += [("RecordType", "Account.Customer"), ("CustomObject", "Account")]
    assert limits.estimated_files(members) == 1


def test_profiles_are_cut_apart_and_each_chunk_carries_the_layouts_and_record_types():
    layouts = [("Layout", f"Account-L{i}") for i in range(3)]
    profiles = [("Profile", f"P{i}") for i in range(7)]
    others = [("FlexiPage", f"Page{i}") for i in range(4)]
    record_types = [("RecordType", "Account.Customer")]
    chunks = limits.retrieve_chunks([*layouts, *profiles, *others, *record_types], 6)
    assert all(c.files <= 6 for c in chunks)
    with_profiles = [c for c in chunks if any(m[0] == "Profile" for m in c.all_members)]
    assert sorted(m for c in with_profiles for m in c.members) == sorted(profiles)
    for chunk in with_profiles:
        assert set(layouts + record_types) <= set(chunk.all_members)
    pages = [m for c in chunks for m in c.all_members if m[0] == "FlexiPage"]
    assert sorted(pages) == sorted(others)


def test_an_object_split_over_two_chunks_merges_whole():
    ns = "http://soap.sforce.com/2006/04/metadata"
    first = (
        f'<CustomObject xmlns="{ns}"><fields><fullName>A__c</fullName></fields></CustomObject>'
    ).encode()
    second = (
        f'<CustomObject xmlns="{ns}"><fields><fullName>A__c</fullName></fields>'
        "<recordTypes><fullName>Customer</fullName></recordTypes></CustomObject>"
    ).encode()
    merged = etree.fromstring(limits.merge_file("objects/Account.object", first, second))
    assert [etree.QName(c).localname for c in merged] == ["fields", "recordTypes"]
    assert limits.merge_file("layouts/A.layout", b"<a/>", b"<b/>") == b"<a/>"


# -- the emulated org refuses what passes its limits ------------------------------------


def test_the_org_refuses_a_retrieve_of_too_many_files_in_the_recorded_words(emulator, monkeypatch):
    monkeypatch.setattr(org_limits, "MAX_FILES", 3)
    outcome = retrieve(emulator.state, {"Layout": ["*"], "Profile": ["*"]}, "63.0")
    assert outcome.error == "LIMIT_EXCEEDED: Too many files in retrieve call, limit is: 3"
    assert outcome.zip_bytes == b""


def test_the_org_refuses_a_retrieve_over_the_zip_size(emulator, monkeypatch):
    monkeypatch.setattr(org_limits, "MAX_ZIP_BYTES", 500)
    outcome = retrieve(emulator.state, {"Layout": ["*"]}, "63.0")
    assert outcome.error is not None and outcome.error.startswith("LIMIT_EXCEEDED: ")


def test_the_org_refuses_a_deploy_over_the_limits_at_deploy():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for i in range(4):
            zipped.writestr(f"layouts/L{i}.layout", b"<Layout/>")
    data = archive.getvalue()
    assert org_limits.deploy_problem(data) is None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(org_limits, "MAX_FILES", 3)
        assert org_limits.deploy_problem(data) == (
            "LIMIT_EXCEEDED: Too many files in deploy call, limit is: 3"
        )
        patch.setattr(org_limits, "MAX_ZIP_BYTES", 100)
        assert (org_limits.deploy_problem(data) or "").startswith(
            "Maximum size of request reached. Maximum size of request is"
        )


# -- the product stays within them ------------------------------------------------------


def test_a_read_past_the_file_limit_is_chunked_and_plans_the_same(
    emulator, use_org, tmp_path, monkeypatch
):
    use_org(emulator)
    config = write_config(tmp_path)
    whole = cli("plan", "--org", "emu", "--config", str(config), "--json")
    assert whole.exit_code == 0, whole.output
    monkeypatch.setattr(limits, "MAX_FILES", 8)
    monkeypatch.setattr(org_limits, "MAX_FILES", 8)
    emulator.history.clear()
    chunked = cli("plan", "--org", "emu", "--config", str(config), "--json")
    assert chunked.exit_code == 0, chunked.output
    reads = retrieved_types(emulator)
    assert len(reads) > 2  # more than the two retrieves of one read
    for types in reads:
        assert limits.estimated_files([(t, m) for t, ms in types.items() for m in ms]) <= 8
    assert result_of(chunked.stdout) == result_of(whole.stdout)
    # The record page rows still see the Standard profile's Account.Customer layout.
    rows = {r["page"]: r for r in result_of(chunked.stdout)["record_pages"]}
    assert rows["Account_Record_Page"]["widget_shows"] == "partly"


def test_a_chunk_the_org_refuses_for_its_size_is_halved_and_retried(
    emulator, use_org, tmp_path, monkeypatch
):
    use_org(emulator)
    config = write_config(tmp_path)
    # The product does not know the org's size limit in advance: only the org refuses.
    monkeypatch.setattr(org_limits, "MAX_ZIP_BYTES", 5_500)
    emulator.history.clear()
    result = cli("plan", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    refused = [c for c in emulator.history if c.kind == "checkRetrieveStatus" and not c.success]
    assert refused, "the org refused nothing: the threshold is too high for the test"
    assert result_of(result.stdout)["record_pages"]


def test_a_deploy_past_a_limit_is_refused_before_anything_is_sent(
    emulator, use_org, tmp_path, monkeypatch
):
    use_org(emulator)
    config = write_config(tmp_path)
    monkeypatch.setattr(limits, "MAX_FILES", 5)
    emulator.history.clear()
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 2, result.output
    message = error_of(result.stdout)["message"]
    assert "files" in message and "at most 5 files" in message and "Deploy fewer" in message
    assert not emulator.history.deploys


def test_check_deploy_names_each_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_ZIP_BYTES", 1024 * 1024)
    with pytest.raises(limits.PackageTooLarge, match="compressed size"):
        limits.check_deploy(10, 5 * 1024 * 1024, 2 * 1024 * 1024)
    monkeypatch.setattr(limits, "MAX_UNZIPPED_BYTES", 1024 * 1024)
    with pytest.raises(limits.PackageTooLarge, match="uncompressed size"):
        limits.check_deploy(10, 2 * 1024 * 1024, 1000)
    limits.check_deploy(10, 1000, 1000)


# -- minimal reads --------------------------------------------------------------------


def test_profiles_are_read_without_objects_and_only_assigned_pages_are_read(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.history.clear()
    result = cli("plan", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    reads = retrieved_types(emulator)
    assert len(reads) == 2
    first, second = reads
    assert "CustomObject" in first and "Profile" not in first and "FlexiPage" not in first
    assert "Profile" in second and "CustomObject" not in second and "CustomField" not in second
    assert second["RecordType"] == ["Account.Customer"]
    pages = set(second["FlexiPage"])
    # The unassigned page, and every page of an object not configured, stay in the org.
    assert "Account_Unused_Page" not in pages
    assert {"Account_Record_Page", "Account_Sales_Dynamic"} <= pages
    assert "*" not in pages


# -- the record-page region limit ------------------------------------------------------

NS = "http://soap.sforce.com/2006/04/metadata"


def page_with_sidebar_of(count: int) -> bytes:
    items = "".join(
        "<itemInstances><componentInstance><componentName>flexipage:richText</componentName>"
        f"<identifier>text{i}</identifier></componentInstance></itemInstances>"
        for i in range(count)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<FlexiPage xmlns="{NS}">'
        f"<flexiPageRegions>{items}<name>sidebar</name><type>Region</type></flexiPageRegions>"
        "<masterLabel>Full</masterLabel><sobjectType>Account</sobjectType>"
        "<template><name>flexipage:recordHomeTemplateDesktop</name></template>"
        "<type>RecordPage</type></FlexiPage>"
    ).encode()


def test_a_region_one_short_of_the_limit_takes_our_component():
    widget = WidgetComponent(page="totango__Totango_Account_Insights", height=290)
    merged = add_widget_component(page_with_sidebar_of(MAX_REGION_COMPONENTS - 1), widget, "63.0")
    assert merged.count(b"<itemInstances>") == MAX_REGION_COMPONENTS


def test_a_full_region_is_refused_with_its_name():
    widget = WidgetComponent(page="totango__Totango_Account_Insights", height=290)
    with pytest.raises(RegionFull, match="region 'sidebar' already holds 100 components"):
        add_widget_component(page_with_sidebar_of(MAX_REGION_COMPONENTS), widget, "63.0")


def test_a_deploy_onto_a_full_region_is_refused_before_sending_naming_page_and_region(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    emulator.state.set_metadata_xml(
        "FlexiPage", "Account_Sales_Dynamic", page_with_sidebar_of(MAX_REGION_COMPONENTS)
    )
    config = write_config(tmp_path)
    emulator.history.clear()
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 2, result.output
    message = error_of(result.stdout)["message"]
    assert "record page Account_Sales_Dynamic" in message and "'sidebar'" in message
    assert not emulator.history.deploys
