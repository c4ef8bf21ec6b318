"""The Totango widget as a Visualforce component merged into a Lightning record page.

In Lightning Experience a layout's Visualforce section shows only inside the
record page's Record Detail component (``force:detailPanel``). A page built with
Dynamic Forms has none, so there the widget needs a ``flexipage:visualforcePage``
component of its own. A deploy replaces the whole FlexiPage, so the page is read
first and one component is inserted at its schema position, keeping every other
element, comments included.

The component is found again by its ``identifier`` (``totango_widget``...), so
re-running changes nothing, a changed height or page is updated in place, and
removing it gives back the original page. Pre-49.0 pages carry no identifier (none
of the public legacy pages in the test corpus has one), and no other element is
known to carry a mark through a retrieve: the component's properties are its own
design attributes, and a retrieve returns the org's serialisation, not ours. There
a component showing our page may well be an admin's, so it is ours only where a
``LegacyClaim`` recorded at deploy time (its region, position and properties)
still matches; without one, a component showing our page is left alone and counts
as showing the widget.

Formats (Metadata API Developer Guide, "FlexiPage"): before API 49.0 components
sat in ``componentInstances`` directly under a region; from 49.0 that element is
refused ("Property 'componentInstances' not valid in version 49.0") and a
component sits in ``itemInstances/componentInstance``, whose ``identifier`` is
required from API 53.0. Retrieve and deploy use one API version, so the format
written is the one of that version.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from lxml import etree

from tasks.totango_sf.merge.merge_errors import MergeRefused
from tasks.totango_sf.metadata.order import insert_in_schema_order
from tasks.totango_sf.metadata.xml import canonical_bytes, local_name, parse_metadata_root

ROOT_TYPE = "FlexiPage"
VISUALFORCE = "flexipage:visualforcePage"
# The Record Detail component: the only place a layout's sections (and so the
# layout's Visualforce section) render on a desktop record page (Salesforce Help,
# "Dynamic Forms": fields and sections move out of the Record Detail component).
DETAIL_PANEL = "force:detailPanel"
DYNAMIC_FORMS = ("flexipage:fieldSection", "flexipage:column")
IDENTIFIER_BASE = "totango_widget"
# Where the component goes when no region is configured: the first of these the
# template has (the side column of the standard two- and three-column templates),
# else the page's last region.
DEFAULT_REGIONS = ("sidebar", "rightsidebar", "main")

FlexiPageFormat = Literal["legacy", "current"]
WidgetOnPage = Literal["component", "layout_section", "none"]
ComponentStatus = Literal["present", "missing", "changed"]


class FlexiPagePatchError(MergeRefused, ValueError):
    """The file is not a FlexiPage this patch can edit."""


class RegionNotFoundError(FlexiPagePatchError):
    """The configured region or tab is not on the page."""


# "A Lightning page region can contain up to 100 components." (Metadata API Developer
# Guide, "FlexiPage", from API 44.0 on; earlier versions of the same page said 25.)
MAX_REGION_COMPONENTS = 100


class RegionFull(FlexiPagePatchError):
    """The region our component would go into already holds the most a region may."""

    def __init__(self, region: str, count: int):
        self.region, self.count = region, count
        super().__init__(
            f"region {region!r} already holds {count} components, and a Lightning page"
            f' region holds at most {MAX_REGION_COMPONENTS} (Metadata API "FlexiPage"):'
            " choose another region with widget.record_page_region, or take a component"
            " off the page in Lightning App Builder"
        )


@dataclass(frozen=True)
class WidgetComponent:
    """The component as configured; ``page`` is already namespace-resolved."""

    page: str
    height: int
    label: str = "Totango"
    show_label: bool = False
    region: str | None = None  # a region or facet name, or a tab's title
    position: Literal["first", "last"] = "last"  # within the region


@dataclass(frozen=True)
class LegacyClaim:
    """Where this setup put its component on a pre-49.0 page: the region, the position
    among the region's ``componentInstances``, and the properties as deployed."""

    region: str
    index: int
    properties: tuple[tuple[str, str | None], ...]

    def to_json(self) -> dict[str, Any]:
        return {"region": self.region, "index": self.index, "properties": dict(self.properties)}

    @classmethod
    def from_json(cls, data: Any) -> LegacyClaim | None:
        """None for anything that is not a claim this module wrote."""
        if not isinstance(data, Mapping):
            return None
        region, index, props = data.get("region"), data.get("index"), data.get("properties")
        if not (isinstance(region, str) and isinstance(index, int) and isinstance(props, dict)):
            return None
        return cls(region, index, tuple(sorted(props.items())))


