"""Which widget section on a layout is ours: only the one the setup made, or adopted.

A layout section has no id, so "ours" cannot be read off the layout: an admin who set
the widget up by hand, as Totango's article describes, has a section labelled "Totango"
showing the package's page, and an admin's own "Customer Health" section may hold a
field and our page. Looking alike proves nothing. So the deploy records, per layout, the
section it made (``SectionRecord``: its label and our page in it, as deployed), and only
a section matching that record is ours on the next run; every other section is the
admin's, whatever it shows.

On a layout without a record:

- no section labelled as ours or showing our page: ours is added (``created``);
- a hand-made one: left exactly as it is. When it shows our page (here or from another
  namespace: the package's page), the layout already shows the widget: no second one is
  added, and the layout counts as covered. Nothing of it is ever removed;
- with ``adopt``: the hand-made section becomes ours (``adopted``). It keeps its label
  and every item the admin put in it; only our page's item is set to the configured one
  (added when missing). Its original is recorded, and giving it back restores it.

Taking ours out (rollback, a layout dropped from ``widget.layouts``) uses the record, not
today's config: a created section goes (items an admin added to it since stay, in the
section); an adopted one gets its original back.

Page names: an ApexPage's name cannot contain two consecutive underscores (Metadata API
Developer Guide, "ApexPage", ``fullName``), and a managed package prefixes its
components' names with ``namespace__`` (Salesforce DX Developer Guide, "Namespaces for
Second-Generation Managed Packages"); so the part after the last ``__`` is the page's
own name, and ``totango__Totango_Account_Insights`` is the same widget page as
``Totango_Account_Insights`` from another namespace.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal

from lxml import etree

from tasks.totango_sf.merge.layout import (
    ROOT_TYPE,
    WidgetSection,
    _items,
    _root,
    _same,
    _section_by_label,
    _section_element,
    _sections,
    _text,
)
from tasks.totango_sf.metadata.order import insert_in_schema_order
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.xml import canonical_bytes, sibling_tag

SectionOrigin = Literal["created", "adopted"]
SectionAction = Literal["add", "keep", "update", "adopt", "leave", "remove", "give_back"]
HAND_MADE_LEFT = "found an existing Totango section made by hand: leaving it"
HAND_MADE_ADOPTED = "found an existing Totango section made by hand: adopting it"
_SECTION_FIELDS = ("customLabel", "detailHeading", "editHeading", "label", "style")


@dataclass(frozen=True)
class SectionRecord:
    """Our section on one layout, as the last deploy left it."""

    origin: SectionOrigin
    label: str
    page: str
    # adopted: the admin's section before we adopted it (what giving it back restores)
    original: str | None = None
    # the section as the deploy left it (an admin's edit since is told apart from ours)
    deployed: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "label": self.label,
            "page": self.page,
            "original": self.original,
            "deployed": self.deployed,
        }

    @classmethod
    def from_json(cls, data: Any) -> SectionRecord | None:
        if not isinstance(data, dict):
            return None
        origin, label, page = data.get("origin"), data.get("label"), data.get("page")
        if origin not in ("created", "adopted") or not isinstance(label, str):
            return None
        if not isinstance(page, str) or not page:
            return None
        original, deployed = data.get("original"), data.get("deployed")
        return cls(
            origin,
            label,
            page,
            original if isinstance(original, str) else None,
            deployed if isinstance(deployed, str) else None,
        )


@dataclass(frozen=True)
class SectionPlan:
    """What the deploy does on one layout, and what of it is ours afterwards."""

    layout: bytes
    action: SectionAction
    record: SectionRecord | None
    note: str = ""
    # The layout shows the widget page (ours, or the same page from another namespace).
    covered: bool = False


def page_base(page: str) -> str:
    """The page's own name, without a namespace prefix (see the module docstring)."""
    return page.rsplit("__", 1)[-1]


def _pages(section: etree._Element) -> list[str]:
    return [page for item in _items(section) if (page := _text(item, "page")) is not None]


def _shows(section: etree._Element, page: str) -> bool:
    return any(page_base(p) == page_base(page) for p in _pages(section))


def section_text(section: etree._Element) -> str:
    """A section as text, for the record (structure only: compared by ``_same``)."""
    detached = copy.deepcopy(section)
    detached.tail = None
    return etree.tostring(detached, encoding="unicode")


