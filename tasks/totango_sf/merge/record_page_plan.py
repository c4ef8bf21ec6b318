"""Per configured object: the record pages in use, whether the widget shows on each, and
the pages the widget component is merged into.

Pure: it takes the files one retrieve brought back (the objects, every Lightning
app, every FlexiPage, the referenced Visualforce pages, and the profiles with their
layout assignments) and decides. A page's state is judged without our own
component, so after a deploy the same pages are chosen again and the merge finds
nothing left to do.

A Record Detail shows our layout section only to users whose layout holds it
(``layout_audience``): a page counts as showing the widget through its layout only
when every layout its audience gets carries the section, now or after this deploy.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.config.names import object_stem
from tasks.totango_sf.merge.flexipage import (
    FlexiPagePatchError,
    LegacyClaim,
    PageFacts,
    RegionFull,
    WidgetComponent,
    add_widget_component,
    format_for,
    holds_our_component,
    page_facts,
    page_selected,
    place_widget_component,
    remove_widget_component,
    widget_component_state,
)
from tasks.totango_sf.merge.layout_audience import (
    Audience,
    LayoutAssignment,
    LayoutGap,
    layout_gaps,
    profile_assignments,
)
from tasks.totango_sf.merge.record_pages import PageAssignment, assignments, pages_in_use
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.render.files import render_xml

PageAction = Literal["add", "leave", "cannot", "create", "remove"]
# "partly": through the layout section, but some profiles get a layout without it.
Shows = Literal["component", "layout_section", "partly", "never"]


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
    # Who would get a layout without our section through this page's Record Detail.
    layout_gaps: tuple[LayoutGap, ...] = ()
    layouts_checked: bool = False
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
            "layouts_checked": self.layouts_checked,
            "layout_gaps": [g.describe() for g in self.layout_gaps],
            "becomes_org_default": self.becomes_org_default,
        }


@dataclass(frozen=True)
class RecordPageOwnership:
    """What of the record pages is ours, as recorded (``state/ownership.py``): the pages a
    deploy placed our component on, and the pages a deploy created."""

    pages: frozenset[str] = frozenset()
    created: frozenset[str] = frozenset()


@dataclass
class RecordPagePlan:
    rows: list[RecordPageRow] = field(default_factory=list)
    merged: dict[str, bytes] = field(default_factory=dict)  # page name -> desired file
    originals: dict[str, bytes] = field(default_factory=dict)  # page name -> org's file
    widgets: dict[str, WidgetComponent] = field(default_factory=dict)
    created: dict[str, bytes] = field(default_factory=dict)  # new page name -> file
    # Pre-49.0 pages: where our component sits once deployed (no identifier there).
    claims: dict[str, LegacyClaim] = field(default_factory=dict)
    # object -> the created page that is (to be) its org default
    org_defaults: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Problems that stop a deploy before anything is sent (a region already full).
    blocking: list[str] = field(default_factory=list)
    # Pages holding our component once deployed (True), or no longer (False).
    ours: dict[str, bool] = field(default_factory=dict)

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


def assignment_members(config: TotangoConfig) -> list[tuple[str, str]]:
    """The first read of the record-page plan: where record pages are assigned.

    Every Lightning app (app defaults, app + record type + profile assignments); the
    objects' org defaults come with the objects, which the caller retrieves anyway.
    No FlexiPage yet: which ones matter is known only once these are read.
    """
    if config.widget.record_pages == "none" and not config.widget.create_record_page.enabled:
        return []
    return [("CustomApplication", name) for name in ("*", *STANDARD_LIGHTNING_APPS)]


def page_members(config: TotangoConfig, retrieved: Mapping[str, bytes]) -> list[tuple[str, str]]:
    """The second read: only the FlexiPages the plan judges or merges.

    A record page matters here only when it is assigned to a configured object (the
    org default in the object file, an app's assignments) or is the page this setup
    creates; an org's other record pages, home and app pages, often thousands, are
    never retrieved. ``retrieved`` holds the objects and apps of the first read.
    """
    if not assignment_members(config):
        return []
    objects = {o: retrieved.get(f"objects/{o}.object") for o in config.insights.objects}
    names = {a.page for a in assignments(objects, _apps(retrieved)) if a.page is not None}
    if config.widget.create_record_page.enabled:
        names |= {created_page_name(o) for o in config.insights.objects}
    return [("FlexiPage", name) for name in sorted(names)]


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
    covered_layouts: Collection[str] | None = None,
    legacy_claims: Mapping[str, LegacyClaim] | None = None,
    owned: RecordPageOwnership | None = None,
) -> RecordPagePlan:
    """The record-page rows of every configured object, and the merged pages.

    ``local_project``: the files come from a project folder. When it holds no
    assignment (no app or object override), each of its record pages of a
    configured object counts as in use; no system default is reported (the org's
    is not in the folder).

    ``covered_layouts``: the layouts that hold our section, now or after this
    deploy. With it and the retrieved profiles, a Record Detail counts as showing
    the widget only for an audience whose every layout is covered; without either,
    layouts are not checked.

    ``legacy_claims``: page name -> where an earlier deploy put our component on a
    pre-49.0 page; there, only a claimed component is ours.

    ``owned``: the pages a deploy placed our component on or created. A component with
    our identifier on another page, or a page with our created page's name that no
    deploy created, is the admin's and is left as it is. None (a local project, no
    record): the identifier and the name count.
    """
    plan = RecordPagePlan()
    claims = dict(legacy_claims or {})
    check = LayoutCheck(profile_assignments(retrieved), covered_layouts)
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
        name = created_page_name(sobject)
        if creating and flexipage_path(name) in retrieved and not _created_by_us(owned, name):
            creating = False
            plan.warnings.append(
                f"record pages of {sobject}: a record page named {name} exists and was not"
                " made by this setup: left as it is, and none is created"
            )
        for assignment in (a for a in found if a.sobject == sobject and a.page is None):
            replaced = ""
            if creating:
                row = _created(plan, config, sobject, widget, assignment)
                plan.rows.append(row)
                if row.becomes_org_default:
                    replaced = f"; replaced as the org default by {row.page}"
            plan.rows.append(_system_default_row(sobject, assignment, check, replaced))
        for page in sorted(p for p, a in by_page.items() if a[0].sobject == sobject):
            if creating and page == created_page_name(sobject) and _created_by_us(owned, page):
                if page in plan.created:  # already listed beside the system default
                    continue
                # Ours from an earlier deploy, in use (the org default): still the page
                # this setup creates, not an admin's page to add a component to.
                plan.rows.append(_created(plan, config, sobject, widget, None, by_page[page]))
                continue
            plan.rows.append(
                _row(
                    plan,
                    page,
                    tuple(by_page[page]),
                    _ObjectPages(widget, selection, unusable, check),
                    config,
                    retrieved,
                    claims.get(page),
                    owned is None or page in owned.pages,
                )
            )
        if creating and not local_project:
            _org_default_taken(plan, config, sobject, widget, retrieved)
    if owned is not None:
        _owned_elsewhere(plan, config, retrieved, owned, claims)
    return plan


def _owned_elsewhere(
    plan: RecordPagePlan,
    config: TotangoConfig,
    retrieved: Mapping[str, bytes],
    owned: RecordPageOwnership,
    claims: Mapping[str, LegacyClaim],
) -> None:
    """Pages a deploy put our component on that no row above covers (no longer assigned
    where this plan looks, ``widget.record_pages: none``): our component comes out."""
    covered = {row.page for row in plan.rows}
    for page in sorted(owned.pages - covered - set(plan.created)):
        data = retrieved.get(flexipage_path(page))
        if data is None:
            continue
        try:
            sobject = (parse_xml(data).findtext("{*}sobjectType") or "").strip()
            widget = widget_component_for(config, sobject)
            if widget_component_state(data, widget, claims.get(page)).status == "missing":
                continue
            without = remove_widget_component(data, widget, claims.get(page))
        except FlexiPagePatchError:
            continue
        plan.merged[page] = without
        plan.originals[page] = data
        plan.widgets[page] = widget
        plan.ours[page] = False
        plan.rows.append(
            RecordPageRow(
                sobject,
                page,
                (),
                "component",
                "remove",
                "ours, on a page widget.record_pages no longer selects: remove our component",
            )  # fmt: skip
        )


def _created_by_us(owned: RecordPageOwnership | None, page: str) -> bool:
    return owned is None or page in owned.created


@dataclass(frozen=True)
class LayoutCheck:
    """The profiles' layout assignments and the layouts holding our section."""

    assignments: list[LayoutAssignment] | None
    covered: Collection[str] | None

    @property
    def checked(self) -> bool:
        return self.assignments is not None and self.covered is not None

    def gaps(self, assigned: tuple[PageAssignment, ...]) -> tuple[LayoutGap, ...]:
        """Who, among the users of these assignments, gets a layout without our section."""
        if self.assignments is None or self.covered is None or not assigned:
            return ()
        audiences = [_audience(a) for a in assigned]
        return layout_gaps(self.assignments, assigned[0].sobject, audiences, self.covered)


