"""Where the toolkit keeps local state (``.totango/``), and how it writes there.

Snapshots and the connected-app grant ledger are found from the CumulusCI project
root (the folder holding ``cumulusci.yml``), never the current directory, so a
deploy run from a subfolder can be rolled back from the root. Org names become
folder and file names through ``safe_file_name``, which can never produce ``..``
or a separator. Files are written whole (temporary file, then rename) with mode
0600 in folders of mode 0700: they name the org's layouts, settings and grants,
which other users of a shared CI machine have no need to read.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from urllib.parse import quote

from tasks.totango_sf.errors import local_file_error

PROJECT_MARKER = "cumulusci.yml"
STATE_DIR = ".totango"
FILE_MODE = 0o600
DIR_MODE = 0o700


def find_project_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: cwd) holding cumulusci.yml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PROJECT_MARKER).is_file():
            return folder
    return None


def state_path(path: Path) -> Path:
    """A state path as configured: relative ones live under the project root."""
    if path.is_absolute():
        return path
    return (find_project_root() or Path.cwd()) / path


def safe_file_name(name: str) -> str:
    """A file name for an org (or any outside name): percent-encoded, never '.' or '..'.

    Plain names (letters, digits, ``_``, ``-``, ``.``) are kept as they are, so
    existing snapshot folders stay where they were.
    """
    encoded = quote(name, safe="")
    if encoded.startswith("."):
        encoded = "%2E" + encoded[1:]
    return encoded or "%00"


def _owned_state_folders(folder: Path) -> list[Path]:
    """``folder`` and its parents up to the nearest ``.totango`` folder: the state tree.

    Outside such a tree (a state root set to an absolute folder) only ``folder`` itself.
    """
    chain = [folder]
    for parent in folder.parents:
        if chain[-1].name == STATE_DIR:
            return chain
        chain.append(parent)
    return chain if chain[-1].name == STATE_DIR else [folder]


def make_private_dirs(folder: Path) -> Path:
    """Create ``folder`` and missing parents with mode 0700; tighten those we own.

    Folders of the state tree that already exist (made by hand, by an older version,
    or under a umask of 000) are tightened to 0700 too, when this user owns them.
    A folder that cannot be made raises ``UnwritablePlace`` or ``LocalWriteFailed``
    naming it, never a bare ``OSError``.
    """
    try:
        _make_private_dirs(folder)
    except OSError as exc:
        raise local_file_error(exc, exc.filename or folder, "local state") from None
    return folder


def _make_private_dirs(folder: Path) -> None:
    missing = []
    current = folder
    while not current.exists():
        if current.is_symlink():
            break  # a dangling link: mkdir below names it
        missing.append(current)
        current = current.parent
    if current.exists() and not current.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(current))
    for path in reversed(missing):
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            # Another lane of a fleet run made it between our check and our mkdir.
            if not path.is_dir():
                raise
            continue
        os.chmod(path, DIR_MODE)  # mkdir's mode is masked by the umask
    for path in _owned_state_folders(folder):
        _tighten(path)


def _tighten(path: Path) -> None:
    try:
        status = path.lstat()
    except OSError:
        return
    if (
        stat.S_ISDIR(status.st_mode)
        and status.st_uid == os.getuid()
        and stat.S_IMODE(status.st_mode) != DIR_MODE
    ):
        os.chmod(path, DIR_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` whole with mode 0600; a symlink at ``path`` is replaced, not followed.

    A file that cannot be written raises ``UnwritablePlace`` (no permission, a
    read-only disk, not a folder) or ``LocalWriteFailed`` (a full disk, the file-size
    limit), naming the file; nothing is left half written.
    """
    make_private_dirs(path.parent)
    try:
        _write_whole(path, data)
    except OSError as exc:
        raise local_file_error(exc, path, "local state") from None


def _write_whole(path: Path, data: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
