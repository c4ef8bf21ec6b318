"""Rollback of an org default record page: the object's View override as it was.

A deploy with ``widget.create_record_page.assign_org_default`` sets the View /
Large override of an object to the page it created; the snapshot holds the
object's overrides from before (``originals``) and as deployed (``deployed``).

- Surgical (the default): the object's overrides as they are now, with View /
  Large set back to the one from before (or to type Default: the system default
  page), only while it still names the page the deploy assigned. An admin who
  chose another page since keeps it. Once a rollback of the snapshot went through,
  the assignment is no longer ours (``rollback_mark``): run again, the rollback
  leaves the org default as it is, even where it names the page again.
- Exact: the overrides from before, refused with a diff when the org's overrides
  differ from what the deploy left, unless forced (as for layouts).

Either way every other override is sent as the org holds it now or held it
then, never left out (see ``merge/org_default.py`` on why).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from tasks.totango_sf.merge.org_default import (
    exact_overrides,
    org_default_page,
    overrides_only,
    restore_org_default,
)
from tasks.totango_sf.org.desired_state import object_path
from tasks.totango_sf.state.rollback_mark import is_rolled_back
from tasks.totango_sf.state.snapshot import Snapshot, load_deployed


@dataclass
class ObjectRollback:
    files: dict[str, bytes] = field(default_factory=dict)  # path -> object file to deploy
    diffs: dict[str, str] = field(default_factory=dict)  # exact: changed since the deploy
    warnings: list[str] = field(default_factory=list)
    restored: list[tuple[str, str]] = field(default_factory=list)


def _diff(path: str, left: bytes, now: bytes) -> str:
    return "".join(
        difflib.unified_diff(
            left.decode("utf-8", "replace").splitlines(keepends=True),
            now.decode("utf-8", "replace").splitlines(keepends=True),
            fromfile=f"deployed/{path}",
            tofile=f"org/{path}",
        )
    )


def plan_object_rollback(
    snapshot: Snapshot, current: dict[str, bytes], *, exact: bool
) -> ObjectRollback:
    """Pure: the object files of the rollback, from the snapshot and the org's files now."""
    result = ObjectRollback()
    deployed = load_deployed(snapshot)
    for kind, name in snapshot.patched:
        if kind != "CustomObject":
            continue
        path = object_path(name)
        before = snapshot.originals.get(path)
        left = deployed.get(path)
        now = current.get(path)
        if exact:
            if left is None or overrides_only(left) != overrides_only(now):
                result.diffs[path] = (
                    _diff(path, overrides_only(left), overrides_only(now))
                    if left is not None
                    else "(what the deploy left here was not recorded)\n"
                )
            wanted = exact_overrides(before, now)
            if wanted != overrides_only(now):
                result.files[path] = wanted
                result.restored.append((kind, name))
            continue
        ours = org_default_page(left)
        if ours is not None and org_default_page(now) == ours and is_rolled_back(snapshot):
            result.warnings.append(
                f"the org default record page of {name} is {ours} again, but a rollback of"
                f" snapshot {snapshot.id} already gave it back: set since, not by this deploy;"
                " left as it is"
            )
            continue
        if ours is None or org_default_page(now) != ours:
            result.warnings.append(
                f"the org default record page of {name} is now"
                f" {org_default_page(now) or 'the system default'}, not {ours}: left as it is"
            )
            continue
        wanted = restore_org_default(now, before)
        if wanted != overrides_only(now):  # else the deploy left the org default as it was
            result.files[path] = wanted
            result.restored.append((kind, name))
    return result