def _audience(assignment: PageAssignment) -> Audience:
    # Org and app defaults reach every profile and record type (the profile
    # assignments that take precedence over them are counted as well: the
    # cautious reading, which can only add our component where it may be needed).
    if assignment.level == "app_record_type_profile":
        return Audience(assignment.profile, assignment.record_type)
    return Audience()


# A reason names this many gaps at most; the row's layout_gaps lists them all. In a large
# org one page's audience can miss our section for thousands of profile and record type
# pairs, and a reason is a line a person reads.
GAPS_IN_REASON = 5


def _gaps_text(gaps: tuple[LayoutGap, ...]) -> str:
    shown = "; ".join(g.describe() for g in gaps[:GAPS_IN_REASON])
    more = len(gaps) - GAPS_IN_REASON
    return f"{shown}; and {more} more (layout_gaps lists them)" if more > 0 else shown


def _system_default_row(
    sobject: str, assignment: PageAssignment, check: LayoutCheck, replaced: str = ""
) -> RecordPageRow:
    gaps = check.gaps((assignment,))
    if gaps:
        return RecordPageRow(
            sobject,
            None,
            (assignment,),
            "partly",
            "leave",
            "the system default page shows the layout (Record Detail) and cannot be edited;"
            f" these users get a layout without our section: {_gaps_text(gaps)}{replaced}",
            layout_gaps=gaps,
            layouts_checked=True,
        )
    return RecordPageRow(
        sobject,
        None,
        (assignment,),
        "layout_section",
        "leave",
        f"the system default page shows the layout (Record Detail); it cannot be edited{replaced}",
        layouts_checked=check.checked,
    )


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
    created = f"users see {system_default.where}'s system page; created with Record Detail and the"
    if assigns:
        plan.warnings.append(
            f"widget.create_record_page.assign_org_default: {name} becomes the org default"
            f" record page of {sobject}, which every user of {sobject} sees where no app or"
            " app + record type + profile assignment applies"
        )
        reason = (
            f"{created} widget, and made the org default: every user of {sobject} sees it"
            " where no app or profile assignment applies"
        )
    else:
        reason = f"{created} widget, not assigned: activate it in Lightning App Builder"
    return RecordPageRow(sobject, name, (), "never", "create", reason, becomes_org_default=assigns)


