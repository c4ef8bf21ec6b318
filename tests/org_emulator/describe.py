"""sObject describes: ``GET sobjects`` (global) and ``GET sobjects/<Type>/describe``.

Both have the key sets real orgs send, with the same value types (recorded:
../shared/recorded/cci_global_describe.json, 28 keys per sObject, and
cci_describe_account.json, 42 keys per object and 57 per field). The values come from
what the emulator knows of each object (``sobjects.py``) and of the custom fields
deployed to it; a field's describe type follows its name for standard fields and its
``<type>`` for custom ones (REST API Developer Guide, "sObject Describe"; SOAP API
Developer Guide, "DescribeSObjectResult" and "Field").
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tests.org_emulator.ids import KEY_PREFIXES
from tests.org_emulator.sobjects import CUSTOMIZABLE, SOBJECTS, SObjectInfo
from tests.org_emulator.state import MD_NS, OrgState

_M = f"{{{MD_NS}}}"

# Global describe ``urls`` per kind of object, as recorded for Account, User and
# Organization (cci_global_describe.json).
_LAYOUTABLE_URLS = (
    "compactLayouts", "rowTemplate", "approvalLayouts", "listviews", "describe",
    "quickActions", "layouts", "sobject",
)  # fmt: skip
_USER_URLS = (
    "compactLayouts", "rowTemplate", "passwordUtilities", "describe", "quickActions",
    "layouts", "namedLayouts", "sobject",
)  # fmt: skip
_PLAIN_URLS = ("rowTemplate", "describe", "sobject")

# Describe type, SOAP type, length of the standard fields the emulator serves, by name.
_BY_NAME: dict[str, str] = {
    "Id": "id",
    "Description": "textarea",
    "Email": "email",
    "Phone": "phone",
    "Fax": "phone",
    "MobilePhone": "phone",
    "Website": "url",
    "StartUrl": "url",
    "AnnualRevenue": "currency",
    "Amount": "currency",
    "Probability": "percent",
    "NumberOfEmployees": "int",
    "FiscalYearStartMonth": "int",
    "NumKnowledgeService": "int",
    "MonthlyPageViewsUsed": "int",
    "MonthlyPageViewsEntitlement": "int",
    "UseCount": "int",
    "NumberComponentsTotal": "int",
    "MajorVersion": "int",
    "MinorVersion": "int",
    "PatchVersion": "int",
    "BuildNumber": "int",
    "ApiVersion": "double",
    "Latitude": "double",
    "Longitude": "double",
    "CloseDate": "date",
    "Address": "address",
    "BillingAddress": "address",
    "ShippingAddress": "address",
    "MailingAddress": "address",
    "Type": "picklist",
    "Industry": "picklist",
    "StageName": "picklist",
    "Status": "picklist",
    "LeadSource": "picklist",
    "Rating": "picklist",
    "Ownership": "picklist",
    "UserType": "picklist",
    "OrganizationType": "picklist",
}
_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "address": "urn:address",
}
# CustomField <type> -> describe type (Metadata API "CustomField", "FieldType").
_CUSTOM_TYPES = {
    "Text": "string",
    "TextArea": "textarea",
    "LongTextArea": "textarea",
    "Html": "textarea",
    "Number": "double",
    "Percent": "percent",
    "Currency": "currency",
    "Checkbox": "boolean",
    "Date": "date",
    "DateTime": "datetime",
    "Url": "url",
    "Email": "email",
    "Phone": "phone",
    "Picklist": "picklist",
    "MultiselectPicklist": "multipicklist",
    "Lookup": "reference",
    "MasterDetail": "reference",
}
_AUDIT_REFERENCES = {"CreatedById": "User", "LastModifiedById": "User", "OwnerId": "User"}
_AUDIT_DATES = {"CreatedDate", "LastModifiedDate", "SystemModstamp", "LastUsedDate"}


def _plural(label: str) -> str:
    return label[:-1] + "ies" if label.endswith("y") else label + "s"


def key_prefix(info: SObjectInfo) -> str | None:
    return KEY_PREFIXES.get(info.name)


def global_entry(info: SObjectInfo, base: str) -> dict[str, Any]:
    """One sObject of ``GET sobjects`` (cci_global_describe.json: 28 keys)."""
    layoutable = info.name in CUSTOMIZABLE or info.name == "User"
    names = _USER_URLS if info.name == "User" else _LAYOUTABLE_URLS if layoutable else _PLAIN_URLS
    return {
        "activateable": False,
        "associateEntityType": None,
        "associateParentEntity": None,
        "createable": info.createable,
        "custom": False,
        "customSetting": False,
        "deepCloneable": False,
        "deletable": info.deletable,
        "deprecatedAndHidden": False,
        "feedEnabled": layoutable,
        "hasSubtypes": False,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": key_prefix(info),
        "label": info.label,
        "labelPlural": _plural(info.label),
        "layoutable": layoutable,
        "mergeable": info.name in ("Account", "Contact", "Lead"),
        "mruEnabled": layoutable,
        "name": info.name,
        "queryable": True,
        "replicateable": True,
        "retrieveable": True,
        "searchable": layoutable,
        "triggerable": layoutable,
        "undeletable": info.deletable and layoutable,
        "updateable": info.updateable,
        "urls": _urls(info.name, names, base),
    }


def _urls(name: str, keys: tuple[str, ...], base: str, instance_url: str = "") -> dict[str, str]:
    paths = {
        "compactLayouts": f"{base}sobjects/{name}/describe/compactLayouts",
        "rowTemplate": f"{base}sobjects/{name}/{{ID}}",
        "approvalLayouts": f"{base}sobjects/{name}/describe/approvalLayouts",
        "uiDetailTemplate": f"{instance_url}/{{ID}}",
        "uiEditTemplate": f"{instance_url}/{{ID}}/e",
        "defaultValues": f"{base}sobjects/{name}/defaultValues?recordTypeId&fields",
        "listviews": f"{base}sobjects/{name}/listviews",
        "describe": f"{base}sobjects/{name}/describe",
        "uiNewRecord": f"{instance_url}/{KEY_PREFIXES.get(name, '')}/e",
        "quickActions": f"{base}sobjects/{name}/quickActions",
        "layouts": f"{base}sobjects/{name}/describe/layouts",
        "namedLayouts": f"{base}sobjects/{name}/describe/namedLayouts",
        "passwordUtilities": f"{base}sobjects/{name}/password",
        "sobject": f"{base}sobjects/{name}",
    }
    return {key: paths[key] for key in keys}


def global_describe(tooling: bool, base: str) -> dict[str, Any]:
    """``GET sobjects`` (cci_global_describe.json): encoding, maxBatchSize, sobjects."""
    served = [i for i in SOBJECTS.values() if (i.tooling if tooling else i.data)]
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [global_entry(i, base) for i in sorted(served, key=lambda i: i.name)],
    }


def describe(state: OrgState, info: SObjectInfo, base: str, instance_url: str) -> dict[str, Any]:
    """``GET sobjects/<Type>/describe`` (cci_describe_account.json: 42 keys)."""
    entry = global_entry(info, base)
    layoutable = entry["layoutable"]
    url_keys = (
        (*_LAYOUTABLE_URLS, "uiDetailTemplate", "uiEditTemplate", "defaultValues", "uiNewRecord")
        if info.name in CUSTOMIZABLE
        else tuple(entry["urls"])
    )
    master = "012000000000000AAA"
    return {
        "actionOverrides": [],
        "activateable": False,
        "childRelationships": _children(info),
        "compactLayoutable": layoutable,
        "createable": info.createable,
        "custom": False,
        "customSetting": False,
        "deepCloneable": False,
        "defaultImplementation": None,
        "deletable": info.deletable,
        "deprecatedAndHidden": False,
        "extendedBy": None,
        "extendsInterfaces": None,
        "feedEnabled": entry["feedEnabled"],
        "fields": _fields(state, info),
        "hasSubtypes": False,
        "implementedBy": None,
        "implementsInterfaces": None,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": entry["keyPrefix"],
        "label": info.label,
        "labelPlural": entry["labelPlural"],
        "layoutable": layoutable,
        "listviewable": None,
        "lookupLayoutable": None,
        "mergeable": entry["mergeable"],
        "mruEnabled": entry["mruEnabled"],
        "name": info.name,
        "namedLayoutInfos": [],
        "networkScopeFieldName": None,
        "queryable": True,
        # Every object with record types lists the Master one (012000000000000AAA).
        "recordTypeInfos": [
            {
                "active": True,
                "available": True,
                "defaultRecordTypeMapping": True,
                "developerName": "Master",
                "master": True,
                "name": "Master",
                "recordTypeId": master,
                "urls": {"layout": f"{base}sobjects/{info.name}/describe/layouts/{master}"},
            }
        ]
        if layoutable
        else [],
        "replicateable": True,
        "retrieveable": True,
        "searchLayoutable": layoutable,
        "searchable": entry["searchable"],
        "supportedScopes": [
            {"label": f"All {entry['labelPlural'].lower()}", "name": "everything"},
            {"label": f"My {entry['labelPlural'].lower()}", "name": "mine"},
        ]
        if layoutable
        else [],
        "triggerable": entry["triggerable"],
        "undeletable": entry["undeletable"],
        "updateable": info.updateable,
        "urls": _urls(info.name, url_keys, base, instance_url),
    }


def _children(info: SObjectInfo) -> list[dict[str, Any]]:
    rows = []
    for child in sorted(SOBJECTS.values(), key=lambda i: i.name):
        for relationship, (fk, target) in sorted(child.relationships.items()):
            if target == info.name:
                rows.append(
                    {
                        "cascadeDelete": False,
                        "childSObject": child.name,
                        "deprecatedAndHidden": False,
                        "field": fk,
                        "junctionIdListNames": [],
                        "junctionReferenceTo": [],
                        "relationshipName": _plural(child.name),
                        "restrictedDelete": False,
                    }
                )
    return rows


def object_fields(state: OrgState, info: SObjectInfo) -> dict[str, dict[str, Any]]:
    """The describe entry of each field of the object, by name."""
    return {f["name"]: f for f in _fields(state, info)}


def _fields(state: OrgState, info: SObjectInfo) -> list[dict[str, Any]]:
    references = {fk: (rel, target) for rel, (fk, target) in info.relationships.items()}
    fields = [_standard_field(info, name, references) for name in info.fields]
    if info.name in CUSTOMIZABLE:
        known = set(info.fields)
        for name in state.standard_fields.get(info.name, []):
            if name not in known:
                fields.append(_standard_field(info, name, references))
                known.add(name)
        for name, data in sorted(state.custom_fields(info.name).items()):
            fields.append(_custom_field(name, parse_xml(data)))
    return fields


def _standard_field(
    info: SObjectInfo, name: str, references: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    reference_to: list[str] = []
    relationship = None
    if name in references:
        kind = "reference"
        relationship, target = references[name]
        reference_to = [target]
    elif name in _AUDIT_REFERENCES:
        kind = "reference"
        reference_to = [_AUDIT_REFERENCES[name]]
        relationship = name.removesuffix("Id")
    elif name in _BY_NAME:
        kind = _BY_NAME[name]
    elif name in _AUDIT_DATES or name.endswith(("Date", "DateTime")):
        kind = "datetime"
    elif name.startswith(("Is", "Permissions", "Preferences", "Receives", "Uses", "Options")):
        kind = "boolean"
    else:
        kind = "string"
    return field_describe(
        name,
        kind,
        label=name,
        writable=name != "Id" and name not in _AUDIT_REFERENCES and name not in _AUDIT_DATES,
        reference_to=reference_to,
        relationship=relationship,
        name_field=name == "Name",
    )


def _custom_field(name: str, element: etree._Element) -> dict[str, Any]:
    metadata_type = (element.findtext(f"{_M}type") or "Text").strip()
    formula = element.findtext(f"{_M}formula")
    values = [
        (v.findtext(f"{_M}fullName") or "").strip()
        for v in element.iterfind(f"{_M}valueSet/{_M}valueSetDefinition/{_M}value")
    ]
    kind = _CUSTOM_TYPES.get(metadata_type, "string")
    if metadata_type == "Checkbox":
        default: Any = (element.findtext(f"{_M}defaultValue") or "false").strip() == "true"
    else:
        default = None
    return field_describe(
        name,
        kind,
        label=(element.findtext(f"{_M}label") or name).strip(),
        writable=formula is None,
        custom=True,
        formula=formula,
        picklist=values,
        default=default,
        length=int(element.findtext(f"{_M}length") or 0) or None,
        precision=int(element.findtext(f"{_M}precision") or 0),
        scale=int(element.findtext(f"{_M}scale") or 0),
        restricted=(element.findtext(f"{_M}valueSet/{_M}restricted") or "").strip() == "true",
    )


def field_describe(
    name: str,
    kind: str,
    *,
    label: str,
    writable: bool = True,
    custom: bool = False,
    formula: str | None = None,
    reference_to: list[str] | None = None,
    relationship: str | None = None,
    picklist: list[str] | None = None,
    default: Any = None,
    length: int | None = None,
    precision: int = 0,
    scale: int = 0,
    restricted: bool = False,
    name_field: bool = False,
) -> dict[str, Any]:
    """One entry of ``fields`` (57 keys, as in cci_describe_account.json)."""
    text = kind in ("string", "textarea", "email", "phone", "url", "picklist", "multipicklist")
    if length is None:
        length = {"id": 18, "reference": 18, "textarea": 32000, "phone": 40, "picklist": 255}.get(
            kind, 255 if text else 0
        )
    numeric = kind in ("double", "currency", "percent")
    if numeric and not precision:
        precision = 18
    filterable = kind not in ("textarea",)
    return {
        "aggregatable": filterable and kind not in ("address", "boolean"),
        "aiPredictionField": False,
        "autoNumber": False,
        "byteLength": length * 3 if text else length,
        "calculated": formula is not None,
        "calculatedFormula": formula,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": writable,
        "custom": custom,
        "defaultValue": default,
        "defaultValueFormula": None,
        "defaultedOnCreate": kind in ("id", "boolean") or name in _AUDIT_REFERENCES,
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": 9 if kind == "int" else 0,
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": False,
        "extraTypeInfo": "plaintextarea" if kind == "textarea" else None,
        "filterable": filterable,
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": filterable and not numeric and kind != "address",
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": kind == "id",
        "inlineHelpText": None,
        "label": label,
        "length": length if text or kind in ("id", "reference") else 0,
        "mask": None,
        "maskType": None,
        "name": name,
        "nameField": name_field,
        "namePointing": False,
        "nillable": kind not in ("id", "boolean") and not name_field,
        "permissionable": custom and writable,
        "picklistValues": [
            {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
            for v in picklist or []
        ],
        "polymorphicForeignKey": False,
        "precision": precision,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": list(reference_to or []),
        "relationshipName": relationship,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": restricted,
        "scale": scale,
        "searchPrefilterable": False,
        "soapType": _SOAP_TYPES.get(kind, "xsd:string"),
        "sortable": filterable and kind != "address",
        "type": kind,
        "unique": False,
        "updateable": writable and kind != "id",
        "writeRequiresMasterRead": False,
    }
