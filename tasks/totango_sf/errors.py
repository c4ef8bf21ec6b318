"""One error model: every failure the toolkit raises on purpose is a ``TotangoError``.

Each error knows its own exit code (a class attribute of its kind: bad input, failed,
unreachable, outcome unknown, busy), its message, the data a JSON document carries and
the commands that settle it (sf CLI's ``actions``). The shells (the command line, the
CumulusCI tasks and each lane of a fleet) map errors to exit codes by these attributes,
in one place (``org/verdicts.py``), never with a chain of ``isinstance`` checks per shell.
It sits beside the stages, below all of them, and imports nothing of the package.
"""

from __future__ import annotations

import errno
from typing import Any, ClassVar

EXIT_OK = 0
EXIT_DEPLOY_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_DRIFT = 3
EXIT_ORG_UNREACHABLE = 4
# The org may have changed and nobody knows yet (a lost answer, an interrupt), or a
# deploy went through and a follow-up step did not: `totango-sf status` settles it.
EXIT_OUTCOME_UNKNOWN = 5
# Another change to this org is running (our lock, or a deploy in flight in the org).
EXIT_ORG_BUSY = 6
# ``setup`` ran every step it could, and one of the article's manual steps is still open.
EXIT_MANUAL_STEP_OPEN = 7
# A step of ``setup``, ``install`` or ``connected-app`` failed (the org as it was).
EXIT_STEP_FAILED = EXIT_DEPLOY_FAILED
# A fleet run stopped by Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130

# The ``name`` of an error document, one per exit code (sf CLI names its errors the same way).
ERROR_NAMES = {
    EXIT_DEPLOY_FAILED: "DeployFailed",
    EXIT_BAD_INPUT: "BadInput",
    EXIT_DRIFT: "Drift",
    EXIT_ORG_UNREACHABLE: "OrgUnreachable",
    EXIT_OUTCOME_UNKNOWN: "OutcomeUnknown",
    EXIT_ORG_BUSY: "OrgBusy",
    EXIT_MANUAL_STEP_OPEN: "ManualStepOpen",
}


def status_command(org: str, deploy_id: str | None) -> str:
    """The command that settles an unknown outcome or follows a running deploy."""
    command = f"totango-sf status --org {org}"
    return f"{command} --deploy-id {deploy_id}" if deploy_id else command


class TotangoError(Exception):
    """The base of every error the toolkit raises on purpose; anything else is a bug."""

    exit_code: ClassVar[int] = EXIT_DEPLOY_FAILED

    def verdict_message(self) -> str:
        """The line a user reads (the shells redact secrets from it)."""
        return str(self)

    def verdict_data(self) -> dict[str, Any]:
        """What a JSON error document carries beside the message."""
        return {}

    def verdict_problems(self) -> list[Any]:
        """Problems a terminal shows as a table as well (schema errors)."""
        return []

    def verdict_actions(self, org: str) -> list[str]:
        """Commands that settle or follow up, for ``org``."""
        return []


class BadInput(TotangoError):
    """The input (config, options, local state, a safety rule) stops the run before
    anything is sent to an org."""

    exit_code = EXIT_BAD_INPUT


class Failed(TotangoError):
    """The run failed, and the org is as it was."""

    exit_code = EXIT_DEPLOY_FAILED


class Unreachable(TotangoError):
    """The org could not be reached, or refused a call; nothing it did is in doubt."""

    exit_code = EXIT_ORG_UNREACHABLE


class OutcomeUnknown(TotangoError):
    """The org may have changed and nobody knows yet: never reported as failed."""

    exit_code = EXIT_OUTCOME_UNKNOWN


class Busy(TotangoError):
    """Another change to this org is running; nothing was sent."""

    exit_code = EXIT_ORG_BUSY


# -- local files that cannot be written or read -----------------------------------------

# Where the place itself is wrong (no permission, a read-only disk, a file where a folder
# belongs, /proc or /sys): the user can fix it by pointing elsewhere, so it is bad input.
# Anything else (a full disk, the file-size limit, an I/O error) is a failure of the run.
_PLACE_ERRNOS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.ENOENT,
        errno.EEXIST,
        errno.ELOOP,
        errno.ENAMETOOLONG,
        errno.EINVAL,
        errno.EXDEV,
    }
)


class LocalFileError(TotangoError):
    """A local file or folder could not be written or read: the message names it."""

    def __init__(self, path: object, reason: str, what: str = "", note: str = ""):
        self.path = str(path)
        self.reason = reason
        self.what = what
        self.note = note
        prefix = f"{what}: " if what else ""
        suffix = f"; {note}" if note else ""
        super().__init__(f"{prefix}cannot write {self.path} ({reason}){suffix}")

    def noting(self, note: str) -> LocalFileError:
        """The same error with ``note`` added to its message."""
        return type(self)(self.path, self.reason, self.what, note)

    def verdict_data(self) -> dict[str, Any]:
        return {"path": self.path, "reason": self.reason}


class UnwritablePlace(LocalFileError, BadInput):
    """The place cannot hold the file (permissions, a read-only disk, not a folder)."""


class LocalWriteFailed(LocalFileError, Failed):
    """The write itself failed (a full disk, the file-size limit, an I/O error)."""


def os_reason(exc: OSError) -> str:
    """``Read-only file system``: the system's words for ``exc``, without the path."""
    if exc.errno == errno.EFBIG:
        return "File too large: the file-size limit (ulimit -f) is reached"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{exc.strerror}: free some space"
    return exc.strerror or type(exc).__name__


def local_file_error(exc: OSError, path: object = None, what: str = "") -> LocalFileError:
    """The error to raise for ``exc``, naming ``path`` (or else the file ``exc`` names)."""
    where = path if path is not None else exc.filename
    kind = UnwritablePlace if exc.errno in _PLACE_ERRNOS else LocalWriteFailed
    return kind(where if where is not None else "(unknown file)", os_reason(exc), what)
