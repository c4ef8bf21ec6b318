"""Ledgers of the org rows this tool inserted, one file per org and kind of row.

"Ours is only what we made." A grant of the connected app (``SetupEntityAccess``) or a
permission-set assignment (``PermissionSetAssignment``) looks the same whoever made it,
so undoing ours must never go by its looks: each row is written into a ledger the
moment the org returns its id, and ``--revoke`` or an uninstall removes exactly the rows
the ledger lists, never one an admin made by hand.

A ledger is read whole before the first call of a run: a damaged one refuses the run
(exit 2, nothing sent), since a guess could remove an admin's row or forget one of ours.
Once the org acted, a ledger that cannot be written is a warning naming the row (the
change is done; failing would hide it), never an error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from tasks.totango_sf.errors import BadInput, LocalFileError
from tasks.totango_sf.state.state_paths import safe_file_name, state_path, write_private

# A record id: 15 case-sensitive characters, or 18 with the case-insensitive suffix
# (Object Reference for Salesforce, "Field Types": ID). Anything else in a ledger would be
# sent to the org in a query or a delete, so it makes the ledger damaged.
_RECORD_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")


class DamagedLedger(BadInput):
    """A ledger cannot be read or is not a list of ids: which rows are ours is unknown,
    and a write would overwrite what it recorded. Nothing is sent."""


@dataclass(frozen=True)
class RowLedger:
    """Where one kind of row is recorded, and what the damaged-file message says of it."""

    key: str  # the JSON key holding the list of ids: "setup_entity_access"
    what: str  # "connected-app grant ledger"
    undone_by: str  # the command that removes only these rows: "--revoke"

    def path(self, root: Path, org: str) -> Path:
        """``root`` as configured (relative: under the project root), one file per org."""
        return state_path(root) / f"{safe_file_name(org)}.json"

    def read(self, root: Path, org: str) -> set[str]:
        """The ids recorded for ``org``; none when there is no file yet."""
        path = self.path(root, org)
        if not path.exists() and not path.is_symlink():
            return set()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else f"not JSON: {exc}"
            raise self._damaged(path, str(reason or exc)) from None
        ids = data.get(self.key, []) if isinstance(data, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise self._damaged(path, f"not a JSON object with a list of ids under {self.key!r}")
        bad = [i for i in ids if not _RECORD_ID.fullmatch(i)]
        if bad:
            raise self._damaged(path, f"{bad[0]!r} is no Salesforce record id")
        return set(ids)

    def write(self, root: Path, org: str, ids: set[str], changed: str) -> str | None:
        """Record ``ids`` after the org acted; ``changed`` says what it did. Returns the
        warning when the file cannot be written (None when it was)."""
        payload = json.dumps({self.key: sorted(ids)}, indent=2) + "\n"
        try:
            write_private(self.path(root, org), payload.encode("utf-8"))
        except LocalFileError as exc:
            return f"{exc}: {changed}"
        return None

    def _damaged(self, path: Path, problem: str) -> DamagedLedger:
        return DamagedLedger(
            f"the {self.what} {path} is damaged ({problem}); nothing was sent."
            f" It lists the rows this tool made, so that {self.undone_by} removes only"
            " those: restore it from a backup, or move it away to treat every existing"
            f" row as an admin's (kept by {self.undone_by})"
        )
