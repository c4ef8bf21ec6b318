"""One change at a time per org, on this machine: a lock file per org under ``.totango/``.

Two deploys (or a deploy and a rollback, or a connected-app run) against one org
would each read the org, merge and send a whole file, and the second would undo
the first. Salesforce queues a second deploy rather than refusing it, so the
guard must be ours. Like Terraform's state lock, the lock names its holder
(command, process, host) and since when; unlike a bare lock file, it expires by
itself when the holding process is gone, so a killed run never blocks the next
one. The file holds the holder's details; an flock on it, which the kernel drops when
the process ends however it ends, is what makes two processes unable to both hold it.

A fleet runner takes one ``OrgLock`` per org; nothing here is specific to a
command.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tasks.totango_sf.errors import BadInput, Busy, local_file_error
from tasks.totango_sf.state import snapshot as snapshots
from tasks.totango_sf.state.state_paths import (
    FILE_MODE,
    make_private_dirs,
    safe_file_name,
    state_path,
)

LOCK_FOLDER = "locks"


@dataclass(frozen=True)
class LockHolder:
    command: str
    pid: int
    host: str
    since: str

    def describe(self) -> str:
        return f"{self.command} (pid {self.pid} on {self.host}) since {self.since}"

    def to_json(self) -> dict[str, Any]:
        return {"command": self.command, "pid": self.pid, "host": self.host, "since": self.since}


class OrgBusy(Busy):
    """Another run holds this org's lock."""

    def __init__(self, org: str, holder: LockHolder, path: Path):
        self.org = org
        self.holder = holder
        self.path = path
        super().__init__(
            f"org {org!r} is busy: {holder.describe()} holds its lock ({path});"
            " wait for it to finish (the lock goes when that process ends)"
        )


_UNKNOWN = LockHolder("unknown command", 0, "unknown host", "unknown time")


def lock_root() -> Path:
    # Beside the snapshots (under the project root), read at call time.
    return state_path(Path(snapshots.SNAPSHOT_ROOT).parent / LOCK_FOLDER)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


def _read(path: Path) -> LockHolder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LockHolder(str(data["command"]), int(data["pid"]), str(data["host"]), data["since"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


class OrgLock:
    """``with OrgLock(org, "deploy"):`` holds the org for the block, or raises OrgBusy."""

    def __init__(self, org: str, command: str, root: Path | None = None):
        self.org = org
        self.command = command
        self.path = (root or lock_root()) / f"{safe_file_name(org)}.lock"
        self.holder = LockHolder(
            command,
            os.getpid(),
            socket.gethostname(),
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self._fd: int | None = None

    def holder_now(self) -> LockHolder | None:
        """Who holds the lock now (None when free)."""
        holder = _read(self.path)
        if holder is None or (holder.host == socket.gethostname() and not _alive(holder.pid)):
            return None
        return holder

    def _open(self) -> int:
        """The lock file, opened (made 0600 if it was not); a folder or a symlink in its
        place is refused with its name (exit 2), never followed or removed."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
        except IsADirectoryError:
            raise BadInput(
                f"the lock file {self.path} is a folder, not a file; nothing was sent."
                " Remove that folder (no run of this tool makes one) and run the command again"
            ) from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise BadInput(
                    f"the lock file {self.path} is a symlink; nothing was sent. Remove the"
                    " link and run the command again"
                ) from None
            raise local_file_error(exc, self.path, "the org's lock") from None
        with contextlib.suppress(OSError):
            if stat.S_IMODE(os.fstat(fd).st_mode) != FILE_MODE:
                os.fchmod(fd, FILE_MODE)
        return fd

    def acquire(self) -> None:
        make_private_dirs(self.path.parent)
        for _ in range(5):
            fd = self._open()
            try:
                # The kernel drops this lock when the process ends, however it ends:
                # that, not the pid in the file, is what makes a lock expire.
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise OrgBusy(self.org, _read(self.path) or _UNKNOWN, self.path) from None
            if not self._is_current(fd):
                os.close(fd)  # its holder removed it between our open and our lock
                continue
            holder = _read(self.path)
            if holder is not None and not self._stale(holder):
                # A holder on another host (a shared folder) cannot be checked here.
                os.close(fd)
                raise OrgBusy(self.org, holder, self.path)
            try:
                os.ftruncate(fd, 0)
                os.write(fd, json.dumps(self.holder.to_json()).encode("utf-8"))
            except OSError as exc:
                os.close(fd)
                raise local_file_error(exc, self.path, "the org's lock") from None
            self._fd = fd
            return
        raise OrgBusy(self.org, _read(self.path) or _UNKNOWN, self.path)

    def _is_current(self, fd: int) -> bool:
        try:
            return os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            return False

    def _stale(self, holder: LockHolder) -> bool:
        # Here only when the lock itself was free: a holder named on this host is gone.
        return holder.host == socket.gethostname()

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if self._is_current(fd):
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        os.close(fd)

    def __enter__(self) -> OrgLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextlib.contextmanager
def holding(org: str, command: str, root: Path | None = None) -> Iterator[OrgLock]:
    with OrgLock(org, command, root) as lock:
        yield lock
