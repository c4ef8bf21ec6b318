"""The org emulator under CumulusCI's own Deploy/retrieve code, over verified TLS."""

from __future__ import annotations

from pathlib import Path

import pytest
from cumulusci.core.exceptions import CumulusCIException

from tests.support.mdapi import (
    GOOD_ITEM,
    HEALTH_FIELD,
    MD,
    deploy_task,
    layout_with_section,
    package_xml,
    page_files,
    write_package,
)


def valid_package(tmp_path: Path) -> Path:
    layout = layout_with_section(GOOD_ITEM.format(page="Totango_Account_Insights"))
    return write_package(
        tmp_path / "src",
        {
            "package.xml": package_xml(
                {
                    "ApexPage": ["Totango_Account_Insights"],
                    "CustomField": ["Account.Totango_Health__c"],
                    "Layout": ["Account-Account Layout"],
                }
            ),
            "objects/Account.object": HEALTH_FIELD,
            "layouts/Account-Account Layout.layout": layout,
            **page_files("Totango_Account_Insights"),
        },
    )


def test_cumulusci_deploy_lands(emulator, tmp_path):
    task = deploy_task(emulator, valid_package(tmp_path))
    task()
    state = emulator.state
    assert "Totango_Health__c" in state.field_names("Account")
    assert b"<label>Totango</label>" in state.metadata_xml("Layout", "Account-Account Layout")
    assert state.has("ApexPage", "Totango_Account_Insights")
    deploys = emulator.history.deploys
    assert [(d.check_only, d.success) for d in deploys] == [(False, True)]
    assert len(emulator.history.of("checkDeployStatus")) == 2  # deploy_polls=2


@pytest.mark.parametrize(
    "item, problem",
    [
        (
            "<page>totango__Totango_Account_Insights</page>\n<height>290</height>",
            f"Element {{{MD}}}height invalid at this location in type LayoutItem",
        ),
        (
            "<behavior>Sideways</behavior><field>Name</field>",
            "'Sideways' is not a valid value for the enum 'UiBehavior'",
        ),
        (
            GOOD_ITEM.format(page="totango__Totango_Account_Insights"),
            "In field: page - no ApexPage named totango__Totango_Account_Insights found",
        ),
        (
            "<field>No_Such_Field__c</field>",
            "In field: field - no CustomField named Account.No_Such_Field__c found",
        ),
    ],
    ids=["order", "enum", "dangling-page", "dangling-field"],
)
def test_invalid_layout_fails_and_changes_nothing(emulator, tmp_path, item, problem):
    before = emulator.state.metadata_xml("Layout", "Account-Account Layout")
    src = write_package(
        tmp_path / "src",
        {
            "package.xml": package_xml(
                {"CustomField": ["Account.Totango_Health__c"], "Layout": ["Account-Account Layout"]}
            ),
            "objects/Account.object": HEALTH_FIELD,
            "layouts/Account-Account Layout.layout": layout_with_section(item),
        },
    )
    # CumulusCI re-raises the component failure as MetadataParseError (its own quirk).
    with pytest.raises(CumulusCIException) as failure:
        deploy_task(emulator, src)()
    assert problem in str(failure.value)
    assert "layouts/Account-Account Layout.layout" in str(
        failure.value
    ) or "Account-Account Layout" in str(failure.value)
    assert emulator.state.metadata_xml("Layout", "Account-Account Layout") == before
    assert "Totango_Health__c" not in emulator.state.field_names("Account")  # atomic
    assert emulator.history.deploys[-1].success is False


def test_managed_page_reference_resolves_when_package_installed(emulator_factory, tmp_path):
    emulator = emulator_factory(package_installed=True)
    src = write_package(
        tmp_path / "src",
        {
            "package.xml": package_xml({"Layout": ["Lead-Lead Layout"]}),
            "layouts/Lead-Lead Layout.layout": layout_with_section(
                GOOD_ITEM.format(page="totango__Totango_Lead_Insights"), "Lead-Lead Layout"
            ),
        },
    )
    deploy_task(emulator, src)()
    assert b"totango__Totango_Lead_Insights" in emulator.state.metadata_xml(
        "Layout", "Lead-Lead Layout"
    )
