"""A deployed Profile overlays the org's profile instead of replacing it.

"We designed Profile metadata deployment to overlay the existing Profile settings in a
target org" (Metadata API Developer Guide, "Profile"). So an entry of the deployed file
replaces the org's entry for the same thing (a field's ``fieldPermissions``, a page's
``pageAccesses``, a record type's layout assignment, ...), a setting the file names
(``custom``, ``userLicense``) replaces the org's, and whatever the file leaves out stays
as it was. CumulusCI's ``update_admin_profile`` relies on it: it retrieves the Admin
profile with a few objects only and deploys that back (SFDO-Tooling/CumulusCI
``cumulusci/tasks/salesforce/update_profile.py``).
"""

from __future__ import annotations

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml

# What names the thing each list entry is about (Metadata API Developer Guide, "Profile":
# ProfileApplicationVisibility.application, ProfileFieldLevelSecurity.field, ...).
_KEYS = {
    "applicationVisibilities": ("application",),
    "categoryGroupVisibilities": ("dataCategoryGroup",),
    "classAccesses": ("apexClass",),
    "customMetadataTypeAccesses": ("name",),
    "customPermissions": ("name",),
    "customSettingAccesses": ("name",),
    "externalDataSourceAccesses": ("externalDataSource",),
    "fieldPermissions": ("field",),
    "flowAccesses": ("flow",),
    "loginIpRanges": ("startAddress", "endAddress"),
    "objectPermissions": ("object",),
    "pageAccesses": ("apexPage",),
    "recordTypeVisibilities": ("recordType",),
    "tabVisibilities": ("tab",),
    "userPermissions": ("name",),
}
_SCALARS = {"custom", "description", "userLicense", "loginHours"}


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _key(element: etree._Element) -> tuple[str, ...]:
    tag = _local(element)
    if tag == "layoutAssignments":
        # One layout per object and record type: the object is the layout name's prefix.
        layout = (element.findtext("{*}layout") or "").strip()
        return (tag, layout.split("-", 1)[0], (element.findtext("{*}recordType") or "").strip())
    fields = _KEYS.get(tag)
    if fields is None:
        return (tag, etree.tostring(element, method="c14n").decode())
    return (tag, *((element.findtext(f"{{*}}{f}") or "").strip() for f in fields))


def overlay_profile(stored: bytes | None, deployed: bytes) -> bytes:
    """The org's profile once ``deployed`` is laid over ``stored``."""
    new = parse_xml(deployed)
    if stored is None:
        return etree.tostring(new, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    root = parse_xml(stored)
    entries: dict[tuple[str, ...], etree._Element] = {}
    for element in (*root, *new):
        if not isinstance(element.tag, str):
            continue
        tag = _local(element)
        key = (tag,) if tag in _SCALARS else _key(element)
        entries[key] = element  # a later (deployed) entry replaces the stored one
    for child in list(root):
        root.remove(child)
    # Profile's elements come in alphabetical order (its sequence in metadata.wsdl); a
    # stable sort keeps each list in its order, new entries after the org's.
    for element in sorted(entries.values(), key=_local):
        element.tail = None
        root.append(element)
    etree.indent(root, space="    ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