def _section_of(text: str) -> etree._Element:
    return parse_xml(text.encode("utf-8"))


def find_ours(root: etree._Element, record: SectionRecord) -> etree._Element | None:
    """The section the record describes: its label, holding its page."""
    for section in _sections(root):
        if _text(section, "label") == record.label and record.page in _pages(section):
            return section
    return None


def holds_section(layout_xml: bytes, record: SectionRecord) -> bool:
    """Whether the layout holds the section the record describes."""
    return find_ours(_root(layout_xml), record) is not None


def hand_made(root: etree._Element, desired: WidgetSection) -> list[etree._Element]:
    """Sections that look like the widget's (its label, or its page from any namespace);
    without a record, each is the admin's."""
    return [
        s for s in _sections(root) if _text(s, "label") == desired.label or _shows(s, desired.page)
    ]


def _desired_item(desired: WidgetSection) -> etree._Element:
    return _items(_section_element(desired))[0]


def _put_item(section: etree._Element, item: etree._Element, page: str) -> None:
    """Our item in place of the one showing ``page`` (any namespace), else at the end of
    the section's first column; every other item stays where it is."""
    fresh = copy.deepcopy(item)
    for old in _items(section):
        if page_base(_text(old, "page") or "") == page_base(page):
            parent = old.getparent()
            assert parent is not None
            fresh.tail = old.tail
            parent.replace(old, fresh)
            return
    column_tag = sibling_tag(section, "layoutColumns")
    columns = section.findall(column_tag)
    if not columns:
        column = section.makeelement(column_tag)
        insert_in_schema_order(section, column, "LayoutSection")
        columns = [column]
    insert_in_schema_order(columns[0], fresh, "LayoutColumn")


def _set_fields(section: etree._Element, template: etree._Element) -> None:
    """The section's own settings (label, headings, style) as the template has them."""
    for name in _SECTION_FIELDS:
        want = template.find(sibling_tag(template, name))
        have = section.find(sibling_tag(section, name))
        if want is None:
            continue
        if have is None:
            have = section.makeelement(sibling_tag(section, name))
            insert_in_schema_order(section, have, "LayoutSection")
        have.text = want.text


def _refresh_created(
    root: etree._Element, section: etree._Element, desired: WidgetSection, record: SectionRecord
) -> etree._Element:
    template = _section_element(desired)
    others = [i for i in _items(section) if _text(i, "page") != record.page]
    if not others:
        if not _same(section, template):
            root.replace(section, template)
            return template
        return section
    # An admin put items into our section since: they stay, ours is brought up to date.
    _set_fields(section, template)
    _put_item(section, _desired_item(desired), record.page)
    return section


def _insert(root: etree._Element, desired: WidgetSection) -> etree._Element:
    element = _section_element(desired)
    if desired.anchor_section is not None:
        _section_by_label(root, desired.anchor_section).addnext(element)
    else:
        insert_in_schema_order(root, element, ROOT_TYPE)
    return element


def plan_section(
    layout_xml: bytes, desired: WidgetSection, record: SectionRecord | None, adopt: bool = False
) -> SectionPlan:
    """The layout with our section as configured, given what of it is ours (``record``)."""
    root = _root(layout_xml)
    before = canonical_bytes(root)
    ours = find_ours(root, record) if record is not None else None
    gone = ""
    if record is not None and ours is None:
        gone = (
            f"our section {record.label!r} (page {record.page}) is no longer on the layout as"
            " deployed (removed or renamed since); "
        )
    if record is not None and ours is not None:
        if record.origin == "created":
            section = _refresh_created(root, ours, desired, record)
            label = desired.label
        else:
            _put_item(ours, _desired_item(desired), record.page)
            section, label = ours, record.label
        after = canonical_bytes(root)
        new_record = SectionRecord(
            record.origin, label, desired.page, record.original, section_text(section)
        )
        action: SectionAction = "keep" if after == before else "update"
        what = "our section" if record.origin == "created" else f"adopted section {label!r}"
        return SectionPlan(after, action, new_record, f"{what} with page {desired.page}", True)
    found = hand_made(root, desired)
    if not found:
        section = _insert(root, desired)
        new_record = SectionRecord("created", desired.label, desired.page, None)
        new_record = _with_deployed(new_record, section)
        return SectionPlan(
            canonical_bytes(root),
            "add",
            new_record,
            f"{gone}section '{desired.label}' with page {desired.page}",
            True,
        )
    # Prefer the one showing our page: that is the widget an admin set up.
    chosen = next((s for s in found if _shows(s, desired.page)), found[0])
    label = _text(chosen, "label") or ""
    covered = any(_shows(s, desired.page) for s in found)
    if adopt:
        original = section_text(chosen)
        _put_item(chosen, _desired_item(desired), desired.page)
        new_record = SectionRecord("adopted", label, desired.page, original, section_text(chosen))
        after = canonical_bytes(root)
        return SectionPlan(
            after,
            "adopt",
            new_record,
            f"{gone}{HAND_MADE_ADOPTED} ({label!r}, page {desired.page}, its items kept)",
            True,
        )
    shown = ", ".join(sorted({p for s in found for p in _pages(s)})) or "no page"
    detail = f"{label!r}, showing {shown}"
    if not covered:
        detail += f"; the layout does not show {desired.page}: --adopt puts it in that section"
    return SectionPlan(before, "leave", None, f"{gone}{HAND_MADE_LEFT} ({detail})", covered)


