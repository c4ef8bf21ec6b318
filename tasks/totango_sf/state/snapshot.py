"""Snapshots of what a deploy replaces, for rollback.

``.totango/snapshots/<org>/<UTC timestamp>/`` holds the org's layouts and
Security.settings exactly as retrieved before the deploy, under their Metadata
API paths in ``files/``, and ``manifest.json``: what the deploy added and
patched and its id. Only metadata goes in; no token, URL or user name is ever
written, so a snapshot may be attached to a ticket.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tasks.totango_sf.errors import BadInput, LocalFileError, status_command
from tasks.totango_sf.metadata.paths import check_all, contained, relative_path_problem
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


class DamagedSnapshot(BadInput):
    """A snapshot's manifest, or a file it lists, cannot be read or is not what it should
    be (cut short, hand-edited, deleted). Refused where that snapshot is the one needed;
    elsewhere it is skipped with a warning naming the file."""

    def __init__(self, path: Path, problem: str, hint: str = ""):
        self.path = path
        self.problem = problem
        message = f"snapshot file {path} is damaged: {problem}"
        super().__init__(f"{message}; {hint}" if hint else message)

    def verdict_data(self) -> dict[str, Any]:
        return {"path": str(self.path), "problem": self.problem}

    @property
    def warning(self) -> str:
        return f"skipped damaged snapshot file {self.path}: {self.problem}"


class _SnapshotFiles(Mapping[str, bytes]):
    """A snapshot's originals, each read when first asked for (a scan of the manifests
    needs their names only); a missing file is a ``DamagedSnapshot`` naming it."""

    def __init__(self, folder: Path, names: list[str]):
        self._folder = folder
        self._names = list(names)
        self._read: dict[str, bytes] = {}

    def __getitem__(self, rel: str) -> bytes:
        if rel not in self._names:
            raise KeyError(rel)
        if rel not in self._read:
            self._read[rel] = _read_original(self._folder, rel)
        return self._read[rel]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _read_original(folder: Path, rel: str) -> bytes:
    path = contained(folder, rel)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DamagedSnapshot(path, "the manifest lists it, but the file is missing") from None
    except OSError as exc:
        raise DamagedSnapshot(path, f"cannot be read ({exc.strerror or exc})") from None


@dataclass
class Snapshot:
    org: str
    id: str
    path: Path
    originals: Mapping[str, bytes]
    added: list[tuple[str, str]]
    patched: list[tuple[str, str]]
    deploy_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Set once a deploy of this snapshot may have reached the org: from then on a
    # manifest that cannot be written is a warning, never an error (the org acted).
    sent: bool = field(default=False, compare=False)
    warnings: list[str] = field(default_factory=list, compare=False)

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
    """Write the snapshot before anything is sent; one that cannot be written whole
    is removed again and raises a ``LocalFileError`` naming the file."""
    snapshot_id = new_snapshot_id(now)
    path = org_folder(root, org) / snapshot_id
    snapshot = Snapshot(org, snapshot_id, path, dict(originals), added, patched, deploy_id)
    # File names come from the org's retrieve: all are checked before the first write.
    check_all(originals)
    make_private_dirs(path)
    try:
        for rel, data in originals.items():
            write_private(contained(path / FILES, rel), data)
        _write_manifest(snapshot)
    except LocalFileError:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return snapshot


def _write_manifest(snapshot: Snapshot) -> None:
    try:
        write_private(
            snapshot.path / MANIFEST,
            (json.dumps(snapshot.manifest(), indent=2, sort_keys=True) + "\n").encode("utf-8"),
        )
    except LocalFileError as exc:
        if not snapshot.sent:
            raise
        ids = snapshot.extra.get("deploy_ids") or [snapshot.deploy_id]
        warning = (
            f"{exc}: the org's answer is reported here all the same, and"
            f" `{status_command(snapshot.org, ids[-1])}` settles it without this file"
        )
        if warning not in snapshot.warnings:
            snapshot.warnings.append(warning)


def save_manifest(snapshot: Snapshot) -> None:
    """Write the manifest now (a deploy's id and state are recorded as they happen)."""
    _write_manifest(snapshot)


def record_deploy(snapshot: Snapshot, deploy_id: str, success: bool) -> None:
    """Once the deploy ran, note its id and outcome in the manifest."""
    snapshot.deploy_id = deploy_id
    snapshot.extra["deploy_success"] = success
    _write_manifest(snapshot)


def list_snapshots(root: Path, org: str) -> list[str]:
    """The ids of the org's snapshots that hold a manifest (damaged ones included)."""
    folder = org_folder(root, org)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / MANIFEST).is_file())


def _each_manifest(root: Path, org: str) -> Iterator[tuple[str, dict[str, Any] | DamagedSnapshot]]:
    """(id, its manifest or what is wrong with it) of each snapshot of ``org``, oldest
    first: one reading for the damaged ones and the readable ones."""
    for snapshot_id in list_snapshots(root, org):
        try:
            yield snapshot_id, _manifest(root, org, snapshot_id)
        except DamagedSnapshot as exc:
            yield snapshot_id, exc


def damaged_snapshots(root: Path, org: str) -> list[DamagedSnapshot]:
    """Every snapshot of ``org`` whose manifest cannot be read or is malformed."""
    return [m for _, m in _each_manifest(root, org) if isinstance(m, DamagedSnapshot)]


