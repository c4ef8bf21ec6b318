"""The org emulator under CumulusCI's own Deploy/retrieve code, over verified TLS."""

from __future__ import annotations

from pathlib import Path

import pytest
from cumulusci.core.exceptions import CumulusCIException
from cumulusci.tasks.salesforce import Deploy
from cumulusci.tasks.salesforce.tests.util import create_task

from tests.org_emulator.fixtures import *  # noqa: F403 - fixtures until conftest loads the plugin

MD = "http://soap.sforce.com/2006/04/metadata"
SEED = Path(__file__).parent / "org_emulator" / "seed"
TOTANGO_SECTION = """    <layoutSections>
        <customLabel>true</customLabel>
        <detailHeading>true</detailHeading>
        <editHeading>false</editHeading>
        <label>Totango</label>
        <layoutColumns>
            <layoutItems>
                {item}
            </layoutItems>
        </layoutColumns>
        <style>OneColumn</style>
    </layoutSections>
"""
GOOD_ITEM = (
    "<height>290</height>\n                <page>{page}</page>\n"
    "                <showLabel>false</showLabel>"
)


def package_xml(types: dict[str, list[str]]) -> str:
    # One element per line, as CumulusCI's retrieve strips <Package ...> with a greedy regex.
    body = "".join(
        "  <types>\n"
        + "".join(f"    <members>{m}</members>\n" for m in ms)
        + f"    <name>{t}</name>\n  </types>\n"
        for t, ms in types.items()
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Package xmlns="{MD}">\n'
        f"{body}  <version>63.0</version>\n</Package>\n"
    )


def layout_with_section(item: str, layout: str = "Account-Account Layout") -> str:
    text = (SEED / "layouts" / f"{layout}.layout").read_text()
    marker = "    <quickActionList>"
    return text.replace(marker, TOTANGO_SECTION.format(item=item) + marker, 1)


def page_files(name: str) -> dict[str, str]:
    return {
        f"pages/{name}.page": '<apex:page standardController="Account">hi</apex:page>',
        f"pages/{name}.page-meta.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ApexPage xmlns="{MD}">'
            "<apiVersion>63.0</apiVersion><label>Page</label></ApexPage>"
        ),
    }


HEALTH_FIELD = f"""<?xml version="1.0" encoding="UTF-8"?>
<CustomObject xmlns="{MD}">
    <fields>
        <fullName>Totango_Health__c</fullName>
        <label>Account Health</label>
        <length>20</length>
        <type>Text</type>
    </fields>
</CustomObject>
"""


def write_package(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def deploy_task(emulator, path: Path, **options):
    return create_task(Deploy, {"path": str(path), **options}, org_config=emulator.org_config())


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
