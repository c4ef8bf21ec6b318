"""Which org a session reaches, so that state taken from one org is never applied to another.

A CumulusCI alias names an org only until it is reused: ``dev`` is a new scratch
org each week. Snapshots therefore record the org id, and rollback compares it.
"""

from __future__ import annotations

from typing import Any


def org_id_of(session: Any) -> str | None:
    """The connected org's id, as CumulusCI recorded it at connect (else one query)."""
    org_id = getattr(session.org_config, "org_id", None)
    if org_id:
        return str(org_id)
    rows = session.query("SELECT Id FROM Organization")
    return str(rows[0]["Id"]) if rows else None


def same_org(left: str, right: str) -> bool:
    # The 15- and 18-character forms of one id share their first 15 characters.
    return left[:15] == right[:15]
