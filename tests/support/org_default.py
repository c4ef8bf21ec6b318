"""Opportunity's object file, whose View override a record page the deploy creates takes
over as the org default (``widget.create_record_page.assign_org_default``)."""

from __future__ import annotations

MD = "http://soap.sforce.com/2006/04/metadata"
CREATED = "Opportunity_Totango_Record_Page"
OBJECT_PATH = "objects/Opportunity.object"
# The phone override: not the org default record page, and it must survive the
# assignment and its rollback.
PHONE = (
    "<actionName>View</actionName><content>Opportunity_Sales_Page</content>"
    "<formFactor>Small</formFactor><type>Flexipage</type>"
)


def object_file(*overrides: str) -> bytes:
    """The object file holding each of ``overrides`` (an ActionOverride's children)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="{MD}">'
        + "".join(f"<actionOverrides>{o}</actionOverrides>" for o in overrides)
        + "</CustomObject>\n"
    ).encode()
