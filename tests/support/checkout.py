"""A stand-in for the checkout, for tests that run commands "from the project root".

The README's walkthrough, the docs' blocks and ``./dev test --live`` are written for a
user's clone; run there, they would leave snapshots, ledgers, locks and ``build/`` in
this checkout, where later runs (and other xdist workers) would read them as the
project's own. So they run in a folder of links to the checkout's files and folders,
with the folders the product writes (``.totango``, ``build``) its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

# What a run writes, so never linked: each stand-in starts without them.
WRITTEN_BY_RUNS = frozenset({".totango", "build"})


def checkout_stand_in(tmp_path: Path) -> Path:
    """``tmp_path/checkout``: every entry of the checkout linked, but those runs write."""
    folder = tmp_path / "checkout"
    if folder.is_dir():
        return folder
    _refuse_a_stale_environment()
    folder.mkdir(parents=True)
    for entry in REPO_ROOT.iterdir():
        if entry.name not in WRITTEN_BY_RUNS:
            (folder / entry.name).symlink_to(entry)
    return folder


def _refuse_a_stale_environment() -> None:
    """``./dev`` reinstalls into .venv when pyproject.toml is newer than its last install.
    Run in a stand-in, that install would write the stand-in's path into every command's
    first line, and break them all once the stand-in is gone. ``./dev test`` installs
    before it runs the tests, so only pytest run by hand can meet this."""
    stamp = REPO_ROOT / ".venv" / ".installed[test]"
    pyproject = REPO_ROOT / "pyproject.toml"
    if stamp.exists() and pyproject.stat().st_mtime > stamp.stat().st_mtime:
        pytest.fail("pyproject.toml changed since .venv was installed: run ./dev test once")