@dataclass(frozen=True)
class ComponentState:
    status: ComponentStatus
    detail: str = ""


@dataclass(frozen=True)
class PageFacts:
    """What a record page holds that decides whether the widget shows on it."""

    sobject: str | None
    format: FlexiPageFormat | None
    detail_panel: bool
    dynamic_forms: bool
    widget: WidgetOnPage

    def to_json(self) -> dict[str, object]:
        return {
            "sobject": self.sobject,
            "format": self.format,
            "detail_panel": self.detail_panel,
            "dynamic_forms": self.dynamic_forms,
            "widget": self.widget,
        }


def format_for(api_version: str) -> FlexiPageFormat:
    major = int(float(api_version))
    return "legacy" if major < 49 else "current"


def _root(data: bytes) -> etree._Element:
    return parse_metadata_root(data, ROOT_TYPE, "flexipage", FlexiPagePatchError)


def _tag(element: etree._Element, name: str) -> str:
    namespace = etree.QName(element).namespace
    return f"{{{namespace}}}{name}" if namespace else name


def _text(element: etree._Element, name: str) -> str | None:
    found = element.findtext(_tag(element, name))
    return found.strip() if found is not None else None


def _regions(root: etree._Element) -> list[etree._Element]:
    return root.findall(_tag(root, "flexiPageRegions"))


def _components(root: etree._Element) -> list[etree._Element]:
    """Every ComponentInstance, in either format."""
    return [
        el
        for el in root.iter(_tag(root, "componentInstance"), _tag(root, "componentInstances"))
        if isinstance(el.tag, str)
    ]


def _properties(component: etree._Element) -> dict[str, str | None]:
    return {
        _text(prop, "name") or "": _text(prop, "value")
        for prop in component.findall(_tag(component, "componentInstanceProperties"))
    }


def _is_visualforce(component: etree._Element) -> bool:
    return _text(component, "componentName") == VISUALFORCE


def page_format(root: etree._Element) -> FlexiPageFormat | None:
    """The format the page's components are in; None for a page holding none."""
    for region in _regions(root):
        if region.find(_tag(region, "componentInstances")) is not None:
            return "legacy"
        if region.find(_tag(region, "itemInstances")) is not None:
            return "current"
    return None


def _claimed(root: etree._Element, claim: LegacyClaim) -> etree._Element | None:
    """The component at the claimed place, if it is still the one deployed there."""
    for region in _regions(root):
        if _text(region, "name") != claim.region:
            continue
        components = region.findall(_tag(region, "componentInstances"))
        if 0 <= claim.index < len(components):
            found = components[claim.index]
            if _is_visualforce(found) and _claim_of(found) == claim:
                return found
    return None


def _claim_of(component: etree._Element) -> LegacyClaim:
    region = component.getparent()
    assert region is not None
    index = region.findall(component.tag).index(component)
    return LegacyClaim(
        _text(region, "name") or "", index, tuple(sorted(_properties(component).items()))
    )


def _owned(
    root: etree._Element,
    widget: WidgetComponent,
    claim: LegacyClaim | None = None,
    identifiers: bool = True,
) -> etree._Element | None:
    """Our component: by identifier, else (pre-49.0, no identifiers) by the claim alone.

    ``identifiers`` False: the page is not one a deploy of ours placed the component on
    (``state/ownership.py``), so a component carrying our identifier there was not placed
    by us (a copy of one of our pages, say): it is the admin's."""
    for component in _components(root) if identifiers else []:
        if _is_visualforce(component) and (_text(component, "identifier") or "").startswith(
            IDENTIFIER_BASE
        ):
            return component
    return _claimed(root, claim) if claim is not None else None