def readable_snapshots(root: Path, org: str) -> Iterator[Snapshot]:
    """The org's snapshots, newest first, skipping damaged manifests (``damaged_snapshots``
    names them); their files are read only when asked for."""
    for snapshot_id in reversed(list_snapshots(root, org)):
        try:
            yield _loaded(root, org, snapshot_id, eager=False)
        except DamagedSnapshot:
            continue


def latest_successful(root: Path, org: str) -> Snapshot | None:
    """The latest snapshot of a deploy that succeeded, or None when there is none or a
    damaged manifest newer than it leaves which one is the latest unknown."""
    try:
        return load_snapshot(root, org)
    except (SnapshotNotFound, DamagedSnapshot):
        return None


def load_snapshot(root: Path, org: str, snapshot_id: str | None = None) -> Snapshot:
    """The given snapshot, or the latest one of a deploy that succeeded, with its files
    (an adoption recorded without a deploy is no deploy to roll back:
    ``org/deploy.record_adoption``).

    Raises ``DamagedSnapshot`` when that snapshot is damaged, or when a damaged
    manifest newer than the latest usable one might be the latest deploy.
    """
    ids = list_snapshots(root, org)
    if snapshot_id is None:
        for candidate in reversed(ids):
            try:
                manifest = _manifest(root, org, candidate)
            except DamagedSnapshot as exc:
                raise DamagedSnapshot(
                    exc.path,
                    exc.problem,
                    "it may be the latest deploy, so no snapshot is taken in its place: name"
                    " an older one with --snapshot ID (rollback), or move that snapshot's"
                    " folder out of the way",
                ) from None
            if manifest.get("deploy_success") and manifest.get("kind") != "adopt":
                snapshot_id = candidate
                break
        else:
            raise SnapshotNotFound(f"no snapshot of a successful deploy to {org!r} in {root}")
    elif snapshot_id not in ids:
        raise SnapshotNotFound(
            f"no snapshot {snapshot_id!r} for org {org!r} in {root}"
            f" (have: {', '.join(ids) or 'none'})"
        )
    return _loaded(root, org, snapshot_id, eager=True)


def _loaded(root: Path, org: str, snapshot_id: str, eager: bool) -> Snapshot:
    path = org_folder(root, org) / snapshot_id
    manifest = _manifest(root, org, snapshot_id)
    names = list(manifest.get("files", []))
    originals: Mapping[str, bytes] = _SnapshotFiles(path / FILES, names)
    if eager:
        originals = {rel: originals[rel] for rel in names}
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


def readable_manifests(root: Path, org: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, manifest) of each snapshot of ``org``, oldest first, skipping damaged ones: a
    damaged old snapshot never blocks new work (``damaged_snapshots`` names them, and the
    commands warn). What it recorded then counts for nothing, which loses nothing: a
    section or range no record names is left alone."""
    for snapshot_id, manifest in _each_manifest(root, org):
        if not isinstance(manifest, DamagedSnapshot):
            yield snapshot_id, manifest


def read_manifest(root: Path, org: str, snapshot_id: str) -> dict[str, Any]:
    """One snapshot's manifest alone, without reading its files (DamagedSnapshot if bad)."""
    return _manifest(root, org, snapshot_id)


def _manifest(root: Path, org: str, snapshot_id: str) -> dict[str, Any]:
    path = org_folder(root, org) / snapshot_id / MANIFEST
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise DamagedSnapshot(path, f"cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise DamagedSnapshot(path, "is not UTF-8 text") from None
    except ValueError as exc:
        raise DamagedSnapshot(path, f"is not JSON (cut short or edited? {exc})") from None
    problem = manifest_problem(data)
    if problem:
        raise DamagedSnapshot(path, problem)
    assert isinstance(data, dict)
    return data


_OPTIONAL_STRINGS = ("deploy_id", "org_id", "quick_deploy_of", "test_level")
_BOOLEANS = ("deploy_success", "check_only")


def manifest_problem(data: Any) -> str | None:
    """What makes ``data`` no snapshot manifest (wrong types, unsafe file names), or None."""
    if not isinstance(data, dict):
        return f"the manifest must be a JSON object, not {type(data).__name__}"
    files = data.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return "'files' must be a list of file names"
    for rel in files:
        if problem := relative_path_problem(rel):
            return f"'files' holds {rel!r}, which {problem}"
    for key in ("components_added", "components_patched"):
        entries = data.get(key, [])
        if not isinstance(entries, list) or not all(
            isinstance(e, dict)
            and isinstance(e.get("type"), str)
            and isinstance(e.get("name"), str)
            for e in entries
        ):
            return f"{key!r} must be a list of {{'type': ..., 'name': ...}} entries"
    for key, value in data.items():
        wrong = (
            (key in _OPTIONAL_STRINGS or key.endswith(("_state", "_submitted_at", "_reason")))
            and value is not None
            and not isinstance(value, str)
        ) or (key in _BOOLEANS and not isinstance(value, bool))
        if wrong:
            return f"{key!r} has the wrong type ({type(value).__name__})"
    for key in ("deploy_ids", "tests"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"{key!r} must be a list of strings"
    tests_run = data.get("tests_run", 0)
    if not isinstance(tests_run, int) or isinstance(tests_run, bool):
        return f"'tests_run' must be a number, not {type(tests_run).__name__}"
    for key in ("quick_deploy_id", "rollback_deploy_id"):
        if data.get(key) is not None and not isinstance(data[key], str):
            return f"{key!r} has the wrong type ({type(data[key]).__name__})"
    for key in ("record_page_widgets", "record_page_legacy_claims", "rolled_back"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            return f"{key!r} must be a JSON object"
    return None


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
