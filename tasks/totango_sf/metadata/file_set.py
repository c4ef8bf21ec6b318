"""Write a set of files whole, or leave every one of them as it was.

``apply`` patches a team's repository and ``plan`` fills its ``--out`` folder, many
files per run. Written in place, one by one, a Ctrl-C or a full disk halfway through
would leave a layout cut off mid-element, or some layouts patched and others not.
So each file is first written in full beside its target under a temporary name, and
only when all of them are written are they moved over their targets: a rename within
one folder replaces a file in a single step (POSIX ``rename(2)``: "If newpath already
exists, it will be atomically replaced"). If anything stops the moves, the files
already moved are put back as they were and the folders made for them removed.

Two runs writing into one folder at once (parallel pre-commit hooks, CI steps sharing a
workspace) take turns on ``one_writer_at_a_time``: otherwise the second reads files the
first is replacing, or clears what the first is writing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

_STAGED_PREFIX = ".totango-staged-"


@contextlib.contextmanager
def one_writer_at_a_time(folder: Path) -> Iterator[None]:
    """Hold ``folder`` (an existing folder) for the block; another holder waits its turn.

    An flock on the folder itself: no lock file is left in it, and the kernel drops
    the lock when the process ends however it ends, so a killed run never blocks the
    next one.
    """
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def write_all(
    files: Mapping[Path, bytes], before: Mapping[Path, bytes | None] | None = None
) -> None:
    """Write every file of ``files`` whole, or none of them.

    ``before`` holds what each target held (``None``: absent), when the caller has
    already read it; anything it does not name is read here.
    """
    originals = {path: _held(path, before) for path in files}
    made: list[Path] = []
    staged: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            made += _make_parents(path)
            staged[path] = _stage(path, data)
    except BaseException:
        _discard(staged.values())
        _remove_folders(made)
        raise
    moved: list[Path] = []
    try:
        for path, temporary in staged.items():
            os.replace(temporary, path)
            moved.append(path)
    except BaseException:
        _discard(t for p, t in staged.items() if p not in moved)
        _put_back(moved, originals)
        _remove_folders(made)
        raise


def _held(path: Path, before: Mapping[Path, bytes | None] | None) -> bytes | None:
    if before is not None and path in before:
        return before[path]
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _make_parents(path: Path) -> list[Path]:
    """The folders made for ``path``, outermost first."""
    missing = [p for p in reversed(path.parents) if not p.exists()]
    for folder in missing:
        folder.mkdir(exist_ok=True)
    return missing


def _stage(path: Path, data: bytes) -> Path:
    """``data`` written in full beside ``path``, with the mode ``path`` has or would get."""
    temporary = path.with_name(f"{_STAGED_PREFIX}{secrets.token_hex(6)}-{path.name}")
    # O_EXCL: a name nobody else holds; 0o666 lets the umask decide, as for a new file.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _put_back(moved: Iterable[Path], originals: Mapping[Path, bytes | None]) -> None:
    for path in moved:
        original = originals[path]
        if original is None:
            path.unlink(missing_ok=True)
        else:
            os.replace(_stage(path, original), path)


def _discard(staged: Iterable[Path]) -> None:
    for temporary in staged:
        temporary.unlink(missing_ok=True)


def _remove_folders(made: list[Path]) -> None:
    for folder in reversed(made):
        with contextlib.suppress(OSError):  # not empty: something else lives there now
            folder.rmdir()
