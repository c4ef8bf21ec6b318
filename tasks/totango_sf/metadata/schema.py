"""The Metadata API schema, built from a Metadata WSDL, as an lxml validator.

simple-salesforce ships the API 63.0 WSDL; it is our schema oracle. A WSDL's
``xsd:schema`` declares complexTypes but no global element for a metadata file's
root (``<Layout>``, ``<SecuritySettings>`` ...), so we add one per type that
derives from ``tns:Metadata``. Building takes about half a second, hence the
per-process cache.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from tasks.totango_sf.config.schema_version import bundled_wsdl_path, wsdl_version
from tasks.totango_sf.metadata.safe_xml import parse_xml

MD_NS = "http://soap.sforce.com/2006/04/metadata"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
_XSD = f"{{{XSD_NS}}}"


@dataclass(frozen=True)
class SchemaError:
    """One problem found in one file, with the line lxml reported."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class MetadataSchema:
    """Validator plus the element order of every complexType (for inserts)."""

    def __init__(self, wsdl_path: Path):
        self.wsdl_path = wsdl_path
        wsdl = parse_xml(wsdl_path.read_bytes())
        source = wsdl.find(f".//{_XSD}schema")
        if source is None:
            raise ValueError(f"{wsdl_path} holds no xsd:schema")
        self._types = {
            ct.get("name"): ct for ct in source.iter(f"{_XSD}complexType") if ct.get("name")
        }
        self.metadata_types = frozenset(
            name for name in self._types if self._derives_from_metadata(name)
        )
        self._validator = etree.XMLSchema(self._reroot(source))

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
        if root.tag.split("}")[-1] not in self.metadata_types:
            return [SchemaError(root.sourceline or 1, f"{root.tag} is not a Metadata API type")]
        if self._validator.validate(root.getroottree()):
            return []
        return [SchemaError(e.line, e.message) for e in self._validator.error_log]

    def validate_bytes(self, data: bytes) -> list[SchemaError]:
        try:
            root = parse_xml(data)
        except etree.XMLSyntaxError as exc:
            return [SchemaError(exc.lineno or 1, f"not well-formed XML: {exc.msg}")]
        return self.validate(root)

    def validate_element(self, root: etree._Element) -> list[SchemaError]:
        """Validate any element the schema declares globally (SOAP bodies included)."""
        if self._validator.validate(root.getroottree()):
            return []
        return [SchemaError(e.line, e.message) for e in self._validator.error_log]


@functools.cache
def load_schema(wsdl_path: Path | None = None) -> MetadataSchema:
    return MetadataSchema(wsdl_path or bundled_wsdl_path())
