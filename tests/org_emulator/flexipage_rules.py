"""FlexiPage deploy rules that depend on the deploy's API version and on the org.

The schema this emulator validates with is API 63.0, which has no
``componentInstances``; an org at an older API version accepts that pre-49.0
form. So a FlexiPage is schema-checked in the form of the deploy's version, and
the version rules below are reported in the org's words.
"""

from __future__ import annotations

import copy

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.xml import canonical_bytes
from tests.org_emulator.schema_check import Problem, check_document
from tests.org_emulator.state import MD_NS, OrgState

_M = f"{{{MD_NS}}}"
LEGACY_UNTIL = 49  # componentInstances valid before API 49.0
IDENTIFIER_FROM = 53  # identifier required from API 53.0 (Winter '22)


def _major(version: str) -> int:
    return int(float(version))


def _as_current(data: bytes) -> bytes:
    """The pre-49.0 page in today's form, so the 63.0 schema checks everything else."""
    root = parse_xml(data)
    for legacy in list(root.iter(f"{_M}componentInstances")):
        item = legacy.makeelement(f"{_M}itemInstances")
        legacy.addprevious(item)
        inner = copy.deepcopy(legacy)
        inner.tag = f"{_M}componentInstance"
        if inner.find(f"{_M}identifier") is None:
            # Not required before 53.0; a stand-in keeps the 63.0 schema quiet.
            name = inner.find(f"{_M}componentName")
            stand_in = inner.makeelement(f"{_M}identifier")
            stand_in.text = "legacy"
            (name if name is not None else inner[-1]).addnext(stand_in)
        item.append(inner)
        legacy.getparent().remove(legacy)  # type: ignore[union-attr]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def schema_problems(data: bytes, version: str) -> list[Problem]:
    try:
        root = parse_xml(data)
    except etree.XMLSyntaxError:
        return check_document(data, "FlexiPage")
    legacy = list(root.iter(f"{_M}componentInstances"))
    if legacy and _major(version) >= LEGACY_UNTIL:
        # Recorded org response (public, Appirio/Health-Cloud-Sfdx-Template issue 12):
        # "Property 'componentInstances' not valid in version 49.0 (3:23)".
        return [
            Problem(
                el.sourceline or 1,
                1,
                f"Property 'componentInstances' not valid in version {version}",
            )
            for el in legacy[:1]
        ]
    items = list(root.iter(f"{_M}itemInstances"))
    if items and _major(version) < LEGACY_UNTIL:
        # The same rule the other way: itemInstances arrived with 49.0
        # (Metadata API Developer Guide, "FlexiPage", FlexiPageRegion.itemInstances).
        first = items[0]
        return [
            Problem(
                first.sourceline or 1, 1, f"Property 'itemInstances' not valid in version {version}"
            )
        ]
    return check_document(_as_current(data) if legacy else data, "FlexiPage")


def _properties(component: etree._Element) -> dict[str, str]:
    return {
        (p.findtext(f"{_M}name") or "").strip(): (p.findtext(f"{_M}value") or "").strip()
        for p in component.findall(f"{_M}componentInstanceProperties")
    }


def check_flexipage(view: OrgState, data: bytes, version: str) -> list[Problem]:
    root = parse_xml(data)
    problems = []
    for component in root.iter(f"{_M}componentInstance", f"{_M}componentInstances"):
        name = (component.findtext(f"{_M}componentName") or "").strip()
        if (
            component.tag == f"{_M}componentInstance"
            and _major(version) >= IDENTIFIER_FROM
            and not (component.findtext(f"{_M}identifier") or "").strip()
        ):
            # Winter '22 (API 53.0) made the identifier required: public record in
            # tsalb/lwc-utils pull request 114 ("flexipages now need an 'identifier'
            # tag next to 'componentName'"). The wording here is ours.
            problems.append(
                Problem(component.sourceline or 1, 1, f"The {name} component needs an identifier")
            )
        if name != "flexipage:visualforcePage":
            continue
        page = _properties(component).get("pageName", "")
        meta = view.metadata_xml("ApexPage", page) if page else None
        if meta is None:
            # Salesforce names a missing reference "In field: X - no T named N found"
            # (for example "In field: flexiPage - no FlexiPage named Apex found",
            # trailheadapps/lwc-recipes issue 586).
            problems.append(
                Problem(
                    component.sourceline or 1,
                    1,
                    f"In field: pageName - no ApexPage named {page} found",
                )
            )
            continue
        touch = (parse_xml(meta).findtext(f"{_M}availableInTouch") or "false").strip()
        if touch != "true":
            # Salesforce Help, "Standard Lightning Page Components", Visualforce: only
            # pages with "Available for Lightning Experience, Experience Builder sites,
            # and the mobile app" selected (availableInTouch) can be used.
            problems.append(
                Problem(
                    component.sourceline or 1,
                    1,
                    f"Visualforce page {page} is not available for Lightning Experience"
                    " (availableInTouch is false)",
                )
            )
    return problems


