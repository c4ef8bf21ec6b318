"""A deploy refused because the org's administration setup is locked: wait, send again.

While a change that needs it runs (a package install, another deploy, a long test run),
Salesforce holds a lock on the org's administration setup, and a deploy that needs it
ends Failed with ``errorStatusCode`` ALREADY_IN_PROCESS ("The changes you requested
require salesforce.com to temporarily lock your organization's administration setup.
However, the administration setup has already been locked by another change. Please
wait for the previous action to finish, then try again later."; recorded in
SFDO-Tooling/CumulusCI issue 218, RoseSilverSoftware/IlluminatedCloud issues 330 and
488, forcedotcom/cli issue 645, the last right after a package install, which is what
``setup`` does). Nothing was applied, so the same deploy is sent again after a wait that
grows, a few times; each wait is said on stderr. When the lock outlasts them, the last
answer is returned and the flow ends the run as "org busy" (exit 6, ``AdminSetupLocked``),
the org unchanged, once the deploy's record is settled.

The lock is recognised by the status code the org sends, never by its wording.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from tasks.totango_sf.errors import Busy

ALREADY_IN_PROCESS = "ALREADY_IN_PROCESS"
# Seconds before each new attempt: 15 s, then doubling; 3 min 45 s in all, then exit 6.
ADMIN_LOCK_RETRY_DELAYS: tuple[float, ...] = (15.0, 30.0, 60.0, 120.0)


class AdminSetupLocked(Busy):
    """Every attempt found the org's administration setup locked by another change."""

    @classmethod
    def of(cls, org: str, result: Any) -> AdminSetupLocked:
        """The error for ``result``, the last locked answer of ``retry_while_locked``."""
        earlier = list(result.admin_lock_retries)
        waited = sum(ADMIN_LOCK_RETRY_DELAYS[: len(earlier)])
        return cls(org, [*earlier, result.id], waited)

    def __init__(self, org: str, deploy_ids: list[str], waited: float):
        self.org = org
        self.deploy_ids = deploy_ids
        self.waited = waited
        attempts = len(deploy_ids)
        super().__init__(
            f"org {org!r} is busy: Salesforce kept its administration setup locked by another"
            f" change (ALREADY_IN_PROCESS) through {attempts} attempt(s) over {waited:.0f} s, so"
            " nothing was changed. Wait until that change is done (a package install or a"
            " deploy: Setup > Installed Packages, Deployment Status), then run the same"
            " command again."
        )

    def verdict_data(self) -> dict[str, Any]:
        return {
            "error_code": ALREADY_IN_PROCESS,
            "deploy_ids": self.deploy_ids,
            "attempts": len(self.deploy_ids),
        }


def is_admin_locked(result: Any) -> bool:
    """A deploy the org refused for its administration lock (it changed nothing)."""
    return (
        not result.success
        and getattr(result, "error_code", None) == ALREADY_IN_PROCESS
        and not result.failures
    )


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def retry_while_locked(attempt: Callable[[], Any], org: str, polling: Any) -> Any:
    """``attempt()`` (one deploy, its result), sent again while the org is locked.

    ``polling`` gives the sleep and the notice (stderr when it has none). Returns the
    first answer that is not a lock, or the last one, with the ids of the earlier locked
    attempts in ``admin_lock_retries``.
    """
    say = getattr(polling, "notice", None) or _say
    sleep = polling.sleep
    ids: list[str] = []
    delays = ADMIN_LOCK_RETRY_DELAYS
    while True:
        result = attempt()
        result.admin_lock_retries = list(ids)
        if not is_admin_locked(result) or len(ids) >= len(delays):
            return result
        ids.append(result.id)
        delay = delays[len(ids) - 1]
        say(
            f"org {org!r}: deploy {result.id} found the org's administration setup locked by"
            f" another change (ALREADY_IN_PROCESS; a package install may still be finishing)."
            f" Nothing was changed; sending it again in {delay:.0f} s"
            f" (attempt {len(ids) + 1} of {len(delays) + 1})."
        )
        sleep(delay)
