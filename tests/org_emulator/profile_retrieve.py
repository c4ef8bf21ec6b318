"""What a Profile retrieve returns: only the parts that the same retrieve also names.

"The content of a profile returned by Metadata API depends on the content requested
in the RetrieveRequest message. For example, profiles only include field-level
security for fields included in custom objects returned in the same RetrieveRequest
as the profiles." (Metadata API Developer Guide, "Profile"). For page layout
assignments: "When Profiles are retrieved without also retrieving the associated
Record Types and Page Layouts in the same transaction, these tags are absent from
the retrieved Profile XML" (Salesforce Help, "Page Layout assignments set to 'Not
Assigned' during deployment"). So the emulator keeps a ``layoutAssignments`` entry
only when its layout is retrieved too, and a record-type-specific one only when the
record type (its object, or the RecordType itself) is retrieved as well.
"""

from __future__ import annotations

from collections.abc import Collection

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml


def _kept(
    assignment: etree._Element, layouts: Collection[str], record_types: Collection[str]
) -> bool:
    layout = (assignment.findtext("{*}layout") or "").strip()
    record_type = (assignment.findtext("{*}recordType") or "").strip()
    if layout not in layouts:
        return False
    return (
        not record_type or record_type in record_types or record_type.split(".")[0] in record_types
    )


def _named(full_name: str, retrieved: Collection[str]) -> bool:
    """An object's child is in the retrieve when it, or its whole object, is named."""
    return full_name in retrieved or full_name.split(".")[0] in retrieved


def profile_as_retrieved(
    data: bytes,
    layouts: Collection[str],
    record_types: Collection[str],
    fields: Collection[str] | None = None,
    custom_fields: Collection[str] = (),
) -> bytes:
    """The stored profile with only the parts this retrieve may return.

    ``record_types``: the retrieved objects' names and RecordType full names.
    ``fields``: the retrieved objects' names and CustomField full names; a profile
    carries field-level security only for them ("profiles only include field-level
    security for fields included in custom objects returned in the same
    RetrieveRequest", quoted above), and record type visibilities only for the
    retrieved record types (the cautious reading of the same rule). None keeps them.
    ``custom_fields``: the custom fields of the retrieve ("Account.X__c"); each gets a
    ``fieldPermissions`` entry, readable and editable false where the profile grants
    nothing, as CumulusCI's update_admin_profile expects: it turns every false entry of
    the retrieved profile true and adds none (SFDO-Tooling/CumulusCI
    ``cumulusci/tasks/salesforce/update_profile.py``, ``_set_elements_visible``).
    """
    root = parse_xml(data)
    for assignment in root.findall("{*}layoutAssignments"):
        if not _kept(assignment, layouts, record_types):
            root.remove(assignment)
    if fields is not None:
        for permission in root.findall("{*}fieldPermissions"):
            if not _named((permission.findtext("{*}field") or "").strip(), fields):
                root.remove(permission)
        for visibility in root.findall("{*}recordTypeVisibilities"):
            if not _named((visibility.findtext("{*}recordType") or "").strip(), record_types):
                root.remove(visibility)
    granted = {(p.findtext("{*}field") or "").strip() for p in root.findall("{*}fieldPermissions")}
    missing = sorted(set(custom_fields) - granted)
    if missing:
        namespace = etree.QName(root).namespace
        later = next(
            (
                c
                for c in root
                if isinstance(c.tag, str) and etree.QName(c).localname > "fieldPermissions"
            ),
            None,
        )
        for field in missing:
            entry = etree.Element(f"{{{namespace}}}fieldPermissions")
            for tag, text in (("editable", "false"), ("field", field), ("readable", "false")):
                etree.SubElement(entry, f"{{{namespace}}}{tag}").text = text
            if later is not None:
                later.addprevious(entry)
            else:
                root.append(entry)
        etree.indent(root, space="    ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
