"""The Metadata API schema, built from a Metadata WSDL, as an lxml validator.

simple-salesforce ships the API 63.0 WSDL; it is our schema oracle. A WSDL's
``xsd:schema`` declares complexTypes but no global element for a metadata file's
root (``<Layout>``, ``<SecuritySettings>`` ...), so we add one per type that
derives from ``tns:Metadata``.

Building a validator from the whole WSDL takes about half a second, more than
everything else ``plan`` does. Most runs only check the file types the toolkit
writes or merges, so those are validated with a schema cut down to their roots
and every type they reach (the closure over ``type=`` and ``base=``), which
validates a file exactly as the whole schema does. The cut-down schema is
cached on disk, keyed by the WSDL's hash, so a later process does not even
parse the WSDL. Any other root (``totango-sf validate`` on a user's files, SOAP
bodies in the tests) still gets the whole schema, built on first use.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from tasks.totango_sf.config.schema_version import bundled_wsdl_path, wsdl_version
from tasks.totango_sf.metadata.safe_xml import parse_xml

MD_NS = "http://soap.sforce.com/2006/04/metadata"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
_XSD = f"{{{XSD_NS}}}"

# The roots of every file the toolkit writes, merges or sends (both project formats,
# package.xml included). Validated with the cut-down schema; anything else with the whole.
TOOLKIT_ROOT_TYPES = (
    "ApexPage",
    "CustomApplication",
    "CustomField",
    "CustomObject",
    "CustomTab",
    "FlexiPage",
    "Layout",
    "Package",
    "PermissionSet",
    "Report",
    "ReportFolder",
    "SecuritySettings",
)
# Bumped whenever the cut-down schema is built differently, so old cache files are ignored.
_SUBSET_FORMAT = "1"


def toolkit_cache_dir() -> Path:
    """Where derived files are cached (cut-down schemas, compiled templates).

    $TOTANGO_SF_CACHE, else the user's cache folder. Everything in it is rebuilt
    when missing or stale, so deleting it is always safe.
    """
    explicit = os.environ.get("TOTANGO_SF_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "totango-sf"


@dataclass(frozen=True)
class SchemaError:
    """One problem found in one file, with the line lxml reported."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class MetadataSchema:
    """Validator plus the element order of every complexType (for inserts)."""

    def __init__(self, wsdl_path: Path, root_types: tuple[str, ...] = TOOLKIT_ROOT_TYPES):
        self.wsdl_path = wsdl_path
        self.root_types = frozenset(root_types)

    @functools.cached_property
    def _source(self) -> etree._Element:
        wsdl = parse_xml(self.wsdl_path.read_bytes())
        source = wsdl.find(f".//{_XSD}schema")
        if source is None:
            raise ValueError(f"{self.wsdl_path} holds no xsd:schema")
        return source

    @functools.cached_property
    def _types(self) -> dict[str, etree._Element]:
        return {
            ct.get("name"): ct for ct in self._source.iter(f"{_XSD}complexType") if ct.get("name")
        }

    @functools.cached_property
    def metadata_types(self) -> frozenset[str]:
        return frozenset(name for name in self._types if self._derives_from_metadata(name))

    @functools.cached_property
    def _validator(self) -> etree.XMLSchema:
        with _BUILDING:
            return etree.XMLSchema(self._reroot(self._source))

    @functools.cached_property
    def _subset_validator(self) -> etree.XMLSchema:
        with _BUILDING:
            return self._load_or_build_subset()

    def _load_or_build_subset(self) -> etree.XMLSchema:
        cache = toolkit_cache_dir() / f"metadata-{self._subset_key()}.xsd"
        try:
            return etree.XMLSchema(parse_xml(cache.read_bytes()))
        except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError):
            pass
        subset = self._subset_schema()
        _write_quietly(cache, etree.tostring(subset, xml_declaration=True, encoding="UTF-8"))
        return etree.XMLSchema(subset)

    def _subset_key(self) -> str:
        digest = hashlib.sha256(self.wsdl_path.read_bytes())
        digest.update(f"{_SUBSET_FORMAT}:{','.join(sorted(self.root_types))}".encode())
        return digest.hexdigest()[:32]

    def _subset_schema(self) -> etree._Element:
        """The schema cut down to the root types and every type they reach."""
        by_name = {
            node.get("name"): node
            for node in self._source
            if node.tag in (f"{_XSD}complexType", f"{_XSD}simpleType") and node.get("name")
        }
        keep: set[str] = set()
        pending = [name for name in self.root_types if name in by_name]
        while pending:
            name = pending.pop()
            if name in keep:
                continue
            keep.add(name)
            for node in by_name[name].iter():
                for attr in ("type", "base"):
                    ref = (node.get(attr) or "").split(":")[-1]
                    if ref in by_name and ref not in keep:
                        pending.append(ref)
        root = etree.Element(f"{_XSD}schema", nsmap={"xsd": XSD_NS, "tns": MD_NS})
        for key, value in self._source.attrib.items():
            root.set(key, value)
        for node in self._source:
            if node.get("name") in keep and node.tag != f"{_XSD}element":
                root.append(copy.deepcopy(node))
        for name in sorted(self.root_types & keep):
            etree.SubElement(root, f"{_XSD}element", name=name, type=f"tns:{name}")
        return root

    @property
    def api_version(self) -> str:
        return wsdl_version(self.wsdl_path)

    def _base_of(self, type_name: str) -> str | None:
        ct = self._types.get(type_name)
        if ct is None:
            return None
        ext = ct.find(f"{_XSD}complexContent/{_XSD}extension")
        if ext is None:
            return None
        return ext.get("base", "").split(":")[-1]

    def _derives_from_metadata(self, type_name: str) -> bool:
        seen = set()
        base = self._base_of(type_name)
        while base and base not in seen:
            if base == "Metadata":
                return True
            seen.add(base)
            base = self._base_of(base)
        return False

    def _reroot(self, source: etree._Element) -> etree._Element:
        nsmap = {"xsd": XSD_NS, "tns": MD_NS}
        root = etree.Element(f"{_XSD}schema", nsmap=nsmap)
        for key, value in source.attrib.items():
            root.set(key, value)
        for child in source:
            root.append(copy.deepcopy(child))
        declared = {el.get("name") for el in source.findall(f"{_XSD}element")}
        for name in sorted(self.metadata_types - declared):
            etree.SubElement(root, f"{_XSD}element", name=name, type=f"tns:{name}")
        return root

    def child_order(self, type_name: str) -> list[str]:
        """Child element names of a type in schema order, inherited ones first."""
        ct = self._types.get(type_name)
        if ct is None:
            raise KeyError(f"unknown metadata type {type_name!r}")
        base = self._base_of(type_name)
        inherited = self.child_order(base) if base else []
        seq = ct.find(f"{_XSD}complexContent/{_XSD}extension/{_XSD}sequence")
        if seq is None:
            seq = ct.find(f"{_XSD}sequence")
        own = [el.get("name") for el in seq.findall(f"{_XSD}element")] if seq is not None else []
        return inherited + [name for name in own if name]

    def child_type(self, type_name: str, element_name: str) -> str | None:
        """The complexType name of ``element_name`` inside ``type_name``, if complex."""
        current: str | None = type_name
        while current:
            ct = self._types[current]
            for el in ct.iter(f"{_XSD}element"):
                if el.get("name") == element_name:
                    declared = el.get("type", "").split(":")[-1]
                    return declared if declared in self._types else None
            current = self._base_of(current)
        return None

    def validate(self, root: etree._Element) -> list[SchemaError]:
        name = etree.QName(root)
        if name.namespace == MD_NS and name.localname in self.root_types:
            return _errors(self._subset_validator, root)
        return self.validate_with_whole_schema(root)

    def validate_with_whole_schema(self, root: etree._Element) -> list[SchemaError]:
        if root.tag.split("}")[-1] not in self.metadata_types:
            return [SchemaError(root.sourceline or 1, f"{root.tag} is not a Metadata API type")]
        return _errors(self._validator, root)

    def validate_bytes(self, data: bytes) -> list[SchemaError]:
        try:
            root = parse_xml(data)
        except etree.XMLSyntaxError as exc:
            return [SchemaError(exc.lineno or 1, f"not well-formed XML: {exc.msg}")]
        return self.validate(root)

    def validate_element(self, root: etree._Element) -> list[SchemaError]:
        """Validate any element the schema declares globally (SOAP bodies included)."""
        return _errors(self._validator, root)


