"""Inserting children at their Metadata API schema position.

Salesforce rejects some misordered elements at deploy, so an insert into a
retrieved file goes where the type's xsd:sequence puts it, never at the end.
Files retrieved at older API versions hold elements the current schema no longer
knows (``isTLSv12Required``, ``minPasswordLength`` ...). Those are left exactly
where they are: a new element goes right after the last existing sibling whose
schema position is at or before its own, which is also before the first known
sibling that follows it in the schema.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from lxml import etree

from tasks.totango_sf.errors import Failed
from tasks.totango_sf.metadata.schema import MetadataSchema, load_schema


class SchemaOrderError(Failed, ValueError):
    """The schema does not allow the element inside the parent's type."""


@functools.cache
def _positions(schema: MetadataSchema, type_name: str) -> Mapping[str, int]:
    try:
        order = schema.child_order(type_name)
    except KeyError:
        raise SchemaOrderError(f"the schema has no type {type_name!r}") from None
    return {name: index for index, name in enumerate(order)}


def schema_positions(type_name: str, schema: MetadataSchema | None = None) -> Mapping[str, int]:
    """Child name -> index in the type's xsd:sequence (inherited children first)."""
    return _positions(schema or load_schema(), type_name)


def _name(element: etree._Element) -> str | None:
    # Comments and processing instructions have no schema position.
    return etree.QName(element).localname if isinstance(element.tag, str) else None


# Elements older API versions had, at the schema position of the element that
# replaced them. Before API 49.0 a FlexiPageRegion held its components in
# ``componentInstances`` where ``itemInstances`` stands today ("Property
# 'componentInstances' not valid in version 49.0"; the corpus' 48.0 pages hold
# them before ``mode``/``name``/``type``).
LEGACY_ALIASES: Mapping[str, Mapping[str, str]] = {
    "FlexiPageRegion": {"componentInstances": "itemInstances"},
}


def _with_legacy(type_name: str, positions: Mapping[str, int]) -> Mapping[str, int]:
    aliases = LEGACY_ALIASES.get(type_name)
    if not aliases:
        return positions
    return {**positions, **{old: positions[new] for old, new in aliases.items()}}


def insertion_index(
    parent: etree._Element, name: str, type_name: str, schema: MetadataSchema | None = None
) -> int:
    """Index in ``parent`` where a new ``name`` child belongs.

    Raises SchemaOrderError when ``type_name`` has no child called ``name``.
    """
    positions = _with_legacy(type_name, schema_positions(type_name, schema))
    if name not in positions:
        raise SchemaOrderError(f"{type_name} has no child element {name!r}")
    wanted = positions[name]
    index = 0
    for i, sibling in enumerate(parent):
        child_name = _name(sibling)
        position = positions.get(child_name) if child_name else None
        if position is not None and position <= wanted:
            index = i + 1
    return index


def insert_in_schema_order(
    parent: etree._Element,
    child: etree._Element,
    type_name: str,
    schema: MetadataSchema | None = None,
) -> etree._Element:
    """Put ``child`` into ``parent`` (of metadata type ``type_name``) at its schema position."""
    insert_all_in_schema_order(parent, [child], type_name, schema)
    return child


def insert_all_in_schema_order(
    parent: etree._Element,
    children: Sequence[etree._Element],
    type_name: str,
    schema: MetadataSchema | None = None,
) -> None:
    """Insert same-named children, in the given order, at their schema position.

    One position lookup for the whole batch keeps a thousand IP ranges linear.
    """
    if not children:
        return
    names = {etree.QName(child).localname for child in children}
    if len(names) != 1:
        raise SchemaOrderError(f"a batch insert takes one element name, got {sorted(names)}")
    index = insertion_index(parent, names.pop(), type_name, schema)
    parent.insert(index, children[0])
    previous = children[0]
    for child in children[1:]:
        previous.addnext(child)
        previous = child


def ensure_child(
    parent: etree._Element, name: str, type_name: str, schema: MetadataSchema | None = None
) -> etree._Element:
    """The first ``name`` child of ``parent``, created at its schema position if absent."""
    namespace = etree.QName(parent).namespace
    tag = f"{{{namespace}}}{name}" if namespace else name
    existing = parent.find(tag)
    if existing is not None:
        return existing
    return insert_in_schema_order(parent, parent.makeelement(tag), type_name, schema)
