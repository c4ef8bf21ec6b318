"""The folder ``plan --out`` owns, and the files in it that it may delete.

``plan`` replaces ``OUT/package`` and ``OUT/patches`` on every run so that a
component dropped from the config does not linger in the package. Pointed at the
wrong folder (``--out .``, ``--out force-app``), that would delete someone's
work, so only files this command wrote (listed in ``OUT/.totango-plan.json``) or
is about to write again are removed; anything else makes it refuse unless
``--force`` is given. A symlinked ``package`` or ``patches`` folder is never
followed. Two runs into one folder (pre-commit hooks in parallel, CI jobs sharing a
workspace) take turns: otherwise one clears the folder while the other writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from tasks.totango_sf.metadata.file_set import one_writer_at_a_time
from tasks.totango_sf.metadata.paths import UnsafePath

OWNED = ("package", "patches")
RECORD = ".totango-plan.json"


class OutDirRefused(UnsafePath):
    """``--out`` holds files this command did not write; nothing was deleted."""


@contextlib.contextmanager
def taking_turns(out_dir: Path) -> Iterator[None]:
    """Hold ``out_dir`` for one run; a second run waits (a run holds it for milliseconds)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutDirRefused(f"--out {out_dir} is a file, not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    with one_writer_at_a_time(out_dir):
        yield


def _recorded(out_dir: Path) -> set[str]:
    try:
        data = json.loads((out_dir / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    files = data.get("files") if isinstance(data, dict) else None
    return {f for f in files if isinstance(f, str)} if isinstance(files, list) else set()


def _present(out_dir: Path) -> tuple[list[str], list[str]]:
    """(files under the owned folders, owned folders that are symlinks)."""
    files: list[str] = []
    links: list[str] = []
    for owned in OWNED:
        folder = out_dir / owned
        if folder.is_symlink():
            links.append(owned)
            continue
        for parent, dirs, names in os.walk(folder, followlinks=False):
            for name in names + [d for d in dirs if Path(parent, d).is_symlink()]:
                files.append(Path(parent, name).relative_to(out_dir).as_posix())
    return sorted(files), links


def prepare(out_dir: Path, about_to_write: Iterable[str], force: bool = False) -> None:
    """Clear the owned folders, refusing (unless ``force``) to delete what is not ours.

    ``out_dir`` is a folder held with ``taking_turns``, which makes it.
    """
    files, links = _present(out_dir)
    ours = _recorded(out_dir) | set(about_to_write)
    foreign = sorted(set(files) - ours)
    if (foreign or links) and not force:
        shown = [f"{name}/ (a symlink)" for name in links] + foreign[:5]
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        raise OutDirRefused(
            f"--out {out_dir} holds files this command did not write: {', '.join(shown)}{more};"
            " choose another folder, or pass --force to delete them"
        )
    # Claimed before anything is deleted or written: a run cut short (Ctrl-C, a full
    # disk) leaves only files the record names, so the next run replaces them.
    record(out_dir, ours)
    for owned in OWNED:
        folder = out_dir / owned
        if folder.is_symlink():
            folder.unlink()
        elif folder.exists():
            shutil.rmtree(folder)


def record(out_dir: Path, written: Iterable[str]) -> None:
    """Remember what was written, so the next run may replace exactly that.

    Replaced in one step: a record cut short would disown every file in the folder.
    """
    payload = json.dumps({"files": sorted(written)}, indent=2) + "\n"
    partial = out_dir / f"{RECORD}.partial"
    partial.write_text(payload, encoding="utf-8")
    os.replace(partial, out_dir / RECORD)