# Building a schema is slow and parses shared trees; fleet threads build it once.
_BUILDING = threading.RLock()
# A validator keeps its error log between calls, so one validation runs at a time
# (fleet runs validate from several threads).
_VALIDATING = threading.Lock()


def _errors(validator: etree.XMLSchema, root: etree._Element) -> list[SchemaError]:
    with _VALIDATING:
        if validator.validate(root.getroottree()):
            return []
        return [SchemaError(e.line, e.message) for e in validator.error_log]


def _write_quietly(path: Path, data: bytes) -> None:
    """Write the cache atomically; a cache that cannot be written only costs time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, path)
    except OSError:
        pass


@functools.cache
def load_schema(wsdl_path: Path | None = None) -> MetadataSchema:
    return MetadataSchema(wsdl_path or bundled_wsdl_path())


def start_loading_toolkit_schema(schema: MetadataSchema | None = None) -> threading.Thread:
    """Load the cut-down validator on a second thread while the caller does other work.

    libxml2 parses and compiles a schema with the GIL released (lxml's ``XMLSchema``
    runs ``xmlSchemaParse`` under ``nogil``), so on a machine with a second core the
    load costs no wall time while ``plan`` reads and checks the config. The first
    use waits for it (``_BUILDING``); if the load fails, that use builds or fails
    again and reports it as usual, so the thread itself stays silent. Not a daemon:
    a process that exits early (a config error) lets it finish rather than cut a
    cache write short and leave its temporary file behind.
    """
    thread = threading.Thread(target=_load_quietly, args=(schema,), name="schema-load")
    thread.start()
    return thread


def _load_quietly(schema: MetadataSchema | None) -> None:
    # Any failure here is met again, and reported, by the first real use.
    with contextlib.suppress(Exception):
        (schema or load_schema())._subset_validator  # noqa: B018 - reading it builds it
