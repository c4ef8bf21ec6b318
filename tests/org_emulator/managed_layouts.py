"""A managed package's object and layout, named as orgs name them.

listMetadata returns a managed layout as ``ns__Obj__c-Layout Name`` (its namespacePrefix
beside it), while retrieve and deploy need ``ns__Obj__c-ns__Layout Name``: the recorded
case of vignaesh01/sfdx-package-generator issue 19, where listMetadata gave
``SBQQ__DiscountSchedule__c-Discount Schedule Layout`` and only
``SBQQ__DiscountSchedule__c-SBQQ__Discount Schedule Layout`` could be retrieved. The
emulator stores the layout under the name retrieve takes and lists it under the other
(``metadata_api.op_listMetadata``); a retrieve of the listed name finds nothing.
"""

from __future__ import annotations

from tests.org_emulator import catalog
from tests.org_emulator.state import MD_NS, OrgState

NAMESPACE = "SBQQ"
OBJECT = f"{NAMESPACE}__DiscountSchedule__c"
LAYOUT = f"{OBJECT}-{NAMESPACE}__Discount Schedule Layout"  # as retrieve and deploy take it


def listed_name(full_name: str, namespace: str | None) -> str:
    """How listMetadata names a layout: the namespace off the layout's own name."""
    obj, sep, layout = full_name.partition("-")
    if namespace and sep and layout.startswith(f"{namespace}__"):
        return f"{obj}-{layout[len(namespace) + 2 :]}"
    return full_name


def add_managed_layout(state: OrgState) -> str:
    """A managed object of package SBQQ with its layout; returns the layout's full name."""
    state.put("CustomObject", OBJECT, {})
    state.standard_fields[OBJECT] = ["Id", "Name", "OwnerId", "CreatedById", "LastModifiedById"]
    layout = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Layout xmlns="{MD_NS}">\n'
        "    <layoutSections>\n        <customLabel>false</customLabel>\n"
        "        <detailHeading>true</detailHeading>\n        <editHeading>true</editHeading>\n"
        "        <label>Information</label>\n        <layoutColumns>\n"
        "            <layoutItems>\n                <behavior>Required</behavior>\n"
        "                <field>Name</field>\n            </layoutItems>\n"
        "        </layoutColumns>\n        <style>TwoColumnsTopToBottom</style>\n"
        "    </layoutSections>\n</Layout>\n"
    ).encode()
    state.put("Layout", LAYOUT, {catalog.file_path("Layout", LAYOUT): layout})
    return LAYOUT
