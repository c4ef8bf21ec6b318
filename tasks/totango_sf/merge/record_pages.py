"""Which Lightning record pages users of an object actually see, and where each is assigned.

No API answers "the active record page" directly, so the answer is built from
the object and every Lightning app (Metadata API Developer Guide, "ActionOverride"
and "CustomApplication": AppActionOverride, AppProfileActionOverride):

- org default: the CustomObject's ``actionOverrides`` for View, type Flexipage,
  formFactor Large;
- app default: a CustomApplication's ``actionOverrides`` with ``pageOrSobjectType``;
- app, record type and profile: a CustomApplication's ``profileActionOverrides``,
  which take precedence over the two above.

An object with no org default shows a system default page (``sfa__Account_rec_L``
and the like) that cannot be retrieved or edited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml

# "unassigned_here": a local project holds the page but no assignment of it.
AssignmentLevel = Literal[
    "org_default", "app_default", "app_record_type_profile", "unassigned_here"
]
# Lightning Experience on desktop; Small is the phone (ActionOverride.formFactor).
DESKTOP = "Large"
SYSTEM_DEFAULT = "(system default)"


@dataclass(frozen=True)
class PageAssignment:
    sobject: str
    page: str | None  # None: the system default page
    level: AssignmentLevel
    app: str | None = None
    record_type: str | None = None
    profile: str | None = None

    @property
    def where(self) -> str:
        if self.level == "org_default":
            return "org default"
        if self.level == "app_default":
            return f"app {self.app}"
        if self.level == "unassigned_here":
            return "no assignment in this project"
        return f"app {self.app}, record type {self.record_type or '(any)'}, profile {self.profile}"

    def to_json(self) -> dict[str, Any]:
        return {
            "object": self.sobject,
            "page": self.page or SYSTEM_DEFAULT,
            "level": self.level,
            "app": self.app,
            "record_type": self.record_type,
            "profile": self.profile,
            "where": self.where,
        }


def _text(element: etree._Element, name: str) -> str | None:
    namespace = etree.QName(element).namespace
    found = element.findtext(f"{{{namespace}}}{name}" if namespace else name)
    return found.strip() if found else None


def _view_overrides(root: etree._Element, tag: str) -> list[etree._Element]:
    namespace = etree.QName(root).namespace
    return [
        el
        for el in root.findall(f"{{{namespace}}}{tag}" if namespace else tag)
        if _text(el, "actionName") == "View"
        and _text(el, "type") == "Flexipage"
        and (_text(el, "formFactor") or DESKTOP) == DESKTOP
    ]


def assignments(
    objects: Mapping[str, bytes | None], apps: Mapping[str, bytes]
) -> list[PageAssignment]:
    """Every desktop record-page assignment of ``objects`` (name -> .object file).

    ``apps`` maps CustomApplication names to their files. Each object gets its org
    default (the system default when none is set) plus every app-level assignment.
    """
    found: list[PageAssignment] = []
    for sobject, data in objects.items():
        page = None
        if data:
            overrides = _view_overrides(parse_xml(data), "actionOverrides")
            page = _text(overrides[0], "content") if overrides else None
        found.append(PageAssignment(sobject, page, "org_default"))
    for app, data in sorted(apps.items()):
        root = parse_xml(data)
        for el in _view_overrides(root, "actionOverrides"):
            target = _text(el, "pageOrSobjectType")
            if target is not None and target in objects:
                found.append(PageAssignment(target, _text(el, "content"), "app_default", app))
        for el in _view_overrides(root, "profileActionOverrides"):
            target = _text(el, "pageOrSobjectType")
            if target is not None and target in objects:
                found.append(
                    PageAssignment(
                        target,
                        _text(el, "content"),
                        "app_record_type_profile",
                        app,
                        _text(el, "recordType"),
                        _text(el, "profile"),
                    )
                )
    return found


def pages_in_use(found: list[PageAssignment]) -> dict[str, list[PageAssignment]]:
    """Custom record page name -> where it is assigned (system defaults left out)."""
    pages: dict[str, list[PageAssignment]] = {}
    for assignment in found:
        if assignment.page is not None:
            pages.setdefault(assignment.page, []).append(assignment)
    return pages
