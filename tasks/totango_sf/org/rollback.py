"""Rollback that never destroys work done in the org after the deploy.

Restoring a snapshot's files replaces whole layouts and every trusted range, so a
range an admin added, or a layout edit made after the deploy, would be silently
lost. So the default rollback is surgical: it retrieves the org's *current*
layouts and Security.settings and takes out only what the setup owns, as recorded
when it was made (``state/ownership.py``), never what today's config would make:
our section as the deploy left it (an adopted one gets its original back), the
ranges the deploy added (an adopted range it removed comes back), and with
``remove_components`` our components.

What is taken out is the inverse of the snapshot's deploy. With ``remove_components``
(the uninstall) it is everything the setup owns, from every deploy the org has seen:
every section and range of ours, our component on every record page, the org defaults
it assigned, and every component a deploy created and no rollback deleted since. A
component that existed before the first deploy was never created by it and is never
deleted. Each rollback records what it took out (``record_release``), so what is ours
afterwards is known without reading the org.

Exact restore of the snapshot stays available (``exact``). It first compares the
org's current files with what the deploy left there and refuses, with a diff,
when they differ, unless ``force`` is given.

A snapshot records the id of the org it was taken from; a rollback refuses a
snapshot of another org, since a CumulusCI alias such as ``dev`` is reused for
each new scratch org.

Deleting our permission set needs its assignments gone first (an assigned
permission set cannot be deleted), and deleting them before a deploy that then
fails would leave the org changed. So the components are removed in a first
deploy, the assignments only once it succeeded, and the permission set last.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.merge.layout import LayoutPatchError
from tasks.totango_sf.merge.layout_ownership import holds_section, take_out_section
from tasks.totango_sf.merge.record_page_plan import flexipage_path
from tasks.totango_sf.merge.security import (
    RangeKey,
    add_ip_ranges,
    ip_ranges_in,
    range_key,
    range_of,
    remove_ip_ranges,
    with_explicit_network_access,
)
from tasks.totango_sf.merge.security_scope import network_access_only, same_network_access
from tasks.totango_sf.metadata.components import components_from_mdapi
from tasks.totango_sf.metadata.package_xml import package_member, package_xml
from tasks.totango_sf.metadata.validation import require_valid
from tasks.totango_sf.metadata.xml import canonical_bytes
from tasks.totango_sf.org.component_diff import component_files
from tasks.totango_sf.org.desired_state import SECURITY_PATH, object_path
from tasks.totango_sf.org.failure_origin import FailureOrigin, trace_failure
from tasks.totango_sf.org.org_default_rollback import plan_object_rollback
from tasks.totango_sf.org.permset_assignment import (
    assignments_made,
    recorded_assignments_present,
    remove_assignments,
    remove_recorded_assignments,
)
from tasks.totango_sf.org.record_page_rollback import pages_without_widget
from tasks.totango_sf.org.requests import RollbackRequest, RunHooks, polling
from tasks.totango_sf.org.results import DeployRefused, Timings
from tasks.totango_sf.salesforce.admin_lock import AdminSetupLocked, is_admin_locked
from tasks.totango_sf.salesforce.apex_tests import (
    ApexTestLevelRefused,
    choose_test_plan,
    production_for_tests,
)
from tasks.totango_sf.salesforce.metadata_api import (
    DeployResult,
    Polling,
    deploy_files,
    destructive_package,
    retrieve_files,
)
from tasks.totango_sf.salesforce.org_identity import org_id_of, same_org
from tasks.totango_sf.state.ownership import (
    ADOPTED_REMOVED,
    Ownership,
    Released,
    current_ownership,
    deploy_record,
    record_pending_release,
    record_release,
    unreleased_deploys,
)
from tasks.totango_sf.state.rollback_mark import mark_rolled_back
from tasks.totango_sf.state.snapshot import (
    Snapshot,
    load_deployed,
    load_snapshot,
    snapshot_folder,
)
from tasks.totango_sf.state.tracking import Tracker, refuse_if_in_flight, run_tracked

RollbackMode = Literal["surgical", "exact"]
RollbackStatus = Literal["rolled_back", "failed", "partly_done", "nothing_to_do"]
ORG_ID_KEY = "org_id"
# Deleted after the restored layouts are in place: a page still shown on a
# layout cannot be deleted, so the deletions must run last in the same deploy.
DESTRUCTIVE_FILE = "destructiveChangesPost.xml"
DESTRUCTIVE_PRE_FILE = "destructiveChangesPre.xml"
# Deleted only on request (fields lose their data) or never (patches are restored).
REMOVABLE_TYPES = (
    "ApexPage",
    "CustomTab",
    "PermissionSet",
    "Report",
    "ReportFolder",
    "FlexiPage",
)


class SnapshotFromAnotherOrg(DeployRefused):
    """The snapshot was taken from a different org than the one now behind the alias."""


class OrgChangedSinceDeploy(DeployRefused):
    """Exact restore would overwrite changes made in the org after the deploy."""

    def __init__(self, message: str, diffs: dict[str, str]):
        super().__init__(message)
        self.diffs = diffs


@dataclass
class RollbackOutcome:
    org: str
    snapshot_id: str
    mode: RollbackMode
    restored: list[tuple[str, str]]
    deleted: list[tuple[str, str]]
    status: RollbackStatus = "failed"
    assignments_removed: int = 0
    deploy: DeployResult | None = None
    permission_set_deploy: DeployResult | None = None
    warnings: list[str] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    # The files the rollback's first deploy sent, and the org's as it read them: what a
    # component failure is traced in (``failure_origin``).
    sent: dict[str, bytes] = field(default_factory=dict, repr=False)
    org_files: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.status in ("rolled_back", "nothing_to_do")

    def failure_origins(self) -> list[FailureOrigin]:
        """Each component failure of the first deploy: whose line, and what to do."""
        if self.deploy is None or not self.deploy.failures:
            return []
        return [
            trace_failure(f, self.sent, self.org_files, "rollback") for f in self.deploy.failures
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "org": self.org,
            "snapshot": self.snapshot_id,
            "mode": self.mode,
            "status": self.status,
            "restore": [{"type": t, "name": n} for t, n in self.restored],
            "delete": [{"type": t, "name": n} for t, n in self.deleted],
            "permission_set_assignments_removed": self.assignments_removed,
            "deploy": self.deploy.to_json() if self.deploy else None,
            "deploy_id": self.deploy.id if self.deploy else None,
            "permission_set_deploy": self.permission_set_deploy.to_json()
            if self.permission_set_deploy
            else None,
            "failure_origins": [f.to_json() for f in self.failure_origins()],
            "warnings": self.warnings,
            "timings": self.timings.phases,
        }


# -- what the snapshot knows ---------------------------------------------------------


def check_snapshot_org(session: Any, snapshot: Snapshot) -> list[str]:
    """Refuse a snapshot of another org; returns warnings."""
    recorded = snapshot.extra.get(ORG_ID_KEY)
    if not recorded:
        return [
            f"snapshot {snapshot.id} records no org id (taken by an older version):"
            " it cannot be checked to come from this org"
        ]
    current = org_id_of(session)
    if current and not same_org(str(recorded), current):
        raise SnapshotFromAnotherOrg(
            f"snapshot {snapshot.id} was taken from org {recorded}, but {session.name!r} is now"
            f" org {current} (an alias reused for a new org?); nothing was sent"
        )
    return []


# -- the files of a rollback ---------------------------------------------------------


def _path(type_name: str, name: str) -> str:
    if type_name == "FlexiPage":
        return flexipage_path(name)
    if type_name == "CustomObject":
        return object_path(name)
    return SECURITY_PATH if type_name == "Settings" else f"layouts/{name}.layout"


def _files_patched(snapshot: Snapshot) -> list[tuple[str, str]]:
    """Layouts and Security.settings; record pages have their own rollback
    (``record_page_rollback``: our component out of each page as it is now, in both modes)."""
    return [key for key in snapshot.patched if key[0] in ("Layout", "Settings")]


@dataclass
class Scope:
    """What one rollback takes out: the deploys it undoes and what of theirs is ours."""

    snapshot: Snapshot
    ownership: Ownership
    # The snapshots whose record pages and org defaults are undone, newest first.
    deploys: list[Snapshot]
    layouts: list[str]
    ranges: list[RangeKey]
    uninstall: bool = False


def rollback_scope(root: Path, snapshot: Snapshot, uninstall: bool) -> Scope:
    """The inverse of ``snapshot``'s deploy; with ``uninstall`` of every deploy not yet
    undone, so that what the setup owns from all of them goes."""
    ownership = current_ownership(root, snapshot.org)
    if uninstall:
        deploys = [
            load_snapshot(root, snapshot.org, i)
            for i in reversed(unreleased_deploys(root, snapshot.org))
        ]
        if all(d.id != snapshot.id for d in deploys):
            deploys.append(snapshot)
        return Scope(
            snapshot, ownership, deploys, sorted(ownership.sections), sorted(ownership.ranges),
            uninstall=True,
        )  # fmt: skip
    record = deploy_record(snapshot)
    layouts = set(record.sections) | {n for k, n in snapshot.patched if k == "Layout"}
    ranges = set(record.ranges_created) | set(record.ranges_adopted) | set(record.ranges_removed)
    return Scope(
        snapshot,
        ownership,
        [snapshot],
        sorted(n for n in layouts if n in ownership.sections),
        sorted(k for k in ranges if k in ownership.ranges),
    )


def _files_to_read(scope: Scope) -> list[tuple[str, str]]:
    """Every file the rollback needs as the org holds it now, in one retrieve: layouts
    holding our section, Security.settings, record pages (``record_page_rollback``) and
    objects (``org_default_rollback``)."""
    keys = {("Layout", name) for name in scope.layouts}
    keys |= {key for key in scope.snapshot.patched if key[0] in ("Layout", "Settings")}
    if scope.ranges:
        keys.add(("Settings", "Security"))
    for deploy in scope.deploys:
        keys |= {k for k in deploy.patched if k[0] in ("FlexiPage", "CustomObject")}
    return sorted(keys)


def surgical_files(
    scope: Scope, current: Mapping[str, bytes]
) -> tuple[dict[str, bytes], list[str], Released]:
    """The org's current files without what the setup owns (as recorded, whatever the
    config says now); only those that change, and what was released."""
    files: dict[str, bytes] = {}
    warnings: list[str] = []
    released = Released()
    for name in scope.layouts:
        record = scope.ownership.sections[name]
        path = f"layouts/{name}.layout"
        have = current.get(path)
        if have is None:
            released.sections.append(name)
            warnings.append(f"layout {name!r} is no longer in the org; nothing to remove")
            continue
        try:
            wanted, outcome, note = take_out_section(have, record)
        except LayoutPatchError as exc:
            # Still ours: a later run may take it out.
            warnings.append(f"layout {name!r}: {exc}; left as it is")
            continue
        released.sections.append(name)
        if note:
            warnings.append(f"layout {name}: {note}")
        if outcome != "not_found" and canonical_bytes(wanted) != canonical_bytes(have):
            files[path] = wanted
    if scope.ranges:
        have = current.get(SECURITY_PATH) or EMPTY_SECURITY
        origins = scope.ownership.ranges
        ours = [range_of(k) for k in scope.ranges if origins[k] == "created"]
        wanted = remove_ip_ranges(have, ours)
        present = {range_key(r) for r in ip_ranges_in(wanted)}
        back = [k for k in scope.ranges if origins[k] == ADOPTED_REMOVED and k not in present]
        if back:
            # Adopted from an admin, then removed as stale by a deploy: theirs again.
            wanted = add_ip_ranges(wanted, [range_of(k) for k in back])
        released.ranges = list(scope.ranges)
        if not same_network_access(wanted, have):
            files[SECURITY_PATH] = network_access_only(wanted)
    return files, warnings, released


EMPTY_SECURITY = b'<SecuritySettings xmlns="http://soap.sforce.com/2006/04/metadata"/>'


def exact_release(scope: Scope) -> Released:
    """What an exact restore of the snapshot's files gives back: our sections absent from
    the layouts as they were before its deploy, and the ranges it added or adopted."""
    released = Released()
    for name in scope.layouts:
        original = scope.snapshot.originals.get(f"layouts/{name}.layout")
        record = scope.ownership.sections[name]
        try:
            kept = original is not None and holds_section(original, record)
        except LayoutPatchError:
            kept = False
        if not kept:
            released.sections.append(name)
    released.ranges = list(scope.ranges)
    return released


def _diff(path: str, before: bytes, after: bytes | None) -> str:
    old = canonical_bytes(before).decode("utf-8", "replace").splitlines(keepends=True)
    new = (canonical_bytes(after) if after else b"").decode("utf-8", "replace")
    return "".join(
        difflib.unified_diff(
            old, new.splitlines(keepends=True), fromfile=f"deployed/{path}", tofile=f"org/{path}"
        )
    )


def changes_since_deploy(
    snapshot: Snapshot, current: Mapping[str, bytes], deployed: Mapping[str, bytes]
) -> dict[str, str]:
    """Per patched file, a diff of what the deploy left against the org's file now."""
    diffs = {}
    for type_name, name in _files_patched(snapshot):
        path = _path(type_name, name)
        left, now = deployed.get(path), current.get(path)
        if left is None:
            diffs[path] = "(what the deploy left here was not recorded)\n"
            continue
        if path == SECURITY_PATH:
            same = now is not None and same_network_access(left, now)
            if not same:
                diffs[path] = _diff(path, network_access_only(left),
                                    network_access_only(now) if now else None)  # fmt: skip
        elif now is None or canonical_bytes(left) != canonical_bytes(now):
            diffs[path] = _diff(path, left, now)
    return diffs


