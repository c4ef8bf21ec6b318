"""Files and folders as the toolkit leaves them: their modes, and a project run from below
its root."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
from pathlib import Path

from tests.support.cli import ONE_ADDRESS
from tests.support.paths import REPO_ROOT


def mode(path: Path) -> int:
    """The permission bits of ``path`` itself (a symlink's own, not its target's)."""
    return stat.S_IMODE(path.lstat().st_mode)


def project_with_subfolder(tmp_path: Path) -> Path:
    """A CumulusCI project with ``sub/dir`` to run commands from, and a totango.yml."""
    folder = tmp_path / "project"
    (folder / "sub" / "dir").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "cumulusci.yml", folder / "cumulusci.yml")
    (folder / "totango.yml").write_text(json.dumps(ONE_ADDRESS))
    return folder


def fail_writes_into(monkeypatch, folder_name: str, code: int = errno.EFBIG) -> dict[str, bool]:
    """Every state file written into a folder named ``folder_name`` (a ledger's) fails with
    ``code`` while the returned switch's "full" is set."""
    from tasks.totango_sf.state import state_paths

    switch = {"full": True}
    real_write = state_paths._write_whole

    def write(path, data):
        if switch["full"] and Path(path).parent.name == folder_name:
            raise OSError(code, os.strerror(code), str(path))
        real_write(path, data)

    monkeypatch.setattr(state_paths, "_write_whole", write)
    return switch
