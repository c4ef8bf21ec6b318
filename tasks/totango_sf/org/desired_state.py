"""What the org should hold, computed from the config and the org's current files.

Pure functions: the caller retrieves, these decide. New components come from the
plan; layouts and Security.settings are the org's own files with the widget
section and the trusted ranges merged in (a deploy replaces the whole file, so
nothing is ever written from a template alone). Each component is compared with
the org's copy in canonical form, so re-running on a set-up org finds nothing to
deploy.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.errors import BadInput
from tasks.totango_sf.merge import layout_audience, record_page_plan
from tasks.totango_sf.merge.flexipage import LegacyClaim
from tasks.totango_sf.merge.layout import add_widget_section
from tasks.totango_sf.merge.org_default import (
    assign_org_default,
    org_default_page,
    overrides_only,
)
from tasks.totango_sf.merge.security_scope import network_access_only
from tasks.totango_sf.merge.widget import widget_section_for
from tasks.totango_sf.metadata.compare import org_copy_satisfies
from tasks.totango_sf.metadata.components import Component, components_from_mdapi, mdapi_files
from tasks.totango_sf.metadata.package_xml import package_member, package_xml
from tasks.totango_sf.metadata.xml import canonical_bytes
from tasks.totango_sf.org.ip_ranges_state import merged_security
from tasks.totango_sf.render.plan import NO_INTEGRATION_USER_WARNING, build_plan

DiffAction = Literal["create", "update", "unchanged"]
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


@dataclass(frozen=True)
class ComponentDiff:
    type: str
    name: str
    action: DiffAction
    summary: str = ""
    diff: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.type, self.name)

    def to_json(self, with_diff: bool = False) -> dict[str, Any]:
        data = {
            "type": self.type,
            "name": self.name,
            "action": self.action,
            "summary": self.summary,
        }
        if with_diff:
            data["diff"] = self.diff
        return data


@dataclass
class DesiredState:
    """Desired files per component, and how each compares with the org."""

    api_version: str
    diffs: list[ComponentDiff]
    # Components as Component objects, desired content (layouts/settings included).
    components: list[Component]
    originals: dict[str, bytes]  # the org's current layouts and Security.settings
    layouts: list[str]
    warnings: list[str] = field(default_factory=list)
    # Problems that stop a deploy before anything is sent (exit code 2).
    blocking: list[str] = field(default_factory=list)
    record_pages: record_page_plan.RecordPagePlan | None = None

    @property
    def changed(self) -> list[ComponentDiff]:
        return [d for d in self.diffs if d.action != "unchanged"]

    @property
    def in_sync(self) -> bool:
        return not self.changed

    def deploy_files(self) -> dict[str, bytes]:
        """The package of every changed component, package.xml included."""
        keys = {d.key for d in self.changed}
        chosen = [c for c in self.components if c.key in keys]
        files = mdapi_files(chosen)
        if SECURITY_PATH in files:
            # Only what the setup owns: the org's other security settings stay as they are.
            files[SECURITY_PATH] = network_access_only(files[SECURITY_PATH])
        files["package.xml"] = package_xml(
            [package_member(c.type, c.full_name) for c in chosen], self.api_version
        )
        return dict(sorted(files.items()))


def new_components(config: TotangoConfig) -> list[Component]:
    return build_plan(config).components


def referenced_pages(config: TotangoConfig, layouts: Mapping[str, str]) -> list[str]:
    return sorted({config.page_reference(obj) for obj in layouts.values()})


def retrieve_members(
    config: TotangoConfig, layouts: Mapping[str, str], layout_names: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """Everything one retrieve must bring back: what we deploy, patch or build on.

    ``layout_names``: every layout of the org; with record pages in play, the
    profiles come back with the assignments of the configured objects' layouts.
    """
    members = [package_member(c.type, c.full_name) for c in new_components(config)]
    members += [("Layout", name) for name in layouts]
    members += [("Settings", "Security")]
    members += [("CustomObject", obj) for obj in config.insights.objects]
    members += [("ApexPage", page) for page in referenced_pages(config, layouts)]
    pages = record_page_plan.retrieve_members(config)
    members += pages
    if pages:
        members += layout_audience.retrieve_members(config.insights.objects, layout_names)
    return sorted(set(members))


def covered_layouts(
    config: TotangoConfig, layouts: Iterable[str], retrieved: Mapping[str, bytes]
) -> set[str]:
    """Layouts that hold our section after this deploy: the patched ones, and any
    retrieved layout already showing a widget page."""
    pages = {config.page_reference(obj) for obj in config.insights.objects}
    return set(layouts) | layout_audience.layouts_showing(retrieved, pages)


def _component_files(component: Component) -> dict[str, bytes]:
    if component.type == "CustomField":
        return {f"objects/{component.full_name}": component.xml}
    return mdapi_files([component])


def _current_components(retrieved: Mapping[str, bytes]) -> dict[tuple[str, str], Component]:
    return {c.key: c for c in components_from_mdapi(retrieved)}


def _canonical(data: bytes | None) -> bytes | None:
    if data is None:
        return None
    try:
        return canonical_bytes(data)
    except Exception:  # noqa: BLE001 - a file we cannot parse compares as raw bytes
        return data


def _text_diff(path: str, before: bytes | None, after: bytes) -> str:
    old = (before or b"").decode("utf-8", "replace").splitlines(keepends=True)
    new = after.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(
        difflib.unified_diff(
            old, new, fromfile=f"org/{path}" if before else "/dev/null", tofile=f"desired/{path}"
        )
    )


def _compare(component: Component, current: Component | None, summary: str) -> ComponentDiff:
    desired_files = _component_files(component)
    current_files = _component_files(current) if current is not None else {}
    diffs = []
    for path, wanted in desired_files.items():
        have = current_files.get(path)
        if path.endswith(".page"):
            same = have is not None and have.strip() == wanted.strip()
            wanted_text, have_text = wanted, have
        else:
            wanted_text = _canonical(wanted) or b""
            have_text = _canonical(have)
            same = have is not None and org_copy_satisfies(have, wanted)
        if not same:
            diffs.append(_text_diff(path, have_text, wanted_text))
    if current is None:
        action: DiffAction = "create"
    else:
        action = "update" if diffs else "unchanged"
    return ComponentDiff(component.type, component.full_name, action, summary, "".join(diffs))


def object_path(sobject: str) -> str:
    return f"objects/{sobject}.object"


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
    return comp, _compare(comp, Component("CustomObject", sobject, before), comp.summary), before


def check_prerequisites(
    config: TotangoConfig,
    layouts: Mapping[str, str],
    retrieved: Mapping[str, bytes],
    deployed_pages: Iterable[str],
) -> None:
    problems = []
    for obj in config.insights.objects:
        if f"objects/{obj}.object" not in retrieved:
            problems.append(f"insights.objects: object {obj} does not exist in the org")
    shipped = set(deployed_pages)
    for page in referenced_pages(config, layouts):
        if page not in shipped and f"pages/{page}.page" not in retrieved:
            problems.append(
                f"widget: the layouts would show Visualforce page {page}, which is neither in"
                " the org nor in this deploy (is the Totango package installed?)"
            )
    if problems:
        raise OrgPrerequisiteMissing(problems)


def desired_state(
    config: TotangoConfig,
    layout_names: Iterable[str],
    retrieved: Mapping[str, bytes],
    legacy_claims: Mapping[str, LegacyClaim] | None = None,
) -> DesiredState:
    """Desired components and their diff against the org's ``retrieved`` files.

    ``legacy_claims``: where the last deploy put our component on pre-49.0 pages.
    """
    names = list(layout_names)
    layouts = config.matching_layouts(names)
    new = new_components(config)
    check_prerequisites(
        config, layouts, retrieved, [c.full_name for c in new if c.type == "ApexPage"]
    )
    warnings = [
        f"widget.layouts entry {p!r} matches no layout in the org"
        for p in config.unmatched_layout_patterns(names)
    ]
    if not config.integration.username:
        warnings.append(
            NO_INTEGRATION_USER_WARNING.format(permission_set=config.integration.permission_set)
        )
    blocking: list[str] = []
    current = _current_components(retrieved)
    report_folders_present = {
        c.full_name.split("/", 1)[0] for c in current.values() if c.type == "Report"
    }
    diffs: list[ComponentDiff] = []
    components: list[Component] = []
    for comp in new:
        have = current.get(comp.key)
        if (
            comp.type == "ReportFolder"
            and have is None
            and comp.full_name in report_folders_present
        ):
            # Folders come back in a retrieve only on some API versions; a report in
            # it proves the folder exists, and folders hold no setting we change.
            diffs.append(ComponentDiff(comp.type, comp.full_name, "unchanged", comp.summary))
        else:
            diffs.append(_compare(comp, have, comp.summary))
        components.append(comp)

    originals: dict[str, bytes] = {}
    for name, object_name in sorted(layouts.items()):
        path = f"layouts/{name}.layout"
        before = retrieved.get(path)
        if before is None:
            raise OrgPrerequisiteMissing([f"layout {name!r} was listed but not retrieved"])
        originals[path] = before
        section = widget_section_for(config, object_name)
        merged = add_widget_section(before, section)
        comp = Component(
            "Layout",
            name,
            merged,
            action="patch",
            summary=f"section '{section.label}' with page {section.page}",
        )
        diffs.append(_compare(comp, Component("Layout", name, before), comp.summary))
        components.append(comp)

    pages = record_page_plan.plan_record_pages(
        config,
        retrieved,
        [c.full_name for c in new if c.type == "ApexPage"],
        covered_layouts=covered_layouts(config, layouts, retrieved),
        legacy_claims=legacy_claims,
    )
    warnings += pages.warnings
    for name, merged in sorted(pages.merged.items()):
        before = pages.originals[name]
        originals[record_page_plan.flexipage_path(name)] = before
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
        diffs.append(_compare(comp, Component("FlexiPage", name, before), comp.summary))
        components.append(comp)
    for name, page in sorted(pages.created.items()):
        comp = Component(
            "FlexiPage", name, page, summary="new record page with Record Detail and the widget"
        )
        diffs.append(_compare(comp, current.get(comp.key), comp.summary))
        components.append(comp)
    for sobject, default_page in sorted(pages.org_defaults.items()):
        comp, diff, before = org_default_component(sobject, default_page, retrieved)
        originals[object_path(sobject)] = before
        diffs.append(diff)
        components.append(comp)

    security = merged_security(config, retrieved.get(SECURITY_PATH))
    if security is not None:
        originals[SECURITY_PATH] = security.before
        comp = Component("Settings", "Security", security.merged, action="patch",
                         summary=security.summary)  # fmt: skip
        diffs.append(
            _compare(comp, Component("Settings", "Security", security.before), comp.summary)
        )
        components.append(comp)
        warnings.extend(security.warnings)
        blocking.extend(security.blocking)
    return DesiredState(
        config.api_version, diffs, components, originals, sorted(layouts), warnings, blocking,
        pages,
    )  # fmt: skip
