"""The one way this project parses XML: no entities, no DTDs, no network.

Metadata files never carry a document type declaration: neither a retrieve nor
Salesforce's own tools write one. With entity resolution off, a declared entity
(``<!ENTITY org "Acme">`` ... ``&org;``) would survive parsing as an unresolved
reference and be dropped or kept on output depending on the serializer, which
silently changes a label. So a file with a DOCTYPE or an entity reference is
refused as malformed, the same way as a syntax error.
"""

from __future__ import annotations

from lxml import etree

from tasks.totango_sf.errors import BadInput

# Retrieved metadata is untrusted input; a hostile entity could read local files
# or make requests, so resolution is off everywhere.
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_blank_text=False,
)


class XmlRefused(BadInput, etree.XMLSyntaxError):
    """Well-formed, but holds a DOCTYPE or an entity reference, which metadata never does."""


def _refuse(message: str, line: int) -> XmlRefused:
    return XmlRefused(message, 0, line, 0, None)


def parse_xml(data: bytes) -> etree._Element:
    root = etree.fromstring(data, parser=_PARSER)
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _refuse("a DOCTYPE (document type declaration) is not allowed in metadata", 1)
    for entity in root.iter(etree.Entity):
        raise _refuse(
            f"the entity reference {entity.text} is not allowed in metadata",
            entity.sourceline or 0,
        )
    return root
