"""Field-level security: who may read and edit which custom field, and picklist rules.

Rules modelled, each from Salesforce's documentation:
- Deploying a field grants no field-level security; access comes from the
  profile's or an assigned permission set's ``fieldPermissions`` (Metadata API
  Developer Guide, "PermissionSet": fieldPermissions; Object Reference,
  "FieldPermissions": "Represents the enabled field permissions for the parent
  PermissionSet").
- A write of a field the user may not edit fails with INVALID_FIELD_FOR_INSERT_UPDATE,
  "Unable to create/update fields: <field>. Please check the security settings of
  this field and verify that it is read/write for your profile or permission set."
  (SOAP API Developer Guide, "StatusCode"; the wording is the one orgs return).
- A formula field is read-only for everyone: it is computed, never written.
- A restricted picklist refuses a value outside its value set with
  INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST (Salesforce Help, "Restricted Picklists
  Overview"), the field's label first: "<label>: bad value for restricted picklist
  field: <value>" ("PicklistExample: bad value for restricted picklist field: TEST",
  recorded in benahm/TestDataFactory ``docs/LIMITATIONS.md``; "Job Category: ..." in
  public integration code).
"""

from __future__ import annotations

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tests.org_emulator.rest_errors import RestError
from tests.org_emulator.state import MD_NS, OrgState

_M = f"{{{MD_NS}}}"


def _truthy(text: str | None) -> bool:
    return (text or "").strip().lower() == "true"


def sync_field_permissions(view: OrgState) -> None:
    """FieldPermissions rows mirror the deployed PermissionSets' fieldPermissions."""
    by_name = {r["Name"]: r["Id"] for r in view.rows("PermissionSet")}
    for row in view.rows("FieldPermissions"):
        view.delete("FieldPermissions", row["Id"])
    for name in view.names("PermissionSet"):
        parent = by_name.get(name)
        data = view.metadata_xml("PermissionSet", name)
        if parent is None or data is None:
            continue
        for perm in parse_xml(data).iter(f"{_M}fieldPermissions"):
            field = (perm.findtext(f"{_M}field") or "").strip()
            view.insert(
                "FieldPermissions",
                {
                    "ParentId": parent,
                    "SobjectType": field.partition(".")[0],
                    "Field": field,
                    "PermissionsRead": _truthy(perm.findtext(f"{_M}readable")),
                    "PermissionsEdit": _truthy(perm.findtext(f"{_M}editable")),
                },
            )


def user_permission_set_ids(state: OrgState, user_id: str) -> set[str]:
    """The user's profile's own permission set plus every assigned one (15-char ids)."""
    user = state.get("User", user_id) or {}
    ids = {
        str(r["Id"])[:15]
        for r in state.rows("PermissionSet")
        if r.get("IsOwnedByProfile")
        and str(r.get("ProfileId"))[:15] == str(user.get("ProfileId"))[:15]
    }
    ids |= {
        str(r["PermissionSetId"])[:15]
        for r in state.rows("PermissionSetAssignment")
        if str(r.get("AssigneeId"))[:15] == str(user_id)[:15]
    }
    return ids


def can_edit(state: OrgState, user_id: str, sobject: str, field: str) -> bool:
    sets = user_permission_set_ids(state, user_id)
    wanted = f"{sobject}.{field}".lower()
    return any(
        str(r["ParentId"])[:15] in sets and r.get("PermissionsEdit")
        for r in state.rows("FieldPermissions")
        if str(r.get("Field", "")).lower() == wanted
    )


def _field_element(state: OrgState, sobject: str, field: str) -> etree._Element | None:
    for name, data in state.custom_fields(sobject).items():
        if name.lower() == field.lower():
            return parse_xml(data)
    return None


def _label(element: etree._Element, field: str) -> str:
    return (element.findtext(f"{_M}label") or "").strip() or field


def _restricted_values(element: etree._Element) -> set[str] | None:
    value_set = element.find(f"{_M}valueSet")
    if value_set is None or not _truthy(value_set.findtext(f"{_M}restricted")):
        return None
    return {(v.findtext(f"{_M}fullName") or "").strip() for v in value_set.iter(f"{_M}value")}


def check_write(state: OrgState, user_id: str, sobject: str, values: dict) -> None:
    """Raise the error an org answers for the first custom field the user may not write."""
    custom = [k for k in values if k.lower().endswith("__c")]
    refused = []
    for field in custom:
        element = _field_element(state, sobject, field)
        is_formula = element is not None and element.find(f"{_M}formula") is not None
        if is_formula or not can_edit(state, user_id, sobject, field):
            refused.append(field)
    if refused:
        raise RestError(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(refused)}. Please check the security"
            " settings of this field and verify that it is read/write for your profile or"
            " permission set.",
            refused,
        )
    for field in custom:
        element = _field_element(state, sobject, field)
        allowed = _restricted_values(element) if element is not None else None
        value = values[field]
        if allowed is not None and value not in (None, "") and str(value) not in allowed:
            raise RestError(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{_label(element, field)}: bad value for restricted picklist field: {value}",
                [field],
            )
