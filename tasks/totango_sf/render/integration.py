"""The permission set of Totango's connection user: edit on every field it writes.

Deploying a field grants no field-level security, and the read-only
``Totango_Insights`` set is for people. Totango's outbound integration job writes
the insights fields as its Salesforce connection user, so without edit access
each write fails with INVALID_FIELD_FOR_INSERT_UPDATE. A formula field is
computed, never written, and can never be editable: it gets read access only.
"""

from __future__ import annotations

from dataclasses import dataclass

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.metadata.components import Component
from tasks.totango_sf.render.files import render_xml


@dataclass(frozen=True)
class FieldPermission:
    field: str
    editable: bool


def integration_field_permissions(config: TotangoConfig) -> list[FieldPermission]:
    fields = config.insights.resolved_fields()
    return [
        FieldPermission(f"{obj}.{f.api_name}", editable=not f.formula)
        for obj in config.insights.objects
        for f in fields
    ]


def writable_fields(config: TotangoConfig) -> list[str]:
    """``Object.Field`` names the connection user must be able to edit."""
    return [p.field for p in integration_field_permissions(config) if p.editable]


def render_integration_permission_set(config: TotangoConfig) -> Component:
    permissions = integration_field_permissions(config)
    xml = render_xml(
        "integration_permission_set.xml.j2",
        label=config.integration.permission_set_label,
        permissions=permissions,
    )
    editable = sum(1 for p in permissions if p.editable)
    return Component(
        "PermissionSet",
        config.integration.permission_set,
        xml,
        summary=f"edit {editable} fields, read {len(permissions) - editable} formula fields"
        " (Totango's connection user)",
    )
