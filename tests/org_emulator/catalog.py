"""Which metadata types the emulator stores, and where each lives in a Metadata API zip."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TypeInfo:
    name: str
    folder: str
    suffix: str
    # ApexPage ships markup plus a ``-meta.xml``; the markup is not schema XML.
    has_markup: bool = False
    # Reports live in a report folder: ``reports/<Folder>/<Name>.report``.
    in_folder: bool = False


TYPES: dict[str, TypeInfo] = {
    info.name: info
    for info in (
        TypeInfo("ApexPage", "pages", "page", has_markup=True),
        TypeInfo("Layout", "layouts", "layout"),
        TypeInfo("CustomObject", "objects", "object"),
        TypeInfo("Settings", "settings", "settings"),
        TypeInfo("CustomTab", "tabs", "tab"),
        TypeInfo("PermissionSet", "permissionsets", "permissionset"),
        TypeInfo("Profile", "profiles", "profile"),
        TypeInfo("ReportType", "reportTypes", "reportType"),
        TypeInfo("Report", "reports", "report", in_folder=True),
        TypeInfo("Dashboard", "dashboards", "dashboard", in_folder=True),
        TypeInfo("InstalledPackage", "installedPackages", "installedPackage"),
        TypeInfo("FlexiPage", "flexipages", "flexipage"),
        TypeInfo("CustomApplication", "applications", "app"),
    )
}

# An object file's child elements that package.xml may list under their own type
# (Metadata API Developer Guide, "CustomObject"; describeMetadata's childXmlNames,
# recorded in ../shared/recorded/nelsonic_describe_metadata.xml). Salesforce's sf CLI
# lists each child of a retrieved object (RecordType: Account.Customer, ListView:
# Account.AllAccounts, ...) beside the CustomObject it belongs to.
CHILD_ELEMENTS = {
    "fields": "CustomField",
    "recordTypes": "RecordType",
    "listViews": "ListView",
    "validationRules": "ValidationRule",
    "webLinks": "WebLink",
    "businessProcesses": "BusinessProcess",
    "fieldSets": "FieldSet",
    "sharingReasons": "SharingReason",
    "compactLayouts": "CompactLayout",
}
# Types whose members live inside another type's file.
CHILD_TYPES = {child: "CustomObject" for child in CHILD_ELEMENTS.values()}

# Types the emulator refuses outright, the way an org refuses an unknown type name.
KNOWN_TYPE_NAMES = set(TYPES) | set(CHILD_TYPES)
# Types the org lists (listMetadata, describeMetadata) from its records, but the
# emulator neither deploys nor retrieves: the seeded Apex classes (apex_tests.py).
LISTED_TYPES = {"ApexClass": TypeInfo("ApexClass", "classes", "cls")}
# describeMetadata's childXmlNames of a type (Metadata API Developer Guide,
# "describeMetadata()"; recorded: ../shared/recorded/nelsonic_describe_metadata.xml).
CHILD_XML_NAMES = {
    "CustomObject": (
        "CustomField", "BusinessProcess", "RecordType", "WebLink", "ValidationRule",
        "SharingReason", "ListView", "FieldSet",
    ),
}  # fmt: skip
# Types whose files come with a -meta.xml companion (describeMetadata's metaFile).
META_FILE_TYPES = {"ApexPage", "ApexClass"}


def root_element(type_name: str, full_name: str) -> str:
    """The XML root a file of this component must have."""
    if type_name == "Settings":
        return f"{full_name}Settings"
    return type_name


def file_path(type_name: str, full_name: str) -> str:
    info = TYPES[type_name]
    return f"{info.folder}/{full_name}.{info.suffix}"


@dataclass(frozen=True)
class ZipEntry:
    type_name: str
    full_name: str
    # "meta" for ``-meta.xml`` companions, "markup" for ``.page`` bodies, else "xml".
    role: str


_BY_FOLDER = {info.folder: info for info in TYPES.values()}


def classify(path: str) -> ZipEntry | None:
    """Map a zip path (without a package-root prefix) to the component it belongs to."""
    parts = path.split("/")
    info = _BY_FOLDER.get(parts[0])
    if info is None or len(parts) < 2:
        return None
    rest = "/".join(parts[1:])
    if rest.endswith("-meta.xml"):
        stem = rest[: -len("-meta.xml")]
        if info.has_markup and stem.endswith(f".{info.suffix}"):
            return ZipEntry(info.name, stem[: -len(info.suffix) - 1], "meta")
        # Report folder metadata (reports/Folder-meta.xml) is accepted and ignored.
        return ZipEntry(f"{info.name}Folder", stem, "meta") if info.in_folder else None
    if not rest.endswith(f".{info.suffix}"):
        return None
    if info.in_folder != (len(parts) == 3):
        return None
    name = rest[: -len(info.suffix) - 1]
    return ZipEntry(info.name, name, "markup" if info.has_markup else "xml")
