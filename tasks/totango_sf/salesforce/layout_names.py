"""The name a layout is retrieved and deployed by, from the row listMetadata returns.

listMetadata names a managed package's layout ``ns__Obj__c-Layout Name``, with
``namespacePrefix`` ns beside it, while retrieve and deploy need ``ns__Obj__c-ns__Layout
Name``: a retrieve of the listed name brings back nothing (recorded in
vignaesh01/sfdx-package-generator issue 19: ``SBQQ__DiscountSchedule__c-Discount Schedule
Layout`` listed, ``SBQQ__DiscountSchedule__c-SBQQ__Discount Schedule Layout`` retrieved).
So a glob that matches a managed layout would otherwise retrieve and patch nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def retrievable_layout_name(row: Mapping[str, Any]) -> str:
    """``fullName`` as retrieve takes it: the namespace on the layout's own name too."""
    name = str(row.get("fullName") or "")
    namespace = (row.get("namespacePrefix") or "").strip()
    obj, sep, layout = name.partition("-")
    if namespace and sep and not layout.startswith(f"{namespace}__"):
        return f"{obj}-{namespace}__{layout}"
    return name
