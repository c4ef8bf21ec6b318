"""What the setup owns in an org: recorded when it makes something, read back from every
deploy the org has seen.

"Ours is only what we made." A section labelled "Totango", a range described "Totango"
or a page that shows our widget may as well be an admin's, set up by hand as Totango's
article describes. So nothing is recognised by its looks: each deploy writes into its
snapshot's manifest (``ownership``) what it made or adopted, and each rollback appends to
the manifest of the snapshot it rolled back what it took out or gave back (``releases``,
with the time it went through).

The setup's ownership now is those records replayed in time order (a deploy at its
snapshot's id, a rollback at its mark's time; both are UTC timestamps of one format):

- sections: per layout, the section the last deploy that looked at the layout left
  (``merge.layout_ownership.SectionRecord``), until a rollback released it;
- trusted ranges: those deploys added or adopted, less those a deploy removed as stale
  or a rollback took out or gave back;
- components (page, tab, fields, permission set, report, record pages): those deploys
  created, less those a rollback deleted. A component that existed before the first
  deploy was never created by it, so it is never ours.

Only deploys that went through count (``deploy_success``; a validation never does). A
deploy whose outcome is still unknown does not count until ``totango-sf status`` settles
it: counting it would make an admin's look-alike ours if it failed.

Snapshots from before these records were kept are read from their files: a section is
the one the deploy inserted or replaced (the layout as retrieved before against as
deployed), ranges are those in what it deployed and not in the original, and a rollback
mark without ``released`` released the layouts and the ranges of its snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasks.totango_sf.merge.layout import LayoutPatchError
from tasks.totango_sf.merge.layout_ownership import SectionRecord, derive_record
from tasks.totango_sf.merge.security import RangeKey, SecurityPatchError, ip_ranges_in, range_key
from tasks.totango_sf.state.record_page_claims import WIDGETS_KEY
from tasks.totango_sf.state.rollback_mark import rolled_back_at
from tasks.totango_sf.state.snapshot import (
    DamagedSnapshot,
    Snapshot,
    load_deployed,
    load_snapshot,
    new_snapshot_id,
    readable_manifests,
    save_manifest,
)

OWNERSHIP_KEY = "ownership"
RELEASES_KEY = "releases"
# What a rollback under way will release once its deploy goes through (``status`` settles
# a rollback whose outcome was unknown, and records this then).
PENDING_KEY = "pending_release"
ADOPTED_REMOVED = "adopted_removed"
SECURITY_PATH = "settings/Security.settings"
Key = tuple[str, str]


def _keys(data: Any) -> list[RangeKey]:
    if not isinstance(data, list):
        return []
    return [
        (str(k[0]), str(k[1]), str(k[2]))
        for k in data
        if isinstance(k, list | tuple) and len(k) == 3
    ]


def _components(data: Any) -> list[Key]:
    if not isinstance(data, list):
        return []
    return [(str(c[0]), str(c[1])) for c in data if isinstance(c, list | tuple) and len(c) == 2]


@dataclass
class DeployRecord:
    """What one deploy made, adopted or removed of ours (the manifest's ``ownership``)."""

    # Every layout the deploy looked at -> our section there afterwards (None: none).
    sections: dict[str, SectionRecord | None] = field(default_factory=dict)
    ranges_created: list[RangeKey] = field(default_factory=list)
    ranges_adopted: list[RangeKey] = field(default_factory=list)
    ranges_removed: list[RangeKey] = field(default_factory=list)
    # Layouts with a hand-made section the deploy left alone, and why.
    left: dict[str, str] = field(default_factory=dict)
    adopt: bool = False
    # Record pages holding our component after the deploy (True), or no longer (False).
    record_pages: dict[str, bool] = field(default_factory=dict)
    # Components an admin made that the deploy replaced, on --adopt; their originals are
    # in the snapshot's files, for the uninstall to give back.
    components_adopted: list[Key] = field(default_factory=list)

    @property
    def adopted_anything(self) -> bool:
        adopted = [r for r in self.sections.values() if r is not None and r.origin == "adopted"]
        return bool(self.ranges_adopted or adopted)

    def to_json(self) -> dict[str, Any]:
        return {
            "sections": {
                name: record.to_json() if record is not None else None
                for name, record in sorted(self.sections.items())
            },
            "ranges_created": [list(k) for k in self.ranges_created],
            "ranges_adopted": [list(k) for k in self.ranges_adopted],
            "ranges_removed": [list(k) for k in self.ranges_removed],
            "left": dict(sorted(self.left.items())),
            "adopt": self.adopt,
            "record_pages": dict(sorted(self.record_pages.items())),
            "components_adopted": [list(k) for k in self.components_adopted],
        }

    @classmethod
    def from_json(cls, data: Any) -> DeployRecord:
        if not isinstance(data, dict):
            return cls()
        sections = data.get("sections")
        left = data.get("left")
        pages = data.get("record_pages")
        return cls(
            {
                str(name): SectionRecord.from_json(value)
                for name, value in (sections.items() if isinstance(sections, dict) else [])
            },
            _keys(data.get("ranges_created")),
            _keys(data.get("ranges_adopted")),
            _keys(data.get("ranges_removed")),
            {str(k): str(v) for k, v in (left.items() if isinstance(left, dict) else [])},
            bool(data.get("adopt")),
            {str(k): bool(v) for k, v in (pages.items() if isinstance(pages, dict) else [])},
            _components(data.get("components_adopted")),
        )


@dataclass
class Released:
    """What one rollback took out of the org or gave back (the mark's ``released``)."""

    sections: list[str] = field(default_factory=list)
    ranges: list[RangeKey] = field(default_factory=list)
    components: list[Key] = field(default_factory=list)
    record_pages: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "sections": sorted(set(self.sections)),
            "ranges": [list(k) for k in self.ranges],
            "components": [list(k) for k in self.components],
            "record_pages": sorted(set(self.record_pages)),
        }

    @classmethod
    def from_json(cls, data: Any) -> Released:
        if not isinstance(data, dict):
            return cls()
        sections = data.get("sections")
        pages = data.get("record_pages")
        return cls(
            [str(s) for s in sections] if isinstance(sections, list) else [],
            _keys(data.get("ranges")),
            _components(data.get("components")),
            [str(p) for p in pages] if isinstance(pages, list) else [],
        )

    def __bool__(self) -> bool:
        return bool(self.sections or self.ranges or self.components or self.record_pages)