def exact_files(snapshot: Snapshot) -> dict[str, bytes]:
    files = {}
    for type_name, name in _files_patched(snapshot):
        path = _path(type_name, name)
        if path not in snapshot.originals:
            continue
        if path == SECURITY_PATH:
            files[path] = network_access_only(
                with_explicit_network_access(snapshot.originals[path])
            )
        else:
            files[path] = snapshot.originals[path]
    return files


def rollback_package(
    files: Mapping[str, bytes], deleted: list[tuple[str, str]], api_version: str
) -> dict[str, bytes]:
    """``files`` (each component named in package.xml) and the deletions of ``deleted``."""
    package = dict(files)
    package["package.xml"] = package_xml(_keys_of(files), api_version)
    # A record page we created shows our Visualforce page, which cannot be deleted while
    # shown; nothing shows the unassigned page, so it goes first ("destructiveChangesPre":
    # deleted before the other components are deployed, Metadata API Developer Guide,
    # "Deleting Components from an Organization").
    pages = [key for key in deleted if key[0] == "FlexiPage"]
    rest = [key for key in deleted if key[0] != "FlexiPage"]
    if any(path.startswith("objects/") for path in files):
        # A created page that was the org default can go only once the object's
        # override no longer names it: after this deploy ("destructiveChangesPost").
        pages, rest = [], pages + rest
    if pages:
        package[DESTRUCTIVE_PRE_FILE] = package_xml(pages, None)
    if rest:
        # Deleted after the changed layouts are in place: a page still shown on a
        # layout cannot be deleted, so the deletions run last in the same deploy.
        package[DESTRUCTIVE_FILE] = package_xml([package_member(t, n) for t, n in rest], None)
    return dict(sorted(package.items()))


