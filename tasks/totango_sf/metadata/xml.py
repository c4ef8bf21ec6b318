"""Canonical text form of metadata XML.

Salesforce writes metadata with an XML declaration, the metadata namespace as
default and four-space indentation. Writing everything (rendered or merged) the
same way makes diffs, drift checks and "byte-identical on re-apply" meaningful.
Comments and processing instructions are dropped: retrieve never returns them.
Text escapes quotes as ``&apos;`` and ``&quot;``, as retrieved files and CumulusCI's
``serialize_xml_for_salesforce`` do, so a file we write diffs cleanly against one
Salesforce wrote.
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import MD_NS

INDENT = "    "

# Character data between two tags (lxml already escapes &, < and > there) that holds a
# quote: only such text changes, and most text holds none.
_TEXT = re.compile(rb""">([^<'"]*['"][^<]*)<""")


def md(tag: str) -> str:
    """Clark name of a tag in the metadata namespace."""
    return f"{{{MD_NS}}}{tag}"


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def sibling_tag(element: etree._Element, name: str) -> str:
    """``name`` in ``element``'s namespace (none, for the rare file written without one)."""
    namespace = etree.QName(element).namespace
    return f"{{{namespace}}}{name}" if namespace else name


def parse_metadata_root(
    data: bytes, root_type: str, what: str, error: type[Exception]
) -> etree._Element:
    """The root of a metadata file of ``root_type``, else ``error`` saying why not."""
    try:
        root = parse_xml(data)
    except etree.XMLSyntaxError as exc:
        raise error(f"{what} is not well-formed XML: {exc}") from None
    if local_name(root) != root_type:
        raise error(f"expected a {root_type} root, found <{local_name(root)}>")
    return root


def _strip_layout_whitespace(element: etree._Element, keep_comments: bool = False) -> None:
    for child in list(element):
        if not isinstance(child.tag, str):
            if keep_comments:
                continue
            # Comments/PIs: keep their tail text attached to the previous node.
            parent = child.getparent()
            if parent is not None:
                _drop_keeping_tail(child)
            continue
        _strip_layout_whitespace(child, keep_comments)
    if len(element) and element.text is not None and not element.text.strip():
        element.text = None
    for child in element:
        if child.tail is not None and not child.tail.strip():
            child.tail = None


def _drop_keeping_tail(node: etree._Element) -> None:
    parent = node.getparent()
    assert parent is not None
    tail = node.tail
    previous = node.getprevious()
    if tail and tail.strip():
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(node)


def canonical_bytes(source: etree._Element | bytes, keep_comments: bool = False) -> bytes:
    """Metadata XML re-indented the way Salesforce writes it, ending in a newline.

    ``keep_comments`` keeps comments in place, for files from a local project
    (an admin's notes in a source-tracked file must survive a merge).
    """
    root = parse_xml(source) if isinstance(source, bytes) else copy.deepcopy(source)
    _strip_layout_whitespace(root, keep_comments)
    etree.indent(root, space=INDENT)
    body = _TEXT.sub(
        _salesforce_text, etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    )
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"


def _salesforce_text(match: re.Match[bytes]) -> bytes:
    # The rule of CumulusCI's serialize_xml_for_salesforce (cumulusci.utils.xml.
    # salesforce_encoding), applied to lxml's output: importing cumulusci here would pull
    # simple-salesforce and requests into every offline command. A test checks that both
    # serialise the corpus identically.
    text = match.group(1).replace(b"'", b"&apos;").replace(b'"', b"&quot;")
    return b">" + text + b"<"
