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


def profile_as_retrieved(
    data: bytes, layouts: Collection[str], record_types: Collection[str]
) -> bytes:
    """The stored profile with only the layout assignments this retrieve may return.

    ``record_types``: the retrieved objects' names and RecordType full names.
    """
    root = parse_xml(data)
    for assignment in root.findall("{*}layoutAssignments"):
        if not _kept(assignment, layouts, record_types):
            root.remove(assignment)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