REMOVABLE_ORDER = {name: index for index, name in enumerate((*REMOVABLE_TYPES, "CustomField"))}


def rollback_plan(
    scope: Scope, remove_components: bool, delete_fields: bool
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(components patched back, components deleted): every component a deploy created
    and no rollback deleted since, from every deploy the org has seen."""
    deleted: list[tuple[str, str]] = []
    if remove_components:
        removable = REMOVABLE_TYPES + (("CustomField",) if delete_fields else ())
        deleted = sorted(
            (key for key in scope.ownership.components if key[0] in removable),
            key=lambda key: (REMOVABLE_ORDER[key[0]], key[1]),
        )
    return list(scope.snapshot.patched), deleted


# -- the rollback --------------------------------------------------------------------


def rollback(
    session: Any,
    config: TotangoConfig,
    request: RollbackRequest = RollbackRequest(),
    hooks: RunHooks = RunHooks(),
) -> RollbackOutcome:
    """Take the setup out of the org (surgical), or restore the snapshot exactly.

    ``hooks.on_plan`` is called with (components restored, components deleted)."""
    snapshot = load_snapshot(
        snapshot_folder(request.snapshot_root), session.name, request.snapshot_id
    )
    outcome = _rollback(session, config, request, hooks, snapshot)
    # Run state that could not be written once the org acted is a warning, not an error
    # (snapshot._write_manifest): the user sees it with the org's answer.
    outcome.warnings.extend(w for w in snapshot.warnings if w not in outcome.warnings)
    return outcome


def _rollback(
    session: Any,
    config: TotangoConfig,
    request: RollbackRequest,
    hooks: RunHooks,
    snapshot: Snapshot,
) -> RollbackOutcome:
    exact, force = request.exact, request.force
    kind = session.kind()
    if kind.is_production and not request.yes:
        raise DeployRefused(f"org {session.name!r} is a production org; re-run rollback with --yes")
    try:
        test_plan = choose_test_plan(
            request.test_level,
            request.tests,
            production=production_for_tests(kind.org_type, kind.is_production),
            check_only=False,
            org=session.name,
        )
    except ApexTestLevelRefused as exc:
        raise DeployRefused(str(exc)) from None
    warnings = check_snapshot_org(session, snapshot)
    # An uninstall also removes the assignments this tool made, on whatever permission set
    # (an admin's stays); read before anything is sent, so a damaged ledger refuses.
    assignments = assignments_made(session.name) if request.remove_components else set()
    root = snapshot_folder(request.snapshot_root)
    scope = rollback_scope(root, snapshot, request.remove_components)
    restored, deleted = rollback_plan(scope, request.remove_components, request.delete_fields)
    outcome = RollbackOutcome(
        session.name, snapshot.id, "exact" if exact else "surgical", restored, deleted,
        warnings=warnings,
    )  # fmt: skip
    started = time.monotonic()
    to_read = _files_to_read(scope)
    current = retrieve_files(session, to_read, config.api_version) if to_read else {}
    outcome.timings.measure("read_org", started)
    deployed = load_deployed(snapshot)
    if exact:
        objects = plan_object_rollback(snapshot, current, exact=True)
        diffs = {**changes_since_deploy(snapshot, current, deployed), **objects.diffs}
        if diffs and not force:
            raise OrgChangedSinceDeploy(
                f"the org changed since snapshot {snapshot.id}'s deploy in {', '.join(diffs)};"
                " an exact restore would overwrite those changes. Nothing was sent. Roll back"
                " without --exact (removes only what the setup owns), or add --force.",
                diffs,
            )
        if diffs:
            outcome.warnings.append(
                f"--force: overwriting changes made since the deploy in {', '.join(diffs)}"
            )
        files = exact_files(snapshot)
        released = exact_release(scope)
        released.record_pages = _pages_released(scope)
        files.update(pages_without_widget(snapshot, current))
        files.update(objects.files)
        outcome.warnings.extend(objects.warnings)
    else:
        files, more, released = surgical_files(scope, current)
        released.record_pages = _pages_released(scope)
        outcome.warnings.extend(more)
        more_files, more_warnings, objects_restored = _pages_and_objects(scope, current)
        files.update(more_files)
        outcome.warnings.extend(more_warnings)
        outcome.restored = [
            key for key in _keys_of(files) if key[0] in ("Layout", "Settings")
        ] + objects_restored
    outcome.restored += [key for key in _keys_of(files) if key[0] == "FlexiPage"]
    given_back: list[tuple[str, str]] = []
    if request.remove_components:
        adopted_files, given_back, notes = adopted_originals(scope, root)
        files.update(adopted_files)
        outcome.restored += [key for key in given_back if key[0] != "CustomField"]
        outcome.warnings += notes
    if hooks.on_plan is not None:
        hooks.on_plan(outcome.restored, deleted)
    last = _after_assignments(deleted, _permission_sets(config))
    first = [key for key in deleted if key not in last]
    released.components = list(first) + given_back
    if not files and not first and not last and not assignments:
        outcome.status = "nothing_to_do"
        _settle(scope, outcome.mode, None, released)  # nothing of the deploy is left
        return outcome
    deploy_options: dict[str, Any] = {
        "polling": polling(request, hooks), "test_plan": test_plan, "snapshot": snapshot,
    }  # fmt: skip
    refuse_if_in_flight(session)
    if files or first:
        package = rollback_package(files, first, config.api_version)
        require_valid(package)
        outcome.sent, outcome.org_files = files, dict(current)
        record_pending_release(snapshot, released)
        started = time.monotonic()
        outcome.deploy = _tracked_deploy(session, package, config.api_version, **deploy_options)
        outcome.timings.measure("deploy", started)
        if is_admin_locked(outcome.deploy):
            # Every attempt found the administration setup locked: nothing was applied,
            # so the org is busy (exit 6), not the rollback failed (admin_lock.py).
            raise AdminSetupLocked.of(session.name, outcome.deploy)
        if not outcome.deploy.success:
            return outcome
    # Pages, objects and ranges are back (the permission set may follow): rollback_mark.
    _settle(scope, outcome.mode, outcome.deploy.id if outcome.deploy else None, released)
    if assignments and not _remove_recorded_assignments(session, outcome):
        return outcome
    if last:
        record_pending_release(snapshot, Released(components=list(last)))
        if not _remove_after_assignments(session, config, outcome, last, deploy_options):
            return outcome
        record_release(snapshot, Released(components=list(last)))
    outcome.status = "rolled_back"
    return outcome


def _settle(scope: Scope, mode: str, deploy_id: str | None, released: Released) -> None:
    """The rollback's first deploy went through (or there was nothing to send): mark the
    snapshot (and, for an uninstall, every deploy it undid) and record what it released."""
    for deploy in scope.deploys:
        # Once the org acted, a mark that cannot be written is a warning on every
        # snapshot the rollback undid, as on the one it ran from.
        deploy.sent = deploy.sent or scope.snapshot.sent
        mark_rolled_back(deploy, mode, deploy_id)
        scope.snapshot.warnings.extend(
            w for w in deploy.warnings if w not in scope.snapshot.warnings
        )
    mark_rolled_back(scope.snapshot, mode, deploy_id)
    record_release(scope.snapshot, released)


def _remove_recorded_assignments(session: Any, outcome: RollbackOutcome) -> bool:
    """The assignments this tool made (``permset_assignment``): a failure once something
    changed leaves the rollback partly done, to finish by running it again."""
    try:
        recorded, present = recorded_assignments_present(session)
    except Exception as exc:  # noqa: BLE001 - after a change, any failure is "partly done"
        if outcome.deploy is None:
            raise  # nothing was changed: the error is the outcome
        return _assignments_left(outcome, exc)
    try:
        outcome.assignments_removed += remove_recorded_assignments(session, recorded, present)
    except Exception as exc:  # noqa: BLE001 - a delete may have gone through
        return _assignments_left(outcome, exc)
    return True


def _assignments_left(outcome: RollbackOutcome, exc: BaseException) -> bool:
    outcome.status = "partly_done"
    outcome.warnings.append(
        f"rolled back, but the permission-set assignments this tool made were not all"
        f" removed: {exc}. Re-run the same rollback to finish."
    )
    return False


def _pages_and_objects(
    scope: Scope, current: Mapping[str, bytes]
) -> tuple[dict[str, bytes], list[str], list[tuple[str, str]]]:
    """Our component out of the record pages, and the org defaults given back, for each
    deploy the rollback undoes, newest first, each on the files the one before left."""
    view = dict(current)
    files: dict[str, bytes] = {}
    warnings: list[str] = []
    restored: list[tuple[str, str]] = []
    for deploy in scope.deploys:
        pages = pages_without_widget(deploy, view)
        objects = plan_object_rollback(deploy, view, exact=False)
        for path, data in {**pages, **objects.files}.items():
            if data != view.get(path):
                files[path] = data
                view[path] = data
        warnings += [w for w in objects.warnings if w not in warnings]
        restored += [key for key in objects.restored if key not in restored]
    return files, warnings, restored


def _pages_released(scope: Scope) -> list[str]:
    """The record pages our component is taken out of: those the undone deploys patched
    (and, for an uninstall, every page of ours)."""
    pages = {n for d in scope.deploys for k, n in d.patched if k == "FlexiPage"}
    if scope.uninstall:
        pages |= scope.ownership.record_pages
    return sorted(pages)


def adopted_originals(
    scope: Scope, root: Path
) -> tuple[dict[str, bytes], list[tuple[str, str]], list[str]]:
    """On an uninstall: (the files of each component an admin made that a deploy replaced
    on --adopt, as it was, from the snapshot of that deploy; every such component, which
    stops being ours; warnings). A field is left as the deploy left it: it holds the
    admin's data, and changing its definition back is for them to decide."""
    files: dict[str, bytes] = {}
    keys: list[tuple[str, str]] = []
    warnings: list[str] = []
    for key, snapshot_id in sorted(scope.ownership.adopted_components.items()):
        keys.append(key)
        if key[0] == "CustomField":
            warnings.append(f"field {key[1]} was made by hand and adopted: left as it is")
            continue
        originals = load_snapshot(root, scope.snapshot.org, snapshot_id).originals
        found = {c.key: c for c in components_from_mdapi(originals)}.get(key)
        if found is None:
            warnings.append(f"{key[0]} {key[1]}: its original is not in snapshot {snapshot_id}")
            continue
        files.update(component_files(found))
    return files, keys, warnings


# Folders of components a rollback gives back whole, and the suffix of their main file.
_GIVEN_BACK = {
    "pages": ("ApexPage", ".page-meta.xml"),
    "tabs": ("CustomTab", ".tab"),
    "permissionsets": ("PermissionSet", ".permissionset"),
    "reports": ("Report", ".report"),
}


def _keys_of(files: Mapping[str, bytes]) -> list[tuple[str, str]]:
    """The component of each file of a rollback package, by its Metadata API path."""
    keys = []
    for path in sorted(files):
        folder, _, name = path.partition("/")
        given_back = _GIVEN_BACK.get(folder)
        if given_back is not None:
            if name.endswith(given_back[1]):
                keys.append((given_back[0], name.removesuffix(given_back[1])))
            continue
        if folder == "layouts":
            keys.append(("Layout", name.removesuffix(".layout")))
        elif folder == "settings":
            keys.append(("Settings", name.removesuffix(".settings")))
        elif folder == "flexipages":
            keys.append(("FlexiPage", name.removesuffix(".flexipage")))
        elif folder == "objects":
            keys.append(("CustomObject", name.removesuffix(".object")))
    return keys


def _tracked_deploy(
    session: Any,
    files: dict[str, bytes],
    api_version: str,
    *,
    snapshot: Snapshot,
    polling: Polling,
    test_plan: Any,
) -> Any:
    """One rollback deploy, its id recorded in the snapshot the moment the org returns it."""
    return run_tracked(
        Tracker(snapshot, "rollback"),
        lambda started_callback: deploy_files(
            session,
            files,
            api_version,
            polling=replace(polling, on_started=started_callback),
            test_plan=test_plan,
        ),
        session,
        api_version,
        **polling.keywords(),
    )


# What our permission set grants access to cannot be deleted while it exists.
_REFERENCED_BY_PERMISSION_SET = ("ApexPage", "CustomTab", "CustomField")


def _permission_sets(config: TotangoConfig) -> list[tuple[str, str]]:
    """Every permission set the setup deploys (read access, and the integration user's)."""
    names = [config.permission_set.name, config.integration.permission_set]
    return [("PermissionSet", name) for name in dict.fromkeys(names)]


def _after_assignments(
    deleted: list[tuple[str, str]], permission_sets: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The deletions that must wait until the permission sets' assignments are gone.

    An assigned permission set cannot be deleted, and the page, tab and fields it
    grants access to cannot be deleted before it. They go in a second deploy.
    """
    if not any(key in deleted for key in permission_sets):
        return []
    return [k for k in deleted if k in permission_sets or k[0] in _REFERENCED_BY_PERMISSION_SET]


def _remove_after_assignments(
    session: Any,
    config: TotangoConfig,
    outcome: RollbackOutcome,
    last: list[tuple[str, str]],
    deploy_options: dict[str, Any],
) -> bool:
    """Once the first deploy succeeded: the assignments, then the permission set and the
    components it references."""
    names = [name for kind, name in last if kind == "PermissionSet"]
    done_first = outcome.deploy is not None
    try:
        for name in names:
            outcome.assignments_removed += remove_assignments(session, name)
        result = _tracked_deploy(
            session,
            destructive_package([package_member(t, n) for t, n in last], config.api_version),
            config.api_version,
            **deploy_options,
        )
    except Exception as exc:  # noqa: BLE001 - after a change, any failure is "partly done"
        if not done_first and not outcome.assignments_removed:
            raise
        outcome.status = "partly_done"
        outcome.warnings.append(
            f"rolled back, but permission set(s) {', '.join(names)} were not removed: {exc}."
            " Re-run the same rollback to finish."
        )
        return False
    outcome.permission_set_deploy = result
    if not result.success:
        changed = done_first or outcome.assignments_removed > 0
        outcome.status = "partly_done" if changed else "failed"
        outcome.warnings.append(
            f"permission set(s) {', '.join(names)} and what they grant access to were not deleted"
            f" (deploy {result.id} failed);"
            f" {outcome.assignments_removed} assignment(s) of it were removed."
            " Re-run the same rollback to finish."
        )
    return result.success
