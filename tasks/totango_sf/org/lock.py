"""One change at a time per org, on this machine: a lock file per org under ``.totango/``.

Two deploys (or a deploy and a rollback, or a connected-app run) against one org
would each read the org, merge and send a whole file, and the second would undo
the first. Salesforce queues a second deploy rather than refusing it, so the
guard must be ours. Like Terraform's state lock, the lock names its holder
(command, process, host) and since when; unlike a bare lock file, it expires by
itself when the holding process is gone, so a killed run never blocks the next
one. The lock is created with O_EXCL, so two processes cannot both take it.

A fleet runner takes one ``OrgLock`` per org; nothing here is specific to a
command.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tasks.totango_sf.org import snapshot as snapshots

LOCK_FOLDER = "locks"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


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


class OrgBusy(Exception):
    """Another run holds this org's lock."""

    def __init__(self, org: str, holder: LockHolder, path: Path):
        self.org = org
        self.holder = holder
        self.path = path
        super().__init__(
            f"org {org!r} is busy: {holder.describe()} holds its lock ({path});"
            " wait for it to finish (the lock goes when that process ends)"
        )


def lock_root() -> Path:
    # Beside the snapshots, read at call time so it follows where state lives.
    return Path(snapshots.SNAPSHOT_ROOT).parent / LOCK_FOLDER


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
        self.path = (root or lock_root()) / f"{_SAFE.sub('_', org)}.lock"
        self.holder = LockHolder(
            command,
            os.getpid(),
            socket.gethostname(),
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self._held = False

    def holder_now(self) -> LockHolder | None:
        """Who holds the lock now (None when free or stale)."""
        holder = _read(self.path)
        if holder is None or self._stale(holder):
            return None
        return holder

    def _stale(self, holder: LockHolder) -> bool:
        # A process on another host cannot be checked from here: its lock stands.
        return holder.host == socket.gethostname() and not _alive(holder.pid)

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = json.dumps(self.holder.to_json()).encode("utf-8")
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                holder = _read(self.path)
                if holder is not None and not self._stale(holder):
                    raise OrgBusy(self.org, holder, self.path) from None
                # Stale, or half written by a process killed mid-write: take it over.
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
                continue
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            self._held = True
            return
        holder = _read(self.path) or self.holder
        raise OrgBusy(self.org, holder, self.path)

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        if _read(self.path) == self.holder:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def __enter__(self) -> OrgLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextlib.contextmanager
def holding(org: str, command: str, root: Path | None = None) -> Iterator[OrgLock]:
    with OrgLock(org, command, root) as lock:
        yield lock