def record_release(snapshot: Snapshot, released: Released, now: Any = None) -> None:
    """Append what a rollback of ``snapshot`` took out, at the time it went through."""
    entries = snapshot.extra.get(RELEASES_KEY)
    entries = list(entries) if isinstance(entries, list) else []
    entries.append({"at": new_snapshot_id(now), **released.to_json()})
    snapshot.extra[RELEASES_KEY] = entries
    snapshot.extra.pop(PENDING_KEY, None)
    save_manifest(snapshot)


def record_pending_release(snapshot: Snapshot, released: Released) -> None:
    """Before a rollback's deploy starts: what it releases if it goes through."""
    snapshot.extra[PENDING_KEY] = released.to_json()
    save_manifest(snapshot)


def settle_pending_release(snapshot: Snapshot) -> None:
    """A rollback's deploy went through (``status`` found out): record its release."""
    pending = snapshot.extra.get(PENDING_KEY)
    if isinstance(pending, dict):
        record_release(snapshot, Released.from_json(pending))


@dataclass
class Ownership:
    """What the setup owns in one org now."""

    sections: dict[str, SectionRecord] = field(default_factory=dict)
    # range -> "created", "adopted", or ADOPTED_REMOVED (adopted, then removed as stale
    # by a deploy: a rollback puts it back)
    ranges: dict[RangeKey, str] = field(default_factory=dict)
    # component -> the snapshot whose deploy created it
    components: dict[Key, str] = field(default_factory=dict)
    # component an admin made -> the snapshot whose deploy replaced it on --adopt (which
    # holds it as it was)
    adopted_components: dict[Key, str] = field(default_factory=dict)
    # record pages a deploy placed our component on
    record_pages: set[str] = field(default_factory=set)

    @property
    def live_ranges(self) -> dict[RangeKey, str]:
        """The ranges of ours that a deploy left in the org."""
        return {k: v for k, v in self.ranges.items() if v != ADOPTED_REMOVED}

    def apply_deploy(self, snapshot_id: str, record: DeployRecord, added: list[Key]) -> None:
        for layout, section in record.sections.items():
            if section is None:
                self.sections.pop(layout, None)
            else:
                self.sections[layout] = section
        for key in record.ranges_adopted:
            self.ranges[key] = "adopted"
        for key in record.ranges_created:
            self.ranges[key] = "created"
        for key in record.ranges_removed:
            # An adopted range removed as stale (by this deploy or a later one) is still
            # the admin's to get back.
            if self.ranges.get(key) in ("adopted", ADOPTED_REMOVED):
                self.ranges[key] = ADOPTED_REMOVED
            else:
                self.ranges.pop(key, None)
        for component in added:
            self.components[component] = snapshot_id
        for component in record.components_adopted:
            # The first adoption holds the admin's own version; later ones hold ours.
            self.adopted_components.setdefault(component, snapshot_id)
        for page, ours in record.record_pages.items():
            if ours:
                self.record_pages.add(page)
            else:
                self.record_pages.discard(page)

    def apply_release(self, released: Released) -> None:
        self.record_pages.difference_update(released.record_pages)
        for layout in released.sections:
            self.sections.pop(layout, None)
        for key in released.ranges:
            self.ranges.pop(key, None)
        for component in released.components:
            self.components.pop(component, None)
            self.adopted_components.pop(component, None)


