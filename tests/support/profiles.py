"""Profiles with layout assignments, and the layout names the tests assign."""

from __future__ import annotations

MD = "http://soap.sforce.com/2006/04/metadata"
MAIN = "Account-Account Layout"
# A layout name with dashes and spaces after the object's: the object is what is
# before the first dash, whatever follows.
PARTNER = "Account-Account Layout - Partner"


def profile_xml(*assignments: tuple[str, str | None]) -> bytes:
    body = "".join(
        "<layoutAssignments>"
        f"<layout>{layout}</layout>"
        + (f"<recordType>{record_type}</recordType>" if record_type else "")
        + "</layoutAssignments>"
        for layout, record_type in assignments
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Profile xmlns="{MD}"><custom>false</custom>'
        f"{body}<userLicense>Salesforce</userLicense></Profile>"
    ).encode()
