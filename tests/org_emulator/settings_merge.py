"""How an org applies a deployed Settings file to the one it has.

Top-level settings not in the file are left alone, and nested settings are merged
field by field, except ``networkAccess``: Salesforce replaces the whole range list,
so an empty ``<networkAccess/>`` deletes every trusted range (DESIGN.md).
"""

from __future__ import annotations

import copy

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import load_schema
from tests.org_emulator.schema_check import element_types
from tests.org_emulator.state import MD_NS

REPLACED_WHOLE = {"networkAccess"}


def _local(tag: str) -> str:
    return tag.split("}")[-1]


def _reorder(parent: etree._Element, type_name: str) -> None:
    try:
        order = load_schema().child_order(type_name)
    except KeyError:
        return
    children = [c for c in parent if isinstance(c.tag, str)]
    rank = {name: i for i, name in enumerate(order)}
    children.sort(key=lambda c: rank.get(_local(c.tag), len(rank)))  # stable for repeats
    for child in children:
        parent.remove(child)
    parent.extend(children)


def merge_settings(current: bytes | None, incoming: bytes) -> bytes:
    new_root = parse_xml(incoming)
    if current is None:
        return incoming
    root = parse_xml(current)
    root_type = _local(root.tag)
    types = element_types().get(root_type, {})
    for child in new_root:
        if not isinstance(child.tag, str):
            continue
        name = _local(child.tag)
        existing = root.find(child.tag)
        has_children = any(isinstance(c.tag, str) for c in child)
        if existing is None or name in REPLACED_WHOLE or not has_children:
            if existing is not None:
                root.replace(existing, copy.deepcopy(child))
            else:
                root.append(copy.deepcopy(child))
            continue
        for sub in child:
            if not isinstance(sub.tag, str):
                continue
            old = existing.find(sub.tag)
            if old is not None:
                existing.replace(old, copy.deepcopy(sub))
            else:
                existing.append(copy.deepcopy(sub))
        _reorder(existing, types.get(name, ""))
    _reorder(root, root_type)
    etree.cleanup_namespaces(root, top_nsmap={None: MD_NS})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
