"""Build retrieve zips and listMetadata answers from the org's components."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tests.org_emulator import catalog, limits
from tests.org_emulator.profile_retrieve import profile_as_retrieved
from tests.org_emulator.state import MD_NS, OrgState

_M = f"{{{MD_NS}}}"


@dataclass
class FileProps:
    type_name: str
    full_name: str
    file_name: str
    namespace: str | None = None
    # The component's record id where it has one (an ApexClass's 01p id).
    record_id: str | None = None

    @property
    def manageable_state(self) -> str:
        return "installed" if self.namespace else "unmanaged"


@dataclass
class RetrieveOutcome:
    zip_bytes: bytes
    properties: list[FileProps] = field(default_factory=list)
    messages: list[tuple[str, str]] = field(default_factory=list)  # (fileName, problem)
    # A retrieve past a Metadata API limit fails whole (``limits.py``): no zip then.
    error: str | None = None


def _namespace(full_name: str) -> str | None:
    last = full_name.split(".")[-1].split("-")[-1]
    stem = last.removesuffix("__c")
    return stem.split("__")[0] if "__" in stem else None


def list_components(state: OrgState, type_name: str) -> list[FileProps]:
    if type_name == "CustomField":
        return [
            FileProps("CustomField", n, f"objects/{n.split('.')[0]}.object", _namespace(n))
            for n in state.names("CustomField")
        ]
    if type_name == "RecordType":
        return [
            FileProps("RecordType", n, f"objects/{n.split('.')[0]}.object", _namespace(n))
            for n in record_type_names(state)
        ]
    if type_name == "ApexClass":
        # listMetadata of ApexClass (recorded: ../shared/recorded/js_list_metadata_results.xml):
        # fullName ns__Name, fileName classes/<fullName>.cls, the class's 01p id.
        rows = sorted(state.rows("ApexClass"), key=lambda r: str(r["Name"]))
        return [
            FileProps(
                "ApexClass",
                full,
                f"classes/{full}.cls",
                row.get("NamespacePrefix"),
                str(row["Id"]),
            )
            for row in rows
            for full in [
                f"{row['NamespacePrefix']}__{row['Name']}"
                if row.get("NamespacePrefix")
                else row["Name"]
            ]
        ]
    if type_name not in catalog.TYPES:
        return []
    return [
        FileProps(type_name, n, catalog.file_path(type_name, n), _namespace(n))
        for n in state.names(type_name)
    ]


def record_type_names(state: OrgState) -> list[str]:
    """'<Object>.<RecordType>': the record types the objects' files hold."""
    names = []
    for sobject in state.names("CustomObject"):
        base = (state.component("CustomObject", sobject) or {}).get(f"objects/{sobject}.object")
        if base:
            names += [
                f"{sobject}.{(rt.findtext(f'{_M}fullName') or '').strip()}"
                for rt in parse_xml(base).findall(f"{_M}recordTypes")
            ]
    return sorted(names)


@dataclass
class _ObjectPart:
    """What a retrieve brings of one object: all of it, or the named children only."""

    whole: bool = False
    fields: set[str] = field(default_factory=set)
    record_types: set[str] = field(default_factory=set)


