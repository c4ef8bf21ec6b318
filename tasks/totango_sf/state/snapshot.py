"""Snapshots of what a deploy replaces, for rollback.

``.totango/snapshots/<org>/<UTC timestamp>/`` holds the org's layouts and
Security.settings exactly as retrieved before the deploy, under their Metadata
API paths in ``files/``, and ``manifest.json``: what the deploy added and
patched and its id. Only metadata goes in; no token, URL or user name is ever
written, so a snapshot may be attached to a ticket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tasks.totango_sf.errors import BadInput
from tasks.totango_sf.metadata.paths import check_all, contained
from tasks.totango_sf.state.state_paths import (
    make_private_dirs,
    safe_file_name,
    state_path,
    write_private,
)

# Relative: found under the CumulusCI project root, not the current directory.
SNAPSHOT_ROOT = Path(".totango/snapshots")
MANIFEST = "manifest.json"
FILES = "files"


def snapshot_folder(root: Path | None = None) -> Path:
    """``root``, or the module's ``SNAPSHOT_ROOT`` read at call time (tests and callers
    point it elsewhere)."""
    return root if root is not None else SNAPSHOT_ROOT


class SnapshotNotFound(BadInput):
    """No snapshot (or not the one asked for) exists for this org."""


@dataclass
class Snapshot:
    org: str
    id: str
    path: Path
    originals: dict[str, bytes]
    added: list[tuple[str, str]]
    patched: list[tuple[str, str]]
    deploy_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def manifest(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "id": self.id,
            "deploy_id": self.deploy_id,
            "components_added": [{"type": t, "name": n} for t, n in self.added],
            "components_patched": [{"type": t, "name": n} for t, n in self.patched],
            "files": sorted(self.originals),
            **self.extra,
        }


def org_folder(root: Path, org: str) -> Path:
    return state_path(root) / safe_file_name(org)


def new_snapshot_id(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


def write_snapshot(
    root: Path,
    org: str,
    originals: Mapping[str, bytes],
    added: list[tuple[str, str]],
    patched: list[tuple[str, str]],
    deploy_id: str | None = None,
    now: datetime | None = None,
) -> Snapshot:
    snapshot_id = new_snapshot_id(now)
    path = org_folder(root, org) / snapshot_id
    snapshot = Snapshot(org, snapshot_id, path, dict(originals), added, patched, deploy_id)
    # File names come from the org's retrieve: all are checked before the first write.
    check_all(originals)
    make_private_dirs(path)
    for rel, data in originals.items():
        write_private(contained(path / FILES, rel), data)
    _write_manifest(snapshot)
    return snapshot


def _write_manifest(snapshot: Snapshot) -> None:
    write_private(
        snapshot.path / MANIFEST,
        (json.dumps(snapshot.manifest(), indent=2, sort_keys=True) + "\n").encode("utf-8"),
    )


def save_manifest(snapshot: Snapshot) -> None:
    """Write the manifest now (a deploy's id and state are recorded as they happen)."""
    _write_manifest(snapshot)


def record_deploy(snapshot: Snapshot, deploy_id: str, success: bool) -> None:
    """Once the deploy ran, note its id and outcome in the manifest."""
    snapshot.deploy_id = deploy_id
    snapshot.extra["deploy_success"] = success
    _write_manifest(snapshot)


def list_snapshots(root: Path, org: str) -> list[str]:
    folder = org_folder(root, org)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / MANIFEST).is_file())


def load_snapshot(root: Path, org: str, snapshot_id: str | None = None) -> Snapshot:
    """The given snapshot, or the latest one of a deploy that succeeded (an adoption
    recorded without a deploy is no deploy to roll back: ``org/deploy.record_adoption``)."""
    ids = list_snapshots(root, org)
    if snapshot_id is None:
        usable = [
            i
            for i in ids
            if (m := _manifest(root, org, i)).get("deploy_success") and m.get("kind") != "adopt"
        ]
        if not usable:
            raise SnapshotNotFound(f"no snapshot of a successful deploy to {org!r} in {root}")
        snapshot_id = usable[-1]
    elif snapshot_id not in ids:
        raise SnapshotNotFound(
            f"no snapshot {snapshot_id!r} for org {org!r} in {root}"
            f" (have: {', '.join(ids) or 'none'})"
        )
    path = org_folder(root, org) / snapshot_id
    manifest = _manifest(root, org, snapshot_id)
    originals = {
        rel: contained(path / FILES, rel).read_bytes() for rel in manifest.get("files", [])
    }
    known = {"org", "id", "deploy_id", "components_added", "components_patched", "files"}
    return Snapshot(
        org,
        snapshot_id,
        path,
        originals,
        [(c["type"], c["name"]) for c in manifest.get("components_added", [])],
        [(c["type"], c["name"]) for c in manifest.get("components_patched", [])],
        manifest.get("deploy_id"),
        {k: v for k, v in manifest.items() if k not in known},
    )


def read_manifest(root: Path, org: str, snapshot_id: str) -> dict[str, Any]:
    """One snapshot's manifest alone, without reading its files."""
    return _manifest(root, org, snapshot_id)


def _manifest(root: Path, org: str, snapshot_id: str) -> dict[str, Any]:
    data = json.loads((org_folder(root, org) / snapshot_id / MANIFEST).read_text("utf-8"))
    return data if isinstance(data, dict) else {}


# What the deploy put in place for each patched file, beside the originals: an
# exact restore compares it with the org's current file before overwriting.
DEPLOYED = "deployed"


def save_deployed(snapshot: Snapshot, files: Mapping[str, bytes]) -> None:
    for rel in snapshot.originals:
        if rel in files:
            write_private(contained(snapshot.path / DEPLOYED, rel), files[rel])


def load_deployed(snapshot: Snapshot) -> dict[str, bytes]:
    folder = snapshot.path / DEPLOYED
    found = {}
    for rel in snapshot.originals:
        target = contained(folder, rel)
        if target.is_file():
            found[rel] = target.read_bytes()
    return found
