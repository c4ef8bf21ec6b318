"""The one way this project parses XML: no entities, no DTDs, no network."""

from __future__ import annotations

from lxml import etree

# Retrieved metadata is untrusted input; a hostile entity could read local files
# or make requests, so resolution is off everywhere.
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_blank_text=False,
)


def parse_xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, parser=_PARSER)
