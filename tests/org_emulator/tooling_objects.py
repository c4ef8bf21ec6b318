"""Tooling API objects whose rows are the org's metadata, not stored records.

``CustomObject`` (Tooling API Reference, "CustomObject": Id, DeveloperName,
NamespacePrefix, ManageableState) has one row per custom object of the org. CumulusCI's
``update_admin_profile`` asks for the installed ones
(``SELECT DeveloperName, NamespacePrefix FROM CustomObject WHERE ManageableState !=
'unmanaged'``, SFDO-Tooling/CumulusCI ``cumulusci/tasks/salesforce/update_profile.py``,
``_expand_package_xml``) to add them to its retrieve. Standard objects are not
CustomObject rows (they are EntityDefinition rows, which the emulator does not serve).
"""

from __future__ import annotations

from tests.org_emulator.ids import to18
from tests.org_emulator.state import OrgState

DERIVED = {"CustomObject"}


def custom_object_rows(state: OrgState) -> list[dict]:
    names = sorted(n for n in state.names("CustomObject") if n.endswith("__c"))
    rows = []
    for index, name in enumerate(names, 1):
        namespace, _, developer_name = name.removesuffix("__c").rpartition("__")
        rows.append(
            {
                # 01I: the key prefix of CustomObject ids; stable per object.
                "Id": to18(f"01I0000{index:08d}"),
                "DeveloperName": developer_name,
                "NamespacePrefix": namespace or None,
                # "installed" for a managed package's object, as listMetadata's
                # manageableState says it (retrieve_engine.FileProps).
                "ManageableState": "installed" if namespace else "unmanaged",
            }
        )
    return rows


def rows(state: OrgState, sobject: str) -> list[dict]:
    """The rows a query of ``sobject`` reads."""
    if sobject == "CustomObject":
        return custom_object_rows(state)
    return state.rows(sobject)
