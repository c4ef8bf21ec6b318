"""``totango-sf`` and ``cci flow run`` as separate processes, in a project of their own.

A test that sends SIGINT to a process it started asks for the ``sigint_raises`` fixture:
started from a background job, the process would otherwise inherit SIGINT ignored.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.cci import CCI
from tests.support.cli import ONE_ADDRESS
from tests.support.paths import REPO_ROOT

TOTANGO_SF = Path(sys.executable).parent / "totango-sf"


def command(*args: str) -> list[str]:
    """The argument list of one ``totango-sf`` run."""
    return [str(TOTANGO_SF), *args]


def project(tmp_path: Path) -> Path:
    """A copy of the CumulusCI project, so snapshots and ledgers land under tmp, never in
    the checkout (the same one again when asked twice in a test)."""
    folder = tmp_path / "project"
    if folder.is_dir():
        return folder
    folder.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "cumulusci.yml", folder / "cumulusci.yml")
    # cci resolves class_path tasks.<module> against the project's own tasks/ folder.
    (folder / "tasks").symlink_to(REPO_ROOT / "tasks")
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    (folder / "totango.yml").write_text(json.dumps(ONE_ADDRESS))
    return folder


def run_cci_flow(
    folder: Path, env: dict[str, str], flow: str, *configured_tasks: str, extra: tuple = ()
) -> subprocess.CompletedProcess[str]:
    """``cci flow run FLOW --org emu`` with each task's config option set to totango.yml,
    in ``env`` as given (no COLUMNS, no repository override)."""
    options = [arg for task in configured_tasks for arg in ("-o", f"{task}__config", "totango.yml")]
    return subprocess.run(
        [str(CCI), "flow", "run", flow, "--org", "emu", *options, *extra],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
