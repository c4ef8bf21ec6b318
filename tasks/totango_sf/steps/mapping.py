"""The field mapping Totango's outbound integration job needs, built from the config.

Totango's article asks the admin to build, by hand, a table pairing each Totango
field with the Salesforce field it is written to, per object. The toolkit knows
both sides: the catalogue names the Totango field, the config names the object
and the Salesforce API name (overrides and extra fields included). Formula
fields are computed by Salesforce, never written by Totango, so they are left
out of the mapping.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from typing import Any

from tasks.totango_sf.config.insights import BUILT_IN_FIELDS
from tasks.totango_sf.config.model import TotangoConfig

CSV_COLUMNS = ("object", "totango_field", "salesforce_field", "type")


@dataclass(frozen=True)
class MappingRow:
    object: str
    totango_field: str
    salesforce_field: str
    type: str


@dataclass
class FieldMapping:
    rows: list[MappingRow]
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"mappings": [asdict(r) for r in self.rows], "warnings": self.warnings}

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow(asdict(row))
        return buffer.getvalue()


def field_mapping(config: TotangoConfig) -> FieldMapping:
    # Totango's name of a built-in field is its catalogue label, whatever label the
    # config gives the Salesforce field; a field the config adds is named by its label.
    totango_names = {f["api_name"]: f["label"] for f in BUILT_IN_FIELDS}
    fields = [f for f in config.insights.resolved_fields() if not f.formula]
    rows = [
        MappingRow(obj, totango_names.get(f.api_name, f.label), f.api_name, f.type)
        for obj in config.insights.objects
        for f in fields
    ]
    warnings = []
    if not config.integration.username:
        warnings.append(
            "integration.username is not set: Totango's job needs a connection user that"
            f" holds the {config.integration.permission_set} permission set"
        )
    return FieldMapping(rows, warnings)
