"""What ``apply --source-dir`` wrote into a project: its ledger, kept in the project.

A deploy knows what is ours from the org's snapshots (``state/ownership.py``); ``apply``
has no org and no snapshot, and the project is shared: a teammate runs the next apply
from another clone. So the record of what apply made lives in the project itself, in
``totango-ownership.json`` at its top, beside ``sfdx-project.json`` (outside every
package directory, so an sfdx deploy never reads it), committed with the change:

- per Security.settings file, the ranges apply added;
- per layout file, the section apply made (``merge.layout_ownership.SectionRecord``).

Why a ledger and not the description: a range described "Totango" is what Totango's
article tells an admin to type, so the description proves nothing; and "written by the
toolkit" cannot be read back from the file alone. A range counts as ours only when the
ledger says apply added it, and only ours is removed when it leaves the config (as a
deploy removes it from an org). A project without a ledger (applied by an older version,
or the ledger was deleted) has nothing of ours: its "Totango" sections and ranges are
left as they are, never removed, and the run says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tasks.totango_sf.errors import BadInput
from tasks.totango_sf.merge.layout_ownership import SectionRecord
from tasks.totango_sf.merge.security import RangeKey

LEDGER_FILE = "totango-ownership.json"
LEDGER_VERSION = 1


class LedgerUnreadable(BadInput):
    """The ledger is not the JSON this module writes."""


@dataclass
class SourceLedger:
    """Ranges and sections of ours, per project file (paths relative to the project)."""

    ranges: dict[str, list[RangeKey]] = field(default_factory=dict)
    sections: dict[str, SectionRecord] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        document = {
            "about": "What `totango-sf apply` wrote into this project; keep it in version"
            " control. Only what it lists is ever removed or replaced by apply.",
            "version": LEDGER_VERSION,
            "ranges": {
                path: [list(key) for key in sorted(keys)]
                for path, keys in sorted(self.ranges.items())
                if keys
            },
            "sections": {path: record.to_json() for path, record in sorted(self.sections.items())},
        }
        return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")

    @property
    def empty(self) -> bool:
        return not any(self.ranges.values()) and not self.sections


def read_ledger(data: bytes | None) -> SourceLedger:
    """The ledger in ``data`` (None: no ledger yet, nothing is ours)."""
    if data is None:
        return SourceLedger()
    try:
        document: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise LedgerUnreadable(f"{LEDGER_FILE} is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("version") != LEDGER_VERSION:
        raise LedgerUnreadable(f"{LEDGER_FILE} is not a version {LEDGER_VERSION} ledger")
    ranges = document.get("ranges") or {}
    sections = document.get("sections") or {}
    if not isinstance(ranges, dict) or not isinstance(sections, dict):
        raise LedgerUnreadable(f"{LEDGER_FILE}: 'ranges' and 'sections' must be mappings")
    ledger = SourceLedger()
    for path, keys in ranges.items():
        if not isinstance(keys, list) or not all(
            isinstance(k, list) and len(k) == 3 and all(isinstance(v, str) for v in k) for k in keys
        ):
            raise LedgerUnreadable(
                f"{LEDGER_FILE}: ranges of {path!r} must be [start, end, description]"
            )
        ledger.ranges[str(path)] = [(k[0], k[1], k[2]) for k in keys]
    for path, value in sections.items():
        record = SectionRecord.from_json(value)
        if record is None:
            raise LedgerUnreadable(f"{LEDGER_FILE}: section of {path!r} is not readable")
        ledger.sections[str(path)] = record
    return ledger
