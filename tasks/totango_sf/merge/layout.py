"""The Totango widget section merged into an existing page layout.

A deploy replaces the whole layout, so the current one is read first and the
section is inserted at its schema position, keeping every other element as it
was. The section the patch owns is found again on every run (by its page, else
by its label and shape), so re-applying changes nothing and a changed config
updates that section in place instead of adding a second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lxml import etree

from tasks.totango_sf.merge.merge_errors import MergeRefused
from tasks.totango_sf.metadata.order import insert_in_schema_order
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.xml import canonical_bytes, parse_metadata_root, sibling_tag
from tasks.totango_sf.render.files import render_xml

ROOT_TYPE = "Layout"

SectionStatus = Literal["present", "missing", "changed"]


class LayoutPatchError(MergeRefused, ValueError):
    """The file is not a layout this patch can edit."""


class AnchorSectionNotFoundError(LayoutPatchError):
    """The configured anchor section is not on the layout."""


@dataclass(frozen=True)
class WidgetSection:
    """The section as configured; ``page`` is already namespace-resolved."""

    label: str
    page: str
    height: int
    anchor_section: str | None = None


@dataclass(frozen=True)
class SectionState:
    """How a layout compares with the configured section, for drift reports."""

    status: SectionStatus
    detail: str = ""


def _root(layout_xml: bytes) -> etree._Element:
    return parse_metadata_root(layout_xml, ROOT_TYPE, "layout", LayoutPatchError)


def _sections(root: etree._Element) -> list[etree._Element]:
    return root.findall(sibling_tag(root, "layoutSections"))


def _items(section: etree._Element) -> list[etree._Element]:
    column = sibling_tag(section, "layoutColumns")
    return [
        item
        for col in section.findall(column)
        for item in col.findall(sibling_tag(col, "layoutItems"))
    ]


def _text(element: etree._Element, name: str) -> str | None:
    return element.findtext(sibling_tag(element, name))


def _owned_section(root: etree._Element, section: WidgetSection) -> etree._Element | None:
    sections = _sections(root)
    for candidate in sections:
        if any(_text(item, "page") == section.page for item in _items(candidate)):
            return candidate
    # The page reference changed (say, a namespace was set): recognise our
    # section by its label and its shape, one column holding one page.
    for candidate in sections:
        items = _items(candidate)
        if (
            _text(candidate, "label") == section.label
            and len(candidate.findall(sibling_tag(candidate, "layoutColumns"))) == 1
            and len(items) == 1
            and _text(items[0], "page") is not None
        ):
            return candidate
    return None


def _section_element(section: WidgetSection) -> etree._Element:
    # The section comes from the same template the offline plan writes as its
    # fragment, so the plan shows exactly what the merge inserts.
    return parse_xml(render_xml("layout_section.xml.j2", section=section))[0]


def _signature(element: etree._Element) -> tuple[object, ...]:
    # Structural, so namespace prefixes and indentation do not count as edits.
    children = tuple(_signature(c) for c in element if isinstance(c.tag, str))
    text = (element.text or "").strip()
    return (element.tag, text, tuple(sorted(element.attrib.items())), children)


def _same(left: etree._Element, right: etree._Element) -> bool:
    return _signature(left) == _signature(right)


def _section_by_label(root: etree._Element, label: str) -> etree._Element:
    for candidate in _sections(root):
        if _text(candidate, "label") == label:
            return candidate
    labels = ", ".join(repr(_text(s, "label") or "") for s in _sections(root)) or "none"
    raise AnchorSectionNotFoundError(
        f"anchor section {label!r} is not on the layout (sections: {labels})"
    )


def add_widget_section(layout_xml: bytes, section: WidgetSection) -> bytes:
    """The layout with exactly one widget section matching ``section``."""
    root = _root(layout_xml)
    desired = _section_element(section)
    owned = _owned_section(root, section)
    if owned is not None:
        if not _same(owned, desired):
            root.replace(owned, desired)
    elif section.anchor_section is not None:
        _section_by_label(root, section.anchor_section).addnext(desired)
    else:
        # After the last layoutSections, or where the schema puts the first one.
        insert_in_schema_order(root, desired, ROOT_TYPE)
    return canonical_bytes(root)


def remove_widget_section(layout_xml: bytes, section: WidgetSection) -> bytes:
    """The layout without the section ``add_widget_section`` owns; nothing else changes."""
    root = _root(layout_xml)
    owned = _owned_section(root, section)
    if owned is not None:
        root.remove(owned)
        if len(root) == 0:
            # A Layout holds no text of its own, so only indentation can be left here;
            # kept, it would serialise as <Layout>\n</Layout>.
            root.text = None
    return canonical_bytes(root)


_ITEM_FIELDS = ("height", "page", "showLabel", "showScrollbars", "width")
_SECTION_FIELDS = ("customLabel", "detailHeading", "editHeading", "style")


def _differences(owned: etree._Element, desired: etree._Element) -> list[str]:
    def change(name: str, have: str | None, want: str | None) -> str:
        return f"{name} {have if have is not None else '(none)'} → {want}"

    found = []
    have_label, want_label = _text(owned, "label"), _text(desired, "label")
    if have_label != want_label:
        found.append(f"label {have_label!r} → {want_label!r}")
    found += [
        change(name, _text(owned, name), _text(desired, name))
        for name in _SECTION_FIELDS
        if _text(owned, name) != _text(desired, name)
    ]
    items = _items(owned)
    want_item = _items(desired)[0]
    if len(items) != 1 or len(owned.findall(sibling_tag(owned, "layoutColumns"))) != 1:
        found.append(f"section holds {len(items)} item(s), expected the page alone")
    else:
        found += [
            change(name, _text(items[0], name), _text(want_item, name))
            for name in _ITEM_FIELDS
            if _text(items[0], name) != _text(want_item, name)
        ]
    # Anything else (an extra element someone added) still counts as an edit.
    return found or ["section edited"]


def widget_section_state(layout_xml: bytes, section: WidgetSection) -> SectionState:
    """Whether the layout holds the configured section, lacks it, or holds an edited one."""
    root = _root(layout_xml)
    owned = _owned_section(root, section)
    if owned is None:
        return SectionState("missing", f"no section with page {section.page}")
    desired = _section_element(section)
    if _same(owned, desired):
        return SectionState("present")
    return SectionState("changed", ", ".join(_differences(owned, desired)))
