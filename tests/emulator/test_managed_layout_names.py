"""A managed layout: listMetadata names it ``ns__Obj__c-Layout Name``, retrieve and deploy
need ``ns__Obj__c-ns__Layout Name`` (vignaesh01/sfdx-package-generator issue 19)."""

from __future__ import annotations

import pytest
from cumulusci.salesforce_api.metadata import ApiListMetadata, ApiRetrieveUnpackaged

from tests.org_emulator import managed_layouts
from tests.support.mdapi import a_task, package_xml

LISTED = "SBQQ__DiscountSchedule__c-Discount Schedule Layout"


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_listed_without_the_namespace_retrieved_only_with_it(emulator_factory, flavour):
    emulator = emulator_factory(flavour=flavour)
    full_name = managed_layouts.add_managed_layout(emulator.state)
    assert full_name == "SBQQ__DiscountSchedule__c-SBQQ__Discount Schedule Layout"
    task = a_task(emulator)
    task.project_config.config["project"]["package"]["api_version"] = "63.0"
    listed = ApiListMetadata(task, "Layout", as_of_version="63.0")()["Layout"]
    rows = {row["fullName"]: row for row in listed}
    assert LISTED in rows and full_name not in rows
    assert rows[LISTED]["namespacePrefix"] == "SBQQ"
    assert rows["Account-Account Layout"]["namespacePrefix"] in (None, "")

    def retrieve(name: str) -> list[str]:
        request = package_xml({"Layout": [name]})
        archive = ApiRetrieveUnpackaged(task, request, "63.0")()
        return [n for n in archive.namelist() if n.endswith(".layout")]

    assert retrieve(LISTED) == []
    assert retrieve(full_name) == [f"layouts/{full_name}.layout"]
