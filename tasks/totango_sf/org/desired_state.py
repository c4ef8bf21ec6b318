"""What the org should hold, computed from the config and the org's current files.

Pure functions: the caller retrieves, these decide. New components come from the
plan; layouts and Security.settings are the org's own files with the widget
section and the trusted ranges merged in (a deploy replaces the whole file, so
nothing is ever written from a template alone). Each kind of component has its own
builder (``org/component_parts.py``); each component is compared with the org's copy
in canonical form (``org/component_diff.py``), so re-running on a set-up org finds
nothing to deploy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.merge import layout_audience, record_page_plan
from tasks.totango_sf.merge.flexipage import LegacyClaim
from tasks.totango_sf.merge.security_scope import network_access_only
from tasks.totango_sf.metadata.components import Component, mdapi_files
from tasks.totango_sf.metadata.package_xml import package_member, package_xml
from tasks.totango_sf.org.component_diff import ComponentDiff, current_components
from tasks.totango_sf.org.component_parts import (
    SECURITY_PATH,
    OrgPrerequisiteMissing,
    layouts_part,
    new_components_part,
    object_path,
    org_defaults_part,
    record_pages_part,
    security_part,
)
from tasks.totango_sf.org.known_bad import known_bad_warnings
from tasks.totango_sf.render.plan import NO_INTEGRATION_USER_WARNING, build_plan
from tasks.totango_sf.state.ownership import DeployRecord, Ownership

__all__ = ["SECURITY_PATH", "ComponentDiff", "OrgPrerequisiteMissing", "object_path"]


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
    # What of it is ours once deployed: sections, ranges (``state/ownership.py``).
    record: DeployRecord = field(default_factory=DeployRecord)

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
    config: TotangoConfig,
    layouts: Mapping[str, str],
    layout_names: Iterable[str] = (),
    owned_layouts: Iterable[str] = (),
    owned_pages: Iterable[str] = (),
) -> list[tuple[str, str]]:
    """The first read: what we deploy, patch or build on, and where record pages are
    assigned. Each member, and why it is retrieved:

    - each new component (fields, permission set, pages...): compared with ours, so a
      set-up org gets nothing deployed;
    - each matched layout and Security.settings: merged (a deploy replaces the file);
    - each configured object (``CustomObject``): that it exists, its org default
      record page (``actionOverrides``, which no smaller member holds) and its record
      types' names. It brings every field and list view along: no profile is in this
      read, so that costs the object file alone, not a copy of each field's
      permissions in every profile;
    - each Visualforce page the layouts show: that it exists;
    - with record pages in play, every Lightning app: where record pages are assigned.

    The FlexiPages and profiles come in a second read (``later_members``), named from
    this one. ``layout_names``: every layout of the org. ``owned_layouts``: layouts
    holding a section of ours (``state/ownership.py``), which the config may no longer
    select; ``owned_pages``: record pages holding our component, likewise.
    """
    names = set(layout_names)
    members = [package_member(c.type, c.full_name) for c in new_components(config)]
    members += [("Layout", name) for name in layouts]
    members += [("Layout", name) for name in owned_layouts if name in names]
    members += [("Settings", "Security")]
    members += [("CustomObject", obj) for obj in config.insights.objects]
    members += [("ApexPage", page) for page in referenced_pages(config, layouts)]
    members += record_page_plan.assignment_members(config)
    # Record pages holding our component, which the config may no longer select.
    members += [("FlexiPage", name) for name in owned_pages]
    return sorted(set(members))


def later_members(
    config: TotangoConfig, retrieved: Mapping[str, bytes], layout_names: Iterable[str]
) -> list[tuple[str, str]]:
    """The second read, with record pages in play: each member, and why.

    - each FlexiPage assigned to a configured object, and the page this setup creates
      (``record_page_plan.page_members``): judged and merged; no other page;
    - every profile, with every layout of the objects and each of their record types
      named, no object: the profiles' layout assignments say which users get a layout
      without our section (``layout_audience``), and they come back only with those
      layouts and record types in the same retrieve.
    """
    pages = record_page_plan.page_members(config, retrieved)
    if not record_page_plan.assignment_members(config):
        return []
    record_types = [
        name
        for obj in config.insights.objects
        for name in layout_audience.record_type_names(retrieved.get(object_path(obj)), obj)
    ]
    audience = layout_audience.retrieve_members(config.insights.objects, layout_names, record_types)
    return sorted({*pages, *audience})


def covered_layouts(
    config: TotangoConfig, layouts: Iterable[str], retrieved: Mapping[str, bytes]
) -> set[str]:
    """Layouts that show the widget after this deploy: ``layouts`` (ours, or covered by a
    section made by hand), and any retrieved layout already showing a widget page."""
    pages = {config.page_reference(obj) for obj in config.insights.objects}
    return set(layouts) | layout_audience.layouts_showing(retrieved, pages)


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
    ownership: Ownership | None = None,
    adopt: bool = False,
) -> DesiredState:
    """Desired components and their diff against the org's ``retrieved`` files.

    ``legacy_claims``: where the last deploy put our component on pre-49.0 pages.
    ``ownership``: what of the setup is ours (``state/ownership.py``); without it nothing
    in the org is. ``adopt``: sections, ranges and components made by hand become ours.
    """
    owned = ownership or Ownership()
    names = list(layout_names)
    layouts = config.matching_layouts(names)
    new = new_components(config)
    shipped_pages = [c.full_name for c in new if c.type == "ApexPage"]
    check_prerequisites(config, layouts, retrieved, shipped_pages)
    warnings = [
        f"widget.layouts entry {p!r} matches no layout in the org"
        for p in config.unmatched_layout_patterns(names)
    ]
    if not config.integration.username:
        warnings.append(
            NO_INTEGRATION_USER_WARNING.format(permission_set=config.integration.permission_set)
        )
    current = current_components(retrieved)
    layout_part = layouts_part(config, layouts, retrieved, owned.sections, adopt)
    # The layouts as this deploy leaves them: one it takes our section out of no longer
    # shows the widget.
    after = {
        **retrieved,
        **{f"layouts/{c.full_name}.layout": c.xml for c in layout_part.components},
    }
    pages = record_page_plan.plan_record_pages(
        config,
        retrieved,
        shipped_pages,
        covered_layouts=covered_layouts(config, layout_part.covered, after),
        legacy_claims=legacy_claims,
        owned=record_page_ownership(ownership),
    )
    parts = [
        new_components_part(new, current, {*owned.components, *owned.adopted_components}, adopt),
        layout_part,
        record_pages_part(pages, current),
        org_defaults_part(pages, retrieved),
        security_part(config, retrieved, owned.live_ranges, adopt),
    ]
    state = DesiredState(config.api_version, [], [], {}, sorted(layouts), warnings, [], pages)
    state.record.adopt = adopt
    for part in parts:
        state.components += part.components
        state.diffs += part.diffs
        state.originals.update(part.originals)
        state.warnings += part.warnings
        state.blocking += part.blocking
        state.record.sections.update(part.record.sections)
        state.record.left.update(part.record.left)
        state.record.ranges_created += part.record.ranges_created
        state.record.ranges_adopted += part.record.ranges_adopted
        state.record.ranges_removed += part.record.ranges_removed
        state.record.record_pages.update(part.record.record_pages)
        state.record.components_adopted += part.record.components_adopted
    state.warnings += stale_components(config, owned, new)
    state.blocking += pages.blocking
    state.warnings += known_bad_warnings(state.deploy_files(), state.originals)
    return state


def record_page_ownership(
    ownership: Ownership | None,
) -> record_page_plan.RecordPageOwnership | None:
    """The record pages of ours; None without a record at all (tests, older callers)."""
    if ownership is None:
        return None
    created = frozenset(name for kind, name in ownership.components if kind == "FlexiPage")
    return record_page_plan.RecordPageOwnership(frozenset(ownership.record_pages), created)


def stale_components(
    config: TotangoConfig, ownership: Ownership, new: Iterable[Component]
) -> list[str]:
    """Components of ours (created by a deploy) that the config no longer makes: a deploy
    never deletes a component, so they stay until ``rollback --remove-components``."""
    wanted = {c.key for c in new}
    return [
        f"{kind} {name}: created by this setup (snapshot {snapshot}), no longer configured;"
        " it stays in the org until `totango-sf rollback --remove-components` deletes it"
        for (kind, name), snapshot in sorted(ownership.components.items())
        if (kind, name) not in wanted and kind != "FlexiPage"
    ]
