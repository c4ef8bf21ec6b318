"""What every command that changes an org shares: its lock, its deploy id, its exits.

A change holds the org's lock for its whole run, prints the deploy id the moment
the org returns it (on stderr, so ``--json`` keeps one document on stdout), turns
SIGTERM into the same path as Ctrl-C, and ends an unsettled run with exit 5 and
the ``status`` command that settles it, never with "failed".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from tasks.totango_sf.cli.output import err, fail
from tasks.totango_sf.errors import EXIT_DEPLOY_FAILED, EXIT_ORG_BUSY, status_command


@contextmanager
def changing(org: str, command: str, as_json: bool) -> Iterator[None]:
    """Hold the org's lock (exit 6 if taken) with SIGTERM raising like SIGINT."""
    from tasks.totango_sf.state.lock import OrgBusy, OrgLock
    from tasks.totango_sf.state.tracking import interrupts_raise

    lock = OrgLock(org, command)
    try:
        lock.acquire()
    except OrgBusy as exc:
        fail(str(exc), EXIT_ORG_BUSY, as_json, holder=exc.holder.to_json())
    try:
        with interrupts_raise():
            yield
    finally:
        lock.release()


def announce(org: str, note: Callable[[str], None] | None = None) -> Callable[[str], None]:
    """The on-started callback: the id on a line of its own before the first poll.

    ``note`` is the progress display's: the line goes above a live bar, never into it.
    The follow-up command is on a line of its own too, whole, so it can be copied.
    """

    def started(deploy_id: str) -> None:
        text = (
            f"deploy id {deploy_id} (recorded in the snapshot manifest); follow it with:\n"
            f"  {status_command(org, deploy_id)}"
        )
        (note or (lambda line: err.print(line, soft_wrap=True)))(text)

    return started


def fail_unknown(org: str, as_json: bool, exc: Any, secrets: tuple[str | None, ...]) -> NoReturn:
    """Exit 5: the org may have changed; say what is known and how to settle it."""
    from tasks.totango_sf.org.verdicts import verdict_of

    verdict = verdict_of(exc, secrets, org)
    fail(verdict.message, verdict.code, as_json, actions=verdict.actions, **verdict.data)


def fail_interrupted_before_send(as_json: bool) -> NoReturn:
    fail("interrupted before any deploy was sent; no deploy was made", EXIT_DEPLOY_FAILED, as_json)
