"""Metadata components and where their files live in each project format.

A component is format-neutral: its metadata XML (for an ApexPage, the -meta.xml)
and, for pages, the markup. The writers below place them as a Metadata API
folder (``objects/Account.object`` holding the fields) or as sfdx source
(``objects/Account/fields/X__c.field-meta.xml``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import MD_NS
from tasks.totango_sf.metadata.xml import canonical_bytes, md

Action = Literal["create", "update", "patch", "unchanged", "delete"]


@dataclass(frozen=True)
class Component:
    type: str
    full_name: str
    xml: bytes
    body: bytes | None = None
    action: Action = "create"
    summary: str = ""
    details: tuple[str, ...] = field(default_factory=tuple)

    @property
    def key(self) -> tuple[str, str]:
        return (self.type, self.full_name)


# type -> (mdapi folder, mdapi suffix, source suffix)
_FOLDERS = {
    "ApexPage": ("pages", ".page", ".page"),
    "PermissionSet": ("permissionsets", ".permissionset", ".permissionset-meta.xml"),
    "CustomTab": ("tabs", ".tab", ".tab-meta.xml"),
    "Layout": ("layouts", ".layout", ".layout-meta.xml"),
    "Settings": ("settings", ".settings", ".settings-meta.xml"),
    "Report": ("reports", ".report", ".report-meta.xml"),
    "ReportType": ("reportTypes", ".reportType", ".reportType-meta.xml"),
    "ReportFolder": ("reports", "-meta.xml", ".reportFolder-meta.xml"),
    "FlexiPage": ("flexipages", ".flexipage", ".flexipage-meta.xml"),
}
SOURCE_ROOT = "force-app/main/default"


def _object_file(object_name: str, fields: list[Component], settings: bytes | None = None) -> bytes:
    """The Metadata API form of fields: one CustomObject holding only ``fields``, after
    the object settings a ``CustomObject`` component carries (its ``actionOverrides``,
    which come before ``fields`` in the CustomObject sequence)."""
    root = (
        parse_xml(settings) if settings else etree.Element(md("CustomObject"), nsmap={None: MD_NS})
    )
    for comp in sorted(fields, key=lambda c: c.full_name):
        field_root = parse_xml(comp.xml)
        wrapper = etree.SubElement(root, md("fields"))
        for child in field_root:
            wrapper.append(child)
    return canonical_bytes(root)


def mdapi_files(components: Iterable[Component]) -> dict[str, bytes]:
    """Relative path -> bytes for a Metadata API folder (package.xml not included)."""
    files: dict[str, bytes] = {}
    fields_by_object: dict[str, list[Component]] = {}
    settings_by_object: dict[str, bytes] = {}
    for comp in components:
        if comp.action == "delete":
            continue
        if comp.type == "CustomField":
            fields_by_object.setdefault(comp.full_name.split(".")[0], []).append(comp)
            continue
        if comp.type == "CustomObject":
            settings_by_object[comp.full_name] = comp.xml
            continue
        folder, suffix, _ = _FOLDERS[comp.type]
        if comp.type == "ApexPage":
            files[f"{folder}/{comp.full_name}.page"] = comp.body or b""
            files[f"{folder}/{comp.full_name}.page-meta.xml"] = comp.xml
        else:
            files[f"{folder}/{comp.full_name}{suffix}"] = comp.xml
    for object_name in set(fields_by_object) | set(settings_by_object):
        files[f"objects/{object_name}.object"] = _object_file(
            object_name, fields_by_object.get(object_name, []), settings_by_object.get(object_name)
        )
    return dict(sorted(files.items()))


def source_files(components: Iterable[Component]) -> dict[str, bytes]:
    """Relative path -> bytes for an sfdx project (under force-app/main/default)."""
    files: dict[str, bytes] = {}
    for comp in components:
        if comp.action == "delete":
            continue
        if comp.type == "CustomField":
            obj, _, name = comp.full_name.partition(".")
            files[f"{SOURCE_ROOT}/objects/{obj}/fields/{name}.field-meta.xml"] = comp.xml
            continue
        if comp.type == "CustomObject":
            name = comp.full_name
            files[f"{SOURCE_ROOT}/objects/{name}/{name}.object-meta.xml"] = comp.xml
            continue
        folder, _, suffix = _FOLDERS[comp.type]
        base = f"{SOURCE_ROOT}/{folder}/{comp.full_name}"
        if comp.type == "ApexPage":
            files[f"{base}.page"] = comp.body or b""
            files[f"{base}.page-meta.xml"] = comp.xml
        else:
            files[f"{base}{suffix}"] = comp.xml
    return dict(sorted(files.items()))


def components_from_mdapi(files: Mapping[str, bytes]) -> list[Component]:
    """Read the components of a Metadata API folder's files (package.xml ignored)."""
    by_suffix = {(folder, suffix): t for t, (folder, suffix, _) in _FOLDERS.items()}
    found: list[Component] = []
    for path, data in sorted(files.items()):
        folder, _, name = path.partition("/")
        if folder == "objects" and name.endswith(".object"):
            found.extend(_fields_of_object(name.removesuffix(".object"), data))
            continue
        if path.endswith(".page-meta.xml"):
            full = name.removesuffix(".page-meta.xml")
            body = files.get(f"{folder}/{full}.page")
            found.append(Component("ApexPage", full, data, body))
            continue
        for (fold, suffix), mtype in by_suffix.items():
            if folder == fold and name.endswith(suffix) and mtype != "ApexPage":
                found.append(Component(mtype, name.removesuffix(suffix), data))
                break
    return found


def _fields_of_object(object_name: str, data: bytes) -> list[Component]:
    root = parse_xml(data)
    found = []
    for wrapper in root.findall(md("fields")):
        field_root = etree.Element(md("CustomField"), nsmap={None: MD_NS})
        for child in wrapper:
            field_root.append(child)
        name = field_root.findtext(md("fullName")) or ""
        found.append(Component("CustomField", f"{object_name}.{name}", canonical_bytes(field_root)))
    return found
