"""The name a listed layout is retrieved by (vignaesh01/sfdx-package-generator issue 19)."""

from __future__ import annotations

import pytest

from tasks.totango_sf.salesforce.layout_names import retrievable_layout_name


@pytest.mark.parametrize(
    ("row", "name"),
    [
        (
            {
                "fullName": "SBQQ__DiscountSchedule__c-Discount Schedule Layout",
                "namespacePrefix": "SBQQ",
            },
            "SBQQ__DiscountSchedule__c-SBQQ__Discount Schedule Layout",
        ),
        # Already carrying it, unmanaged, or a subscriber's layout on a managed object.
        (
            {"fullName": "SBQQ__Quote__c-SBQQ__Quote Layout", "namespacePrefix": "SBQQ"},
            "SBQQ__Quote__c-SBQQ__Quote Layout",
        ),
        ({"fullName": "Account-Account Layout", "namespacePrefix": None}, "Account-Account Layout"),
        (
            {"fullName": "SBQQ__Quote__c-Quote Layout", "namespacePrefix": ""},
            "SBQQ__Quote__c-Quote Layout",
        ),
        (
            {"fullName": "Account-Account Layout - Partner", "namespacePrefix": "acme"},
            "Account-acme__Account Layout - Partner",
        ),
    ],
)
def test_retrievable_layout_name(row, name):
    assert retrievable_layout_name(row) == name