@dataclass(frozen=True)
class _ObjectPages:
    """What every page of one object is judged by: our component, the pages selected,
    why none can be used (if so), and the layouts' audience check."""

    widget: WidgetComponent
    selection: str | list[str]
    unusable: str | None
    check: LayoutCheck


def _row(
    plan: RecordPagePlan,
    page: str,
    assigned: tuple[PageAssignment, ...],
    page_of: _ObjectPages,
    config: TotangoConfig,
    retrieved: Mapping[str, bytes],
    claim: LegacyClaim | None = None,
    mine: bool = True,
) -> RecordPageRow:
    """``mine``: a deploy of ours placed the component on this page (see ``_owned``)."""
    sobject = assigned[0].sobject
    data = retrieved.get(flexipage_path(page))
    if data is None:
        return RecordPageRow(
            sobject, page, assigned, "never", "cannot", "assigned, but not retrievable (managed?)"
        )
    try:
        facts = page_facts(
            remove_widget_component(data, page_of.widget, claim, mine), page_of.widget.page
        )
    except FlexiPagePatchError as exc:
        return RecordPageRow(sobject, page, assigned, "never", "cannot", str(exc))
    gaps = page_of.check.gaps(assigned) if facts.widget == "layout_section" else ()
    shows: Shows = "partly" if gaps else ("never" if facts.widget == "none" else facts.widget)

    def row(action: PageAction, reason: str) -> RecordPageRow:
        return RecordPageRow(
            sobject,
            page,
            assigned,
            shows,
            action,
            reason,
            facts,
            layout_gaps=gaps,
            layouts_checked=page_of.check.checked,
        )

    # Under auto, a Record Detail that shows some users a layout without our
    # section no longer counts as showing the widget.
    if not (
        page_selected(page, page_of.selection, facts) or (page_of.selection == "auto" and gaps)
    ):
        reason = _left_alone(facts, page_of.selection, page_of.check.checked, gaps)
        without = remove_widget_component(data, page_of.widget, claim, mine)
        if widget_component_state(data, page_of.widget, claim, mine).status != "missing":
            # Ours from an earlier selection: take it out, so the org follows the config.
            plan.merged[page] = without
            plan.originals[page] = data
            plan.widgets[page] = page_of.widget
            plan.ours[page] = False
            return row("remove", f"{reason}: remove our component")
        return row("leave", reason)
    if page_of.unusable:
        return row("cannot", page_of.unusable)
    try:
        merged, placed = place_widget_component(
            data, page_of.widget, config.api_version, claim, mine
        )
    except RegionFull as exc:
        # A deploy would fail on this page: stop before anything is sent.
        plan.blocking.append(f"record page {page}: {exc}")
        return row("cannot", str(exc))
    except FlexiPagePatchError as exc:
        return row("cannot", str(exc))
    if placed is not None:
        plan.claims[page] = placed
    if (mine or merged != data) and holds_our_component(merged, page_of.widget, placed or claim):
        plan.ours[page] = True
    plan.merged[page] = merged
    plan.originals[page] = data
    plan.widgets[page] = page_of.widget
    why = "no Record Detail component" if facts.widget == "none" else "selected"
    if gaps:
        why = f"the Record Detail shows a layout without our section to {_gaps_text(gaps)}"
    return row("add", f"{why}: add the component")


def _left_alone(
    facts: PageFacts, selection: str | list[str], checked: bool, gaps: tuple[LayoutGap, ...]
) -> str:
    if gaps:
        return f"not selected by widget.record_pages ({selection}); missed by {_gaps_text(gaps)}"
    if facts.widget == "component":
        return "the page shows the widget through a Visualforce component this setup did not place"
    if facts.widget == "layout_section":
        if checked:
            return "every layout its users get holds the section (Record Detail)"
        return "the layout section shows in the Record Detail component"
    return f"not selected by widget.record_pages ({selection})"
