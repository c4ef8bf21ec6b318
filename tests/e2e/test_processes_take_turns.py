"""Separate processes on one folder at once take turns, as parallel pre-commit hooks or CI
steps run them: ``apply --source-dir`` on one project, ``plan --out`` into one folder, and
the per-org lock held by a process that ends."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.merge.source_dir import apply_to_source
from tasks.totango_sf.state.lock import OrgBusy, OrgLock
from tests.org_emulator.seed import SEED
from tests.support.cli import ONE_ADDRESS
from tests.support.cli_json import result_of
from tests.support.paths import REPO_ROOT


def test_plans_into_one_out_folder_at_once_take_turns(tmp_path):
    # Separate processes, as parallel pre-commit hooks or CI steps would be.
    out = tmp_path / "out"
    command = [str(Path(sys.executable).parent / "totango-sf"), "plan", "--config", "/dev/null"]
    runs = [
        subprocess.Popen(
            [*command, "--out", str(out)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    finished = [(run.wait(timeout=120), *run.communicate()) for run in runs]
    assert [code for code, _, _ in finished] == [0, 0, 0, 0], finished
    assert not any("Traceback" in err for _, _, err in finished)
    recorded = json.loads((out / ".totango-plan.json").read_text())["files"]
    present = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert present == sorted([*recorded, ".totango-plan.json"])
    assert not list(out.rglob(".totango-staged-*"))


def test_applies_on_one_project_at_once_take_turns(tmp_path):
    # Separate processes, as parallel pre-commit hooks would be: one changes the project,
    # and each of the others, reading it after that one, finds nothing left to change.
    root = tmp_path / "mdapi"
    shutil.copytree(SEED / "layouts", root / "layouts")
    shutil.copytree(SEED / "settings", root / "settings")
    config = tmp_path / "totango.yml"
    config.write_text("trusted_ip_ranges:\n  addresses: [8.8.8.8]\n")
    command = [
        str(Path(sys.executable).parent / "totango-sf"),
        "apply",
        "--source-dir",
        str(root),
        "--config",
        str(config),
        "--json",
    ]
    runs = [
        subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    finished = [(run.wait(timeout=120), *run.communicate()) for run in runs]
    assert [code for code, _, _ in finished] == [0, 0, 0, 0], finished
    changed = [result_of(out.decode())["changed"] for _, out, _ in finished]
    assert sorted(changed) == [False, False, False, True]
    assert not list(root.rglob(".totango-staged-*"))
    again = apply_to_source(build_config(ONE_ADDRESS), root)
    assert not again.changed


HOLD = """
import sys
from pathlib import Path
from tasks.totango_sf.state.lock import OrgLock
lock = OrgLock("prod", "deploy", Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
sys.stdin.readline()
lock.release()
"""


def test_a_lock_held_by_another_process_expires_when_that_process_ends(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], cwd=REPO_ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(OrgBusy) as busy:
            OrgLock("prod", "deploy", tmp_path).acquire()
        assert busy.value.holder.pid == holder.pid
    finally:
        holder.kill()  # killed: it never releases; the lock file stays behind
        holder.wait(timeout=30)
    mine = OrgLock("prod", "deploy", tmp_path)
    mine.acquire()
    assert mine.holder_now() == mine.holder
