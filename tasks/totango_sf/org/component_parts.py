"""The desired state, one builder per component kind.

Each builder takes the config and the org's retrieved files and returns its ``Part``: the
components it wants, how each compares with the org, the org's files it patches (what a
rollback gives back), its warnings and blocking problems, and what of it is ours once
deployed (``record``: the layouts' sections and the trusted ranges, ``state/ownership.py``).
``desired_state`` joins the parts in a fixed order: new components, layouts, record pages,
org defaults, trusted ranges.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.errors import BadInput
from tasks.totango_sf.merge import record_page_plan
from tasks.totango_sf.merge.layout_ownership import (
    SectionRecord,
    plan_section,
    take_out_section,
)
from tasks.totango_sf.merge.org_default import (
    assign_org_default,
    org_default_page,
    overrides_only,
)
from tasks.totango_sf.merge.security import RangeKey, range_key
from tasks.totango_sf.merge.widget import widget_section_for
from tasks.totango_sf.metadata.components import Component
from tasks.totango_sf.org.component_diff import ComponentDiff, compare, component_files
from tasks.totango_sf.org.ip_ranges_state import merged_security
from tasks.totango_sf.state.ownership import DeployRecord

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
    record: DeployRecord = field(default_factory=DeployRecord)
    # Layouts that show the widget after the deploy (our section, or one made by hand).
    covered: set[str] = field(default_factory=set)

    def add(self, component: Component, diff: ComponentDiff) -> None:
        self.components.append(component)
        self.diffs.append(diff)


def object_path(sobject: str) -> str:
    return f"objects/{sobject}.object"


# Where the config names each kind of component the setup creates, for the way out of a
# refusal (a name of ours that is not the admin's).
CONFIG_KEY_OF = {
    "ApexPage": "widget.page / widget.pages",
    "CustomTab": "tab.name",
    "PermissionSet": "permission_set.name / integration.permission_set",
    "CustomField": "insights.fields, where enabled: false leaves one out",
    "Report": "reports",
    "ReportFolder": "reports",
}


def new_components_part(
    new: list[Component],
    current: Mapping[tuple[str, str], Component],
    ours: Collection[tuple[str, str]] = (),
    adopt: bool = False,
) -> Part:
    """The components the setup creates (page, tab, fields, permission set, reports).

    "Ours is only what we made": one already in the org that no deploy of ours created
    or adopted (``ours``) is an admin's. When it differs from ours, the deploy would
    replace it, so it is refused; with ``adopt`` it is replaced, its original is kept in
    the snapshot, and an uninstall gives it back instead of deleting it."""
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
            continue
        diff = compare(comp, have, comp.summary)
        if have is not None and diff.action == "update" and comp.key not in ours:
            if not adopt:
                part.blocking.append(_not_ours(comp))
                continue
            part.record.components_adopted.append(comp.key)
            part.originals.update(component_files(have))
            diff = replace(diff, summary=f"adopt: replace the one made by hand ({diff.summary})")
        part.add(comp, diff)
    return part


def _not_ours(comp: Component) -> str:
    return (
        f"{comp.type} {comp.full_name!r} is in the org, differs from the setup's, and was not"
        " made by this tool: the deploy would replace it. Name the setup's own differently"
        f" in the config ({CONFIG_KEY_OF.get(comp.type, 'its name')}), or re-run with --adopt"
        " to replace it (an uninstall then gives it back as it was). Nothing was sent."
    )


def layouts_part(
    config: TotangoConfig,
    layouts: Mapping[str, str],
    retrieved: Mapping[str, bytes],
    owned: Mapping[str, SectionRecord] | None = None,
    adopt: bool = False,
) -> Part:
    """Each matching layout, the org's own file with our section merged in; a layout with
    a section made by hand is left as it is (or, with ``adopt``, that section adopted);
    a layout holding our section that the config no longer selects gets it taken out.

    ``owned``: our section per layout, as recorded (``state/ownership.py``)."""
    part = Part()
    owned = owned or {}
    for name, object_name in sorted(layouts.items()):
        path = f"layouts/{name}.layout"
        before = retrieved.get(path)
        if before is None:
            raise OrgPrerequisiteMissing([f"layout {name!r} was listed but not retrieved"])
        section = widget_section_for(config, object_name)
        plan = plan_section(before, section, owned.get(name), adopt)
        part.record.sections[name] = plan.record
        if plan.covered:
            part.covered.add(name)
        if plan.action == "leave":
            part.record.left[name] = plan.note
            part.warnings.append(f"layout {name}: {plan.note}")
            part.diffs.append(ComponentDiff("Layout", name, "unchanged", plan.note))
            continue
        part.originals[path] = before
        summary = plan.note
        if plan.action == "adopt":
            part.warnings.append(f"layout {name}: {plan.note}")
        elif plan.record is not None and plan.record.origin == "created":
            summary = f"section '{section.label}' with page {section.page}"
        comp = Component("Layout", name, plan.layout, action="patch", summary=summary)
        part.add(comp, compare(comp, Component("Layout", name, before), comp.summary))
    for name, record in sorted(owned.items()):
        if name in layouts:
            continue
        _take_out(part, name, record, retrieved.get(f"layouts/{name}.layout"))
    return part


def _take_out(part: Part, name: str, record: SectionRecord, before: bytes | None) -> None:
    """Our section on a layout ``widget.layouts`` no longer selects: out, as recorded."""
    part.record.sections[name] = None
    if before is None:
        part.warnings.append(
            f"layout {name!r}, which held our section {record.label!r}, is no longer in the"
            " org; nothing to take out"
        )
        return
    after, outcome, note = take_out_section(before, record)
    if outcome == "not_found":
        part.warnings.append(f"layout {name}: {note}")
        return
    what = (
        f"remove our section {record.label!r} (page {record.page})"
        if record.origin == "created"
        else f"give back section {record.label!r} as it was before it was adopted"
    )
    summary = f"{what}: the layout is no longer in widget.layouts"
    part.warnings.append(f"layout {name}: {summary}" + (f"; {note}" if note else ""))
    part.originals[f"layouts/{name}.layout"] = before
    comp = Component("Layout", name, after, action="patch", summary=summary)
    part.add(comp, compare(comp, Component("Layout", name, before), comp.summary))


def record_pages_part(
    pages: record_page_plan.RecordPagePlan, current: Mapping[tuple[str, str], Component]
) -> Part:
    """The org's record pages with our component added or removed, and the pages we create."""
    part = Part(warnings=list(pages.warnings))
    part.record.record_pages = dict(pages.ours)
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


def security_part(
    config: TotangoConfig,
    retrieved: Mapping[str, bytes],
    owned: Mapping[RangeKey, str] | None = None,
    adopt: bool = False,
) -> Part:
    """The org's Security.settings with the trusted ranges merged in, our stale ones out."""
    security = merged_security(config, retrieved.get(SECURITY_PATH), owned, adopt)
    if security is None:
        return Part()
    part = Part(
        originals={SECURITY_PATH: security.before},
        warnings=list(security.warnings),
        blocking=list(security.blocking),
    )
    part.record.ranges_created = [range_key(r) for r in security.created]
    part.record.ranges_adopted = [range_key(r) for r in security.adopted]
    part.record.ranges_removed = [range_key(r) for r in security.stale]
    comp = Component(
        "Settings", "Security", security.merged, action="patch", summary=security.summary
    )
    part.add(comp, compare(comp, Component("Settings", "Security", security.before), comp.summary))
    return part