def holds_our_component(
    data: bytes, widget: WidgetComponent, claim: LegacyClaim | None = None
) -> bool:
    """Whether the page holds a component this setup places (by identifier or claim)."""
    return _owned(_root(data), widget, claim) is not None


def _shows_page(root: etree._Element, page: str) -> bool:
    return any(
        _is_visualforce(c) and _properties(c).get("pageName") == page for c in _components(root)
    )


def page_facts(data: bytes, page: str) -> PageFacts:
    """Whether the widget ``page`` shows on this record page, and how."""
    root = _root(data)
    names = {_text(c, "componentName") for c in _components(root)}
    detail_panel = DETAIL_PANEL in names
    dynamic_forms = (
        bool(names & set(DYNAMIC_FORMS))
        or root.find(f".//{_tag(root, 'fieldInstance')}") is not None
    )
    widget: WidgetOnPage = "none"
    if _shows_page(root, page):
        widget = "component"
    elif detail_panel:
        widget = "layout_section"
    return PageFacts(
        _text(root, "sobjectType"), page_format(root), detail_panel, dynamic_forms, widget
    )


def _unique_identifier(root: etree._Element) -> str:
    # Components and Dynamic Forms fields share one identifier space on a page.
    taken = {(e.text or "").strip() for e in root.iter(_tag(root, "identifier"))}
    if IDENTIFIER_BASE not in taken:
        return IDENTIFIER_BASE
    number = 2
    while f"{IDENTIFIER_BASE}_{number}" in taken:
        number += 1
    return f"{IDENTIFIER_BASE}_{number}"


def _component_element(
    parent: etree._Element, widget: WidgetComponent, fmt: FlexiPageFormat, identifier: str | None
) -> etree._Element:
    """The ComponentInstance, children in schema order (componentInstanceProperties*,
    componentName, componentType, flexipageDataSources*, identifier, visibilityRule;
    each property: name, type, value, valueList)."""
    tag = "componentInstances" if fmt == "legacy" else "componentInstance"
    component = parent.makeelement(_tag(parent, tag))
    properties = (
        ("height", str(widget.height)),
        ("label", widget.label),
        ("pageName", widget.page),
        ("showLabel", "true" if widget.show_label else "false"),
    )
    for name, value in properties:
        prop = etree.SubElement(component, _tag(parent, "componentInstanceProperties"))
        etree.SubElement(prop, _tag(parent, "name")).text = name
        etree.SubElement(prop, _tag(parent, "value")).text = value
    etree.SubElement(component, _tag(parent, "componentName")).text = VISUALFORCE
    if identifier is not None:
        etree.SubElement(component, _tag(parent, "identifier")).text = identifier
    return component


def _tab_bodies(root: etree._Element) -> dict[str, str]:
    """A flexipage:tab's title -> the facet holding its body."""
    bodies = {}
    for component in _components(root):
        if _text(component, "componentName") == "flexipage:tab":
            props = _properties(component)
            if props.get("title") and props.get("body"):
                bodies[props["title"] or ""] = props["body"] or ""
    return bodies


def region_names(data: bytes) -> list[str]:
    return [_text(r, "name") or "" for r in _regions(_root(data))]


def _target_region(root: etree._Element, widget: WidgetComponent) -> etree._Element:
    regions = {_text(r, "name") or "": r for r in _regions(root)}
    if widget.region is not None:
        wanted = _tab_bodies(root).get(widget.region, widget.region)
        if wanted in regions:
            return regions[wanted]
        shown = ", ".join(sorted(regions)) or "none"
        raise RegionNotFoundError(
            f"region or tab {widget.region!r} is not on the page (regions: {shown})"
        )
    for name in DEFAULT_REGIONS:
        if name in regions:
            return regions[name]
    plain = [r for r in _regions(root) if _text(r, "type") == "Region"]
    if not plain:
        raise RegionNotFoundError("the page has no region to hold the widget")
    return plain[-1]


def _same(component: etree._Element, widget: WidgetComponent) -> bool:
    wanted = _component_element(component, widget, "current", None)
    have = {k: v for k, v in _properties(component).items()}
    return have == _properties(wanted)


def add_widget_component(
    data: bytes, widget: WidgetComponent, api_version: str, claim: LegacyClaim | None = None
) -> bytes:
    """The page with exactly one widget component matching ``widget``."""
    return place_widget_component(data, widget, api_version, claim)[0]