def _with_deployed(record: SectionRecord, section: etree._Element) -> SectionRecord:
    return SectionRecord(
        record.origin, record.label, record.page, record.original, section_text(section)
    )


TakeOut = Literal["removed", "given_back", "not_found"]


def take_out_section(layout_xml: bytes, record: SectionRecord) -> tuple[bytes, TakeOut, str]:
    """The layout without what the record says is ours; nothing else changes.

    A created section goes, unless an admin put items into it since: then only our
    page's item goes and their items stay in it. An adopted section gets its original
    back: whole when it is as the deploy left it, else our item is set back (or taken
    out) and the admin's later changes stay.
    """
    root = _root(layout_xml)
    section = find_ours(root, record)
    if section is None:
        return (
            canonical_bytes(root),
            "not_found",
            f"our section {record.label!r} (page {record.page}) is no longer on the layout"
            " as deployed; nothing to take out",
        )
    note = ""
    if record.origin == "created":
        others = [i for i in _items(section) if _text(i, "page") != record.page]
        if not others:
            root.remove(section)
            if len(root) == 0:
                root.text = None
            return canonical_bytes(root), "removed", ""
        _remove_items(section, record.page)
        return (
            canonical_bytes(root),
            "removed",
            f"section {record.label!r} holds items added since the deploy: only our page"
            " was taken out of it",
        )
    original = _section_of(record.original) if record.original else None
    deployed = _section_of(record.deployed) if record.deployed else None
    if original is not None and deployed is not None and _same(section, deployed):
        root.replace(section, original)
        return canonical_bytes(root), "given_back", ""
    if original is not None:
        base = page_base(record.page)
        theirs = next(
            (i for i in _items(original) if page_base(_text(i, "page") or "") == base), None
        )
        if theirs is not None:
            _put_item(section, theirs, record.page)
        else:
            _remove_items(section, record.page)
        note = (
            f"section {record.label!r} changed since the deploy: our page's item was set back,"
            " the other changes stay"
        )
    else:
        _remove_items(section, record.page)
    return canonical_bytes(root), "given_back", note


def _remove_items(section: etree._Element, page: str) -> None:
    for item in _items(section):
        if _text(item, "page") == page:
            parent = item.getparent()
            assert parent is not None
            parent.remove(item)


def derive_record(original: bytes, deployed: bytes) -> SectionRecord | None:
    """For a snapshot from before records were kept: the section its deploy inserted or
    replaced, read from the layout as retrieved before and as deployed."""
    before, after = _sections(_root(original)), _sections(_root(deployed))
    changed = [s for s in after if not any(_same(s, b) for b in before)]
    if len(changed) != 1 or not _pages(changed[0]):
        return None
    section = changed[0]
    label, page = _text(section, "label") or "", _pages(section)[0]
    if len(after) == len(before) + 1:
        return SectionRecord("created", label, page, None, section_text(section))
    if len(after) == len(before):
        index = after.index(section)
        return SectionRecord(
            "adopted", label, page, section_text(before[index]), section_text(section)
        )
    return None
