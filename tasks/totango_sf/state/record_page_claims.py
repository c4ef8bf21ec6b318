"""Which component on a pre-49.0 record page is ours, kept in the deploy's snapshot.

A page in the format before API 49.0 has no component ``identifier``, so a
Visualforce component showing our page may be an admin's own. The deploy records,
per such page, where it put its component (``merge.flexipage.LegacyClaim``); the
next plan reads the latest successful deploy's record, so it updates in place or
removes only that component, and rollback removes only that one. Without a record
(another machine, an older snapshot) nothing on such a page counts as ours, and it
is left alone. A claim stops counting once a rollback took that component out
(``rollback_mark``), so an admin's identical component placed there later is theirs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.totango_sf.merge.flexipage import LegacyClaim
from tasks.totango_sf.state.rollback_mark import released_since
from tasks.totango_sf.state.snapshot import Snapshot, latest_successful

CLAIMS_KEY = "record_page_legacy_claims"
# Per record page the deploy patched, the widget page of our component there.
WIDGETS_KEY = "record_page_widgets"


def claims_extra(plan: Any) -> dict[str, Any]:
    """The snapshot entry for ``plan`` (a RecordPagePlan, or None)."""
    if plan is None or not plan.claims:
        return {}
    return {CLAIMS_KEY: {name: claim.to_json() for name, claim in sorted(plan.claims.items())}}


def claims_of(snapshot: Snapshot) -> dict[str, LegacyClaim]:
    recorded = snapshot.extra.get(CLAIMS_KEY)
    if not isinstance(recorded, dict):
        return {}
    claims = {name: LegacyClaim.from_json(data) for name, data in recorded.items()}
    return {name: claim for name, claim in claims.items() if claim is not None}


def latest_claims(root: Path, org: str) -> dict[str, LegacyClaim]:
    """The claims of the latest successful deploy to ``org``, less those on pages a
    rollback took our component out of since; none without such a deploy, or when a
    damaged manifest hides which deploy was the latest (nothing then counts as ours)."""
    snapshot = latest_successful(root, org)
    if snapshot is None:
        return {}
    released = released_since(root, org, snapshot)
    return {
        name: claim
        for name, claim in claims_of(snapshot).items()
        if ("FlexiPage", name) not in released
    }
