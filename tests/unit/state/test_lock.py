"""The per-org lock: one change at a time, its holder named, never taken from its holder.

That it goes with its process is in tests/e2e/test_processes_take_turns.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasks.totango_sf.state import snapshot as snapshots
from tasks.totango_sf.state.lock import OrgBusy, OrgLock


def test_a_second_lock_on_the_same_org_is_refused_and_names_the_holder(tmp_path):
    with OrgLock("prod", "deploy", tmp_path):
        with pytest.raises(OrgBusy) as busy:
            OrgLock("prod", "rollback", tmp_path).acquire()
        assert busy.value.holder.command == "deploy"
        assert "deploy (pid" in str(busy.value) and "since" in str(busy.value)
        OrgLock("uat", "deploy", tmp_path).acquire()  # another org is independent
    OrgLock("prod", "rollback", tmp_path).acquire()


def test_the_lock_file_is_private_and_says_who_and_since_when(tmp_path):
    with OrgLock("prod", "connected-app", tmp_path) as lock:
        assert lock.path.stat().st_mode & 0o777 == 0o600
        data = json.loads(lock.path.read_text())
        assert data["command"] == "connected-app" and data["since"]
    assert not lock.path.exists()


def test_a_lock_of_a_process_on_another_host_is_not_taken_over(tmp_path):
    lock = OrgLock("prod", "deploy", tmp_path)
    lock.path.parent.mkdir(parents=True, exist_ok=True)
    lock.path.write_text(json.dumps({"command": "deploy", "pid": 1, "host": "ci-runner-7",
                                     "since": "2026-01-01T00:00:00+00:00"}))  # fmt: skip
    with pytest.raises(OrgBusy, match="ci-runner-7"):
        lock.acquire()


def test_release_never_removes_a_lock_someone_else_took(tmp_path):
    first = OrgLock("prod", "deploy", tmp_path)
    first.acquire()
    first.path.unlink()  # e.g. removed by hand while it ran
    second = OrgLock("prod", "rollback", tmp_path)
    second.acquire()
    first.release()
    assert second.path.exists() and second.holder_now() is not None


def test_snapshot_root_is_where_the_lock_lives(tmp_path):
    assert OrgLock("a/../b", "deploy").path.parent == Path(snapshots.SNAPSHOT_ROOT).parent / "locks"
    assert "/" not in OrgLock("a/../b", "deploy").path.name
