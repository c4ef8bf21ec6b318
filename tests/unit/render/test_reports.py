"""The report folder and the "Accounts by Totango Health" report."""

from __future__ import annotations

import pytest
from lxml import etree

from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.metadata.schema import MD_NS, MetadataSchema
from tasks.totango_sf.render.reports import render_reports
from tests.support.schemas import oracle_schemas

NS = {"md": MD_NS}


def texts(xml: bytes, path: str) -> list[str]:
    return [e.text or "" for e in etree.fromstring(xml).findall(path, NS)]


def by_type(data: dict) -> dict:
    return {c.type: c for c in render_reports(build_config(data))}


@pytest.mark.parametrize("schema", oracle_schemas(), ids=lambda s: f"v{s.api_version}")
def test_folder_and_report_pass_both_schemas(schema: MetadataSchema) -> None:
    components = render_reports(build_config({}))
    assert [c.type for c in components] == ["ReportFolder", "Report"]
    for comp in components:
        assert schema.validate_bytes(comp.xml) == [], comp.full_name


def test_v66_oracle_accepts_the_report(v66_schema: MetadataSchema) -> None:
    for comp in render_reports(build_config({})):
        assert v66_schema.validate_bytes(comp.xml) == []


def test_report_lives_in_the_configured_folder() -> None:
    components = by_type({"reports": {"folder": "Customer_Success"}})
    assert components["ReportFolder"].full_name == "Customer_Success"
    assert components["Report"].full_name == "Customer_Success/Accounts_by_Totango_Health"
    assert texts(components["ReportFolder"].xml, "md:name") == ["Customer Success"]


def test_summary_report_on_accounts_grouped_by_health() -> None:
    xml = by_type({})["Report"].xml
    assert texts(xml, "md:reportType") == ["AccountList"]
    assert texts(xml, "md:format") == ["Summary"]
    assert texts(xml, "md:name") == ["Accounts by Totango Health"]
    assert texts(xml, "md:groupingsDown/md:field") == ["Account.Totango_Account_Health__c"]
    assert texts(xml, "md:columns/md:field") == [
        "ACCOUNT.NAME",
        "Account.Totango_Engagement__c",
        "Account.Totango_License_Utilization__c",
        "Account.Totango_Last_Update__c",
    ]
    assert texts(xml, "md:showSubTotals") == ["true"]


def test_folder_is_shared_read_only_with_internal_users() -> None:
    xml = by_type({})["ReportFolder"].xml
    assert texts(xml, "md:folderShares/md:accessLevel") == ["View"]
    assert texts(xml, "md:folderShares/md:sharedTo") == ["AllInternalUsers"]


def test_disabled_reports_render_nothing() -> None:
    assert render_reports(build_config({"reports": {"enabled": False}})) == []


def test_no_report_without_account_or_its_health_field() -> None:
    assert by_type({"insights": {"objects": ["Lead", "Opportunity"]}}) == {}
    disabled = {"insights": {"fields": {"Totango_Account_Health__c": {"enabled": False}}}}
    assert by_type(disabled) == {}


def test_disabled_detail_fields_drop_out_of_the_columns() -> None:
    data = {"insights": {"fields": {"Totango_Last_Update__c": {"enabled": False}}}}
    columns = texts(by_type(data)["Report"].xml, "md:columns/md:field")
    assert "Account.Totango_Last_Update__c" not in columns
    assert "Account.Totango_Engagement__c" in columns


def test_field_labels_from_the_config_are_escaped() -> None:
    label = "Health <b>&amp; {{ 7*7 }}"
    data = {"insights": {"fields": {"Totango_Account_Health__c": {"label": label}}}}
    comp = by_type(data)["Report"]
    assert b"<b>" not in comp.xml
    [description] = texts(comp.xml, "md:description")
    assert label in description
    for schema in oracle_schemas():
        assert schema.validate_bytes(comp.xml) == []
