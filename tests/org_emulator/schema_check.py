"""Schema validation of deployed files, reported in Salesforce's words.

lxml says "Element '{ns}height': This element is not expected."; an org says
"Element {ns}height invalid at this location in type LayoutItem". Tests (and the
product's error handling) key on the org's wording, so it is translated here.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from lxml import etree

from tasks.totango_sf.config.schema_version import bundled_wsdl_path
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import MD_NS, XSD_NS, load_schema

_XSD = f"{{{XSD_NS}}}"


@dataclass(frozen=True)
class Problem:
    line: int
    column: int
    text: str


@functools.cache
def element_types() -> dict[str, dict[str, str]]:
    """complexType -> {child element -> declared type name}, inherited children included."""
    wsdl = parse_xml(bundled_wsdl_path().read_bytes())
    schema = wsdl.find(f".//{_XSD}schema")
    own: dict[str, dict[str, str]] = {}
    bases: dict[str, str] = {}
    for ct in schema.iter(f"{_XSD}complexType"):
        name = ct.get("name")
        if not name:
            continue
        ext = ct.find(f"{_XSD}complexContent/{_XSD}extension")
        if ext is not None:
            bases[name] = ext.get("base", "").split(":")[-1]
        own[name] = {
            el.get("name"): el.get("type", "").split(":")[-1]
            for el in ct.iter(f"{_XSD}element")
            if el.get("name")
        }
    merged = {}
    for name in own:
        children: dict[str, str] = {}
        chain, current = [], name
        while current in own and current not in chain:
            chain.append(current)
            current = bases.get(current, "")
        for type_name in reversed(chain):
            children.update(own[type_name])
        merged[name] = children
    return merged


def _local(tag: str) -> str:
    return tag.split("}")[-1]


def _type_of(element: etree._Element) -> str:
    """The schema type of ``element``, found by walking down from the root."""
    path = []
    node: etree._Element | None = element
    while node is not None:
        path.append(_local(node.tag))
        node = node.getparent()
    types = element_types()
    current = path.pop()
    while path:
        current = types.get(current, {}).get(path.pop(), "")
    return current


def _column(source_line: str, local: str) -> int:
    match = re.search(rf"<(?:\w+:)?{re.escape(local)}\b", source_line)
    return match.end() + 1 if match else 1


def _find(root: etree._Element, line: int, local: str) -> etree._Element | None:
    for el in root.iter():
        if isinstance(el.tag, str) and el.sourceline == line and _local(el.tag) == local:
            return el
    return None


def check_document(data: bytes, expected_root: str) -> list[Problem]:
    lines = data.decode("utf-8", errors="replace").splitlines()
    try:
        root = parse_xml(data)
    except etree.XMLSyntaxError as exc:
        return [Problem(exc.lineno or 1, exc.offset or 1, f"Error parsing file: {exc.msg}")]
    if root.tag != f"{{{MD_NS}}}{expected_root}":
        return [
            Problem(
                root.sourceline or 1,
                1,
                f"Error parsing file: Element {root.tag} is not the expected root "
                f"{{{MD_NS}}}{expected_root}",
            )
        ]
    problems = []
    for error in load_schema().validate(root):
        problems.append(_translate(root, lines, error.line, error.message))
    return problems


_ELEMENT = re.compile(r"Element '(\{[^}]*\})?([^']+)'")


def _translate(root: etree._Element, lines: list[str], line: int, message: str) -> Problem:
    match = _ELEMENT.search(message)
    ns, local = (match.group(1) or "", match.group(2)) if match else ("", "")
    element = _find(root, line, local) if local else None
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    column = _column(source, local) if local else 1
    if element is not None and "This element is not expected" in message:
        parent = element.getparent()
        parent_type = _type_of(parent) if parent is not None else ""
        return Problem(
            line, column, f"Element {ns}{local} invalid at this location in type {parent_type}"
        )
    if element is not None and "[facet 'enumeration']" in message:
        enum = _type_of(element)
        value = (element.text or "").strip()
        return Problem(line, column, f"'{value}' is not a valid value for the enum '{enum}'")
    if element is not None and "Missing child element" in message:
        expected = re.findall(r"\{[^}]*\}(\w+)", message.split("Expected is", 1)[-1])
        return Problem(
            line,
            column,
            f"Element {ns}{local} is missing required element(s) "
            f"{', '.join(expected)} in type {_type_of(element)}",
        )
    if element is not None and "is not a valid value of the atomic type" in message:
        value = (element.text or "").strip()
        return Problem(
            line, column, f"'{value}' is not valid for the type {_type_of(element)} of {local}"
        )
    return Problem(line, column, f"Error parsing file: {message}")


def check_page_markup(data: bytes) -> list[Problem]:
    """Visualforce is not schema XML: it only needs to be well formed with <apex:page> root."""
    text = data.decode("utf-8", errors="replace")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    # Declare the Visualforce prefixes so undeclared-prefix errors do not mask real ones.
    wrapped = f'<vf xmlns:apex="urn:apex" xmlns:c="urn:c" xmlns:chatter="urn:chatter">{text}</vf>'
    try:
        wrapper = parse_xml(wrapped.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        return [Problem(exc.lineno or 1, exc.offset or 1, f"Error parsing file: {exc.msg}")]
    children = [c for c in wrapper if isinstance(c.tag, str)]
    if len(children) != 1 or children[0].tag != "{urn:apex}page":
        return [Problem(1, 1, "The root element of a Visualforce page must be <apex:page>")]
    return []
