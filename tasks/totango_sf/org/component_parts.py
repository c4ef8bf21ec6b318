"""The desired state, one builder per component kind.

Each builder takes the config and the org's retrieved files and returns its ``Part``: the
components it wants, how each compares with the org, the org's files it patches (what a
rollback gives back), and its warnings and blocking problems. ``desired_state`` joins the
parts in a fixed order: new components, layouts, record pages, org defaults, trusted ranges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.errors import BadInput
from tasks.totango_sf.merge import record_page_plan
from tasks.totango_sf.merge.layout import add_widget_section
from tasks.totango_sf.merge.org_default import (
    assign_org_default,
    org_default_page,
    overrides_only,
)
from tasks.totango_sf.merge.widget import widget_section_for
from tasks.totango_sf.metadata.components import Component
from tasks.totango_sf.org.component_diff import ComponentDiff, compare
from tasks.totango_sf.org.ip_ranges_state import merged_security

SECURITY_PATH = "settings/Security.settings"


class OrgPrerequisiteMissing(BadInput):
    """The org lacks something the setup builds on (an object, a managed page, a layout)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))

    def verdict_message(self) -> str:
        lines = "\n".join(f"  {p}" for p in self.problems)
        return f"the org is not ready for the setup:\n{lines}"

    def verdict_data(self) -> dict[str, Any]:
        return {"problems": self.problems}


@dataclass
class Part:
    """What one builder contributes to the desired state."""

    components: list[Component] = field(default_factory=list)
    diffs: list[ComponentDiff] = field(default_factory=list)
    originals: dict[str, bytes] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)

    def add(self, component: Component, diff: ComponentDiff) -> None:
        self.components.append(component)
        self.diffs.append(diff)


def object_path(sobject: str) -> str:
    return f"objects/{sobject}.object"


def new_components_part(new: list[Component], current: Mapping[tuple[str, str], Component]) -> Part:
    """The components the setup creates (page, tab, fields, permission set, reports)."""
    part = Part()
    report_folders_present = {
        c.full_name.split("/", 1)[0] for c in current.values() if c.type == "Report"
    }
    for comp in new:
        have = current.get(comp.key)
        if (
            comp.type == "ReportFolder"
            and have is None
            and comp.full_name in report_folders_present
        ):
            # Folders come back in a retrieve only on some API versions; a report in
            # it proves the folder exists, and folders hold no setting we change.
            part.add(comp, ComponentDiff(comp.type, comp.full_name, "unchanged", comp.summary))
        else:
            part.add(comp, compare(comp, have, comp.summary))
    return part


def layouts_part(
    config: TotangoConfig, layouts: Mapping[str, str], retrieved: Mapping[str, bytes]
) -> Part:
    """Each matching layout, the org's own file with our section merged in."""
    part = Part()
    for name, object_name in sorted(layouts.items()):
        path = f"layouts/{name}.layout"
        before = retrieved.get(path)
        if before is None:
            raise OrgPrerequisiteMissing([f"layout {name!r} was listed but not retrieved"])
        part.originals[path] = before
        section = widget_section_for(config, object_name)
        merged = add_widget_section(before, section)
        comp = Component(
            "Layout",
            name,
            merged,
            action="patch",
            summary=f"section '{section.label}' with page {section.page}",
        )
        part.add(comp, compare(comp, Component("Layout", name, before), comp.summary))
    return part


def record_pages_part(
    pages: record_page_plan.RecordPagePlan, current: Mapping[tuple[str, str], Component]
) -> Part:
    """The org's record pages with our component added or removed, and the pages we create."""
    part = Part(warnings=list(pages.warnings))
    for name, merged in sorted(pages.merged.items()):
        before = pages.originals[name]
        part.originals[record_page_plan.flexipage_path(name)] = before
        comp = Component(
            "FlexiPage",
            name,
            merged,
            action="patch",
            summary=(
                f"record page: remove our component (page {pages.widgets[name].page})"
                if pages.action_of(name) == "remove"
                else f"record page: component with page {pages.widgets[name].page}"
            ),
        )
        part.add(comp, compare(comp, Component("FlexiPage", name, before), comp.summary))
    for name, page in sorted(pages.created.items()):
        comp = Component(
            "FlexiPage", name, page, summary="new record page with Record Detail and the widget"
        )
        part.add(comp, compare(comp, current.get(comp.key), comp.summary))
    return part


def org_default_component(
    sobject: str, page: str, retrieved: Mapping[str, bytes]
) -> tuple[Component, ComponentDiff, bytes]:
    """The object's action overrides with ``page`` as its org default, the diff, and
    the overrides as the org holds them (what a rollback gives back)."""
    data = retrieved.get(object_path(sobject))
    before = overrides_only(data)
    now = org_default_page(data) or "the system default"
    comp = Component(
        "CustomObject",
        sobject,
        assign_org_default(data, page),
        action="patch",
        summary=(
            f"org default record page: {now} -> {page}; every user of {sobject} sees it"
            " where no app or app + record type + profile assignment applies"
        ),
    )
    return comp, compare(comp, Component("CustomObject", sobject, before), comp.summary), before


def org_defaults_part(
    pages: record_page_plan.RecordPagePlan, retrieved: Mapping[str, bytes]
) -> Part:
    """Each object whose org default record page becomes the page we create."""
    part = Part()
    for sobject, default_page in sorted(pages.org_defaults.items()):
        comp, diff, before = org_default_component(sobject, default_page, retrieved)
        part.originals[object_path(sobject)] = before
        part.add(comp, diff)
    return part


def security_part(config: TotangoConfig, retrieved: Mapping[str, bytes]) -> Part:
    """The org's Security.settings with the trusted ranges merged in."""
    security = merged_security(config, retrieved.get(SECURITY_PATH))
    if security is None:
        return Part()
    part = Part(
        originals={SECURITY_PATH: security.before},
        warnings=list(security.warnings),
        blocking=list(security.blocking),
    )
    comp = Component(
        "Settings", "Security", security.merged, action="patch", summary=security.summary
    )
    part.add(comp, compare(comp, Component("Settings", "Security", security.before), comp.summary))
    return part