def check_app_overrides(view: OrgState, data: bytes) -> list[Problem]:
    """Record-page overrides must name an existing FlexiPage ("In field: flexiPage - no
    FlexiPage named X found", Appirio/Health-Cloud-Sfdx-Template issue 12)."""
    root = parse_xml(data)
    problems = []
    for tag in ("actionOverrides", "profileActionOverrides"):
        for override in root.iter(f"{_M}{tag}"):
            if (override.findtext(f"{_M}type") or "").strip() != "Flexipage":
                continue
            content = (override.findtext(f"{_M}content") or "").strip()
            if not view.has("FlexiPage", content):
                problems.append(
                    Problem(
                        override.sourceline or 1,
                        1,
                        f"In field: content - no FlexiPage named {content} found",
                    )
                )
    return problems


def check_object_overrides(view: OrgState, sobject: str, data: bytes) -> list[Problem]:
    """An object's Flexipage override must name an existing record page of that object.

    An object's View override naming a page the org does not hold is refused with "X
    does not exist or is not a valid override for action View." (recorded in
    jongpie/NebulaLogger issue 20). The same words come back for a page that does not
    fit the action (SFDO-Community/TractionThrive-archived- pull request 135, an app's
    Tab override: "Traction_Thrive_Home_Page does not exist or is not a valid override
    for action Tab."); they are used here for a FlexiPage that is not a RecordPage of
    this object, and that an org refuses exactly that case is our reading
    (ActionOverride: content "refers to the name of the Lightning page"; a record page
    names its object in sobjectType, FlexiPage).
    """
    problems = []
    for override in parse_xml(data).iter(f"{_M}actionOverrides"):
        if (override.findtext(f"{_M}type") or "").strip() != "Flexipage":
            continue
        content = (override.findtext(f"{_M}content") or "").strip()
        action = (override.findtext(f"{_M}actionName") or "").strip()
        page = view.metadata_xml("FlexiPage", content) if content else None
        root = parse_xml(page) if page else None
        fits = (
            root is not None
            and (root.findtext(f"{_M}type") or "").strip() == "RecordPage"
            and (root.findtext(f"{_M}sobjectType") or "").strip() == sobject
        )
        text = f"{content} does not exist or is not a valid override for action {action}."
        if not fits:
            problems.append(Problem(override.sourceline or 1, 1, text))
    return problems


def overrides_naming(view: OrgState, flexipage: str) -> list[str]:
    """Objects and apps whose record-page overrides name ``flexipage``."""
    users = []
    for type_name in ("CustomObject", "CustomApplication"):
        for name in view.names(type_name):
            data = view.metadata_xml(type_name, name)
            if not data:
                continue
            for tag in ("actionOverrides", "profileActionOverrides"):
                if any(
                    (o.findtext(f"{_M}content") or "").strip() == flexipage
                    for o in parse_xml(data).iter(f"{_M}{tag}")
                ):
                    users.append(f"{type_name} - {name}")
                    break
    return users


def _is_default(override: etree._Element) -> bool:
    # ActionOverrideType "Default": no override of the org's own (the standard
    # behaviour, or a package's). A retrieved object lists such an entry for every
    # action (amtrack/force-dev-tool issue 226); this emulator keeps none of them.
    return (override.findtext(f"{_M}type") or "").strip() == "Default"


def merge_object_overrides(stored: bytes | None, deployed: bytes) -> bytes | None:
    """The object's stored settings with the deployed file's ``actionOverrides``.

    Only the overrides are kept (the emulator models no other object setting). A
    file without any leaves them as they were: the product's field deploys carry
    none and must not change which record page users see. A file with some
    replaces the object's list; a Default entry stands for no override and is not
    kept. When that leaves the overrides as they were, the stored file is kept
    byte for byte, as an org returns an unchanged object unchanged; a changed one
    is stored in canonical form.
    """
    deployed_overrides = parse_xml(deployed).findall(f"{_M}actionOverrides")
    if not deployed_overrides:
        return stored
    new = [o for o in deployed_overrides if not _is_default(o)]
    old = parse_xml(stored).findall(f"{_M}actionOverrides") if stored else []
    if [canonical_bytes(o) for o in old] == [canonical_bytes(o) for o in new]:
        return stored
    if not new and stored is None:
        return None
    root = parse_xml(stored) if stored else etree.Element(f"{_M}CustomObject", nsmap={None: MD_NS})
    for previous in root.findall(f"{_M}actionOverrides"):
        root.remove(previous)
    for index, override in enumerate(new):
        root.insert(index, override)
    if not len(root):
        return None
    # One form for one set of overrides, whatever the deployed file's layout.
    return canonical_bytes(root)
