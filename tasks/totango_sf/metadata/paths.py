"""Relative metadata paths that are safe to join under a folder of ours.

File names come from places we do not control: the entry names of a retrieve zip
and the component names an org lists (a layout may be called anything an admin,
or a hostile org, types), and names given on the command line. Joined naively,
``layouts/../../x.layout`` or an absolute name writes outside the folder meant to
hold it. Every such path is checked here before anything is written; a bad one
refuses the whole write, so nothing is half done.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from tasks.totango_sf.errors import BadInput

# Control characters, and the separator Windows honours. (A colon stays allowed:
# layout names may hold one, and it is an ordinary character on POSIX.)
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")


class UnsafePath(BadInput, ValueError):
    """A name would leave its folder, or cannot be a file name at all."""


def relative_path_problem(rel: str) -> str | None:
    """Why ``rel`` cannot be written under a folder, or None when it can."""
    if not rel:
        return "is empty"
    if _UNSAFE_CHARS.search(rel):
        return "holds a control character or a backslash"
    path = PurePosixPath(rel)
    if path.is_absolute():
        return "is an absolute path"
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "has an empty, '.' or '..' segment"
    return None


def contained(base: Path, rel: str) -> Path:
    """``base / rel``, or UnsafePath when ``rel`` would not stay inside ``base``."""
    problem = relative_path_problem(rel)
    if problem:
        raise UnsafePath(f"refusing to write {rel!r}: the name {problem}")
    return base / rel


def check_all(rels: Iterable[str]) -> None:
    """Check every name first, so a refusal comes before the first write."""
    for rel in rels:
        contained(Path("."), rel)


def no_symlink_between(root: Path, target: Path) -> None:
    """Refuse when ``target`` or a folder between ``root`` and it is a symlink.

    Writing through a symlink would change a file outside the folder the user
    named, which the user never asked for.
    """
    try:
        rel = target.relative_to(root)
    except ValueError:
        raise UnsafePath(f"refusing to write {target}: it is outside {root}") from None
    current = root
    for part in rel.parts:
        current = current / part
        if current.is_symlink():
            raise UnsafePath(f"refusing to write through the symlink {current}")