def place_widget_component(
    data: bytes,
    widget: WidgetComponent,
    api_version: str,
    claim: LegacyClaim | None = None,
    identifiers: bool = True,
) -> tuple[bytes, LegacyClaim | None]:
    """``add_widget_component``, and on a pre-49.0 page the claim of our component.

    ``claim``: where an earlier deploy put ours on a pre-49.0 page. Without it, a
    component there showing our page is someone else's and stays as it is.
    """
    root = _root(data)
    fmt = format_for(api_version)
    if page_format(root) not in (fmt, None):
        raise FlexiPagePatchError(
            f"the page is in the {page_format(root)} format but API {api_version} needs the"
            f" {fmt} one: retrieve and deploy at one API version"
        )
    owned = _owned(root, widget, claim, identifiers)
    if owned is not None:
        if not _same(owned, widget):
            fresh = _component_element(owned, widget, fmt, _text(owned, "identifier"))
            # Keep what an admin set beyond our four properties (a visibility rule).
            for child in owned:
                if isinstance(child.tag, str) and local_name(child) == "visibilityRule":
                    fresh.append(child)
            holder = owned.getparent()
            assert holder is not None
            holder.replace(owned, fresh)
            owned = fresh
        return _placed(root, owned)
    if _shows_page(root, widget.page):
        # Someone placed the page by hand: it shows already, and a second copy
        # would be ours to remove on rollback while theirs stays.
        return canonical_bytes(root, keep_comments=True), None
    region = _target_region(root, widget)
    held = len(region.findall(_tag(region, "itemInstances"))) + len(
        region.findall(_tag(region, "componentInstances"))
    )
    if held >= MAX_REGION_COMPONENTS:
        raise RegionFull(_text(region, "name") or "", held)
    if fmt == "legacy":
        new = _component_element(region, widget, fmt, None)
    else:
        new = region.makeelement(_tag(region, "itemInstances"))
        new.append(_component_element(region, widget, fmt, _unique_identifier(root)))
    siblings = region.findall(new.tag)
    if widget.position == "first" and siblings:
        # Same-named siblings are contiguous in schema order: before the first is
        # still the schema position.
        siblings[0].addprevious(new)
    else:
        insert_in_schema_order(region, new, "FlexiPageRegion")
    return _placed(root, new)


def _placed(root: etree._Element, ours: etree._Element) -> tuple[bytes, LegacyClaim | None]:
    claim = _claim_of(ours) if local_name(ours) == "componentInstances" else None
    return canonical_bytes(root, keep_comments=True), claim


def remove_widget_component(
    data: bytes,
    widget: WidgetComponent,
    claim: LegacyClaim | None = None,
    identifiers: bool = True,
) -> bytes:
    """The page without the component ``add_widget_component`` owns; nothing else changes."""
    root = _root(data)
    owned = _owned(root, widget, claim, identifiers)
    if owned is not None:
        holder = owned.getparent() if local_name(owned) == "componentInstance" else owned
        assert holder is not None
        parent = holder.getparent()
        assert parent is not None
        parent.remove(holder)
    return canonical_bytes(root, keep_comments=True)


def widget_component_state(
    data: bytes,
    widget: WidgetComponent,
    claim: LegacyClaim | None = None,
    identifiers: bool = True,
) -> ComponentState:
    root = _root(data)
    owned = _owned(root, widget, claim, identifiers)
    if owned is None:
        return ComponentState("missing", f"no component with page {widget.page}")
    if _same(owned, widget):
        return ComponentState("present")
    have = _properties(owned)
    want = _properties(_component_element(owned, widget, "current", None))
    changes = [f"{k} {have.get(k)} → {v}" for k, v in want.items() if have.get(k) != v]
    return ComponentState("changed", ", ".join(changes) or "component edited")


def page_selected(name: str, selection: str | list[str], facts: PageFacts) -> bool:
    """Whether ``widget.record_pages`` picks this page for our component."""
    if selection == "none":
        return False
    if selection == "all":
        return True
    if selection == "auto":
        return facts.widget == "none"
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in selection)
