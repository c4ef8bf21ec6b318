"""Per configured object: the record pages in use, whether the widget shows on each, and
the pages the widget component is merged into.

Pure: it takes the files one retrieve brought back (the objects, every Lightning
app, every FlexiPage and the referenced Visualforce pages) and decides. A page's
state is judged without our own component, so after a deploy the same pages are
chosen again and the merge finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.config.names import object_stem
from tasks.totango_sf.merge.flexipage import (
    FlexiPagePatchError,
    PageFacts,
    WidgetComponent,
    add_widget_component,
    format_for,
    page_facts,
    page_selected,
    remove_widget_component,
    widget_component_state,
)
from tasks.totango_sf.merge.record_pages import PageAssignment, assignments, pages_in_use
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.render.files import render_xml

PageAction = Literal["add", "leave", "cannot", "create", "remove"]
Shows = Literal["component", "layout_section", "never"]


@dataclass(frozen=True)
class RecordPageRow:
    """One record page in use (or a system default) of one object."""

    sobject: str
    page: str | None
    assigned: tuple[PageAssignment, ...]
    shows: Shows  # today, before this deploy
    action: PageAction
    reason: str
    facts: PageFacts | None = None
    # A page this setup creates that the deploy also makes the object's org default.
    becomes_org_default: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "object": self.sobject,
            "page": self.page or "(system default)",
            "assigned": [a.where for a in self.assigned],
            "widget_shows": self.shows,
            "action": self.action,
            "reason": self.reason,
            "dynamic_forms": self.facts.dynamic_forms if self.facts else None,
            "becomes_org_default": self.becomes_org_default,
        }


@dataclass
class RecordPagePlan:
    rows: list[RecordPageRow] = field(default_factory=list)
    merged: dict[str, bytes] = field(default_factory=dict)  # page name -> desired file
    originals: dict[str, bytes] = field(default_factory=dict)  # page name -> org's file
    widgets: dict[str, WidgetComponent] = field(default_factory=dict)
    created: dict[str, bytes] = field(default_factory=dict)  # new page name -> file
    # object -> the created page that is (to be) its org default
    org_defaults: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> list[dict[str, Any]]:
        return [row.to_json() for row in self.rows]

    def action_of(self, page: str) -> PageAction | None:
        return next((row.action for row in self.rows if row.page == page), None)


def widget_component_for(config: TotangoConfig, object_name: str) -> WidgetComponent:
    return WidgetComponent(
        page=config.page_reference(object_name),
        height=config.widget.height,
        label=config.widget.section_label,
        region=config.widget.record_page_region,
        position=config.widget.record_page_position,
    )


def flexipage_path(name: str) -> str:
    return f"flexipages/{name}.flexipage"


# The wildcard does not reach standard components: "using the wildcard with the
# CustomObject type name will not retrieve standard objects" (Metadata API Developer
# Guide, "Specifying all Components of a Type"). Standard Lightning apps, where
# record-page assignments often live, are therefore named as well; a name the org
# lacks only adds a retrieve warning. Names as they appear in public retrieved
# orgs' application lists.
STANDARD_LIGHTNING_APPS = (
    "standard__LightningSales",
    "standard__LightningSalesConsole",
    "standard__LightningService",
    "standard__ServiceConsole",
    "standard__Marketing",
    "standard__Platform",
    "standard__OnlineSales",
    "standard__SalesCloudMobile",
)


def retrieve_members(config: TotangoConfig) -> list[tuple[str, str]]:
    """What the record-page plan needs from the org: every app and every FlexiPage.

    The ``*`` wildcard brings custom apps and pages back in the same retrieve as the
    rest; standard apps are named (see above).
    """
    if config.widget.record_pages == "none" and not config.widget.create_record_page.enabled:
        return []
    apps = [("CustomApplication", name) for name in ("*", *STANDARD_LIGHTNING_APPS)]
    return [*apps, ("FlexiPage", "*")]


def _apps(retrieved: Mapping[str, bytes]) -> dict[str, bytes]:
    return {
        path[len("applications/") : -len(".app")]: data
        for path, data in retrieved.items()
        if path.startswith("applications/") and path.endswith(".app")
    }


def _page_available_in_touch(retrieved: Mapping[str, bytes], page: str) -> bool | None:
    meta = retrieved.get(f"pages/{page}.page-meta.xml")
    if meta is None:
        return None
    return (parse_xml(meta).findtext("{*}availableInTouch") or "false").strip() == "true"


def _unassigned_record_pages(
    retrieved: Mapping[str, bytes], objects: Collection[str], known: Collection[str]
) -> list[PageAssignment]:
    found = []
    for path, data in sorted(retrieved.items()):
        if not (path.startswith("flexipages/") and path.endswith(".flexipage")):
            continue
        name = path[len("flexipages/") : -len(".flexipage")]
        root = parse_xml(data)
        if name in known or (root.findtext("{*}type") or "").strip() != "RecordPage":
            continue
        sobject = (root.findtext("{*}sobjectType") or "").strip()
        if sobject in objects:
            found.append(PageAssignment(sobject, name, "unassigned_here"))
    return found


def plan_record_pages(
    config: TotangoConfig,
    retrieved: Mapping[str, bytes],
    shipped_pages: Collection[str] = (),
    *,
    local_project: bool = False,
) -> RecordPagePlan:
    """The record-page rows of every configured object, and the merged pages.

    ``local_project``: the files come from a project folder. When it holds no
    assignment (no app or object override), each of its record pages of a
    configured object counts as in use; no system default is reported (the org's
    is not in the folder).
    """
    plan = RecordPagePlan()
    selection = config.widget.record_pages
    objects = {o: retrieved.get(f"objects/{o}.object") for o in config.insights.objects}
    found = assignments(objects, _apps(retrieved))
    if local_project:
        found = [a for a in found if a.page is not None]
        if not found:
            found = _unassigned_record_pages(retrieved, objects, ())
    by_page = pages_in_use(found)
    for sobject in config.insights.objects:
        widget = widget_component_for(config, sobject)
        unusable = None
        if (
            widget.page not in shipped_pages
            and _page_available_in_touch(retrieved, widget.page) is False
        ):
            unusable = (
                f"Visualforce page {widget.page} is not available in Lightning"
                " (availableInTouch false) and is not ours to change"
            )
            plan.warnings.append(f"record pages of {sobject}: {unusable}")
        creating = config.widget.create_record_page.enabled and not unusable
        for assignment in (a for a in found if a.sobject == sobject and a.page is None):
            replaced = ""
            if creating:
                row = _created(plan, config, sobject, widget, assignment)
                plan.rows.append(row)
                if row.becomes_org_default:
                    replaced = f"; replaced as the org default by {row.page}"
            plan.rows.append(
                RecordPageRow(
                    sobject,
                    None,
                    (assignment,),
                    "layout_section",
                    "leave",
                    "the system default page shows the layout (Record Detail); it cannot be"
                    f" edited{replaced}",
                )
            )
        for page in sorted(p for p, a in by_page.items() if a[0].sobject == sobject):
            if creating and page == created_page_name(sobject):
                if page in plan.created:  # already listed beside the system default
                    continue
                # Ours from an earlier deploy, in use (the org default): still the page
                # this setup creates, not an admin's page to add a component to.
                plan.rows.append(_created(plan, config, sobject, widget, None, by_page[page]))
                continue
            plan.rows.append(
                _row(
                    plan, page, tuple(by_page[page]), widget, selection, config, retrieved, unusable
                )
            )
        if creating and not local_project:
            _org_default_taken(plan, config, sobject, widget, retrieved)
    return plan


def _org_default_taken(
    plan: RecordPagePlan,
    config: TotangoConfig,
    sobject: str,
    widget: WidgetComponent,
    retrieved: Mapping[str, bytes],
) -> None:
    """Our page exists and is to be the org default, but another page took its place
    since the deploy: drift, which a deploy corrects (the flag asks for our page)."""
    name = created_page_name(sobject)
    if name in plan.created or flexipage_path(name) not in retrieved:
        return
    if not config.widget.create_record_page.assigns(sobject):
        return
    row = _created(plan, config, sobject, widget, None)
    plan.rows.append(row)
    plan.warnings.append(
        f"record page {name}, created by this setup, is no longer the org default of"
        f" {sobject}; widget.create_record_page.assign_org_default makes it the org default"
        " again on deploy"
    )


def created_page_name(sobject: str) -> str:
    return f"{object_stem(sobject)}_Totango_Record_Page"


def _created(
    plan: RecordPagePlan,
    config: TotangoConfig,
    sobject: str,
    widget: WidgetComponent,
    system_default: PageAssignment | None,
    assigned: Collection[PageAssignment] = (),
) -> RecordPageRow:
    """The page this setup creates for an object on the system default.

    It stays unassigned unless ``widget.create_record_page.assign_org_default``
    says otherwise: making it the org default changes what every user of the
    object sees. ``system_default`` is None when the page already exists and is
    in use (``assigned``), from an earlier deploy.
    """
    name = created_page_name(sobject)
    if format_for(config.api_version) != "current":
        reason = f"a new page needs API 49.0 or later (api_version is {config.api_version})"
        plan.warnings.append(f"record page {name} not created: {reason}")
        return RecordPageRow(sobject, name, (), "never", "cannot", reason)
    page = render_xml(
        "record_page.flexipage.xml.j2", label=f"{sobject} Record Page (Totango)", sobject=sobject
    )
    plan.created[name] = add_widget_component(page, widget, config.api_version)
    plan.widgets[name] = widget
    assigns = config.widget.create_record_page.assigns(sobject)
    if assigns:
        plan.org_defaults[sobject] = name
    is_default = any(a.level == "org_default" for a in assigned)
    if system_default is None:
        where = "; ".join(a.where for a in assigned)
        reason = f"created by this setup, in use ({where})"
        if is_default and not assigns:
            plan.warnings.append(
                f"record page {name}, created by this setup, is the org default of {sobject},"
                " but widget.create_record_page.assign_org_default no longer assigns it: it"
                " stays assigned; rollback or Lightning App Builder takes it back"
            )
        return RecordPageRow(
            sobject, name, tuple(assigned), "component", "create", reason,
            becomes_org_default=assigns and not is_default,
        )  # fmt: skip
    if not assigns:
        return RecordPageRow(
            sobject,
            name,
            (),
            "never",
            "create",
            f"users see {system_default.where}'s system page; created with Record Detail and the"
            " widget, not assigned: activate it in Lightning App Builder",
        )
    plan.warnings.append(
        f"widget.create_record_page.assign_org_default: {name} becomes the org default record"
        f" page of {sobject}, which every user of {sobject} sees where no app or app + record"
        " type + profile assignment applies"
    )
    return RecordPageRow(
        sobject,
        name,
        (),
        "never",
        "create",
        f"users see {system_default.where}'s system page; created with Record Detail and the"
        f" widget, and made the org default: every user of {sobject} sees it where no app or"
        " profile assignment applies",
        becomes_org_default=True,
    )


def _row(
    plan: RecordPagePlan,
    page: str,
    assigned: tuple[PageAssignment, ...],
    widget: WidgetComponent,
    selection: str | list[str],
    config: TotangoConfig,
    retrieved: Mapping[str, bytes],
    unusable: str | None,
) -> RecordPageRow:
    sobject = assigned[0].sobject
    data = retrieved.get(flexipage_path(page))
    if data is None:
        return RecordPageRow(
            sobject, page, assigned, "never", "cannot", "assigned, but not retrievable (managed?)"
        )
    try:
        facts = page_facts(remove_widget_component(data, widget), widget.page)
    except FlexiPagePatchError as exc:
        return RecordPageRow(sobject, page, assigned, "never", "cannot", str(exc))
    shows: Shows = "never" if facts.widget == "none" else facts.widget
    if not page_selected(page, selection, facts):
        reason = (
            "the layout section shows in the Record Detail component"
            if facts.widget == "layout_section"
            else f"not selected by widget.record_pages ({selection})"
        )
        without = remove_widget_component(data, widget)
        if widget_component_state(data, widget).status != "missing":
            # Ours from an earlier selection: take it out, so the org follows the config.
            plan.merged[page] = without
            plan.originals[page] = data
            plan.widgets[page] = widget
            return RecordPageRow(
                sobject, page, assigned, shows, "remove", f"{reason}: remove our component", facts
            )
        return RecordPageRow(sobject, page, assigned, shows, "leave", reason, facts)
    if unusable:
        return RecordPageRow(sobject, page, assigned, shows, "cannot", unusable, facts)
    try:
        merged = add_widget_component(data, widget, config.api_version)
    except FlexiPagePatchError as exc:
        return RecordPageRow(sobject, page, assigned, shows, "cannot", str(exc), facts)
    plan.merged[page] = merged
    plan.originals[page] = data
    plan.widgets[page] = widget
    why = "no Record Detail component" if facts.widget == "none" else "selected"
    return RecordPageRow(sobject, page, assigned, shows, "add", f"{why}: add the component", facts)
