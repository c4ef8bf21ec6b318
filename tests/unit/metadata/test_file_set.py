"""A set of files is written whole, or every file is left as it was (metadata/file_set.py).

Also through the commands that write many files: ``apply --source-dir`` on a project,
cut short while its files are being moved into place, leaves the project byte for byte
as it was.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.merge.source_dir import apply_to_source
from tasks.totango_sf.metadata import file_set
from tasks.totango_sf.metadata.file_set import write_all
from tests.org_emulator.seed import SEED
from tests.support.cli import ONE_ADDRESS


def snapshot(root: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every file and folder under ``root``: its bytes (None for a folder) and mode."""
    return {
        p.relative_to(root).as_posix(): (
            None if p.is_dir() else p.read_bytes(),
            stat.S_IMODE(p.stat().st_mode),
        )
        for p in sorted(root.rglob("*"))
    }


def stop_on_move(monkeypatch, nth: int, error: BaseException) -> list[Path]:
    """os.replace raises ``error`` on its ``nth`` call; the moves before it happen."""
    real_replace = os.replace
    moves: list[Path] = []

    def replace(source, target):
        moves.append(Path(target))
        if len(moves) == nth:
            raise error
        return real_replace(source, target)

    monkeypatch.setattr(file_set.os, "replace", replace)
    return moves


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_bytes(b"one")
    (tmp_path / "a" / "two.txt").write_bytes(b"two")
    os.chmod(tmp_path / "a" / "two.txt", 0o640)
    return tmp_path


def new_files(root: Path) -> dict[Path, bytes]:
    return {
        root / "a" / "one.txt": b"ONE",
        root / "a" / "two.txt": b"TWO",
        root / "b" / "c" / "three.txt": b"THREE",
    }


def test_every_file_is_written_and_an_existing_file_keeps_its_mode(tree):
    write_all(new_files(tree))
    assert (tree / "a" / "one.txt").read_bytes() == b"ONE"
    assert (tree / "b" / "c" / "three.txt").read_bytes() == b"THREE"
    assert stat.S_IMODE((tree / "a" / "two.txt").stat().st_mode) == 0o640
    assert not list(tree.rglob(".totango-staged-*"))


def test_a_new_file_gets_the_mode_the_umask_gives(tree):
    previous = os.umask(0o027)
    try:
        write_all({tree / "new.txt": b"x"})
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tree / "new.txt").stat().st_mode) == 0o640


@pytest.mark.parametrize("nth", [1, 2, 3])
@pytest.mark.parametrize("error", [KeyboardInterrupt(), OSError(28, "No space left on device")])
def test_cut_short_while_moving_leaves_every_file_as_it_was(tree, monkeypatch, nth, error):
    before = snapshot(tree)
    moves = stop_on_move(monkeypatch, nth, error)
    with pytest.raises(type(error)):
        write_all(new_files(tree))
    assert len(moves) >= nth
    assert snapshot(tree) == before  # contents, modes, no new folder, no staged file


def test_cut_short_while_writing_leaves_every_file_as_it_was(tree, monkeypatch):
    before = snapshot(tree)
    real_stage = file_set._stage
    staged: list[Path] = []

    def stage(path: Path, data: bytes) -> Path:
        if len(staged) == 2:
            raise OSError(28, "No space left on device")
        staged.append(path)
        return real_stage(path, data)

    monkeypatch.setattr(file_set, "_stage", stage)
    with pytest.raises(OSError):
        write_all(new_files(tree))
    assert snapshot(tree) == before


def test_what_the_caller_read_before_is_what_is_put_back(tree, monkeypatch):
    stop_on_move(monkeypatch, 2, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        write_all(new_files(tree), before={tree / "a" / "one.txt": b"as read"})
    assert (tree / "a" / "one.txt").read_bytes() == b"as read"


def test_apply_cut_short_leaves_the_project_as_it_was(tmp_path, monkeypatch):
    root = tmp_path / "mdapi"
    shutil.copytree(SEED / "layouts", root / "layouts")
    shutil.copytree(SEED / "settings", root / "settings")
    before = snapshot(root)
    moves = stop_on_move(monkeypatch, 4, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        apply_to_source(build_config(ONE_ADDRESS), root)
    assert len(moves) >= 4
    assert snapshot(root) == before

    monkeypatch.undo()
    result = apply_to_source(build_config(ONE_ADDRESS), root)
    assert any(c.change == "patched" for c in result.changes)
    assert not list(root.rglob(".totango-staged-*"))