def _range_keys(settings: bytes | None) -> set[RangeKey]:
    if settings is None:
        return set()
    try:
        return {range_key(r) for r in ip_ranges_in(settings)}
    except (SecurityPatchError, ValueError):
        return set()


def legacy_record(snapshot: Snapshot) -> DeployRecord:
    """A snapshot without a record: what its deploy made, read from its files."""
    record = DeployRecord()
    deployed = load_deployed(snapshot)
    for kind, name in snapshot.patched:
        if kind != "Layout":
            continue
        path = f"layouts/{name}.layout"
        before, after = snapshot.originals.get(path), deployed.get(path)
        if before is None or after is None:
            continue
        try:
            section = derive_record(before, after)
        except (LayoutPatchError, ValueError):
            continue
        if section is not None:
            record.sections[name] = section
    widgets = snapshot.extra.get(WIDGETS_KEY)
    if isinstance(widgets, dict):
        # Pages it placed our component on or took it out of: the files cannot tell which,
        # and our identifier finds nothing on a page it was taken out of.
        record.record_pages = {
            name: True for kind, name in snapshot.patched if kind == "FlexiPage" and name in widgets
        }
    if SECURITY_PATH in deployed:
        added = _range_keys(deployed[SECURITY_PATH]) - _range_keys(
            snapshot.originals.get(SECURITY_PATH)
        )
        record.ranges_created = sorted(added)
    return record


def deploy_record(snapshot: Snapshot) -> DeployRecord:
    """The record of ``snapshot``'s deploy (derived from its files when it has none)."""
    if OWNERSHIP_KEY in snapshot.extra:
        return DeployRecord.from_json(snapshot.extra[OWNERSHIP_KEY])
    return legacy_record(snapshot)


def legacy_release(manifest: dict[str, Any], record: DeployRecord) -> Released:
    """What a rollback marked before releases were recorded took out: the layouts and the
    ranges of the deploy it undid."""
    patched = manifest.get("components_patched", [])
    layouts = [c["name"] for c in patched if c["type"] == "Layout"]
    pages = [c["name"] for c in patched if c["type"] == "FlexiPage"]
    return Released(layouts, list(record.ranges_created) + list(record.ranges_adopted), [], pages)


def current_ownership(root: Path, org: str) -> Ownership:
    """Every deploy and rollback of ``org`` replayed in time order."""
    # (time, order, snapshot id, the release at that time or None for the deploy)
    events: list[tuple[str, int, str, Released | None]] = []
    manifests: dict[str, dict[str, Any]] = {}
    for snapshot_id, manifest in readable_manifests(root, org):
        manifests[snapshot_id] = manifest
        if manifest.get("deploy_success"):
            events.append((snapshot_id, 0, snapshot_id, None))
        entries = manifest.get(RELEASES_KEY)
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict) and isinstance(entry.get("at"), str):
                    events.append((entry["at"], 1, snapshot_id, Released.from_json(entry)))
        elif (at := rolled_back_at(manifest)) is not None:
            events.append((at, 2, snapshot_id, None))
    ownership = Ownership()
    records: dict[str, DeployRecord] = {}
    for _, kind, snapshot_id, released in sorted(events, key=lambda e: e[:3]):
        manifest = manifests[snapshot_id]
        if snapshot_id not in records:
            try:
                records[snapshot_id] = _record_of(root, org, snapshot_id, manifest)
            except DamagedSnapshot:
                # An original it lists is gone: its record cannot be rebuilt, so it
                # claims nothing (what no record names is left alone).
                records[snapshot_id] = DeployRecord()
        record = records[snapshot_id]
        if kind == 0:
            added = [(c["type"], c["name"]) for c in manifest.get("components_added", [])]
            ownership.apply_deploy(snapshot_id, record, added)
        elif released is not None:
            ownership.apply_release(released)
        else:
            ownership.apply_release(legacy_release(manifest, record))
    return ownership


def _record_of(root: Path, org: str, snapshot_id: str, manifest: dict[str, Any]) -> DeployRecord:
    if OWNERSHIP_KEY in manifest:
        return DeployRecord.from_json(manifest[OWNERSHIP_KEY])
    return legacy_record(load_snapshot(root, org, snapshot_id))


def unreleased_deploys(root: Path, org: str) -> list[str]:
    """Snapshots of deploys that went through and that no rollback undid, oldest first."""
    found = []
    for snapshot_id, manifest in readable_manifests(root, org):
        if manifest.get("deploy_success") and rolled_back_at(manifest) is None:
            found.append(snapshot_id)
    return found