def _object_file(state: OrgState, sobject: str, part: _ObjectPart) -> bytes:
    """The object as retrieved: whole (its own settings, every field, list view, record
    type...) when the retrieve names the object, else only the named fields and record
    types. Fields go in before the first element the CustomObject sequence puts after
    them (its order is alphabetical there)."""
    base = (state.component("CustomObject", sobject) or {}).get(f"objects/{sobject}.object")
    root = etree.Element(f"{_M}CustomObject", nsmap={None: MD_NS})
    if base:
        stored = parse_xml(base)
        if part.whole:
            root = stored
        else:
            for rt in stored.findall(f"{_M}recordTypes"):
                if (rt.findtext(f"{_M}fullName") or "").strip() in part.record_types:
                    root.append(rt)
    later = next(
        (c for c in root if isinstance(c.tag, str) and etree.QName(c).localname > "fields"),
        None,
    )
    for name, data in sorted(state.custom_fields(sobject).items()):
        if part.whole or name in part.fields:
            element = parse_xml(data)
            if later is not None:
                later.addprevious(element)
            else:
                root.append(element)
    etree.cleanup_namespaces(root, top_nsmap={None: MD_NS})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _package_xml(members: dict[str, list[str]], version: str) -> bytes:
    root = etree.Element(f"{_M}Package", nsmap={None: MD_NS})
    for type_name in sorted(members):
        types = etree.SubElement(root, f"{_M}types")
        for member in sorted(members[type_name]):
            etree.SubElement(types, f"{_M}members").text = member
        etree.SubElement(types, f"{_M}name").text = type_name
    etree.SubElement(root, f"{_M}version").text = version
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def retrieve(state: OrgState, requested: dict[str, list[str]], version: str) -> RetrieveOutcome:
    found: dict[str, list[str]] = {}
    messages = []
    for type_name, members in requested.items():
        if type_name == "InstalledPackage":
            names = [state.namespace] if state.rows("InstalledSubscriberPackage") else []
        else:
            names = [p.full_name for p in list_components(state, type_name)]
        folders = _folders(state, type_name)
        for member in members:
            if member.rstrip("/") in folders and member != "*":
                found.setdefault(f"{type_name}Folder", []).append(member.rstrip("/"))
                continue
            if member == "*":
                # "The wildcard symbol does not apply to all metadata types ... will
                # not retrieve standard objects" (Metadata API Developer Guide,
                # "Specifying all Components of a Type"). Standard apps are treated
                # the same way, the cautious reading: they must be named.
                found.setdefault(type_name, []).extend(
                    n for n in names if not n.startswith("standard__")
                )
            elif member in names:
                found.setdefault(type_name, []).append(member)
            else:
                messages.append(
                    (
                        "unpackaged/package.xml",
                        f"Entity of type '{type_name}' named '{member}' cannot be found",
                    )
                )
    files: dict[str, bytes] = {}
    props: list[FileProps] = []
    objects: dict[str, _ObjectPart] = {}
    for type_name, names in found.items():
        for name in sorted(set(names)):
            if type_name in ("CustomField", "RecordType"):
                sobject, _, child = name.partition(".")
                part = objects.setdefault(sobject, _ObjectPart())
                (part.fields if type_name == "CustomField" else part.record_types).add(child)
                props.append(FileProps(type_name, name, f"objects/{sobject}.object"))
            elif type_name == "CustomObject":
                objects.setdefault(name, _ObjectPart()).whole = True
                props.append(FileProps(type_name, name, f"objects/{name}.object"))
            elif type_name == "InstalledPackage":
                path = catalog.file_path(type_name, name)
                files[path] = _installed_package(state.package_version)
                props.append(FileProps(type_name, name, path))
            elif type_name == "Profile":
                path = catalog.file_path(type_name, name)
                stored = (state.component(type_name, name) or {}).get(path, b"")
                record_types = [*found.get("CustomObject", []), *found.get("RecordType", [])]
                fields = [*found.get("CustomObject", []), *found.get("CustomField", [])]
                files[path] = profile_as_retrieved(
                    stored,
                    found.get("Layout", []),
                    record_types,
                    fields,
                    _custom_fields(state, found),
                )
                props.append(FileProps(type_name, name, path))
            elif type_name.endswith("Folder"):
                # The folder's own file, reports/<Folder>-meta.xml, as deployed.
                stored = state.component(type_name, name) or {}
                files.update(stored)
                props.append(FileProps(type_name, name, next(iter(stored), "")))
            else:
                files.update(state.component(type_name, name) or {})
                props.append(
                    FileProps(type_name, name, catalog.file_path(type_name, name), _namespace(name))
                )
    for sobject, part in objects.items():
        files[f"objects/{sobject}.object"] = _object_file(state, sobject, part)
    files["package.xml"] = _package_xml(_as_listed(found), version)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in sorted(files.items()):
            archive.writestr(f"unpackaged/{path}", data)
    props.append(FileProps("Package", "unpackaged/package.xml", "unpackaged/package.xml"))
    # Components' files count; the package.xml the org adds does not.
    problem = limits.retrieve_problem(
        len(files) - 1, sum(len(d) for d in files.values()), len(buffer.getvalue())
    )
    if problem is not None:
        return RetrieveOutcome(b"", [], [], problem)
    return RetrieveOutcome(buffer.getvalue(), props, messages)


def _custom_fields(state: OrgState, found: dict[str, list[str]]) -> list[str]:
    """The custom fields a retrieve brings: those of each object it names, and each one
    it names itself."""
    names = [
        f"{sobject}.{field}"
        for sobject in found.get("CustomObject", [])
        for field, data in state.custom_fields(sobject).items()
        if field.endswith("__c") and b"<required>true</required>" not in data
    ]
    return sorted({*names, *(f for f in found.get("CustomField", []) if f.endswith("__c"))})


def _folders(state: OrgState, type_name: str) -> set[str]:
    """The folders of an in-folder type (Report, Dashboard). A retrieve names a folder
    under the type it holds, bare or with a trailing slash (forcedotcom/source-deploy-retrieve
    pull request 1407 appends one "so the metadata API can identify it as a folder")."""
    info = catalog.TYPES.get(type_name)
    return set(state.names(f"{type_name}Folder")) if info and info.in_folder else set()


def _as_listed(found: dict[str, list[str]]) -> dict[str, list[str]]:
    """package.xml lists a folder under the type it holds (a ReportFolder as Report)."""
    listed: dict[str, list[str]] = {}
    for type_name, names in found.items():
        folder_of = type_name.removesuffix("Folder")
        key = folder_of if folder_of != type_name and folder_of in catalog.TYPES else type_name
        listed.setdefault(key, []).extend(names)
    return listed


def _installed_package(version: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<InstalledPackage xmlns="{MD_NS}">\n'
        f"    <activateRSS>false</activateRSS>\n"
        f"    <versionNumber>{version}</versionNumber>\n</InstalledPackage>\n"
    ).encode()
