"""The mark a rollback leaves in the snapshot it undid, so that deploy's "ours" stops counting.

A snapshot records what its deploy owns beyond what the org's files can show: on
pre-49.0 record pages, which component is ours (``record_page_claims``); the
trusted ranges it added (what it deployed less the original Security.settings);
and the org default record page it assigned (``org_default_rollback``). Once a
rollback took those out of the org, reading them again would make an admin's
identical component, range or assignment ours: the next plan would update or
remove it, and a rollback run again would take it out.

So the rollback writes ``rolled_back`` into the manifest of the snapshot it
undid, the moment its deploy that carries those changes succeeded (the first of
its deploys; a second one may follow for the permission set). A rollback that
failed, was refused or whose outcome is unknown writes nothing: what the deploy
placed may still be in the org, so its record still counts; ``status`` writes
the mark once it settles such a rollback as succeeded.

The first mark stays: a rollback run again on a marked snapshot owns nothing of
it anymore (it reads no claims, ranges or org default from it), so it takes out
nothing more, and the first time is the one that says which later deploys the
rollback came after.

- The next plan reads the claims of the latest successful deploy, less the
  pages of every snapshot whose rollback is marked after that deploy's snapshot
  was taken (or of that snapshot itself): the rollback took our component out of
  each record page its deploy had patched. A later deploy records its own claims,
  which count again. Claims on pages the rolled-back deploy left untouched (ours
  from an earlier deploy) still count: that component is still in the org.
- A rollback of a marked snapshot (run again to finish a partly done one) reads
  no claims, added ranges or org default from it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from tasks.totango_sf.state.snapshot import (
    DamagedSnapshot,
    Snapshot,
    list_snapshots,
    new_snapshot_id,
    read_manifest,
    save_manifest,
)

MARK_KEY = "rolled_back"


def mark_rolled_back(
    snapshot: Snapshot, mode: str | None, deploy_id: str | None, now: datetime | None = None
) -> None:
    """Record that a rollback took ``snapshot``'s deploy out of the org (first time only)."""
    if rolled_back_at(snapshot.extra) is not None:
        return
    # Same format as snapshot ids, so times and ids compare as strings.
    snapshot.extra[MARK_KEY] = {"at": new_snapshot_id(now), "mode": mode, "deploy_id": deploy_id}
    save_manifest(snapshot)


def rolled_back_at(manifest: dict[str, Any]) -> str | None:
    """When a rollback undid the deploy of this manifest (a snapshot's ``extra`` or the
    manifest itself); None when none did."""
    mark = manifest.get(MARK_KEY)
    if isinstance(mark, dict) and isinstance(mark.get("at"), str) and mark["at"]:
        return str(mark["at"])
    return None


def is_rolled_back(snapshot: Snapshot) -> bool:
    return rolled_back_at(snapshot.extra) is not None


def released_since(root: Path, org: str, deployed: Snapshot) -> set[tuple[str, str]]:
    """The components patched by deploys that a rollback undid after ``deployed`` was
    taken (``deployed``'s own included): what they held of ours is gone."""
    released: set[tuple[str, str]] = set()
    for snapshot_id in list_snapshots(root, org):
        try:
            manifest = read_manifest(root, org, snapshot_id)
        except DamagedSnapshot:
            continue  # named by the command's warnings (snapshot.damaged_snapshots)
        at = rolled_back_at(manifest)
        if at is None or (snapshot_id != deployed.id and at <= deployed.id):
            continue
        released |= {(c["type"], c["name"]) for c in manifest.get("components_patched", [])}
    return released
