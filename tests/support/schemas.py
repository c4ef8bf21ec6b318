"""The Metadata API schemas a merged or rendered file is checked against."""

from __future__ import annotations

from tasks.totango_sf.metadata.schema import MetadataSchema, load_schema
from tests.support.paths import V66_WSDL


def oracle_schemas() -> list[MetadataSchema]:
    """The bundled 63.0 schema, plus the official v66 oracle when ../shared is here."""
    schemas = [load_schema()]
    if V66_WSDL.exists():
        schemas.append(load_schema(V66_WSDL))
    return schemas
