"""Which page layouts the users of a record-page assignment get, and which of them lack our section.

A layout's Visualforce section shows inside a Record Detail component only to the
users who get that layout. "A user's profile determines which page layout he or she
sees. In addition, if your organization is using record types for a particular
object, the combination of the user's profile and the record type determine which
page layout is displayed" (Salesforce Help, "Assign Page Layouts"). In metadata the
assignments are the Profile's ``layoutAssignments``: ProfileLayoutAssignments with a
``layout`` and an optional ``recordType`` (Metadata API Developer Guide, "Profile").

"The content of a profile returned by Metadata API depends on the content requested
in the RetrieveRequest message" (same page): layout assignments come back only when
the layouts and the record types are retrieved with the profiles (Salesforce Help,
"Page Layout assignments set to 'Not Assigned' during deployment"). So the profiles
are retrieved with every layout of the configured objects and the objects (their
record types), in one retrieve. Such a profile is only read, never deployed: the
same article warns that a profile deployed without its ``layoutAssignments`` clears
them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from tasks.totango_sf.metadata.safe_xml import parse_xml

PROFILE_FOLDER = "profiles/"
MASTER = "Master"


@dataclass(frozen=True)
class LayoutAssignment:
    """One ``layoutAssignments`` entry of one profile."""

    profile: str
    layout: str  # '<Object>-<Layout Name>'
    record_type: str | None  # '<Object>.<RecordType>'; None: the master record type

    @property
    def sobject(self) -> str:
        return self.layout.split("-", 1)[0]


@dataclass(frozen=True)
class Audience:
    """Who sees a record page: one profile and record type, or everyone (None)."""

    profile: str | None = None
    record_type: str | None = None


@dataclass(frozen=True)
class LayoutGap:
    """A profile (and record type) whose layout does not hold our section."""

    profile: str
    record_type: str | None
    layout: str

    def describe(self) -> str:
        record_type = self.record_type or MASTER
        return f"profile {self.profile}, record type {record_type}: layout {self.layout}"


def object_layouts(sobjects: Iterable[str], layout_names: Iterable[str]) -> list[str]:
    """Every layout of ``sobjects`` among the org's layout names."""
    prefixes = tuple(f"{o}-" for o in sobjects)
    return sorted(n for n in layout_names if n.startswith(prefixes))


def retrieve_members(
    sobjects: Iterable[str],
    layout_names: Iterable[str],
    record_types: Iterable[str] | None = None,
) -> list[tuple[str, str]]:
    """Profiles, with every layout of the objects so their assignments come back.

    ``record_types``: the objects' record types ('Account.Customer'), named so that the
    record-type-specific assignments come back too. None: the caller retrieves the
    objects themselves in the same retrieve, which also brings them back, but then
    every profile carries the field permissions of every field of those objects
    (Metadata API Developer Guide, "Profile"), thousands of entries per profile in a
    large org, none of them read here.
    """
    layouts = object_layouts(sobjects, layout_names)
    if not layouts:
        return []
    named = [("RecordType", name) for name in sorted(record_types or ())]
    return [("Profile", "*"), *[("Layout", name) for name in layouts], *named]


def record_type_names(object_xml: bytes | None, sobject: str) -> list[str]:
    """'<Object>.<RecordType>' of every record type an object file holds."""
    if not object_xml:
        return []
    root = parse_xml(object_xml)
    return [
        f"{sobject}.{(rt.findtext('{*}fullName') or '').strip()}"
        for rt in root.findall("{*}recordTypes")
        if (rt.findtext("{*}fullName") or "").strip()
    ]


def profile_assignments(retrieved: Mapping[str, bytes]) -> list[LayoutAssignment] | None:
    """Every retrieved profile's layout assignments; None when no profile was retrieved."""
    found: list[LayoutAssignment] | None = None
    for path, data in sorted(retrieved.items()):
        if not (path.startswith(PROFILE_FOLDER) and path.endswith(".profile")):
            continue
        found = found or []
        profile = path[len(PROFILE_FOLDER) : -len(".profile")]
        for element in parse_xml(data).findall("{*}layoutAssignments"):
            layout = (element.findtext("{*}layout") or "").strip()
            record_type = (element.findtext("{*}recordType") or "").strip() or None
            if layout:
                found.append(LayoutAssignment(profile, layout, record_type))
    return found


def _for_record_type(assigned: list[LayoutAssignment], record_type: str) -> list[LayoutAssignment]:
    """Per profile, its layout for ``record_type``, else its master layout."""
    chosen = []
    for profile in sorted({a.profile for a in assigned}):
        own = [a for a in assigned if a.profile == profile]
        exact = [a for a in own if a.record_type == record_type]
        chosen += exact or [a for a in own if a.record_type is None]
    return chosen


def layouts_seen(
    assignments: Iterable[LayoutAssignment], sobject: str, audience: Audience
) -> list[LayoutAssignment]:
    """The layout assignments of ``sobject`` that apply to ``audience``."""
    assigned = [
        a
        for a in assignments
        if a.sobject == sobject and (audience.profile is None or a.profile == audience.profile)
    ]
    if audience.record_type is not None:
        return _for_record_type(assigned, audience.record_type)
    return assigned


def layout_gaps(
    assignments: Iterable[LayoutAssignment],
    sobject: str,
    audiences: Iterable[Audience],
    covered: Collection[str],
) -> tuple[LayoutGap, ...]:
    """Who in ``audiences`` gets a layout of ``sobject`` outside ``covered``."""
    listed = list(assignments)
    gaps = {
        LayoutGap(a.profile, a.record_type, a.layout)
        for audience in audiences
        for a in layouts_seen(listed, sobject, audience)
        if a.layout not in covered
    }
    return tuple(sorted(gaps, key=lambda g: (g.profile, g.record_type or "", g.layout)))


def layouts_showing(retrieved: Mapping[str, bytes], pages: Collection[str]) -> set[str]:
    """Retrieved layouts that already show one of ``pages`` (a layout item's ``page``)."""
    found = set()
    for path, data in retrieved.items():
        if path.startswith("layouts/") and path.endswith(".layout"):
            items = parse_xml(data).iterfind(".//{*}layoutItems/{*}page")
            if any((item.text or "").strip() in pages for item in items):
                found.add(path[len("layouts/") : -len(".layout")])
    return found
